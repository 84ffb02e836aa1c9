"""The first screen: every session on this machine, and a way to start one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.markup import escape
from textual.widgets import Static

from onyx_wizard.tui.base import WizardScreen
from onyx_wizard.tui.messages import EnterSession

if TYPE_CHECKING:
    from textual.widgets import DataTable

    from onyx_wizard.progress import SessionRow
    from onyx_wizard.tui.table import TableColumn


def _columns() -> list[TableColumn]:
    from onyx_wizard.tui.table import TableColumn

    # The app column takes the width the others leave.
    return [
        TableColumn("name", "Name"),
        TableColumn("app", "App", flex=True),
        TableColumn("environment", "Environment"),
        TableColumn("progress", "Progress"),
        TableColumn("saved", "Last saved"),
    ]


class SessionsScreen(WizardScreen):
    """Pick a session to resume, or start a new one.

    With `opening`, the screen resumes that session as soon as its first frame is drawn:
    `onyx-wizard resume` shows something at once and reads the session after. With `deferred`,
    it lies under a resumed item and is composed (its list read) only when first shown.
    """

    BINDINGS = [
        Binding("enter", "open", "Open", id="sessions.open", tooltip="Resume the selected session"),
        Binding("n", "new", "New session", id="sessions.new"),
        Binding("r", "reload", "Reload", id="sessions.reload", tooltip="Read the sessions again"),
    ]

    def __init__(self, opening: str = "", deferred: bool = False) -> None:
        super().__init__()
        self.opening = opening
        self.deferred = deferred
        self._rows: list[SessionRow] = []

    def compose(self) -> ComposeResult:
        if not self.deferred:
            yield from super().compose()

    def compose_body(self) -> ComposeResult:
        from onyx_wizard.tui.table import FittedTable

        yield Static("Sessions", classes="screen-title")
        hint = f"Opening session {escape(self.opening)}…" if self.opening else "Reading sessions…"
        yield Static(hint, id="sessions-hint", classes="hint")
        yield FittedTable(id="sessions", wrap=False, min_flex=12)

    def on_mount(self) -> None:
        self._ready_table()

    def _ready_table(self) -> None:
        if self.deferred:
            return  # nothing composed yet
        from onyx_wizard.tui.table import FittedTable

        table = self.query_one(FittedTable)
        # The list's headings while it is read; a resume draws its first frame without them
        # (its list is read only if the session cannot be opened).
        if not self.opening:
            table.fill(_columns(), [])
        table.focus()

    def first_frame_drawn(self) -> None:
        """The app's first frame is on screen: resume the session this screen is opening."""
        if not self.opening:
            return
        # The app shows the session, or brings this screen back with its list read afresh
        # when the session cannot be opened.
        self.post_message(EnterSession(self.opening, "resume"))
        self.opening = ""

    async def on_screen_resume(self) -> None:
        if self.deferred:
            if not self.is_active:
                return  # still under the resumed item
            self.deferred = False
            await self.recompose()
            self.show_saved()
            self._ready_table()
        if not self.opening:
            self.action_reload()

    def action_reload(self) -> None:
        # Reading and checking every session file happens off the UI thread, after the
        # first frame: the list fills in a moment later and the keys answer meanwhile.
        self.call_after_refresh(self._read_if_shown)

    def _read_if_shown(self) -> None:
        if self.is_active and not self.deferred:
            self._read_sessions()

    @work(thread=True, exclusive=True, group="sessions")
    def _read_sessions(self) -> None:
        from onyx_wizard.progress import session_rows

        rows = session_rows()
        self.app.call_from_thread(self._show, rows)

    def _show(self, rows: list[SessionRow]) -> None:
        self._rows = rows
        cells = [
            {
                "name": row.name,
                "app": f"⚠ cannot be read: {row.error}" if row.error else row.app_name,
                "environment": row.environment,
                "progress": row.progress,
                "saved": row.saved,
            }
            for row in rows
        ]
        from onyx_wizard.tui.table import FittedTable

        self.query_one(FittedTable).fill(
            _columns(), [(str(r.path), c) for r, c in zip(rows, cells, strict=True)]
        )
        hint = self.query_one("#sessions-hint", Static)
        if rows:
            hint.update("Enter resumes the selected session · n starts a new one · ? help")
        else:
            hint.update("No sessions yet. Press n to start one.")

    def action_open(self) -> None:
        from textual.widgets import DataTable

        tables = self.query(DataTable)
        if not tables:
            return  # not composed yet
        table = tables.first()
        if not self._rows or not 0 <= table.cursor_row < len(self._rows):
            return
        row = self._rows[table.cursor_row]
        if row.error:
            self.notify(row.error, title="Cannot open session", severity="error", timeout=15)
            return
        self.post_message(EnterSession(row.name, "resume"))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_new(self) -> None:
        # The dialog pulls in the session model; the first screen starts without it.
        from onyx_wizard.tui.dialogs import NewSessionDialog

        def created(name: str | None) -> None:
            if name:
                self.post_message(EnterSession(name, "profile"))

        self.app.push_screen(NewSessionDialog(create=self._create), created)

    @staticmethod
    def _create(name: str) -> str | None:
        from onyx_wizard.session import SessionError, new_session

        try:
            new_session(name)
        except SessionError as exc:
            return str(exc)
        except OSError as exc:
            return f"could not create the session file: {exc}"
        return None
