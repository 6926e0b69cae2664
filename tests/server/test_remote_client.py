"""The remote backend's own duties: stored tokens, unreachable or foreign servers, expiry."""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import stat
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
import pytest
from support.servers import TEST_SECRET_KEY, LiveServer, free_port

from reserver_core import credentials
from reserver_core.connect import open_backend
from reserver_core.errors import AuthError, NotFoundError, ServerUnreachableError, ValidationError
from reserver_core.http_contract import API_PREFIX
from reserver_core.remote import RemoteBackend
from reserver_core.settings import Settings


def test_tokens_are_stored_per_server_with_mode_0600(live_server: LiveServer) -> None:
    assert credentials.get_token(live_server.url) is None
    remote = RemoteBackend.connect(live_server.url)
    with pytest.raises(AuthError, match=f"not logged in to {live_server.url}"):
        remote.whoami()
    live_server.register("alice")
    token = remote.login("alice", "correct-horse-battery")
    credentials.set_token(live_server.url + "/", token.access_token)
    credentials.set_token("http://other.example:8000", "other-token")
    assert stat.S_IMODE(credentials.tokens_path().stat().st_mode) == 0o600
    assert credentials.get_token(live_server.url.upper().replace("HTTP://", "http://")) == (
        token.access_token
    )
    backend = open_backend(Settings(server=live_server.url))
    assert isinstance(backend, RemoteBackend)
    assert backend.whoami().username == "alice"
    assert backend.describe_store() == live_server.url
    assert backend.background_upkeep() is None
    backend.close()
    assert credentials.remove_token(live_server.url) is True
    assert credentials.remove_token(live_server.url) is False
    assert credentials.get_token("http://other.example:8000") == "other-token"
    credentials.tokens_path().write_text("{not json")
    assert credentials.get_token(live_server.url) is None
    remote.close()


def test_an_expired_token_says_log_in_again(live_server: LiveServer) -> None:
    live_server.register("alice")
    past = datetime.now(UTC) - timedelta(hours=1)
    expired = jwt.encode(
        {"sub": "alice", "exp": int(past.timestamp())}, TEST_SECRET_KEY, algorithm="HS256"
    )
    remote = RemoteBackend(live_server.url, expired)
    with pytest.raises(AuthError, match="expired: log in again"):
        remote.my_reservations()
    # Logging in again, or registering another account, is how it is replaced.
    assert remote.register("bob", "correct-horse-battery").username == "bob"
    remote.login("alice", "correct-horse-battery")
    assert remote.whoami().username == "alice"
    with httpx.Client(
        base_url=f"{live_server.url}/api/v1", headers={"Authorization": "Bearer junk"}
    ) as http:
        assert (
            http.post(
                "/register", json={"username": "carol", "password": "carol-pw-24"}
            ).status_code
            == 201
        )
        form = {"username": "carol", "password": "carol-pw-24"}
        assert http.post("/token", data=form).status_code == 200
        assert http.get("/me").status_code == 401
    remote.close()


def test_an_injected_transport_is_used(live_server: LiveServer) -> None:
    transport = httpx.HTTPTransport(local_address="127.0.0.1", retries=2)
    remote = RemoteBackend(live_server.url, transport=transport)
    assert remote.health().database == "ok"
    assert remote.list_resources() == []
    remote.close()


def test_no_server_is_one_clear_error() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    remote = RemoteBackend(url)
    for call in (remote.list_resources, remote.health, remote.whoami):
        with pytest.raises(ServerUnreachableError, match=f"cannot reach server at {url}"):
            call()
    # A typo is invalid input, not an unreachable server a script would retry.
    for bad_url in (
        "http://[bad",
        "ftp://example.org",
        "no-scheme",
        "127.0.0.1:8000",
        "http://h:x",
    ):
        with pytest.raises(ValidationError, match="is not a server URL") as refused:
            RemoteBackend(bad_url)
        assert refused.value.field == "server"
    assert RemoteBackend("  https://Example.org:8443/base/ ").url == "https://Example.org:8443/base"


@contextlib.contextmanager
def serving(handler: Callable[..., http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """A plain HTTP server on a loopback port, in a thread; yields its URL."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def foreign_server(tmp_path: Path) -> Iterator[str]:
    """A plain static web server: something that is not reserver."""
    (tmp_path / "index.html").write_text("<html>hello</html>")
    (tmp_path / "api" / "v1").mkdir(parents=True)
    (tmp_path / "api" / "v1" / "me").write_text("<html>me</html>")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    with serving(handler) as url:
        yield url


def test_a_server_that_is_not_reserver(foreign_server: str) -> None:
    remote = RemoteBackend(foreign_server)
    with pytest.raises(ServerUnreachableError, match="is it a reserver server"):
        remote.list_resources()
    with pytest.raises(ServerUnreachableError, match="not reserver's JSON"):
        remote.whoami()
    remote.close()


ODD_ANSWERS: dict[tuple[str, str], tuple[int, object]] = {
    ("GET", "/resources"): (200, [{"id": 1, "name": "lacks every other field"}]),
    ("GET", "/reservations/my"): (200, {"not": "a list"}),
    ("GET", "/resources/1"): (200, {"id": "one", "created_at": "yesterday"}),
    ("POST", "/reservations"): (409, {"detail": "taken", "code": "conflict", "conflicts": [7]}),
    ("PUT", "/resources/1/status/available"): (
        400,
        {"detail": "down", "code": "unavailable", "until": "when it is fixed"},
    ),
}


@pytest.fixture
def odd_server() -> Iterator[str]:
    """A server that answers reserver's routes with JSON of the wrong shape."""

    class OddHandler(http.server.BaseHTTPRequestHandler):
        def answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            path = self.path.split("?")[0].removeprefix(API_PREFIX)
            status, body = ODD_ANSWERS.get((self.command, path), (404, {}))
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = answer

        def log_message(self, *args: object) -> None:
            pass

    with serving(OddHandler) as url:
        yield url


def test_json_of_the_wrong_shape_is_a_foreign_server(odd_server: str) -> None:
    remote = RemoteBackend(odd_server, token="any")
    start = datetime(2026, 12, 1, 10, tzinfo=UTC)
    calls: list[Callable[[], object]] = [
        remote.list_resources,
        remote.my_reservations,
        lambda: remote.get_resource(1),
        lambda: remote.book(1, start, start + timedelta(hours=1)),
        lambda: remote.end_maintenance(1),
    ]
    for call in calls:
        with pytest.raises(ServerUnreachableError, match=f"the server at {odd_server} answered"):
            call()
    remote.close()


def test_an_unknown_route_on_a_reserver_server(live_server: LiveServer) -> None:
    remote = RemoteBackend(live_server.url + "/api")
    with pytest.raises(NotFoundError, match="an older reserver"):
        remote.list_resources()
    remote.close()
