"""Many clients race for one slot over HTTP: exactly one wins each round, the rest get 409."""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from support.servers import LiveServer

CLIENTS = 32
ROUNDS = 10
FIRST_SLOT = datetime(2099, 3, 2, 9, 0, tzinfo=UTC)


def race(servers: list[LiveServer]) -> list[Counter[int]]:
    """Register CLIENTS accounts, then run ROUNDS races for one slot; status counts per round."""
    first = servers[0]
    admin_token = first.user("admin")
    with first.client(admin_token) as admin:
        room = admin.post("/resources", json={"name": "Contested room"}).json()["id"]
    clients = [
        servers[index % len(servers)].client(first.user(f"racer-{index:02d}"))
        for index in range(CLIENTS)
    ]
    barrier = threading.Barrier(CLIENTS)
    results: list[Counter[int]] = []
    try:
        for round_number in range(ROUNDS):
            start = FIRST_SLOT + timedelta(hours=round_number)
            # Overlapping but different windows: the database must see the clash.
            windows = [
                (start + timedelta(minutes=index % 3 * 10), start + timedelta(minutes=45))
                for index in range(CLIENTS)
            ]

            def book(index: int, windows: list[tuple[datetime, datetime]] = windows) -> int:
                begin, end = windows[index]
                body = {
                    "resource_id": room,
                    "start_time": begin.isoformat(),
                    "end_time": end.isoformat(),
                }
                barrier.wait(timeout=60)
                response = clients[index].post("/reservations", json=body)
                if response.status_code == 409:
                    assert response.json()["conflicts"], response.text
                return response.status_code

            with ThreadPoolExecutor(CLIENTS) as pool:
                results.append(Counter(pool.map(book, range(CLIENTS))))
    finally:
        for client in clients:
            client.close()
    with first.client(admin_token) as admin:
        booked = admin.get("/reservations").json()
    assert len(booked) == ROUNDS
    ordered = sorted(booked, key=lambda r: r["start_time"])
    assert all(a["end_time"] <= b["start_time"] for a, b in itertools.pairwise(ordered))
    return results


@pytest.mark.slow
def test_one_winner_per_round_on_sqlite(
    live_server_factory: Callable[..., LiveServer], sqlite_url: str
) -> None:
    server = live_server_factory(sqlite_url)
    for counts in race([server]):
        assert counts == Counter({201: 1, 409: CLIENTS - 1})
    assert '"status": 5' not in server.log()


@pytest.mark.slow
@pytest.mark.postgres
def test_one_winner_per_round_on_postgres_with_two_servers(
    live_server_factory: Callable[..., LiveServer], postgres_url: str
) -> None:
    servers = [live_server_factory(postgres_url), live_server_factory(postgres_url)]
    for counts in race(servers):
        assert counts == Counter({201: 1, 409: CLIENTS - 1})
    for server in servers:
        assert '"status": 5' not in server.log()
    # Both processes served bookings.
    assert all('"path": "/api/v1/reservations", "status": 409' in s.log() for s in servers)
