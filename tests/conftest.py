"""Fixtures shared by every suite: real stores on disk and on the database servers.

PostgreSQL and MariaDB tests create a throwaway database and drop it after
(see `support.databases`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from support.clock import NOW
from support.databases import MYSQL_ADMIN_URL, POSTGRES_ADMIN_URL, throwaway_database
from support.servers import LiveServer, start_live_server
from support.settings import fast_settings

from reserver_core.clock import FixedClock
from reserver_core.local import LocalBackend


@pytest.fixture(autouse=True)
def _isolated_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keep every test away from the real user's config, data and logs."""
    home = tmp_path_factory.mktemp("home")
    for variable, folder in (
        ("RESERVER_CONFIG_DIR", "config"),
        ("RESERVER_DATA_DIR", "data"),
        ("RESERVER_LOG_DIR", "log"),
    ):
        monkeypatch.setenv(variable, str(home / folder))
    for variable in (
        "RESERVER_DATABASE_URL",
        "DATABASE_URL",
        "RESERVER_SERVER",
        "RESERVER_TZ",
        "RESERVER_SECRET_KEY",
    ):
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'reserver.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from throwaway_database(POSTGRES_ADMIN_URL, "PostgreSQL")


@pytest.fixture
def mysql_url() -> Iterator[str]:
    yield from throwaway_database(MYSQL_ADMIN_URL, "MariaDB")


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def any_url(request: pytest.FixtureRequest) -> str:
    """A fresh store of each kind in turn."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def local(sqlite_url: str, clock: FixedClock) -> Iterator[LocalBackend]:
    """A backend on a fresh SQLite file acting as `alice`, the first user, an admin."""
    backend = LocalBackend.open(sqlite_url, fast_settings(), clock, username="alice")
    yield backend
    backend.close()


# -- live server (the server engineer's fixtures) ------------------------------------
#
# `live_server` is a real `python -m server` process on a loopback port with a
# fresh SQLite store; `live_server_factory(database_url, now=None, env=None)`
# starts more (another store, PostgreSQL, several processes on one database;
# with `now`, a server whose clock tests move). Helpers: support/servers.py.


@pytest.fixture
def live_server_factory(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Start server processes: `factory(database_url, now=None, env=None)`; all stop after."""
    started: list[LiveServer] = []

    def start(
        database_url: str | None, now: datetime | None = None, env: dict[str, str] | None = None
    ) -> LiveServer:
        server = start_live_server(database_url, tmp_path, now, env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def live_server(live_server_factory: Callable[..., LiveServer], sqlite_url: str) -> LiveServer:
    """A `python -m server` process on a fresh SQLite store (real clock)."""
    return live_server_factory(sqlite_url)
