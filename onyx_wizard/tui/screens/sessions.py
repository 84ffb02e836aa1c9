"""The first screen: every session on this machine, and a way to start one."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from onyx_wizard.checklist import load_checklist
from onyx_wizard.gate import evaluate
from onyx_wizard.session import SessionError, SessionListing, list_sessions, new_session
from onyx_wizard.tui.screens.base import WizardScreen


class SessionsScreen(WizardScreen):
    """Pick a session to resume, or start a new one."""

    BINDINGS = [
        Binding("enter", "open", "Open", id="sessions.open", tooltip="Resume the selected session"),
        Binding("n", "new", "New session", id="sessions.new"),
        Binding("r", "reload", "Reload", id="sessions.reload", tooltip="Read the sessions again"),
    ]

    def compose_body(self) -> ComposeResult:
        yield Static("Sessions", classes="screen-title")
        yield Static("", id="sessions-hint", classes="hint")
        yield DataTable(id="sessions", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Name", "App", "Environment", "Progress", "Last saved")

    def on_screen_resume(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        self._listings: list[SessionListing] = list_sessions()
        checklist = load_checklist()
        for listing in self._listings:
            saved = listing.modified.astimezone().strftime("%Y-%m-%d %H:%M")
            session = listing.session
            if session is None:
                table.add_row(listing.path.stem, "⚠ unreadable file", "", "", saved)
                continue
            verdict = evaluate(session, checklist)
            done = sum(s.done for s in verdict.sections)
            total = sum(s.total for s in verdict.sections)
            progress = f"{done}/{total}" + ("  ✓ ready" if verdict.ready else "")
            table.add_row(
                session.name,
                session.profile.app_name or "(no app name)",
                session.profile.environment.value,
                progress,
                saved,
                key=session.name,
            )
        hint = self.query_one("#sessions-hint", Static)
        if self._listings:
            hint.update("Enter resumes the selected session · n starts a new one · ? help")
        else:
            hint.update("No sessions yet. Press n to start one.")
        table.focus()

    def action_open(self) -> None:
        table = self.query_one(DataTable)
        if not self._listings or table.cursor_row < 0:
            return
        listing = self._listings[table.cursor_row]
        if listing.session is None:
            self.notify(listing.error, title="Cannot open session", severity="error", timeout=15)
            return
        self.wizard.open(listing.session.name, "resume")

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_new(self) -> None:
        from onyx_wizard.tui.screens.dialogs import NewSessionDialog

        def created(name: str | None) -> None:
            if name:
                self.wizard.open(name, "profile")

        self.app.push_screen(NewSessionDialog(create=self._create), created)

    @staticmethod
    def _create(name: str) -> str | None:
        try:
            new_session(name)
        except SessionError as exc:
            return str(exc)
        except OSError as exc:
            return f"could not create the session file: {exc}"
        return None
