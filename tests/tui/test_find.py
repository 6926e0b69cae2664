"""The find-a-free-slot screen (F2): an unreadable start, the help, a slot past midnight."""

from __future__ import annotations

from textual.widgets import Static

from reserver_tui.screens.book import BookModal
from reserver_tui.screens.help import HelpScreen

from .scenario import AppFactory, opened, settle, text_of, type_into


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
