"""`reserver web` as real processes, driven over the tab's websocket: one app process per tab,
gone when the tab closes, a private login per tab, and the identity rules of each mode."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import httpx
import pytest
from support.servers import TEST_PASSWORD, LiveServer, free_port
from support.web import RESERVER, WebProcess, start_web

from reserver_core import credentials

from .terminal import Screen

pytestmark = pytest.mark.timeout(300)

F3 = "\x1bOR"


class Tab:
    """A browser tab's terminal, without the browser: its websocket and what it was sent."""

    def __init__(self, websocket: aiohttp.ClientWebSocketResponse) -> None:
        self.websocket = websocket
        self.screen = Screen()

    async def type(self, *keys: str) -> None:
        """Send keystrokes one message each, as xterm.js does, read what comes back meanwhile."""
        for key in keys:
            await self.websocket.send_str(json.dumps(["stdin", key]))
            await self.read_for(0.02)

    async def read_for(self, seconds: float) -> None:
        """Take in what the app sends during `seconds`."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = await self.websocket.receive(timeout=left)
            except TimeoutError:
                return
            self.screen.feed(message.data)

    async def log_in(self, username: str, password: str) -> None:
        """Fill in the login screen and submit it, pausing after Tab as a person does: keys
        sent in the same instant as the Tab can reach the field it leaves."""
        await self.type(*username, "\t")
        await asyncio.sleep(0.5)
        await self.type(*password, "\r")

    async def wait_for(self, *words: str, seconds: float = 30) -> None:
        """Read frames until every one of `words` has arrived since the mark."""
        deadline = time.monotonic() + seconds
        while not self.screen.contains(*words):
            left = deadline - time.monotonic()
            assert left > 0, f"never saw {words}; got:\n{self.screen.since_mark()[-2000:]}"
            try:
                message = await self.websocket.receive(timeout=left)
            except TimeoutError:
                continue
            assert message.type in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT), message
            self.screen.feed(message.data)


@asynccontextmanager
async def tab(web: WebProcess, width: int = 120, height: int = 36) -> AsyncIterator[Tab]:
    """Open a tab's websocket, wait for the app's first frame, and close it after."""
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{web.websocket_url}?width={width}&height={height}") as websocket,
    ):
        opened = Tab(websocket)
        await opened.wait_for("reserver")
        yield opened


@pytest.fixture
def remote_web(live_server: LiveServer, tmp_path: Path) -> Iterator[WebProcess]:
    """`reserver --server URL web`, with its temporary files kept in the test's folder."""
    web = start_web(tmp_path, live_server.url)
    yield web
    web.stop()


def session_dirs(tmp_path: Path) -> list[Path]:
    """The private config directories of the tabs open now."""
    return sorted((tmp_path / "tmp").glob("reserver-web-*/session-*"))


async def test_twenty_tabs_opened_and_closed_leave_no_app_process(
    remote_web: WebProcess, tmp_path: Path
) -> None:
    before = remote_web.sessions()
    assert before == []
    for _cycle in range(20):
        async with tab(remote_web):
            assert len(remote_web.sessions()) == 1
        await asyncio.to_thread(remote_web.wait_for_sessions, 0, 15)
    assert session_dirs(tmp_path) == []
    assert remote_web.process.poll() is None


async def test_each_tab_logs_in_itself_and_forgets_it_on_close(
    live_server: LiveServer, remote_web: WebProcess, tmp_path: Path
) -> None:
    live_server.register("alice")
    # The serving user is logged in to this server; no tab may act with that login.
    credentials.set_token(live_server.url, live_server.token("alice"))
    async with tab(remote_web) as first:
        await first.wait_for("not logged in", "Log in")
        assert len(session_dirs(tmp_path)) == 1
        await first.log_in("alice", TEST_PASSWORD)
        await first.wait_for("Logged in as alice")
        [private] = session_dirs(tmp_path)
        assert (private / "tokens.json").exists()
        assert private.stat().st_mode & 0o077 == 0
        async with tab(remote_web) as second:
            await second.wait_for("not logged in", "Log in")
    await asyncio.to_thread(remote_web.wait_for_sessions, 0)
    assert session_dirs(tmp_path) == []


async def test_a_tab_closed_in_the_middle_of_booking_ends_its_process(
    live_server: LiveServer, remote_web: WebProcess
) -> None:
    token = live_server.user("alice")
    with live_server.client(token) as client:
        assert client.post("/resources", json={"name": "Aurora room"}).status_code == 201
    async with tab(remote_web) as opened:
        await opened.wait_for("Log in")
        await opened.log_in("alice", TEST_PASSWORD)
        await opened.wait_for("Logged in as alice", "Aurora room")
        opened.screen.set_mark()
        await opened.type("b")
        await opened.wait_for("Book")
        await opened.type("\t", "\t")
    await asyncio.to_thread(remote_web.wait_for_sessions, 0)
    with live_server.client(token) as client:
        assert client.get("/reservations/my").json() == []


async def test_a_wrong_password_and_an_unreachable_server_are_the_apps_usual_messages(
    live_server: LiveServer, tmp_path: Path
) -> None:
    live_server.register("alice")
    web = start_web(tmp_path, live_server.url)
    try:
        async with tab(web) as opened:
            await opened.wait_for("Log in")
            await opened.log_in("alice", "wrong-password-here")
            await opened.wait_for("✗ wrong username or password")
            opened.screen.set_mark()
            live_server.stop()
            await opened.type("\r")
            await opened.wait_for("✗ cannot reach server")
        await asyncio.to_thread(web.wait_for_sessions, 0)
    finally:
        web.stop()


async def test_a_server_down_from_the_start_is_the_apps_usual_notification(
    tmp_path: Path,
) -> None:
    nobody = f"http://127.0.0.1:{free_port()}"
    web = start_web(tmp_path, nobody)
    try:
        async with tab(web) as opened:
            await opened.wait_for("Server unreachable", "Cannot reach server", "Trying again")
            assert len(web.sessions()) == 1
        await asyncio.to_thread(web.wait_for_sessions, 0)
    finally:
        web.stop()


async def test_local_mode_acts_as_the_local_user_and_says_so(tmp_path: Path) -> None:
    web = start_web(tmp_path, None)
    try:
        page = httpx.get(web.url + "/").text
        assert "<title>reserver · local mode · acting as " in page
        assert "textual" not in page.split("<title>")[1].split("</title>")[0].lower()
        assert "https://" not in page
        async with tab(web) as opened:
            await opened.wait_for("reserver")
            assert len(web.sessions()) == 1
        await asyncio.to_thread(web.wait_for_sessions, 0)
    finally:
        web.stop()


def test_local_mode_refuses_to_serve_beyond_loopback() -> None:
    result = subprocess.run(
        [*RESERVER, "web", "--host", "0.0.0.0", "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "local mode acts as you" in result.stderr and "--server" in result.stderr
    posing = subprocess.run(
        [*RESERVER, "--user", "bob", "web", "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert posing.returncode == 2 and "drop --user" in posing.stderr


def test_another_address_than_loopback_is_served_with_a_warning(
    live_server: LiveServer, tmp_path: Path
) -> None:
    port = free_port()
    log = tmp_path / "web.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                *RESERVER,
                "--server",
                live_server.url,
                "web",
                "--host",
                "0.0.0.0",
                "--port",
                str(port),
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=os.environ.copy(),
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/", timeout=10)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.05)
        assert answer.status_code == 200
        text = log.read_text()
        assert "Warning: listening on 0.0.0.0" in text and "whatever access" in text
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_help_explains_who_a_tab_acts_as() -> None:
    result = subprocess.run([*RESERVER, "web", "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "starts at the app's login screen" in text
    assert "your own saved login is never used" in text
    assert "acts as you, the local user" in text


async def test_stopping_reserver_web_ends_the_tabs_app_processes(
    live_server: LiveServer, tmp_path: Path
) -> None:
    web = start_web(tmp_path, live_server.url)
    try:
        async with tab(web) as opened:
            await opened.wait_for("Log in")
            [session] = web.sessions()
            assert await asyncio.to_thread(web.stop) == 0
    finally:
        web.stop()
    deadline = time.monotonic() + 20
    while Path(f"/proc/{session}").exists() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert not Path(f"/proc/{session}").exists(), "the tab's app process outlived reserver web"


async def test_a_killed_reserver_web_takes_its_tabs_app_processes_with_it(
    live_server: LiveServer, tmp_path: Path
) -> None:
    web = start_web(tmp_path, live_server.url)
    try:
        async with tab(web) as opened:
            await opened.wait_for("Log in")
            [session] = web.sessions()
            web.process.kill()
            deadline = time.monotonic() + 20
            while Path(f"/proc/{session}").exists() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            assert not Path(f"/proc/{session}").exists(), "the tab's app outlived reserver web"
    finally:
        web.stop()


def test_help_imports_no_web_or_terminal_framework() -> None:
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: sys.stderr.write('MODULES ' + ' '.join(sys.modules) + '\\n'))\n"
        "from reserver_cli import main\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, "web", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stderr.splitlines() if x.startswith("MODULES "))
    loaded = {name.split(".")[0] for name in line.split()[1:]}
    assert not loaded & {"textual", "textual_serve", "aiohttp", "fastapi", "uvicorn"}
