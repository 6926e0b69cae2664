"""The server as a process: its store, secret, switches, timer, logs, health and shutdown."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from support.servers import TEST_SECRET_KEY, LiveServer

from reserver_core.settings import data_dir

Factory = Callable[..., LiveServer]


def test_default_store_generated_secret_and_restart(live_server_factory: Factory) -> None:
    env = {"RESERVER_SECRET_KEY": ""}
    first = live_server_factory(None, env=env)
    token = first.user("alice")
    assert (data_dir() / "server.db").exists()
    secret_file = data_dir() / "server-secret.key"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert len(secret_file.read_text().strip()) >= 32
    assert first.stop() in (0, -signal.SIGTERM)
    second = live_server_factory(None, env=env)
    # Same store, same key: the account and its token survive the restart.
    me = httpx.get(f"{second.url}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert (me.status_code, me.json()["username"]) == (200, "alice")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_clean_shutdown_and_request_log(
    live_server_factory: Factory, sqlite_url: str, signum: int
) -> None:
    server = live_server_factory(sqlite_url)
    assert httpx.get(f"{server.url}/api/v1/resources").status_code == 200
    assert httpx.get(f"{server.url}/api/v1/resources/77").status_code == 404
    server.process.send_signal(signum)
    assert server.process.wait(timeout=15) in (0, -signum)
    log = server.log()
    assert "Application shutdown complete" in log
    assert "Traceback" not in log
    lines = [
        json.loads(line.split(" reserver.server.access ", 1)[1])
        for line in log.splitlines()
        if " reserver.server.access " in line
    ]
    assert [(line["method"], line["path"], line["status"]) for line in lines] == [
        ("GET", "/health", 200),
        ("GET", "/api/v1/resources", 200),
        ("GET", "/api/v1/resources/77", 404),
    ]
    assert all(line["duration_ms"] >= 0 for line in lines)


def test_switches_registration_and_cors(live_server_factory: Factory, sqlite_url: str) -> None:
    closed = live_server_factory(
        sqlite_url,
        env={
            "RESERVER_ALLOW_REGISTRATION": "false",
            "RESERVER_CORS_ORIGINS": "https://desk.example.org",
        },
    )
    refused = httpx.post(
        f"{closed.url}/api/v1/register", json={"username": "alice", "password": "pw-2468-kite"}
    )
    assert refused.status_code == 403
    assert "switched off" in refused.json()["detail"]
    allowed = httpx.get(
        f"{closed.url}/api/v1/resources", headers={"Origin": "https://desk.example.org"}
    )
    assert allowed.headers["access-control-allow-origin"] == "https://desk.example.org"
    other = httpx.get(
        f"{closed.url}/api/v1/resources", headers={"Origin": "https://evil.example.com"}
    )
    assert "access-control-allow-origin" not in other.headers
    closed.stop()
    default = live_server_factory(sqlite_url)
    plain = httpx.get(
        f"{default.url}/api/v1/resources", headers={"Origin": "https://desk.example.org"}
    )
    assert "access-control-allow-origin" not in plain.headers


def test_expiry_timer_runs_and_health_reports_it(
    live_server_factory: Factory, sqlite_url: str
) -> None:
    server = live_server_factory(sqlite_url, env={"RESERVER_EXPIRY_INTERVAL": "1"})
    first = httpx.get(f"{server.url}/api/v1/health").json()
    expiry = first["background_tasks"]["expiry"]
    assert (first["status"], first["database"]) == ("ok", "ok")
    assert expiry["running"] is True
    assert expiry["interval_seconds"] == 1
    assert expiry["runs"] >= 1
    assert expiry["last_run"].endswith("+00:00")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        later = httpx.get(f"{server.url}/api/v1/health").json()["background_tasks"]["expiry"]
        if later["runs"] >= expiry["runs"] + 2:
            break
        time.sleep(0.2)
    assert later["runs"] >= expiry["runs"] + 2
    assert later["last_run"] > expiry["last_run"]


@pytest.mark.postgres
def test_health_is_503_while_the_database_is_down(
    live_server_factory: Factory, postgres_url: str
) -> None:
    server = live_server_factory(postgres_url)
    token = server.user("alice")
    name = postgres_url.rsplit("/", 1)[1]
    admin = create_engine(
        postgres_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
        connection.execute(
            text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
        )
    try:
        down = httpx.get(f"{server.url}/api/v1/health")
        assert down.status_code == 503
        assert (down.json()["status"], down.json()["database"]) == ("degraded", "unreachable")
        listing = httpx.get(f"{server.url}/api/v1/resources")
        assert listing.status_code == 503
        assert "detail" in listing.json()
        refused = httpx.get(f"{server.url}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 503
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
        admin.dispose()
    assert httpx.get(f"{server.url}/api/v1/health").status_code == 200
    assert '"status": 500' not in server.log()


def test_a_store_that_cannot_open_ends_with_one_clear_line(tmp_path: Path) -> None:
    environment = {**os.environ, "RESERVER_SECRET_KEY": TEST_SECRET_KEY}
    result = subprocess.run(
        [sys.executable, "-m", "server", "--port", "1", "--database-url", "oracle://x/y"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )
    assert result.returncode == 2
    assert "reserver server: unsupported database 'oracle'" in result.stderr
    assert "Traceback" not in result.stderr
    # A database that does not answer: the operator reads which one, and why.
    unreachable = "postgresql://postgres@127.0.0.1:1/reserver"
    result = subprocess.run(
        [sys.executable, "-m", "server", "--port", "1", "--database-url", unreachable],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(
        "reserver server: the database is unavailable: postgresql+psycopg://postgres@127.0.0.1:1/"
    )
    assert "Connection refused" in result.stderr and "Traceback" not in result.stderr
    short_key = {**environment, "RESERVER_SECRET_KEY": "short"}
    result = subprocess.run(
        [sys.executable, "-m", "server", "--database-url", f"sqlite:///{tmp_path / 'x.db'}"],
        capture_output=True,
        text=True,
        env=short_key,
        timeout=60,
    )
    assert result.returncode == 2
    assert "at least 32 characters" in result.stderr
