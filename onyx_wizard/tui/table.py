"""The wizard's one kind of table: it fits the width it has (the sessions list, the run screen).

Its own module: importing it loads Textual's DataTable, which a resumed item's first frame does
not show.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.widgets import DataTable


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
