"""How statuses look in the TUI: the core's icon and word (report.looks), coloured here."""

from __future__ import annotations

from onyx_wizard.gate import Status
from onyx_wizard.report.looks import status_label

_CLASS: dict[Status, str] = {
    Status.PENDING: "status-pending",
    Status.PASSED: "status-ok",
    Status.ATTESTED: "status-ok",
    Status.WAIVED: "status-waived",
    Status.NOT_APPLICABLE: "status-na",
    Status.FAILED: "status-bad",
    Status.STALE: "status-bad",
}

__all__ = ["status_class", "status_label", "status_markup"]


def status_class(status: Status) -> str:
    """The CSS class that colours a status (the icon and word carry the meaning)."""
    return _CLASS[status]


def status_markup(status: Status, width: int = 0, label: str = "") -> str:
    """A status as Textual content markup, padded to `width` characters; `label` replaces its
    word (an item's state may say what it still needs, e.g. "probe passed · attestation
    needed")."""
    icon = status_label(status).split(" ", 1)[0]
    label = (f"{icon} {label}" if label else status_label(status)).ljust(width)
    colour = {
        "status-ok": "$success",
        "status-bad": "$error",
        "status-waived": "$warning",
        "status-na": "$text-muted",
        "status-pending": "$text-muted",
    }[status_class(status)]
    return f"[{colour}]{label}[/]"
