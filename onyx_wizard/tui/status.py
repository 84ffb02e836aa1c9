"""How statuses look: always an icon and a word, never colour alone."""

from __future__ import annotations

from onyx_wizard.gate import Status

_LOOK: dict[Status, tuple[str, str, str]] = {
    Status.PENDING: ("○", "pending", "status-pending"),
    Status.PASSED: ("✓", "passed", "status-ok"),
    Status.ATTESTED: ("✓", "attested", "status-ok"),
    Status.WAIVED: ("≈", "waived", "status-waived"),
    Status.NOT_APPLICABLE: ("–", "n/a", "status-na"),
    Status.FAILED: ("✗", "failed", "status-bad"),
    Status.STALE: ("⟳", "stale", "status-bad"),
}


def status_label(status: Status) -> str:
    """`✓ attested`, `✗ failed`, …"""
    icon, word, _ = _LOOK[status]
    return f"{icon} {word}"


def status_class(status: Status) -> str:
    """The CSS class that colours a status (the icon and word carry the meaning)."""
    return _LOOK[status][2]


def status_markup(status: Status, width: int = 0) -> str:
    """A status as Textual content markup, padded to `width` characters."""
    label = status_label(status).ljust(width)
    colour = {
        "status-ok": "$success",
        "status-bad": "$error",
        "status-waived": "$warning",
        "status-na": "$text-muted",
        "status-pending": "$text-muted",
    }[status_class(status)]
    return f"[{colour}]{label}[/]"
