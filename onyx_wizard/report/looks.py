"""How outcomes and statuses read: always an icon and a word, never colour alone.

The one table of them, used by the CLI's reports, the evidence lines and the TUI (which adds
only colour, through CSS classes of its own).
"""

from __future__ import annotations

from onyx_wizard.gate import ItemState, SectionProgress, Status, Verdict
from onyx_wizard.outcome import Outcome

OUTCOME_LOOK: dict[str, tuple[str, str]] = {
    Outcome.PASS: ("✓", "pass"),
    Outcome.WARN: ("!", "warn"),
    Outcome.FAIL: ("✗", "fail"),
    Outcome.ERROR: ("✗", "error"),
    Outcome.SKIPPED: ("–", "skipped"),
    # A probe of a live run that has no outcome yet.
    "queued": ("○", "queued"),
    "running": ("◌", "running"),
    "cancelled": ("–", "cancelled"),
}

STATUS_LOOK: dict[Status, tuple[str, str]] = {
    Status.PENDING: ("○", "pending"),
    Status.PASSED: ("✓", "passed"),
    Status.ATTESTED: ("✓", "attested"),
    Status.WAIVED: ("≈", "waived"),
    Status.NOT_APPLICABLE: ("–", "n/a"),
    Status.FAILED: ("✗", "failed"),
    Status.STALE: ("⟳", "stale"),
}


def outcome_icon(outcome: str) -> str:
    """`✓` for pass, `✗` for fail or error, `·` for anything unknown."""
    return OUTCOME_LOOK.get(outcome, ("·", ""))[0]


def outcome_label(outcome: str) -> str:
    """`✓ pass`, `! warn`, `○ queued`, …"""
    icon, word = OUTCOME_LOOK.get(outcome, ("·", str(outcome)))
    return f"{icon} {word}"


def status_label(status: Status) -> str:
    """`✓ attested`, `✗ failed`, …"""
    icon, word = STATUS_LOOK[status]
    return f"{icon} {word}"


def state_label(state: ItemState) -> str:
    """An item's status as shown: the icon and word, or the phrase that says what it needs."""
    icon, word = STATUS_LOOK[state.status]
    return f"{icon} {state.label or word}"


def section_counts(progress: SectionProgress) -> str:
    """`3/5  ✗ 2 blocking`, `5/5  ✓ complete`, or why a section has nothing to do."""
    p = progress
    if not p.total:
        return f"– not applicable ({p.not_applicable} items)"
    counts = f"{p.done:>2}/{p.total}"
    if p.blocking:
        return f"{counts}  ✗ {p.blocking} blocking"
    if p.complete:
        return f"{counts}  ✓ complete"
    return f"{counts}  ○ optional items open"


def verdict_line(verdict: Verdict) -> str:
    """`✓ READY` or `✗ NOT READY — 46 blocking items` (said once, not twice)."""
    if verdict.ready:
        return "✓ READY"
    n = len(verdict.blockers)
    return f"✗ NOT READY — {n} blocking item{'s' if n != 1 else ''}"
