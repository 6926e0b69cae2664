"""The server on a PostgreSQL cluster that goes down, freezes or holds a lock, and recovers.

A refusal for the database names neither it nor the driver's reason, the log
says once that the database is unavailable and once that it is back, a frozen
database is answered within the timeouts, and the server recovers without a
restart. The cluster is the tests' own (see `support.clusters`), never the
shared one.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from support.clusters import Cluster, own_cluster
from support.servers import LiveServer

from server.routes.health import HEALTH_TIMEOUT_SECONDS

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

Factory = Callable[..., LiveServer]

TIMEOUT = 2.0
"""The connect and statement timeouts the servers run with, in seconds."""
ENV = {
    "RESERVER_DATABASE_CONNECT_TIMEOUT": str(TIMEOUT),
    "RESERVER_DATABASE_STATEMENT_TIMEOUT": str(TIMEOUT),
}
REFUSAL = {"detail": "the database is unavailable", "code": "store"}
UNAVAILABLE = re.compile(r"the database is unavailable: (.*)")
ENDED = re.compile(r"the database outage ended after [\d.]+ s; (\d+) calls? to it failed")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with own_cluster() as made:
        yield made


def window(resource_id: int, days: int) -> dict[str, object]:
    start = (datetime.now(UTC) + timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    end = start + timedelta(hours=1)
    return {
        "resource_id": resource_id,
        "start_time": start.isoformat(),
        "end_time": end.isoformat(),
    }


def assert_names_nothing(response: httpx.Response, url: str) -> None:
    """The body shows no part of the store's URL: host, port, database, driver."""
    host_and_port, database = url.rsplit("@", 1)[1].split("/")
    host, port = host_and_port.split(":")
    for secret in (host, f":{port}", database, "psycopg"):
        assert secret not in response.text, response.text


def assert_degraded(response: httpx.Response, url: str) -> None:
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["database"] in ("unreachable", "unhealthy"), body
    assert_names_nothing(response, url)


def recovered(request: Callable[[], httpx.Response], seconds: float = 30) -> httpx.Response:
    """The first answer of `request` that is not a 503, trying for `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        response = request()
        if response.status_code != 503 or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


def outage_lines(server: LiveServer) -> tuple[list[str], list[int]]:
    """The reasons of the logged outage starts and the failure counts of their ends."""
    log = server.log()
    return UNAVAILABLE.findall(log), [int(count) for count in ENDED.findall(log)]


def book(server: LiveServer, token: str, body: dict[str, object]) -> httpx.Response:
    """POST a booking as the holder of `token`, on a connection of its own."""
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.post(f"{server.url}/api/v1/reservations", json=body, headers=headers, timeout=60)


class Timed:
    """A request running in a thread: `result()` waits for its answer, `took` its seconds."""

    def __init__(self, request: Callable[[], httpx.Response]) -> None:
        self._request = request
        self._response: httpx.Response | None = None
        self.took = 0.0
        self._thread = threading.Thread(target=self._run)
        self._thread.start()

    def _run(self) -> None:
        started = time.monotonic()
        self._response = self._request()
        self.took = time.monotonic() - started

    def result(self) -> httpx.Response:
        """The answer, once it came."""
        self._thread.join(60)
        assert self._response is not None, "no answer within 60 s"
        return self._response


@contextmanager
def row_locked(url: str, resource_id: int) -> Iterator[Callable[[], None]]:
    """The resource's row locked by another connection until `release()` or the end."""
    engine = create_engine(url, poolclass=NullPool)
    connection = engine.connect()
    lock = "SELECT id FROM resources WHERE id = :id FOR UPDATE"
    connection.execute(text(lock), {"id": resource_id})
    try:
        yield connection.rollback
    finally:
        connection.rollback()
        connection.close()
        engine.dispose()


def test_a_stopped_database_gets_plain_503s_and_two_log_lines(
    cluster: Cluster, live_server_factory: Factory
) -> None:
    url = cluster.database()
    server = live_server_factory(url, env=ENV)
    token = server.user("alice")
    with server.client(token) as member, server.client() as anyone, server.seed_client() as seed:
        scope = member.post("/resources", json={"name": "Scope"}).json()["id"]
        cluster.stop()
        try:
            refused = [
                anyone.get("/resources"),
                anyone.get("/resources/search", params={"q": "scope"}),
                member.post("/reservations", json=window(scope, 1)),
                member.get("/reservations/my"),
                seed.get("/resources"),
            ]
            for response in refused:
                assert (response.status_code, response.json()) == (503, REFUSAL)
            health = [anyone.get("/health"), seed.get("/health")]
            for response in health:
                assert_degraded(response, url)
            starts, ends = outage_lines(server)
        finally:
            cluster.start()
        back = recovered(lambda: member.get("/reservations/my"))
        assert (back.status_code, back.json()) == (200, [])
        assert member.post("/reservations", json=window(scope, 1)).status_code == 201

    # One line when the outage began, with the store and the reason for the operator...
    assert len(starts) == 1 and ends == []
    assert f"@127.0.0.1:{cluster.port}/" in starts[0] and "failed: " in starts[0]
    # ... and one when it ended, counting every call that failed in between.
    assert outage_lines(server) == (starts, [len(refused) + len(health)])
    log = server.log()
    assert "Traceback" not in log and '"status": 500' not in log


def test_a_frozen_database_is_answered_within_the_timeouts(
    cluster: Cluster, live_server_factory: Factory
) -> None:
    url = cluster.database()
    server = live_server_factory(url, env=ENV)
    token = server.user("alice")
    with server.client(token) as member:
        scope = member.post("/resources", json={"name": "Scope"}).json()["id"]
        with row_locked(url, scope):
            waiting = Timed(lambda: book(server, token, window(scope, 1)))
            time.sleep(0.5)  # the booking waits for the lock on the server...
            cluster.freeze()  # ... whose own statement_timeout cannot fire now
            try:
                # The watchdog cuts the wait short a second after the statement timeout.
                stuck = waiting.result()
                assert (stuck.status_code, stuck.json()) == (503, REFUSAL)
                assert waiting.took < TIMEOUT + 1 + 2, waiting.took
                # A pooled connection's ping, then one fresh connection: each within
                # the connect timeout (the margins are for a busy test machine).
                refused = Timed(lambda: book(server, token, window(scope, 2))).result()
                assert (refused.status_code, refused.json()) == (503, REFUSAL)
                for path in ("/api/v1/health", "/health"):
                    health = Timed(lambda path=path: httpx.get(server.url + path, timeout=30))
                    assert_degraded(health.result(), url)
                    assert health.took < HEALTH_TIMEOUT_SECONDS + 1.5, (path, health.took)
            finally:
                cluster.thaw()
        back = recovered(lambda: member.get("/reservations/my"))
        assert (back.status_code, back.json()) == (200, []), "a refused booking must not be made"
        assert member.post("/reservations", json=window(scope, 1)).status_code == 201

    starts, ends = outage_lines(server)
    assert len(starts) == 1 and len(ends) == 1 and ends[0] >= 2
    assert starts[0].endswith(f"no answer from the database server within {TIMEOUT + 1:g} s")
    log = server.log()
    assert "Traceback" not in log and '"status": 500' not in log


def test_a_booking_waits_out_a_short_lock_but_not_a_long_one(
    cluster: Cluster, live_server_factory: Factory
) -> None:
    url = cluster.database()
    server = live_server_factory(url, env=ENV)
    token = server.user("alice")
    with server.client(token) as member:
        scope = member.post("/resources", json={"name": "Scope"}).json()["id"]
        with row_locked(url, scope) as release:
            short = Timed(lambda: book(server, token, window(scope, 1)))
            time.sleep(TIMEOUT / 2)
            release()
            assert short.result().status_code == 201, short.result().text
            assert short.took >= TIMEOUT / 2 - 0.1, "the booking waited for the lock"
        with row_locked(url, scope):
            long = Timed(lambda: book(server, token, window(scope, 2)))
            assert (long.result().status_code, long.result().json()) == (503, REFUSAL)
            assert TIMEOUT - 0.2 <= long.took < TIMEOUT + 1, long.took
        # The store is fine: the next booking goes through at once.
        assert member.post("/reservations", json=window(scope, 3)).status_code == 201
    assert '"status": 500' not in server.log()
