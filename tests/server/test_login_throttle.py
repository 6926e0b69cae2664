"""Login and registration throttling through the real server, from several client addresses.

Linux routes all of 127.0.0.0/8 to loopback, so clients bound to 127.0.0.2,
127.0.0.3, ... reach the server on 127.0.0.1 as different addresses.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable

import httpx
import pytest
import sqlalchemy as sa
from support.servers import TEST_PASSWORD, LiveServer

from reserver_core.http_contract import API_PREFIX

WRONG = "not-the-password"


def client_from(server: LiveServer, address: str, **headers: str) -> httpx.Client:
    """A client on the server's API whose connections leave from `address`."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(
        base_url=server.url + API_PREFIX, transport=transport, headers=headers, timeout=30
    )


def log_in(client: httpx.Client, username: str, password: str) -> httpx.Response:
    return client.post("/token", data={"username": username, "password": password})


def stored_counters(database_url: str) -> list[str]:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            return list(
                connection.scalars(
                    sa.select(sa.column("key")).select_from(sa.table("rate_counters"))
                )
            )
    finally:
        engine.dispose()


def test_guesses_from_one_address_never_stop_the_owner_elsewhere(live_server: LiveServer) -> None:
    live_server.register("admin")
    with client_from(live_server, "127.0.0.2") as attacker:
        codes = [log_in(attacker, "admin", WRONG).status_code for _ in range(7)]
        assert codes == [401] * 5 + [429] * 2
        refused = log_in(attacker, "admin", TEST_PASSWORD)
        assert refused.status_code == 429
        assert "from this address" in refused.json()["detail"]
        assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    with client_from(live_server, "127.0.0.3") as owner:
        assert log_in(owner, "admin", TEST_PASSWORD).status_code == 200


def test_guesses_over_many_addresses_only_slow_the_username(live_server: LiveServer) -> None:
    live_server.register("admin")
    for n in range(10):
        with client_from(live_server, f"127.0.1.{n + 1}") as guesser:
            assert log_in(guesser, "admin", WRONG).status_code == 401
    with client_from(live_server, "127.0.0.3") as owner:
        slowed = log_in(owner, "admin", TEST_PASSWORD)
        assert slowed.status_code == 429
        wait = int(slowed.headers["Retry-After"])
        assert 1 <= wait <= 60
        time.sleep(wait)
        assert log_in(owner, "admin", TEST_PASSWORD).status_code == 200


@pytest.mark.slow
def test_a_parallel_burst_is_evaluated_only_up_to_the_limit(
    live_server_factory: Callable[..., LiveServer], any_url: str
) -> None:
    server = live_server_factory(any_url)
    server.register("admin")
    barrier = threading.Barrier(40)
    codes: Counter[int] = Counter()
    lock = threading.Lock()

    def guess() -> None:
        with client_from(server, "127.0.0.2") as client:
            barrier.wait()
            status = log_in(client, "admin", WRONG).status_code
        with lock:
            codes[status] += 1

    threads = [threading.Thread(target=guess) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == Counter({401: 5, 429: 35})


def test_usernames_of_the_wrong_form_are_refused_before_anything_is_stored(
    live_server_factory: Callable[..., LiveServer], any_url: str
) -> None:
    server = live_server_factory(any_url)
    with server.client() as client:
        for username in ("x" * 51, "y" * 100_000, "no spaces please", "ab"):
            refused = log_in(client, username, WRONG)
            assert refused.status_code == 422, refused.text
            assert "a username is 3-50 characters" in refused.json()["detail"]
        assert log_in(client, "nobody-here", WRONG).status_code == 401
    assert sorted(stored_counters(any_url)) == [
        "login:nobody-here",
        "login:nobody-here@127.0.0.1",
    ]


def test_unknown_usernames_take_as_long_as_known_ones(
    live_server_factory: Callable[..., LiveServer], sqlite_url: str
) -> None:
    server = live_server_factory(sqlite_url, env={"RESERVER_BCRYPT_ROUNDS": "10"})
    server.register("admin")

    def seconds(username: str, address: str) -> float:
        with client_from(server, address) as client:
            started = time.perf_counter()
            assert log_in(client, username, WRONG).status_code == 401
            return time.perf_counter() - started

    # Four tries each from fresh addresses stay within the throttle's limits.
    known = statistics.median(seconds("admin", f"127.0.2.{n}") for n in range(1, 5))
    unknown = statistics.median(seconds("nobody-here", f"127.0.3.{n}") for n in range(1, 5))
    # bcrypt at cost 10 takes ~50 ms here, a request without it ~3 ms.
    assert unknown > known * 0.5, (known, unknown)


def test_registrations_are_limited_per_address(
    live_server_factory: Callable[..., LiveServer], sqlite_url: str
) -> None:
    server = live_server_factory(sqlite_url, env={"RESERVER_REGISTRATION_LIMIT": "3"})
    body = {"password": TEST_PASSWORD}
    with client_from(server, "127.0.0.2") as busy:
        codes = [
            busy.post("/register", json={**body, "username": f"user-{n}"}).status_code
            for n in range(3)
        ]
        assert codes == [201, 201, 201]
        refused = busy.post("/register", json={**body, "username": "user-3"})
        assert refused.status_code == 429
        assert "at most 3 accounts an hour" in refused.json()["detail"]
        assert 3500 < int(refused.headers["Retry-After"]) <= 3600
        # The seed's path counts against the same limit.
        seed = busy.post(f"{server.url}/register", json={**body, "username": "user-4"})
        assert seed.status_code == 429
    with client_from(server, "127.0.0.3") as other:
        assert other.post("/register", json={**body, "username": "user-5"}).status_code == 201


def test_forwarded_addresses_count_only_behind_a_trusted_proxy(
    live_server_factory: Callable[..., LiveServer], sqlite_url: str
) -> None:
    plain = live_server_factory(sqlite_url)
    plain.register("admin")
    # Untrusted: the header is ignored, so changing it does not escape the count.
    codes = []
    for n in range(6):
        with client_from(plain, "127.0.0.2", **{"X-Forwarded-For": f"203.0.113.{n}"}) as c:
            codes.append(log_in(c, "admin", WRONG).status_code)
    assert codes == [401] * 5 + [429]


def test_a_trusted_proxy_passes_on_each_clients_address(
    live_server_factory: Callable[..., LiveServer], sqlite_url: str
) -> None:
    server = live_server_factory(sqlite_url, env={"RESERVER_TRUSTED_PROXIES": "127.0.0.2"})
    server.register("admin")
    behind = {"X-Forwarded-For": "198.51.100.7, 203.0.113.5"}
    with client_from(server, "127.0.0.2", **behind) as proxy:
        codes = [log_in(proxy, "admin", WRONG).status_code for _ in range(6)]
        assert codes == [401] * 5 + [429]
    # Another client behind the same proxy is not stopped ...
    with client_from(server, "127.0.0.2", **{"X-Forwarded-For": "203.0.113.6"}) as proxy:
        assert log_in(proxy, "admin", TEST_PASSWORD).status_code == 200
    # ... and a client that is not the proxy cannot pose as one by sending the header.
    with client_from(server, "127.0.0.4", **{"X-Forwarded-For": "203.0.113.9"}) as direct:
        assert [log_in(direct, "admin", WRONG).status_code for _ in range(6)][-1] == 429
    assert "login:admin@203.0.113.5" in stored_counters(sqlite_url)
