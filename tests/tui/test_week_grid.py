"""The week grid of a resource: its size, its month, its cursor and one's own slots."""

from __future__ import annotations

from textual.containers import VerticalScroll

from reserver_tui.widgets.week_grid import WeekGrid

from .scenario import AppFactory, opened, settle


async def test_the_week_fits_a_small_terminal_and_follows_the_cursor(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app, "enter", size=(80, 24)) as pilot:
        grid = app.screen.query_one(WeekGrid)
        pane = app.screen.query_one("#grid-pane", VerticalScroll)
        assert 6 + 7 * grid.column_width <= grid.content_region.width, "all seven days show"
        for _ in range(len(grid.times)):
            await pilot.press("j")
        await pilot.pause()
        assert grid.current is not None and grid.row == len(grid.times) - 1
        line = grid.virtual_region.y + 1 + grid.row
        assert pane.scroll_y <= line < pane.scroll_y + pane.scrollable_content_region.height


async def test_the_week_grid_names_its_month(seeded_url: str, make_app: AppFactory) -> None:
    app = make_app(seeded_url)
    async with opened(app, "enter") as pilot:
        grid = app.screen.query_one(WeekGrid)

        def header() -> str:
            return grid.render().plain.splitlines()[0]

        assert header().startswith("Dec   Tue 1 "), header()
        await pilot.press(*["right_square_bracket"] * 5)
        await settle(pilot)
        assert header().startswith("Jan   Tue 5 "), header()


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
