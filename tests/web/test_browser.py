"""The app in a real browser: headless Chromium on `reserver web --server URL`, on a real server.

Debian's Chromium (/usr/bin/chromium; `.ci/run` installs it) is driven through
Playwright, which never downloads a browser of its own here. Under CI=true a
missing Chromium fails the suite; elsewhere the test skips and says why.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.servers import TEST_PASSWORD, LiveServer
from support.web import WebProcess, start_web

from .terminal import Screen

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS_VARIABLE = "RESERVER_ARTIFACTS"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def _missing_browser() -> str | None:
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright's Python package is not installed (pip install -e '.[dev]')"
    return None


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Chromium, the system's own."""
    missing = _missing_browser()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the browser test needs Chromium under CI: {missing}")
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # As root (CI containers) Chromium refuses to start with its sandbox.
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        yield chromium
        chromium.close()


class Tab:
    """A browser page on `reserver web`, and what its terminal was sent."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.screen = Screen()
        page.on("websocket", self._tap)

    def _tap(self, websocket: Any) -> None:
        websocket.on("framereceived", self.screen.feed)

    def wait_for(self, *words: str, seconds: float = 30) -> None:
        """Wait until every one of `words` has been drawn since the mark."""
        # Playwright hands over frames only while it runs: wait in it, not in time.sleep.
        deadline = time.monotonic() + seconds
        while not self.screen.contains(*words):
            assert time.monotonic() < deadline, (
                f"never saw {words}; got:\n{self.screen.since_mark()[-2000:]}"
            )
            self.page.wait_for_timeout(50)

    def press(self, *keys: str) -> None:
        """Press keys as a person would, one after the other."""
        for key in keys:
            self.page.keyboard.press(key)
            self.page.wait_for_timeout(30)

    def type(self, text: str) -> None:
        """Type text one key at a time."""
        self.page.keyboard.type(text, delay=30)


def save_artifact(source: Path) -> None:
    """Copy a test's picture to RESERVER_ARTIFACTS, when set (CI keeps that folder)."""
    folder = os.environ.get(ARTIFACTS_VARIABLE)
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(source, Path(folder) / source.name)


@pytest.fixture
def web(live_server: LiveServer, tmp_path: Path) -> Iterator[WebProcess]:
    process = start_web(tmp_path, live_server.url)
    yield process
    process.stop()


def test_log_in_book_with_the_keyboard_and_see_it_in_my_reservations(
    browser: Any, web: WebProcess, live_server: LiveServer, tmp_path: Path
) -> None:
    token = live_server.user("alice")
    with live_server.client(token) as client:
        created = client.post("/resources", json={"name": "Aurora room", "tags": ["room"]})
        assert created.status_code == 201, created.text
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    tab = Tab(page)
    page.goto(web.url + "/")
    assert page.title().startswith("reserver · ")
    assert "log in" in page.title()
    page.wait_for_selector("body.-first-byte", timeout=30_000)
    tab.wait_for("not logged in", "Log in")
    assert len(web.sessions()) == 1
    page.focus(".xterm-helper-textarea")

    tab.type("alice")
    tab.press("Tab")
    tab.type(TEST_PASSWORD)
    tab.press("Enter")
    tab.wait_for("Logged in as alice", "Aurora room")

    tab.screen.set_mark()
    tab.press("b")
    tab.wait_for("Book")
    tab.screen.set_mark()
    tab.press("Control+s")
    tab.wait_for("Booked", "Aurora room")

    tab.screen.set_mark()
    tab.press("F3")
    tab.wait_for("Aurora room", "Upcoming")
    page.wait_for_timeout(1000)  # let the notification's fade and the table settle
    picture = tmp_path / "web_booked.png"
    page.screenshot(path=str(picture))
    save_artifact(picture)

    with live_server.client(token) as client:
        mine = client.get("/reservations/my").json()
    assert [reservation["resource"]["name"] for reservation in mine] == ["Aurora room"]

    page.close()
    web.wait_for_sessions(0)


def test_a_small_window_shows_the_app_and_closing_mid_booking_ends_its_process(
    browser: Any, web: WebProcess, live_server: LiveServer
) -> None:
    token = live_server.user("alice")
    with live_server.client(token) as client:
        assert client.post("/resources", json={"name": "Aurora room"}).status_code == 201
    page = browser.new_page(viewport={"width": 800, "height": 600})
    tab = Tab(page)
    page.goto(web.url + "/")
    page.wait_for_selector("body.-first-byte", timeout=30_000)
    tab.wait_for("Log in", "Register")
    page.focus(".xterm-helper-textarea")
    tab.type("alice")
    tab.press("Tab")
    tab.type(TEST_PASSWORD)
    tab.press("Enter")
    tab.wait_for("Logged in as alice", "Aurora room")
    tab.screen.set_mark()
    tab.press("b")
    tab.wait_for("Book")
    assert len(web.sessions()) == 1
    page.close()
    web.wait_for_sessions(0)
    with live_server.client(token) as client:
        assert client.get("/reservations/my").json() == []
