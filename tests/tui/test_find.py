"""The find-a-free-slot screen (F2): every start the help lists, searches that fail,
and a slot past midnight."""

from __future__ import annotations

import pytest
from textual.widgets import Label, Static

from reserver_core.clock import FixedClock
from reserver_core.local import LocalBackend
from reserver_tui.screens.book import BookModal
from reserver_tui.screens.help import TIME_FORMS, HelpScreen
from reserver_tui.widgets.keyed_table import KeyedTable

from .scenario import AppFactory, at, opened, quick_settings, settle, text_of, type_into


async def test_an_unreadable_start_in_find_points_to_the_help_in_one_line(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app, "f2") as pilot:
        await type_into(pilot, "#when", "yesterday 10:00")
        feedback = app.screen.query_one("#feedback", Static)
        assert text_of(feedback) == (
            "✗ cannot read 'yesterday 10:00' as a time (press ? for the accepted forms)"
        )
        assert feedback.size.height == 1
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


async def test_a_found_slot_across_midnight_fills_a_form_that_books_it(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app, "f2") as pilot:
        await type_into(pilot, "#when", "today 22:00")
        await type_into(pilot, "#length", "3h")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")  # book the first resource found
        await settle(pilot)
        assert isinstance(app.screen, BookModal)
        feedback = text_of(app.screen.query_one("#feedback", Static))
        assert "Tue 1 Dec 22:00 CET - Wed 2 Dec 01:00 CET  (3h)" in feedback, feedback
        assert not app.screen.query_one("#book").disabled


# Every form of a start that the help lists (reserver_core.timeparse), each in the future.
HELP_STARTS = [
    "now",
    "14:00",
    "today 14:00",
    "tomorrow 9:30",
    "mon 10:00",
    "+45m",
    "2026-12-01 14:00",
    "2026-12-01T14:00+01:00",
]


@pytest.mark.parametrize("start", HELP_STARTS)
async def test_find_accepts_every_start_the_help_lists(
    start: str, seeded_url: str, make_app: AppFactory
) -> None:
    assert start in TIME_FORMS
    app = make_app(seeded_url)
    async with opened(app, "f2") as pilot:
        await type_into(pilot, "#when", start)
        await pilot.press("enter")
        await settle(pilot)
        assert text_of(app.screen.query_one("#feedback", Static)).startswith("✓ "), start
        title = text_of(app.screen.query_one("#results-title", Label))
        assert " free " in title, title
        assert app.screen.query_one("#results", KeyedTable).row_count > 0


async def test_a_search_from_now_lists_what_is_free_now(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app, "f2") as pilot:
        await type_into(pilot, "#when", "now")
        await pilot.press("enter")
        await settle(pilot)
        title = text_of(app.screen.query_one("#results-title", Label))
        assert title.startswith("3 resources free Tue 1 Dec 10:00-11:00 CET"), title
        table = app.screen.query_one("#results", KeyedTable)
        names = [str(table.get_row_at(index)[0]) for index in range(table.row_count)]
        # bob holds the projector until 11:00 and Aurora from 11:00; it ends at 11:00.
        assert names == ["Aurora room", "Borealis room", "Cedar booth"]


@pytest.mark.parametrize(
    ("start", "why"),
    [("yesterday 10:00", "cannot read"), ("09:00", "that window is over")],
)
async def test_a_failed_search_clears_the_old_results_and_says_why(
    start: str, why: str, seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app, "f2") as pilot:
        await pilot.press("enter")
        await settle(pilot)
        table = app.screen.query_one("#results", KeyedTable)
        assert table.row_count > 0
        await type_into(pilot, "#when", start)
        await pilot.press("enter")
        await settle(pilot)
        assert table.row_count == 0
        title = text_of(app.screen.query_one("#results-title", Label))
        assert title.startswith(f"Not searched: {why}"), title
        assert why in text_of(app.screen.query_one("#feedback", Static))


async def test_find_offers_a_member_nothing_past_an_allowance_and_says_why(
    policy_url: str, make_app: AppFactory, tui_clock: FixedClock
) -> None:
    bob = LocalBackend.open(policy_url, quick_settings(), tui_clock, username="bob")
    try:
        bob.book(bob.find_resource("Borealis room").id, at(2, 9), at(2, 10))
    finally:
        bob.close()
    app = make_app(policy_url, username="bob")
    async with opened(app, "f2") as pilot:
        await type_into(pilot, "#when", "tomorrow 11:00")
        await type_into(pilot, "#tags", "room")
        await pilot.press("enter")
        await settle(pilot)
        title = str(app.screen.query_one("#results-title", Label).render())
        assert title.startswith("0 resources free Wed 2 Dec 11:00-12:00 CET — no free 1h slot")
        assert "you already hold 2 active bookings on tag 'room'" in title
        assert app.screen.query_one("#results", KeyedTable).row_count == 0
