"""Fixtures shared by every suite: real stores on disk and on the database servers.

PostgreSQL and MariaDB tests create a throwaway database and drop it after.
Where a server does not run they are skipped with the reason, except under CI
(`CI=true`), where a missing server is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from server_processes import (  # noqa: F401  (re-exported for `from conftest import ...`)
    TEST_PASSWORD,
    TEST_SECRET_KEY,
    LiveServer,
    free_port,
    start_live_server,
)
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from reserver_core.clock import FixedClock
from reserver_core.local import LocalBackend
from reserver_core.settings import Settings

POSTGRES_ADMIN_URL = os.environ.get(
    "RESERVER_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
MYSQL_ADMIN_URL = os.environ.get("RESERVER_TEST_MYSQL", "mysql+pymysql://root@127.0.0.1:3306/test")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
"""The frozen "now" of the test suites: a Tuesday morning."""


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


def fast_settings(**overrides: object) -> Settings:
    """Settings for tests: bcrypt at its lowest cost, everything else default."""
    return Settings(bcrypt_rounds=4, **overrides)  # type: ignore[arg-type]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'reserver.db'}"


def _unavailable(kind: str, reason: str) -> None:
    message = f"{kind} is not reachable ({reason})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI must run the {kind} tests", pytrace=False)
    pytest.skip(message)


def _throwaway_database(admin_url: str, kind: str) -> Iterator[str]:
    name = f"reserver_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}"))
    except OperationalError as exc:
        engine.dispose()
        _unavailable(kind, str(exc.orig).splitlines()[0])
    url = engine.url.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with engine.connect() as connection:
            if kind == "PostgreSQL":
                connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            else:
                connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        engine.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from _throwaway_database(POSTGRES_ADMIN_URL, "PostgreSQL")


@pytest.fixture
def mysql_url() -> Iterator[str]:
    yield from _throwaway_database(MYSQL_ADMIN_URL, "MariaDB")


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
# with `now`, a server whose clock tests move). Helpers: tests/server_processes.py.


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
