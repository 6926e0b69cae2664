"""A store of more resources than one page: the table reads them page by page."""

from __future__ import annotations

import io
import sqlite3

from support.clock import NOW

from reserver_core.clock import FixedClock
from reserver_core.local import LocalBackend
from reserver_tui.widgets.info_line import InfoLine
from reserver_tui.widgets.resource_table import ResourceTable

from .scenario import AppFactory, opened, quick_settings, settle

COUNT = 2345
"""Three pages of 1,000: a first batch, a second, and the rest."""


def fill(url: str) -> list[str]:
    names = [f"Unit {n:04d}" for n in range(COUNT)]
    alice = LocalBackend.open(url, quick_settings(), FixedClock(NOW), "alice")
    csv = "name,tags\n" + "".join(f"{name},unit\n" for name in names)
    alice.import_csv(io.BytesIO(csv.encode()))
    alice.close()
    return names


async def test_every_page_lands_in_the_table_and_gone_rows_leave_it(
    store_url: str, make_app: AppFactory
) -> None:
    names = fill(store_url)
    app = make_app(store_url)
    async with opened(app) as pilot:
        table = app.screen.query_one(ResourceTable)
        assert [r.name for r in table.shown_resources] == names
        info = app.screen.query_one("#table-info", InfoLine).render().plain
        assert info.startswith("2,345 resources · sorted by name"), info
        with sqlite3.connect(store_url.removeprefix("sqlite:///")) as connection:
            connection.execute("DELETE FROM resources WHERE name IN ('Unit 0003', 'Unit 2340')")
        await pilot.press("r")
        await settle(pilot)
        kept = [name for name in names if name not in ("Unit 0003", "Unit 2340")]
        assert [r.name for r in table.shown_resources] == kept
