"""The week grid of a resource: the whole day, where it opens, its month, booking from it."""

from __future__ import annotations

import pytest
from support.clock import NOW
from textual.widgets import Input, Label, Static

from reserver_core.clock import FixedClock
from reserver_core.local import LocalBackend
from reserver_tui.screens.book import BookModal
from reserver_tui.widgets.keyed_table import KeyedTable
from reserver_tui.widgets.week_grid import WeekGrid

from .scenario import AppFactory, at, opened, quick_settings, settle, text_of, type_into


def backend(url: str) -> LocalBackend:
    return LocalBackend.open(url, quick_settings(), FixedClock(NOW), username="alice")


def _line(grid: WeekGrid, y: int) -> str:
    """The text of the grid's line `y` on screen (0 is the day names)."""
    return grid.render_line(y).text


async def test_the_week_fits_a_small_terminal_and_follows_the_cursor(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app, "enter", size=(80, 24)) as pilot:
        grid = app.screen.query_one(WeekGrid)
        assert 6 + 7 * grid.column_width <= grid.scrollable_content_region.width, "all 7 days"
        for _ in range(len(grid.times)):
            await pilot.press("j")
        await pilot.pause()
        assert grid.current is not None and grid.times[grid.row] == "23:30"
        assert grid.top_row <= grid.row < grid.top_row + grid.scrollable_content_region.height - 3
        assert _line(grid, 0).startswith("Dec   Tue 1 "), "the day names stay in view"
        assert "maintenance" in _line(grid, grid.scrollable_content_region.height - 1)


async def test_the_grid_holds_the_whole_day_and_opens_at_the_working_hours(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app, "enter") as pilot:
        grid = app.screen.query_one(WeekGrid)
        assert (grid.times[0], grid.times[-1], len(grid.times)) == ("00:00", "23:30", 48)
        assert grid.times[grid.top_row] == "08:00"  # the settings' day start
        assert grid.times[grid.row] == "10:00"  # the first slot today not yet past
        await pilot.press(*["k"] * 12)
        await pilot.pause()
        assert grid.times[grid.top_row] == grid.times[grid.row] == "04:00"


async def test_the_grid_opens_at_an_earlier_first_booking_of_the_week(
    seeded_url: str, make_app: AppFactory
) -> None:
    store = backend(seeded_url)
    room = store.find_resource("Aurora room").id
    store.book(room, at(3, 4), at(3, 5))  # Thursday 05:00-06:00 in Berlin
    store.close()
    app = make_app(seeded_url)
    async with opened(app, "enter") as pilot:
        grid = app.screen.query_one(WeekGrid)
        assert grid.times[grid.top_row] == "05:00"
        assert _line(grid, 1).startswith("05:00")
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert grid.times[grid.top_row] == "05:00", "the next week keeps where one looks"


async def test_the_week_grid_names_its_month(seeded_url: str, make_app: AppFactory) -> None:
    app = make_app(seeded_url)
    async with opened(app, "enter") as pilot:
        grid = app.screen.query_one(WeekGrid)
        assert _line(grid, 0).startswith("Dec   Tue 1 "), _line(grid, 0)
        await pilot.press(*["right_square_bracket"] * 5)
        await settle(pilot)
        assert _line(grid, 0).startswith("Jan 2027 Tue 5 "), _line(grid, 0)  # another year


async def test_book_23_00_to_01_00_from_the_grid_across_midnight(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app, "enter") as pilot:
        grid = app.screen.query_one(WeekGrid)
        await pilot.press(*["j"] * (grid.times.index("23:00") - grid.row))
        await pilot.pause()
        assert _line(grid, grid.row - grid.top_row + 1).startswith("23:00")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, BookModal)
        assert app.screen.query_one("#start", Input).value == "23:00"
        await type_into(pilot, "#end", "01:00")
        feedback = text_of(app.screen.query_one("#feedback", Static))
        assert "Tue 1 Dec 23:00 CET - Wed 2 Dec 01:00 CET  (2h)" in feedback, feedback
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.query_one(WeekGrid) is grid
        tonight = [grid.cell(0, label) for label in ("22:30", "23:00", "23:30")]
        after_midnight = [grid.cell(1, label) for label in ("00:00", "00:30", "01:00")]
        assert [slot and slot.state for slot in tonight] == ["free", "mine", "mine"]
        assert [slot and slot.state for slot in after_midnight] == ["mine", "mine", "free"]
        upcoming = app.screen.query_one("#upcoming", KeyedTable)
        whens = [str(upcoming.get_row_at(index)[0]) for index in range(upcoming.row_count)]
        assert "Tue 1 Dec 23:00 - Wed 2 Dec 01:00" in whens, whens


@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
async def test_the_upcoming_list_fits_its_column(
    seeded_url: str, make_app: AppFactory, size: tuple[int, int]
) -> None:
    store = backend(seeded_url)
    room = store.find_resource("Aurora room").id
    store.book(room, at(1, 22), at(2, 0))
    store.close()
    app = make_app(seeded_url)
    async with opened(app, "enter", size=size):
        table = app.screen.query_one("#upcoming", KeyedTable)
        assert table.row_count == 2
        assert table.virtual_size.width <= table.scrollable_content_region.width, "nothing cut"
        title = str(app.screen.query_one(".pane-title", Label).render())
        assert title == "Upcoming reservations (Europe/Berlin)"
        pane = app.screen.query_one("#upcoming-pane")
        assert len(title) <= pane.content_region.width


async def test_a_slot_of_ones_own_points_to_the_screen_by_its_name(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app) as pilot:
        await pilot.press("j", "enter")  # Borealis room: alice's on Wednesday 14:00 CET
        await settle(pilot)
        grid = app.screen.query_one(WeekGrid)
        await pilot.press("l", *["j"] * (grid.times.index("14:00") - grid.row), "enter")
        await pilot.pause()
        assert grid.current is not None and grid.current.state == "mine"
        messages = [n.message for n in app.notifications]
        assert any("under My reservations (F3)" in m for m in messages), messages
