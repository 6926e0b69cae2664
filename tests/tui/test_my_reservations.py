"""My reservations (F3): its list, the everyone key and a booking's history."""

from __future__ import annotations

from textual.widgets import Static

from reserver_tui.palette import palette_actions
from reserver_tui.screens.confirm import ConfirmModal
from reserver_tui.widgets.keyed_table import KeyedTable

from .scenario import AppFactory, opened, settle, text_of


async def test_my_reservations_opens_with_the_list_under_the_keys(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app, "f3") as pilot:
        upcoming = app.screen.query_one("#table-upcoming", KeyedTable)
        assert app.focused is upcoming
        await pilot.press("j", "c")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        assert "Cedar booth" in text_of(app.screen.query_one("#question", Static))


async def test_the_everyone_key_offers_the_view_that_is_not_showing(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app, "f3") as pilot:

        def offered() -> tuple[str, list[str]]:
            shown = app.screen.active_bindings["a"].binding.description
            titles = [title for title, _help, _run in palette_actions(app, app.screen)]
            return shown, [t for t in titles if t in {"Everyone's", "Only mine"}]

        upcoming = app.screen.query_one("#table-upcoming", KeyedTable)
        assert offered() == ("Everyone's", ["Everyone's"]) and upcoming.row_count == 2
        await pilot.press("a")
        await settle(pilot)
        assert offered() == ("Only mine", ["Only mine"]) and upcoming.row_count == 4
        assert app.screen.title == "reserver · everyone's reservations"
        await pilot.press("a")
        await settle(pilot)
        assert offered() == ("Everyone's", ["Everyone's"]) and upcoming.row_count == 2
        assert app.screen.title is None


async def test_the_history_shows_the_booked_window_in_local_time(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app, "f3") as pilot:
        await pilot.press("h")
        await settle(pilot)
        events = app.screen.query_one("#events", KeyedTable)
        created = [str(cell) for cell in events.get_row_at(events.row_count - 1)]
        assert created[1] == "created" and created[3] == "Wed 2 Dec 14:00-15:00 CET", created
