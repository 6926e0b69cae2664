"""A DataTable that is updated by row key instead of cleared and refilled."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, RowKey

Cell = str | Text


def _plain(cell: Cell) -> Text:
    return Text(cell) if isinstance(cell, str) else cell


class KeyedTable(DataTable[Cell]):
    """A DataTable whose rows are replaced by key: stale ones removed, changed cells updated."""

    # j/k as in the resource table and the week grid.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    DEFAULT_CSS = """
    KeyedTable {
        height: 1fr;
    }
    """

    def __init__(
        self, columns: Sequence[str], *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=True)
        self._column_keys = [self.add_column(label, key=label) for label in columns]
        self._painted_widths: tuple[int, ...] = ()

    def set_rows(self, rows: Mapping[str, Sequence[Cell]]) -> None:
        """Show exactly `rows` (key -> cells) in order; same keys: only changed cells update.

        A str cell is shown as it is, never read as markup: cells hold names, reasons
        and messages people typed, and DataTable would parse "[/b]" in one and fail.
        """
        rows = {key: [_plain(cell) for cell in cells] for key, cells in rows.items()}
        with self.app.batch_update():
            keep = self.current_key
            if [key.value for key in self.rows] != list(rows):
                self._refill(rows)
            else:
                for key, cells in rows.items():
                    for column, value in zip(self._column_keys, cells, strict=True):
                        if self.get_cell(key, column) != value:
                            self.update_cell(key, column, value, update_width=True)
            if keep is not None and keep in rows:
                self.move_cursor(row=self.get_row_index(keep))

    def _refill(self, rows: Mapping[str, Sequence[Cell]]) -> None:
        self.clear()
        for key, cells in rows.items():
            self.add_row(*cells, key=key)

    def render_lines(self, crop: Region) -> list[Strip]:
        """Paint the table, never with cells cut to column widths it has since re-measured."""
        # DataTable measures its columns only when idle and does not key its render caches on
        # the widths, so rows painted in between (likely on a busy machine) kept the narrow
        # widths after the measuring: a half-drawn table until some unrelated change.
        widths = tuple(column.get_render_width(self) for column in self.columns.values())
        if widths != self._painted_widths:
            self._painted_widths = widths
            self._clear_caches()
        return super().render_lines(crop)

    @property
    def current_key(self) -> str | None:
        """The key of the row under the cursor."""
        if self.row_count == 0:
            return None
        try:
            key: RowKey = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except CellDoesNotExist:
            return None
        return key.value
