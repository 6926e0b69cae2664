"""The find-a-free-slot screen (F2): an unreadable start and the help it points to."""

from __future__ import annotations

from textual.widgets import Static

from reserver_tui.screens.help import HelpScreen

from .scenario import AppFactory, opened, text_of, type_into


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
