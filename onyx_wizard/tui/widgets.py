"""Small widgets shared by the screens."""

from __future__ import annotations

from datetime import datetime

from textual.reactive import reactive
from textual.widgets import Static

from onyx_wizard.gate import Verdict
from onyx_wizard.report.looks import verdict_line


class SavedIndicator(Static):
    """Shows the session and when it was last saved, updated after every change."""

    saved_at: reactive[datetime | None] = reactive(None)
    session_name: reactive[str] = reactive("")

    def render(self) -> str:
        name = f"session {self.session_name}" if self.session_name else "no session open"
        if self.saved_at is None:
            return name
        stamp = self.saved_at.astimezone().strftime("%H:%M:%S")
        return f"{name}  ·  ✓ saved {stamp}"


class GateBanner(Static):
    """The launch-gate verdict: icon and words, coloured as a second cue."""

    def show(self, verdict: Verdict) -> None:
        self.set_class(verdict.ready, "ready")
        self.set_class(not verdict.ready, "not-ready")
        self.update(f"Launch gate: {verdict_line(verdict)}")
