"""Fixtures shared by every suite: real stores on disk and on the database servers.

PostgreSQL and MariaDB tests create a throwaway database and drop it after.
Where a server does not run they are skipped with the reason, except under CI
(`CI=true`), where a missing server is a failure.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
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
# fresh SQLite store; `live_server_factory(database_url=..., now=...)` starts
# more (another store, PostgreSQL, several processes on one database). With
# `now` the process runs `tests/server/clocked_server.py` instead: the same app
# on a FixedClock that `server.set_now(...)` moves and `server.reset()` empties.

TEST_SECRET_KEY = "test-secret-key-for-reserver-tests-only-0123456789"
"""The signing key of live test servers, so tests can forge expired or foreign tokens."""
TEST_PASSWORD = "correct-horse-battery"
CLOCKED_SERVER = Path(__file__).parent / "server" / "clocked_server.py"


@dataclass
class LiveServer:
    """A server process under test: its base `url` and helpers to make accounts."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    secret: str = TEST_SECRET_KEY
    clocked: bool = False

    def client(self, token: str | None = None) -> httpx.Client:
        """A keep-alive HTTP client on the server, sending `token` if given."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        # Plain HTTP on loopback: skipping the TLS set-up saves ~80 ms a client.
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, verify=False)

    def register(self, username: str, password: str = TEST_PASSWORD) -> dict[str, object]:
        """Create an account (the first one is the admin); returns the user JSON."""
        with self.client() as client:
            response = client.post("/register", json={"username": username, "password": password})
        assert response.status_code == 201, response.text
        return dict(response.json())

    def token(self, username: str, password: str = TEST_PASSWORD) -> str:
        """Log in and return the bearer token."""
        with self.client() as client:
            response = client.post("/token", data={"username": username, "password": password})
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def user(self, username: str, password: str = TEST_PASSWORD) -> str:
        """Register `username` and return a token for it."""
        self.register(username, password)
        return self.token(username, password)

    def set_now(self, instant: datetime) -> None:
        """Move the clock of a server started with `now=`."""
        assert self.clocked, "start the server with now=... to control its clock"
        with self.client() as client:
            response = client.put("/_test/clock", params={"now": instant.isoformat()})
        assert response.status_code == 200, response.text

    def reset(self) -> None:
        """Empty every table of a server started with `now=`."""
        assert self.clocked, "start the server with now=... to reset it"
        with self.client() as client:
            response = client.post("/_test/reset")
        assert response.status_code == 200, response.text

    def log(self) -> str:
        """What the process wrote to stdout and stderr so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> int:
        """SIGTERM the process and wait for it; returns its exit code."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_live_server(
    database_url: str | None,
    log_dir: Path,
    now: datetime | None = None,
    env: dict[str, str] | None = None,
) -> LiveServer:
    """Start a server process on a free loopback port and wait until /health answers.

    Without `database_url` the server picks its store itself (environment, data dir).
    """
    environment = {
        **os.environ,
        "RESERVER_BCRYPT_ROUNDS": "4",
        "RESERVER_SECRET_KEY": TEST_SECRET_KEY,
        **(env or {}),
    }
    for _attempt in range(3):
        port = free_port()
        if now is None:
            command = [sys.executable, "-m", "server", "--port", str(port)]
            command += ["--database-url", database_url] if database_url else []
        else:
            command = [sys.executable, str(CLOCKED_SERVER), "--port", str(port)]
            command += ["--database-url", database_url, "--now", now.isoformat()]
        log_path = log_dir / f"server-{port}.log"
        with log_path.open("wb") as log_file:
            process = subprocess.Popen(
                command, stdout=log_file, stderr=subprocess.STDOUT, env=environment
            )
        server = LiveServer(f"http://127.0.0.1:{port}", process, log_path, clocked=now is not None)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"{server.url}/health", timeout=2).status_code == 200:
                    return server
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        server.stop()
        if "address already in use" not in server.log().lower():
            break
    raise RuntimeError(f"the server did not start:\n{server.log()}")


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
