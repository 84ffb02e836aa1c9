"""The wizard application: opens sessions and hands the UI to its screens.

This is the one module that imports the screens: a screen asks to go somewhere by posting a
message from `messages.py`, and the handlers here push the screen it names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen

from onyx_wizard.tui.messages import (
    EditProfile,
    EnterSession,
    OpenItem,
    OpenSection,
    RunProbes,
    ShowReview,
)

if TYPE_CHECKING:
    from onyx_wizard.session import OpenSession


class WizardApp(App[int]):
    """Onyx's launch checklist, screen by screen."""

    CSS_PATH = Path(__file__).with_name("wizard.tcss")
    TITLE = "onyx-wizard"
    SUB_TITLE = "Production Launch Checklist"
    BINDINGS = [
        Binding("question_mark", "help", "Help", id="help"),
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
    ]

    saved_at: reactive[datetime | None] = reactive(None)

    def __init__(
        self,
        session: str | None = None,
        start: str = "sessions",
        notice: str = "",
        demo: bool = False,
    ) -> None:
        super().__init__()
        self.opened: OpenSession | None = None
        self._start_session = session
        self._start = start
        self._notice = notice
        # The demo's files (session, exports) and keys go when it ends: screens say so.
        self.demo = demo

    def get_default_screen(self) -> Screen[None]:
        from onyx_wizard.tui.screens.sessions import SessionsScreen

        # Resuming draws its first frame before the session is read and checked: the sessions
        # screen says what it opens, then asks for it.
        resume = self._start_session if self._start == "resume" else None
        return SessionsScreen(opening=resume or "")

    def on_mount(self) -> None:
        if self._start_session and self._start != "resume":
            self.open(self._start_session, self._start)
        if self._notice:
            self.notify(self._notice, timeout=12)

    def open(self, name: str, start: str = "overview") -> bool:
        """Open a session and show its overview (and the profile or last item, if asked)."""
        from onyx_wizard.session import SessionError, open_session
        from onyx_wizard.tui.screens.item import ItemScreen
        from onyx_wizard.tui.screens.overview import OverviewScreen
        from onyx_wizard.tui.screens.profile import ProfileScreen

        try:
            opened = open_session(name)
        except SessionError as exc:
            self.notify(str(exc), title="Cannot open session", severity="error", timeout=15)
            return False
        self.opened = opened
        self.saved_at = opened.session.updated_at
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(OverviewScreen())
        if start == "profile":
            self.push_screen(ProfileScreen())
        elif start == "resume" and opened.session.cursor:
            try:
                opened.checklist.item(opened.session.cursor)
            except KeyError:
                return True
            self.push_screen(ItemScreen(opened.session.cursor))
        return True

    @property
    def session(self) -> OpenSession:
        """The open session (screens below the sessions list always have one)."""
        if self.opened is None:
            raise RuntimeError("no session is open")
        return self.opened

    def apply(self, change: Callable[[], object]) -> str | None:
        """Run a change to the session; returns the error to show, or None when saved."""
        from onyx_wizard.session import SessionError

        try:
            change()
        except (SessionError, ValueError) as exc:
            return str(exc)
        except OSError as exc:
            message = f"Could not save the session: {exc}"
            self.notify(message, severity="error", timeout=15)
            return message
        self.saved_at = self.session.session.updated_at
        return None

    # --- navigation: what the screens ask for --------------------------------------------------

    def on_enter_session(self, message: EnterSession) -> None:
        self.open(message.name, message.start)

    def on_open_section(self, message: OpenSection) -> None:
        from onyx_wizard.tui.screens.section import SectionScreen

        self.push_screen(SectionScreen(message.section_id))

    def on_open_item(self, message: OpenItem) -> None:
        from onyx_wizard.tui.screens.item import ItemScreen

        self.push_screen(ItemScreen(message.item_id))

    def on_run_probes(self, message: RunProbes) -> None:
        from onyx_wizard.tui.screens.run import RunScreen

        self.push_screen(RunScreen(only=message.only))

    def on_show_review(self, message: ShowReview) -> None:
        from onyx_wizard.tui.screens.review import ReviewScreen

        self.push_screen(ReviewScreen())

    def on_edit_profile(self, message: EditProfile) -> None:
        from onyx_wizard.tui.screens.profile import ProfileScreen

        self.push_screen(ProfileScreen())

    def action_help(self) -> None:
        from onyx_wizard.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Every key binding of the current screen is also a palette command, with its key as
        people name it ("Key: Ctrl+S")."""
        from onyx_wizard.tui.keys import key_name

        yield from super().get_system_commands(screen)
        seen: set[str] = set()
        for binding in [*screen.BINDINGS, *self.BINDINGS]:
            if not isinstance(binding, Binding) or not binding.description:
                continue
            action = binding.action.removeprefix("app.")
            if action in seen or action == "quit":  # Textual's own commands offer Quit
                continue
            seen.add(action)
            target = screen if binding in screen.BINDINGS else self
            key = f"Key: {key_name(self, binding)}"
            yield SystemCommand(
                binding.description,
                f"{binding.tooltip} · {key}" if binding.tooltip else key,
                partial(target.run_action, binding.action),
            )
