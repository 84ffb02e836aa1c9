"""Small widgets shared by the screens."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.reactive import reactive
from textual.widgets import DataTable, Footer, Static
from textual.widgets._footer import FooterKey  # not exported; the footer is made of these

if TYPE_CHECKING:
    # Only for types: the sessions list draws its first frame without the gate's models.
    from onyx_wizard.gate import Verdict


class SavedIndicator(Static):
    """Shows the session and when it was last saved, updated after every change."""

    saved_at: reactive[datetime | None] = reactive(None)
    session_name: reactive[str] = reactive("")
    unsaved: reactive[str] = reactive("")

    def render(self) -> str:
        name = f"session {self.session_name}" if self.session_name else "no session open"
        if self.unsaved:
            return f"{name}  ·  ✗ not saved ({self.unsaved}) — the change is kept, retrying"
        if self.saved_at is None:
            return name
        stamp = self.saved_at.astimezone().strftime("%H:%M:%S")
        return f"{name}  ·  ✓ saved {stamp}"


class GateBanner(Static):
    """The launch-gate verdict: icon and words, coloured as a second cue."""

    def show(self, verdict: Verdict) -> None:
        from onyx_wizard.report.looks import verdict_line

        self.set_class(verdict.ready, "ready")
        self.set_class(not verdict.ready, "not-ready")
        self.update(f"Launch gate: {verdict_line(verdict)}")


# The app's own keys: always in the footer, however narrow the terminal.
ESSENTIAL_ACTIONS = frozenset({"app.quit", "quit", "app.help", "help"})


class WizardFooter(Footer):
    """The footer, fitted to its width: when the keys do not fit, the screen's secondary keys
    (the later ones) make room, while Quit, Help and the screen's first key stay. A key that
    makes room is still in the help screen (?) and the command palette (^p)."""

    DEFAULT_CSS = """
    WizardFooter {
        padding: 0 1;
    }
    """

    _shown: tuple[object, ...] | None = None

    def compose(self) -> ComposeResult:
        keys = list(super().compose())
        for key in keys:
            if not isinstance(key, FooterKey):
                continue
            # Classes set before the key mounts (update=False: it is styled as it mounts). The
            # key's `compact`, bound to the footer's, would otherwise add its class after
            # mounting and style the key a second time.
            key.set_class(key.action in ESSENTIAL_ACTIONS, "-essential", update=False)
            key.set_class(self.compact, "-compact", update=False)
        yield from keys

    def on_resize(self) -> None:
        self.fit()

    async def recompose(self) -> None:
        # Focus moves and screen changes ask every footer to rebuild; most change nothing it
        # shows, and rebuilding is a good part of a screen's first frame. A footer out of sight
        # (its screen covered, e.g. the sessions list under a resumed item) waits: Textual asks
        # again when its screen is shown.
        if not self.is_attached or not self.screen.is_current:
            return
        shown = self._keys_to_show()
        if shown == self._shown:
            return
        self._shown = shown
        await super().recompose()
        self.fit()

    def _keys_to_show(self) -> tuple[object, ...]:
        return tuple(
            (key, active.binding.description, active.enabled, active.tooltip)
            for key, active in self.screen.active_bindings.items()
            if active.binding.show
        )

    def fit(self) -> None:
        """Show as many keys as fit, dropping secondary ones from the right."""
        keys = [key for key in self.query(FooterKey) if "-command-palette" not in key.classes]
        if not keys or not self.content_region.width:
            return
        palette = [key for key in self.query(FooterKey) if "-command-palette" in key.classes]
        room = self.content_region.width - sum(_width(key) for key in palette)
        # Kept whatever happens: the app's keys and the screen's first (main) key.
        kept = {key for key in keys if key.has_class("-essential")}
        screen_keys = [key for key in keys if key not in kept]
        if screen_keys:
            kept.add(screen_keys[0])
        room -= sum(_width(key) for key in kept)
        for key in screen_keys:
            if key in kept:
                continue
            width = _width(key)
            key.display = width <= room
            if key.display:
                room -= width
            else:
                room = 0  # keep the order: nothing after a dropped key squeezes in
        for key in kept:
            key.display = True


def _width(key: FooterKey) -> int:
    return key.render().cell_len + key.styles.margin.width


@dataclass(frozen=True)
class TableColumn:
    """A column of a `FittedTable`.

    `width` is fixed; None fits the longest cell. The one `flex` column takes the width the
    others leave. An `optional` column is dropped when the flexible column would be narrower
    than its minimum, and its cells then lead the flexible cell ("CODE · text").
    """

    key: str
    label: str
    width: int | None = None
    flex: bool = False
    optional: bool = False


class FittedTable(DataTable[Text]):
    """A table that uses the width it has: its flexible column takes what the other columns
    leave, and with `wrap` its cells wrap onto more lines, so a long cell is never cut off and
    no horizontal scrollbar appears. Call `fill` with the columns and rows; a resize refits."""

    DEFAULT_CSS = """
    FittedTable {
        overflow-x: hidden;
        scrollbar-gutter: stable;
    }
    """

    def __init__(self, *, wrap: bool = True, min_flex: int = 30, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.wrap = wrap
        self.min_flex = min_flex
        self._columns: list[TableColumn] = []
        self._rows: list[tuple[str, dict[str, str]]] = []
        self._fitted_width = -1

    @property
    def shown_columns(self) -> list[str]:
        """The keys of the columns on screen now (an optional one may have made room)."""
        return [str(key.value) for key in self.columns]

    def fill(
        self, columns: Sequence[TableColumn], rows: Iterable[tuple[str, dict[str, str]]]
    ) -> None:
        """Show these rows (key and cells by column key), keeping the cursor's row."""
        self._columns = list(columns)
        self._rows = list(rows)
        self._refit()

    def set_cells(self, row_key: str, **values: str) -> None:
        """Change cells of a row: cells of fixed-width columns change in place; any other
        change refits the table (a column may widen, a row grow)."""
        for key, cells in self._rows:
            if key == row_key:
                cells.update(values)
        fixed = {c.key for c in self._columns if c.width is not None}
        if set(values) <= fixed & set(self.shown_columns):
            for column_key, value in values.items():
                self.update_cell(row_key, column_key, Text(value, no_wrap=True))
        else:
            self._refit()

    def on_resize(self) -> None:
        if self.scrollable_content_region.width != self._fitted_width:
            self._refit()

    def _refit(self) -> None:
        width = self.scrollable_content_region.width
        self._fitted_width = width
        pad = 2 * self.cell_padding
        widths = {c.key: self._natural(c) for c in self._columns}
        shown = list(self._columns)
        flex = next((c for c in shown if c.flex), None)

        def room() -> int:
            fixed = sum(widths[c.key] + pad for c in shown if c is not flex)
            return width - fixed - pad

        while flex is not None and room() < self.min_flex and any(c.optional for c in shown):
            shown.remove(next(c for c in shown if c.optional))
        dropped = [c for c in self._columns if c not in shown]
        if flex is not None:
            widths[flex.key] = max(room(), len(flex.label), 8)

        cursor_row, scroll_y = self.cursor_row, self.scroll_y
        self.clear(columns=True)
        for column in shown:
            self.add_column(column.label, key=column.key, width=widths[column.key])
        for key, cells in self._rows:
            row = []
            for column in shown:
                value = cells.get(column.key, "")
                if column is flex:
                    lead = [cells[c.key] for c in dropped if cells.get(c.key)]
                    value = " · ".join([*lead, value] if value else lead)
                wrap = self.wrap and column is flex
                row.append(Text(value, no_wrap=not wrap, overflow="fold" if wrap else "ellipsis"))
            self.add_row(*row, key=key, height=None if self.wrap else 1)
        if self._rows:
            self.move_cursor(row=min(cursor_row, len(self._rows) - 1), animate=False, scroll=False)
            # The rows' heights are measured on the next refresh; scroll back after it.
            self.call_after_refresh(self.scroll_to, y=scroll_y, animate=False)

    def _natural(self, column: TableColumn) -> int:
        if column.width is not None:
            return column.width
        cells = [Text(cells.get(column.key, "")).cell_len for _, cells in self._rows]
        return max([len(column.label), *cells])
