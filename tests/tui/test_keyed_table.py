"""The keyed table on its own: what it paints after its rows change."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.geometry import Region

from reserver_tui.widgets.keyed_table import KeyedTable

WINDOW = "Tue 1 Dec 11:00-12:00 CET"


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield KeyedTable(["When", "Who"])


def painted(table: KeyedTable) -> list[str]:
    """The header and first row, as the screen would paint them now."""
    return [strip.text for strip in table.render_lines(Region(0, 0, table.size.width, 2))]


async def test_rows_painted_before_the_columns_are_measured_end_up_at_full_width() -> None:
    app = TableApp()
    async with app.run_test(size=(60, 6)) as pilot:
        table = app.query_one(KeyedTable)
        table.set_rows({"1": (WINDOW, "bob")})
        # On a busy machine the screen can paint before the table measures its columns
        # (that waits for the table to be idle); force that order.
        squeezed = painted(table)
        assert WINDOW not in squeezed[1]
        await pilot.pause()
        header, row = painted(table)
        assert header.split() == ["When", "Who"]
        assert row.startswith(f" {WINDOW}  bob")
