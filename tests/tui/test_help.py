"""The help screen: it lists the keys of the screen it was opened from."""

from __future__ import annotations

from textual.widgets import Static

from .scenario import AppFactory, opened, text_of


async def test_help_lists_the_bracket_keys_of_the_week_view(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app, "enter") as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        lines = text_of(app.screen.query_one("#help-text", Static)).splitlines()
        assert f"  {'[':<22} Prev week" in lines
        assert f"  {']':<22} Next week" in lines
