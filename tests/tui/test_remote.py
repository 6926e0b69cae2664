"""The same booking flow against a real server process: log in, book, conflict, go offline."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from textual import events
from textual.widgets import Input, Static
from textual.worker import WorkerFailed

from reserver_tui.app import ReserverApp
from reserver_tui.screens.home import ResourcesScreen
from reserver_tui.screens.login import LoginScreen
from reserver_tui.screens.mine import MyReservationsScreen
from reserver_tui.widgets.resource_table import ResourceTable

from .scenario import TZ, fill_booking, log_in, opened, quick_settings, settle, type_into

PASSWORD = "carol-password-1"


async def test_log_in_book_and_take_next_free_on_a_server(live_server: Any) -> None:
    live_server.register("carol", PASSWORD)
    token = live_server.token("carol", PASSWORD)
    with live_server.client(token) as client:
        created = client.post("/resources", json={"name": "Server room", "tags": ["room"]})
        assert created.status_code == 201, created.text
    app = ReserverApp(quick_settings(tz=TZ, server=live_server.url))
    async with opened(app, size=(120, 40)) as pilot:
        assert isinstance(app.screen, LoginScreen)
        await log_in(pilot, "carol", PASSWORD)
        assert isinstance(app.screen, ResourcesScreen)
        assert "carol (admin) @ http://127.0.0.1" in app.sub_title
        table = app.screen.query_one(ResourceTable)
        assert table.current is not None and table.current.name == "Server room"

        for _attempt in range(2):
            await fill_booking(pilot, "tomorrow", "10:00", "1h")
            await pilot.press("enter")
            await settle(pilot)
        conflict = app.screen.query_one("#conflict", Static)
        assert conflict.display and "10:00-11:00" in str(conflict.render())
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, ResourcesScreen)

        with live_server.client(token) as client:
            mine = client.get("/reservations/my").json()
        windows = sorted((item["start_time"], item["end_time"]) for item in mine)
        assert len(windows) == 2
        assert windows[0][1] == windows[1][0], "the next free slot follows the clash"

        live_server.stop()
        await pilot.press("r")
        await settle(pilot)
        assert app.offline and "OFFLINE" in app.sub_title
        assert any(n.title == "Server unreachable" for n in app.notifications)


async def test_a_server_down_at_start_is_reported_once_and_retried() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    app = ReserverApp(quick_settings(tz=TZ, server=url))
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(20):
            await pilot.pause(0.05)
            if app.offline:
                break
        await settle(pilot)
        assert app.offline and app.backend is None
        assert app.sub_title == f"{url} · OFFLINE"
        unreachable = [n for n in app.notifications if n.title == "Server unreachable"]
        assert len(unreachable) == 1
        assert app.reconnecting, "it keeps trying to open the server"


async def test_a_login_answered_after_switching_screens_does_not_end_the_app(
    live_server: Any,
) -> None:
    live_server.register("carol", PASSWORD)
    app = ReserverApp(quick_settings(tz=TZ, server=live_server.url))
    async with opened(app, size=(120, 40)) as pilot:
        await log_in(pilot, "carol", PASSWORD)
        assert app.backend is not None
        app.backend.token = None  # the server no longer knows the session
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        await type_into(pilot, "#username", "carol")
        await type_into(pilot, "#password", PASSWORD)
        # Enter, then F1 before the server answers: F1 waits for the login, which
        # closes its own screen and nothing else.
        app.post_message(events.Key("enter", "\r"))
        app.post_message(events.Key("f1", None))
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, MyReservationsScreen)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, ResourcesScreen), app.screen_stack


async def test_an_ended_session_shows_one_login_and_forgets_the_user(live_server: Any) -> None:
    live_server.register("carol", PASSWORD)
    app = ReserverApp(quick_settings(tz=TZ, server=live_server.url))
    async with opened(app, size=(120, 40)) as pilot:
        await log_in(pilot, "carol", PASSWORD)
        assert app.backend is not None
        app.backend.token = "not-a-token"  # as after the server's key changed
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert app.sub_title.startswith("not logged in @ ")
        assert app.check_action("go", ("mine",)) is False, "the footer hides the F-keys"
        # A failure of another read while the login shows, then the F-keys: still one login.
        resources_screen = app.screen_stack[-2]
        assert isinstance(resources_screen, ResourcesScreen)
        with pytest.raises(WorkerFailed):
            resources_screen.reload()
            await app.workers.wait_for_complete()
        await settle(pilot)
        for key in ("f3", "f1", "f5"):
            await pilot.press(key)
            await settle(pilot)
        logins = [s for s in app.screen_stack if isinstance(s, LoginScreen)]
        assert len(logins) == 1 and app.screen is logins[0] and app.current_mode == "resources"
        assert app.screen.query_one("#username", Input).value == "carol"
        assert app.focused is app.screen.query_one("#password", Input)
        await pilot.press(*PASSWORD, "enter")
        await settle(pilot)
        assert isinstance(app.screen, ResourcesScreen)
        assert app.sub_title.startswith("carol (admin) @ ")
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, MyReservationsScreen)


async def test_a_member_logging_in_where_an_admin_session_ended_leaves_admin(
    live_server: Any,
) -> None:
    live_server.register("carol", PASSWORD)
    live_server.register("dave", PASSWORD)
    app = ReserverApp(quick_settings(tz=TZ, server=live_server.url))
    async with opened(app, size=(120, 40)) as pilot:
        await log_in(pilot, "carol", PASSWORD)
        await pilot.press("f4")
        await settle(pilot)
        assert app.backend is not None and app.current_mode == "admin"
        app.backend.token = "not-a-token"
        app.data_changed()  # as the timer that re-reads the server does
        for _ in range(40):
            await pilot.pause(0.05)
            if isinstance(app.screen, LoginScreen):
                break
        assert isinstance(app.screen, LoginScreen)
        await settle(pilot)  # laid out: a click too early hits the header's palette icon
        await log_in(pilot, "dave", PASSWORD)
        assert app.current_mode == "resources" and isinstance(app.screen, ResourcesScreen)
        assert app.sub_title.startswith("dave @ ")
