"""My reservations (F3): its list, the everyone key and a booking's history."""

from __future__ import annotations

from datetime import UTC, datetime

from support.clock import NOW
from textual.widgets import Static

from reserver_core.clock import FixedClock
from reserver_core.local import LocalBackend
from reserver_tui.palette import palette_actions
from reserver_tui.screens.confirm import ConfirmModal
from reserver_tui.screens.history import HistoryModal
from reserver_tui.widgets.keyed_table import KeyedTable

from .scenario import AppFactory, opened, quick_settings, settle, text_of


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


async def test_a_booking_in_another_year_is_listed_with_its_year(
    seeded_url: str, make_app: AppFactory
) -> None:
    store = LocalBackend.open(seeded_url, quick_settings(), FixedClock(NOW), username="alice")
    try:
        room = store.find_resource("Cedar booth").id
        store.book(room, datetime(2030, 1, 1, 13, tzinfo=UTC), datetime(2030, 1, 1, 14, tzinfo=UTC))
    finally:
        store.close()
    app = make_app(seeded_url)
    async with opened(app, "f3") as pilot:
        upcoming = app.screen.query_one("#table-upcoming", KeyedTable)
        whens = [str(upcoming.get_row_at(index)[1]) for index in range(upcoming.row_count)]
        assert whens[-1] == "Tue 1 Jan 2030 14:00-15:00 CET", whens
        assert whens[0] == "Wed 2 Dec 14:00-15:00 CET", whens  # this year: no year
        upcoming.move_cursor(row=upcoming.row_count - 1)
        await pilot.press("h")
        await settle(pilot)
        assert isinstance(app.screen, HistoryModal)
        summary = text_of(app.screen.query_one("#history-summary", Static))
        assert "Tue 1 Jan 2030 14:00-15:00 CET" in summary, summary
        events = app.screen.query_one(KeyedTable)
        assert str(events.get_row_at(0)[3]) == "Tue 1 Jan 2030 14:00-15:00 CET"
