"""Fixtures of the TUI suites: a seeded SQLite store and the app on it."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.clock import NOW
from textual.widgets import Input

from reserver_core.clock import FixedClock
from reserver_core.local import LocalBackend
from reserver_tui.app import ReserverApp

from .scenario import TZ, AppFactory, quick_settings, seed, set_policies


@pytest.fixture(autouse=True)
def _no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """A blinking cursor would make screenshots differ from run to run."""
    monkeypatch.setattr(Input, "cursor_blink", False)


@pytest.fixture
def store_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An empty store in the test's folder, named by a relative path."""
    monkeypatch.chdir(tmp_path)
    return "sqlite:///reserver.db"


@pytest.fixture
def seeded_url(store_url: str) -> str:
    """The store with the fixed data of `seed`."""
    seed(store_url)
    return store_url


@pytest.fixture
def policy_url(seeded_url: str) -> str:
    """The seeded store with the booking policies of `set_policies`."""
    set_policies(seeded_url)
    return seeded_url


@pytest.fixture
def tui_clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def make_app(tui_clock: FixedClock) -> AppFactory:
    """Build the app on a store, acting as `username`, on the frozen clock."""

    def make(url: str, username: str = "alice") -> ReserverApp:
        settings = quick_settings(tz=TZ)
        return ReserverApp(
            settings,
            backend_factory=lambda: LocalBackend.open(url, settings, tui_clock, username=username),
            clock=tui_clock,
        )

    return make
