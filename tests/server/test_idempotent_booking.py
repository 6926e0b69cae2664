"""Retried bookings over HTTP: the `Idempotency-Key` header, twins racing with one key,
and `RemoteBackend` sending a booking again when its answer was lost on the way."""

from __future__ import annotations

import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from support.servers import LiveServer

from reserver_core.errors import ServerUnreachableError
from reserver_core.remote import RemoteBackend

START = datetime(2099, 3, 2, 9, 0, tzinfo=UTC)
TWINS = 16


def window(room: int, start: datetime = START) -> dict[str, object]:
    return {
        "resource_id": room,
        "start_time": start.isoformat(),
        "end_time": (start + timedelta(hours=1)).isoformat(),
    }


def setup_room(server: LiveServer) -> tuple[str, str, int]:
    """An admin's and bob's tokens, and a room made by the admin."""
    admin = server.user("admin")
    with server.client(admin) as client:
        room = int(client.post("/resources", json={"name": "Room A"}).json()["id"])
    return admin, server.user("bob"), room


def race_with_one_key(servers: list[LiveServer]) -> None:
    """TWINS clients of bob, spread over `servers`, send one booking with one key at
    once; a quarter of them name another room with that key."""
    first = servers[0]
    admin, bob, room = setup_room(first)
    with first.client(admin) as client:
        other = int(client.post("/resources", json={"name": "Room B"}).json()["id"])
    clients = [servers[index % len(servers)].client(bob) for index in range(TWINS)]
    targets = [other if index % 4 == 3 else room for index in range(TWINS)]
    barrier = threading.Barrier(TWINS)

    def send(index: int) -> tuple[int, int | None]:
        barrier.wait(timeout=60)
        response = clients[index].post(
            "/reservations", json=window(targets[index]), headers={"Idempotency-Key": "twin"}
        )
        return response.status_code, response.json().get("id")

    try:
        with ThreadPoolExecutor(TWINS) as pool:
            answers = list(pool.map(send, range(TWINS)))
    finally:
        for client in clients:
            client.close()
    with first.client(admin) as client:
        (booked,) = client.get("/reservations").json()
    # The twins of the first to commit get its booking; the others are told the key is taken.
    same = targets.count(booked["resource_id"])
    assert Counter(status for status, _ in answers) == Counter({201: same, 422: TWINS - same})
    assert {made for status, made in answers if status == 201} == {booked["id"]}
    for server in servers:
        assert '"status": 5' not in server.log()


def test_twins_with_one_key_book_once_on_sqlite(live_server: LiveServer) -> None:
    race_with_one_key([live_server])


@pytest.mark.postgres
def test_twins_with_one_key_book_once_on_postgres_with_two_servers(
    live_server_factory: Callable[..., LiveServer], postgres_url: str
) -> None:
    race_with_one_key([live_server_factory(postgres_url), live_server_factory(postgres_url)])


def test_the_header_replays_on_both_apis_and_is_documented(live_server: LiveServer) -> None:
    _, bob, room = setup_room(live_server)
    key = {"Idempotency-Key": "abc-1"}
    with live_server.client(bob) as v1, live_server.seed_client(bob) as seed:
        first = v1.post("/reservations", json=window(room), headers=key)
        again = v1.post("/reservations", json=window(room), headers=key)
        assert (first.status_code, again.status_code) == (201, 201)
        assert again.json() == first.json()
        moved = v1.post("/reservations", json=window(room, START + timedelta(hours=2)), headers=key)
        assert moved.status_code == 422
        assert moved.json()["field"] == "idempotency_key"
        assert "already used for a different booking" in moved.json()["detail"]
        seed_key = {"Idempotency-Key": "abc-2"}
        later = window(room, START + timedelta(hours=4))
        seed_first = seed.post("/reservations", json=later, headers=seed_key)
        seed_again = seed.post("/reservations", json=later, headers=seed_key)
        assert (seed_first.status_code, seed_again.status_code) == (201, 201)
        assert seed_again.json()["id"] == seed_first.json()["id"]
        for bad in (b"x" * 101, "café".encode(), b"\xff"):
            refused = v1.post(
                "/reservations",
                json=window(room, START + timedelta(hours=6)),
                headers={b"Idempotency-Key": bad},
            )
            assert refused.status_code == 422, refused.text
            assert refused.json()["field"] == "idempotency_key"
        assert len(v1.get("/reservations/my").json()) == 2
        schema = seed.get("/openapi.json").json()
    parameters = schema["paths"]["/api/v1/reservations"]["post"]["parameters"]
    (header,) = [p for p in parameters if p["in"] == "header"]
    assert header["name"] == "Idempotency-Key"
    assert "24 hours" in header["description"]


class AnswerLosingProxy:
    """A TCP proxy to a server that loses the answer of its first `losses` connections.

    The server gets the request whole and answers it; the client then either sees
    the connection close (`drop`) or hears nothing until it gives up (`stall`).
    Later connections pass both ways. Every first request of a connection is kept.
    """

    def __init__(self, upstream: str, losses: int, mode: str) -> None:
        self.upstream = httpx.URL(upstream)
        self.losses = losses
        self.mode = mode
        self.requests: list[bytes] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.stalled: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream = socket.create_connection((self.upstream.host, self.upstream.port or 80))
        request = _read_request(client)
        self.requests.append(request)
        upstream.sendall(request)
        if len(self.requests) <= self.losses:
            upstream.recv(65536)  # the server has booked and answers: lose the answer
            upstream.close()
            if self.mode == "stall":
                self.stalled.append(client)
            else:
                client.close()
            return
        threading.Thread(target=_pipe, args=(upstream, client), daemon=True).start()
        _pipe(client, upstream)

    def close(self) -> None:
        self.listener.close()
        for client in self.stalled:
            client.close()


def _read_request(connection: socket.socket) -> bytes:
    """One HTTP request, its body included, read whole."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += connection.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(_headers(data).get(b"content-length", b"0"))
    while len(body) < length:
        body += connection.recv(65536)
    return head + b"\r\n\r\n" + body


def _headers(request: bytes) -> dict[bytes, bytes]:
    lines = request.partition(b"\r\n\r\n")[0].split(b"\r\n")[1:]
    pairs = (line.partition(b":") for line in lines)
    return {name.strip().lower(): value.strip() for name, _, value in pairs}


def _pipe(source: socket.socket, target: socket.socket) -> None:
    try:
        while chunk := source.recv(65536):
            target.sendall(chunk)
    except OSError:
        pass
    finally:
        target.close()


@pytest.fixture
def losing_proxy(live_server: LiveServer) -> Iterator[Callable[..., AnswerLosingProxy]]:
    made: list[AnswerLosingProxy] = []

    def make(losses: int, mode: str = "drop") -> AnswerLosingProxy:
        proxy = AnswerLosingProxy(live_server.url, losses, mode)
        made.append(proxy)
        return proxy

    yield make
    for proxy in made:
        proxy.close()


@pytest.mark.parametrize("mode", ["drop", "stall"])
def test_a_booking_whose_answer_was_lost_is_sent_again_and_booked_once(
    live_server: LiveServer, losing_proxy: Callable[..., AnswerLosingProxy], mode: str
) -> None:
    _, bob, room = setup_room(live_server)
    proxy = losing_proxy(1, mode)
    remote = RemoteBackend(proxy.url, bob, timeout=httpx.Timeout(2.0))
    booked = remote.book(room, START, START + timedelta(hours=1))
    remote.close()
    first, retry = proxy.requests
    assert first.startswith(b"POST /api/v1/reservations ") and retry == first
    key = _headers(first)[b"idempotency-key"]
    assert len(key) == 32
    with live_server.client(bob) as client:
        mine = client.get("/reservations/my").json()
    assert [r["id"] for r in mine] == [booked.id]
    # A key of the caller's is the one sent; each call without one sends a new one.
    proxy = losing_proxy(1, mode)
    later = START + timedelta(hours=2)
    for given in ("mine", None):
        remote = RemoteBackend(proxy.url, bob, timeout=httpx.Timeout(2.0))
        remote.book(room, later, later + timedelta(hours=1), idempotency_key=given)
        remote.close()
        later += timedelta(hours=2)
    sent = [_headers(request)[b"idempotency-key"] for request in proxy.requests]
    assert sent[:2] == [b"mine", b"mine"]
    assert sent[2] not in (b"mine", key)


def test_a_booking_lost_twice_is_unreachable_and_other_calls_are_not_sent_again(
    live_server: LiveServer, losing_proxy: Callable[..., AnswerLosingProxy]
) -> None:
    _, bob, room = setup_room(live_server)
    proxy = losing_proxy(2)
    remote = RemoteBackend(proxy.url, bob)
    with pytest.raises(ServerUnreachableError, match="cannot reach server"):
        remote.book(room, START, START + timedelta(hours=1))
    remote.close()
    assert len(proxy.requests) == 2
    # Booked on the first try all the same, as a retry with that key would find.
    with live_server.client(bob) as client:
        (made,) = client.get("/reservations/my").json()
    proxy = losing_proxy(1)
    remote = RemoteBackend(proxy.url, bob)
    with pytest.raises(ServerUnreachableError):
        remote.cancel(made["id"])
    remote.close()
    assert len(proxy.requests) == 1
