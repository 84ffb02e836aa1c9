"""What screens tell the app, and what a probe run tells its screen.

A screen never pushes another screen: it posts one of the navigation messages below, which
bubbles to the app, and the app decides what to show. The run messages come from the probe
worker (some from the scanner's thread) and are handled by the run screen, on the UI's loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from textual.message import Message

if TYPE_CHECKING:
    from onyx_wizard.probes import ProbeResult

# --- navigation: posted by screens, handled by the app ----------------------------------------


class EnterSession(Message):
    """Open a session and show its overview, then its profile (`start="profile"`) or the item
    where the operator stopped (`start="resume"`)."""

    def __init__(self, name: str, start: str) -> None:
        super().__init__()
        self.name = name
        self.start = start


class OpenSection(Message):
    """Show the items of one section."""

    def __init__(self, section_id: str) -> None:
        super().__init__()
        self.section_id = section_id


class OpenItem(Message):
    """Show one checklist item."""

    def __init__(self, item_id: str) -> None:
        super().__init__()
        self.item_id = item_id


class RunProbes(Message):
    """Run every applicable probe, or only those of the items or probes in `only`."""

    def __init__(self, only: list[str] | None = None) -> None:
        super().__init__()
        self.only = only


class ShowReview(Message):
    """Show the gate verdict and every blocker."""


class EditProfile(Message):
    """Show the profile form."""


# --- a probe run: posted by the run's worker, handled by the run screen -----------------------


class ProbeStarted(Message, bubble=False):
    """A probe began."""

    def __init__(self, probe_id: str) -> None:
        super().__init__()
        self.probe_id = probe_id


class ProbeProgress(Message, bubble=False):
    """A long probe (the log scan) has done `fraction` of its work; may come from a thread."""

    def __init__(self, probe_id: str, fraction: float) -> None:
        super().__init__()
        self.probe_id = probe_id
        self.fraction = fraction


class ProbeLanded(Message, bubble=False):
    """A probe finished with this result."""

    def __init__(self, result: ProbeResult) -> None:
        super().__init__()
        self.result = result


class RunFinished(Message, bubble=False):
    """The run ended: `how` is "done", "cancelled" or "failed" (then `error` says why)."""

    def __init__(self, how: Literal["done", "cancelled", "failed"], error: str = "") -> None:
        super().__init__()
        self.how = how
        self.error = error
