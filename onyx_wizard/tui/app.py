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
from textual.timer import Timer

from onyx_wizard.tui.messages import (
    EditProfile,
    EnterSession,
    OpenItem,
    OpenSection,
    RunProbes,
    ShowReview,
)

if TYPE_CHECKING:
    from onyx_wizard.checklist import Checklist
    from onyx_wizard.files import FileLock
    from onyx_wizard.session import OpenSession
    from onyx_wizard.tui.screens.item import ItemScreen


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
    # Why the last change is not on disk yet ("" when everything is saved): the change is kept
    # in memory and the wizard retries until it is written.
    unsaved: reactive[str] = reactive("")
    RETRY_EVERY = 3.0

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
        self._retry_timer: Timer | None = None
        self._open_lock: FileLock | None = None  # held while a session is open here
        self._waiting: Timer | None = None
        self._left: tuple[str, Checklist] | None = None  # the item a resume draws first

    def get_default_screen(self) -> Screen[None]:
        from onyx_wizard.tui.screens.sessions import SessionsScreen

        # Resuming draws its first frame before the session is read and checked: the item the
        # session was left on, over a sessions screen composed only if it is shown; or, when
        # the file does not say, the sessions screen says what it opens, then asks for it.
        if self._start == "resume" and self._start_session:
            self._left = self._left_item(self._start_session)
            if self._left is not None:
                return SessionsScreen(deferred=True)
            return SessionsScreen(opening=self._start_session)
        return SessionsScreen()

    def on_ready(self) -> None:
        # Textual sends Ready once the first frame is drawn: a resume reads its session now,
        # not after the sessions screen has settled (restyled, its footer rebuilt).
        from onyx_wizard.tui.screens.sessions import SessionsScreen

        if isinstance(self.screen, SessionsScreen):
            self.screen.first_frame_drawn()

    def on_mount(self) -> None:
        if self._start_session and self._start == "resume":
            # The first frame is the item the session was left on, when the file says which;
            # otherwise the sessions screen says what it opens, and opens it after that frame.
            if self._left is not None:
                self._push_left_item(self._start_session, *self._left)
        elif self._start_session:
            self.open(self._start_session, self._start)
        if self._notice:
            self.notify(self._notice, timeout=12)

    def open(self, name: str, start: str = "overview", drawn: ItemScreen | None = None) -> bool:
        """Open a session and show its overview (and the profile or last item, if asked).

        `drawn` is the item a resume drew before the session was read: it is kept, and shows
        the session's record, when the session opens here and was left on that item.
        A session open in another wizard is offered read-only, or opened once that one closes.
        """
        from onyx_wizard.session import SessionError, open_session

        try:
            opened = open_session(name)
        except SessionError as exc:
            self._back_to_sessions()
            self.notify(str(exc), title="Cannot open session", severity="error", timeout=15)
            return False
        if not self._hold(opened):
            self._back_to_sessions()
            self._ask_read_only_or_wait(opened, start)
            return False
        if (
            drawn is not None
            and drawn in self.screen_stack
            and opened.session.cursor == drawn.item_id
        ):
            self.opened = opened
            self.saved_at = opened.session.updated_at
            drawn.settle()
            return True
        self._show(opened, start)
        return True

    def _draw_left_item(self, name: str) -> bool:
        """Resuming: draw the item the session was left on at once, from the checklist alone,
        its status shown as being read; the session is opened and checked once that frame is
        on screen (`ItemScreen` asks). False when the file does not say where it was left."""
        left = self._left_item(name)
        if left is None:
            return False
        self._back_to_sessions(reload=False)
        self._push_left_item(name, *left)
        return True

    @staticmethod
    def _left_item(name: str) -> tuple[str, Checklist] | None:
        """The item the session's file says it was left on, and the checklist to draw it from;
        None when the file does not say or the checklist has no such item."""
        from onyx_wizard.checklist import load_checklist
        from onyx_wizard.cursor import left_at

        item_id = left_at(name)
        if item_id is None:
            return None
        checklist = load_checklist()
        try:
            checklist.item(item_id)
        except KeyError:
            return None
        return item_id, checklist

    def _push_left_item(self, name: str, item_id: str, checklist: Checklist) -> None:
        from onyx_wizard.tui.screens.item import ItemScreen
        from onyx_wizard.tui.screens.overview import OverviewScreen

        self.push_screen(OverviewScreen())
        self.push_screen(
            ItemScreen(
                item_id,
                drawn_from=checklist,
                # Run by the app, not the item: a dialog the opening asks (the session is
                # open elsewhere) answers to the app, which outlives the item.
                when_drawn=lambda screen: self.call_later(self.open, name, "resume", screen),
            )
        )

    def _back_to_sessions(self, reload: bool = True) -> None:
        """Show the sessions list again (after a session could not be opened, its list read
        afresh), dropping any screen a resume drew before reading the session."""
        from onyx_wizard.tui.screens.sessions import SessionsScreen

        while len(self.screen_stack) > 1:
            self.pop_screen()
        bottom = self.screen_stack[0]
        if isinstance(bottom, SessionsScreen):
            bottom.opening = ""  # the list is read when the screen is next shown
            if reload:
                bottom.action_reload()

    def _hold(self, opened: OpenSession) -> bool:
        """Take the session's open lock (one wizard changes a session at a time)."""
        from onyx_wizard.files import FileLock, LockBusy
        from onyx_wizard.session import lock_path

        path = lock_path(opened.path, "open")
        if self._open_lock is not None and self._open_lock.path == path:
            return True  # this wizard holds it already
        lock = FileLock(path)
        try:
            lock.acquire(timeout=0)
        except LockBusy:
            return False
        except OSError:
            pass  # a folder we cannot lock in (read-only disk): nothing to share it with either
        self._release_session()
        self._open_lock = lock
        return True

    def on_unmount(self) -> None:
        self._release_session()

    def _release_session(self) -> None:
        if self._open_lock is not None:
            self._open_lock.release()
            self._open_lock = None

    def _ask_read_only_or_wait(self, opened: OpenSession, start: str) -> None:
        from onyx_wizard.files import FileLock
        from onyx_wizard.session import lock_path
        from onyx_wizard.tui.dialogs import ConfirmDialog

        holder = FileLock(lock_path(opened.path, "open")).holder() or "another onyx-wizard"
        question = (
            f"Session {opened.name} is open in {holder}.\n\nOpen it read-only (look, change "
            "nothing), or wait until the other wizard closes it?"
        )

        def answered(wait: bool | None) -> None:
            if wait:
                self.notify(f"Waiting for {opened.name} to be closed elsewhere…", timeout=5)
                self._waiting = self.set_interval(1.0, lambda: self._try_again(opened, start))
                return
            opened.read_only = f"it is open in {holder}"
            self._show(opened, start)
            self.notify(
                f"Read-only: {opened.name} is open in {holder}.", title="Read-only", timeout=10
            )

        self.push_screen(ConfirmDialog(question, yes="Wait", no="Read-only"), answered)

    def _try_again(self, opened: OpenSession, start: str) -> None:
        if not self._hold(opened):
            return
        if self._waiting is not None:
            self._waiting.stop()
            self._waiting = None
        from onyx_wizard.session import open_session

        self._show(open_session(opened.path), start)  # its newest state
        self.notify(f"{opened.name} is yours now.")

    def _show(self, opened: OpenSession, start: str) -> None:
        # Each screen is imported when it is pushed: resuming onto an item loads no profile form.
        from onyx_wizard.tui.screens.overview import OverviewScreen

        self.opened = opened
        self.saved_at = opened.session.updated_at
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(OverviewScreen())
        if start == "profile":
            from onyx_wizard.tui.screens.profile import ProfileScreen

            self.push_screen(ProfileScreen())
        elif start == "resume" and opened.session.cursor:
            try:
                opened.checklist.item(opened.session.cursor)
            except KeyError:
                return
            from onyx_wizard.tui.screens.item import ItemScreen

            self.push_screen(ItemScreen(opened.session.cursor))

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
            if not self.session.unsaved:
                return f"Could not save the session: {exc.strerror or exc}"
            # The change is made and kept in memory; only the disk refused it. Say so, and
            # write it as soon as the disk takes it.
            self._not_saved(exc)
            return None
        self.saved_at = self.session.session.updated_at
        return None

    def _not_saved(self, exc: OSError) -> None:
        why = exc.strerror or str(exc)
        if not self.unsaved:
            self.notify(
                f"Could not save the session ({why}). The change is kept; the wizard tries "
                f"again every {self.RETRY_EVERY:g} s.",
                title="Not saved yet",
                severity="error",
                timeout=15,
            )
            self._retry_timer = self.set_interval(self.RETRY_EVERY, self._retry_save)
        self.unsaved = why

    def _retry_save(self) -> None:
        opened = self.opened
        if opened is None or not opened.unsaved:
            self.unsaved = ""
            return
        try:
            opened.retry_save()
        except OSError as exc:
            self.unsaved = exc.strerror or str(exc)
            return
        except Exception as exc:  # e.g. the save lock is busy: try again next time
            self.unsaved = str(exc)
            return
        self.unsaved = ""
        self.saved_at = opened.session.updated_at
        self.notify("Saved: the kept change is on disk now.")
        if self._retry_timer is not None:
            self._retry_timer.stop()
            self._retry_timer = None

    # --- navigation: what the screens ask for --------------------------------------------------

    def on_enter_session(self, message: EnterSession) -> None:
        if message.start == "resume" and self._draw_left_item(message.name):
            return
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
