"""Several users' HTTP clients racing to book overlapping series on one resource, through two
server replicas of one PostgreSQL database, round after round: never a double booking,
every series whole or absent unless it skipped (a refused one: 409 `code: series`, and no
series row left behind), every left-out date held by another racer. The rounds and the
verdict are those of the processes' race, tests/core/test_series_races.py.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from support.series_races import (
    RACERS,
    ROUNDS,
    ZONE,
    Attempt,
    attempt_over_http,
    check_race,
    fewest_in_flight,
    racer_name,
    read_store,
    skips,
)
from support.servers import LiveServer

SERIES_PATH = '"path": "/api/v1/reservations/series"'


def race(
    client: httpx.Client,
    racer: int,
    resource_id: int,
    first: datetime,
    barrier: threading.Barrier,
    attempts: list[Attempt],
) -> None:
    """One racing client: every round, wait for the others, then book its series."""
    for round_number in range(ROUNDS):
        barrier.wait(timeout=120)
        began = time.monotonic()
        outcome, series_id, dates = attempt_over_http(
            client, resource_id, first.date(), round_number, racer
        )
        attempts.append(
            Attempt(
                round_number,
                racer,
                skips(round_number, racer),
                outcome,
                series_id,
                dates,
                began,
                time.monotonic(),
            )
        )


@pytest.mark.slow
@pytest.mark.postgres
def test_clients_on_two_replicas_racing_overlapping_series_never_double_book_nor_book_in_part(
    live_server_factory: Callable[..., LiveServer], postgres_url: str
) -> None:
    servers = [live_server_factory(postgres_url), live_server_factory(postgres_url)]
    admin_token = servers[0].user("admin")
    with servers[0].client(admin_token) as admin:
        response = admin.post("/resources", json={"name": "Contested"})
        assert response.status_code == 201, response.text
        room = response.json()["id"]
    # The servers run on the real clock: the rounds begin the day after tomorrow.
    first = datetime.now(ZoneInfo(ZONE)) + timedelta(days=2)
    clients = [
        servers[racer % 2].client(servers[0].user(racer_name(racer))) for racer in range(RACERS)
    ]
    barrier = threading.Barrier(RACERS)
    attempts: list[Attempt] = []
    failures: list[BaseException] = []

    def run(racer: int) -> None:
        try:
            race(clients[racer], racer, room, first, barrier, attempts)
        except BaseException as exc:  # the test thread reports it
            barrier.abort()
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(racer,)) for racer in range(RACERS)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=600)
    finally:
        for client in clients:
            client.close()
    assert failures == []
    check_race(attempts, read_store(postgres_url), room, first.date())
    assert fewest_in_flight(attempts) >= 2
    for server in servers:
        assert '"status": 5' not in server.log()
        # Every all-or-nothing round has a loser on each replica.
        assert f'{SERIES_PATH}, "status": 409' in server.log()
