"""The login screen on a server: what the palette offers and a taken username."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static

from reserver_tui.app import ReserverApp
from reserver_tui.palette import palette_actions
from reserver_tui.screens.login import LoginScreen

from .scenario import TZ, opened, quick_settings, settle, text_of, type_into


async def test_the_palette_does_not_lead_past_the_login(live_server: Any) -> None:
    app = ReserverApp(quick_settings(tz=TZ, server=live_server.url))
    async with opened(app) as pilot:
        assert isinstance(app.screen, LoginScreen)
        titles = [title for title, _help, _run in palette_actions(app, app.screen)]
        assert "Find a free slot" not in titles and "Help" in titles
        await pilot.press("ctrl+p", *"find a free")
        await pilot.pause(0.3)
        await pilot.press("enter", "escape")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)


async def test_a_taken_username_is_said_once_beside_the_form(live_server: Any) -> None:
    live_server.register("carol", "carol-password-1")
    app = ReserverApp(quick_settings(tz=TZ, server=live_server.url))
    async with opened(app) as pilot:
        await type_into(pilot, "#username", "carol")
        await type_into(pilot, "#password", "another-password-2")
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert "is already taken" in text_of(app.screen.query_one("#feedback", Static))
        assert not [n.message for n in app.notifications if "is already taken" in n.message]


async def test_ctrl_s_logs_in_and_escape_leaves_the_app(live_server: Any) -> None:
    live_server.register("dora", "dora-password-1")
    app = ReserverApp(quick_settings(tz=TZ, server=live_server.url))
    async with opened(app) as pilot:
        await type_into(pilot, "#username", "dora")
        await type_into(pilot, "#password", "dora-password-1")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, LoginScreen)
        assert app.user is not None and app.user.username == "dora"
    app = ReserverApp(quick_settings(tz=TZ, server="http://127.0.0.1:9"))
    # Not `opened`: its wait for the first reads would end in their failure to connect.
    async with app.run_test() as pilot:
        app.push_screen(LoginScreen())
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.return_code == 0
