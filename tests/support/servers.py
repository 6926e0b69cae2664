"""Real reserver server processes for tests, on loopback ports.

The fixtures `live_server` and `live_server_factory` in tests/conftest.py are
built on this. `start_live_server(url, folder)` runs `python -m server`; with
`now=` it runs `support/clocked_server.py` instead: the same app on a
FixedClock that `server.set_now(...)` moves and `server.reset()` empties.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx

from reserver_core.http_contract import API_PREFIX

TEST_SECRET_KEY = "test-secret-key-for-reserver-tests-only-0123456789"
"""The signing key of live test servers, so tests can forge expired or foreign tokens."""
TEST_PASSWORD = "correct-horse-battery"
CLOCKED_SERVER = Path(__file__).with_name("clocked_server.py")


@dataclass
class LiveServer:
    """A server process under test: its base `url` and helpers to make accounts."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    secret: str = TEST_SECRET_KEY
    clocked: bool = False

    def client(self, token: str | None = None, root: str = API_PREFIX) -> httpx.Client:
        """A keep-alive HTTP client on the server's API under `root` (reserver's own by
        default), sending `token` if given."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        # Plain HTTP on loopback: skipping the TLS set-up saves ~80 ms a client.
        return httpx.Client(base_url=self.url + root, headers=headers, timeout=30, verify=False)

    def seed_client(self, token: str | None = None) -> httpx.Client:
        """A client on the unprefixed paths, which speak the seed's API."""
        return self.client(token, root="")

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
        with self.seed_client() as client:
            response = client.put("/_test/clock", params={"now": instant.isoformat()})
        assert response.status_code == 200, response.text

    def reset(self) -> None:
        """Empty every table of a server started with `now=`."""
        assert self.clocked, "start the server with now=... to reset it"
        with self.seed_client() as client:
            response = client.post("/_test/reset")
        assert response.status_code == 200, response.text

    def log(self) -> str:
        """What the process wrote to stdout and stderr so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> int:
        """SIGTERM the process and wait for it; returns its exit code."""
        return stop_process(self.process, 15)


def stop_process(process: subprocess.Popen[bytes], timeout: float) -> int:
    """SIGTERM `process`, kill it if it outlives `timeout` seconds; its exit code."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def health_when_up(
    port: int, process: subprocess.Popen[bytes], seconds: float = 30
) -> httpx.Response | None:
    """The first answer of /health on `port` while `process` runs; None if it never came."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
        except httpx.TransportError:
            time.sleep(0.05)
    return None


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
        # Tests register more accounts from 127.0.0.1 than a real address may.
        "RESERVER_REGISTRATION_LIMIT": "0",
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
        health = health_when_up(port, process)
        if health is not None and health.status_code == 200:
            return server
        server.stop()
        if "address already in use" not in server.log().lower():
            break
    raise RuntimeError(f"the server did not start:\n{server.log()}")
