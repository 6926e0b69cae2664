"""One user's HTTP clients racing past a per-user allowance on two server replicas of one
PostgreSQL database: 16 clients book 16 disjoint slots on 16 resources of tag 'gpu' at
once, and exactly the tag's 3 pass, every round; the losers get 422 naming the rule.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
from support.allowance_races import (
    LIMIT,
    RACER,
    RACERS,
    ROUNDS,
    TAG,
    AllowanceRule,
    Outcome,
    check_rounds,
    fewest_in_flight,
    refusal,
    slot,
)
from support.servers import LiveServer

FIRST = datetime(2099, 3, 2, 0, 0, tzinfo=UTC)
"""Far ahead of the servers' real clock."""


def describe(response: httpx.Response) -> str:
    """What a booking request did, in the words of `support.allowance_races`."""
    if response.status_code == 201:
        return "booked"
    body = response.json()
    if response.status_code == 422 and body.get("code") == "policy":
        return refusal(body["rule"], body["scope"], body["limit"], body["current"])
    return f"{response.status_code}: {response.text}"


def race(
    client: httpx.Client,
    rule: AllowanceRule,
    racer: int,
    resource_id: int,
    barrier: threading.Barrier,
    outcomes: list[Outcome],
) -> None:
    """One racing client: every round, wait for the others, book, wait until every attempt
    of the round is over, then cancel a max_active win."""
    for round_number in range(ROUNDS):
        start, end = slot(rule, round_number, racer, FIRST)
        body = {
            "resource_id": resource_id,
            "start_time": start.isoformat(),
            "end_time": end.isoformat(),
        }
        barrier.wait(timeout=120)
        began = time.monotonic()
        try:
            response = client.post("/reservations", json=body)
            outcome = describe(response)
        except httpx.HTTPError as exc:  # what must never happen, reported to the test
            outcome = f"{type(exc).__name__}: {exc}"
        outcomes.append((round_number, racer, outcome, began, time.monotonic()))
        barrier.wait(timeout=120)
        if outcome == "booked" and rule == "max_active":
            cancelled = client.post(f"/reservations/{response.json()['id']}/cancel")
            assert cancelled.status_code == 200, cancelled.text


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("rule", ["max_active", "max_hours_per_week"])
def test_sixteen_clients_of_one_user_on_two_replicas_get_exactly_the_allowance(
    rule: AllowanceRule, live_server_factory: Callable[..., LiveServer], postgres_url: str
) -> None:
    servers = [live_server_factory(postgres_url), live_server_factory(postgres_url)]
    first = servers[0]
    admin_token = first.user("admin")
    member_token = first.user(RACER)
    with first.client(admin_token) as admin:
        rooms = [
            admin.post("/resources", json={"name": f"GPU-{n:02d}", "tags": [TAG]}).json()["id"]
            for n in range(RACERS)
        ]
    # Set through the other replica: both must hold to it at once.
    with servers[1].client(admin_token) as admin:
        response = admin.patch(f"/policies/tags/{TAG}", json={rule: LIMIT})
        assert response.status_code == 200, response.text
    clients = [servers[n % 2].client(member_token) for n in range(RACERS)]
    barrier = threading.Barrier(RACERS)
    outcomes: list[Outcome] = []
    failures: list[BaseException] = []

    def run(racer: int) -> None:
        try:
            race(clients[racer], rule, racer, rooms[racer], barrier, outcomes)
        except BaseException as exc:  # the test thread reports it
            barrier.abort()
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(RACERS)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=600)
    finally:
        for client in clients:
            client.close()
    assert failures == []
    check_rounds(outcomes, rule)
    assert fewest_in_flight(outcomes) > LIMIT
    with first.client(admin_token) as admin:
        booked = admin.get("/reservations", params={"include_cancelled": True}).json()
    assert len(booked) == LIMIT * ROUNDS
    expected_status = "cancelled" if rule == "max_active" else "active"
    assert {r["status"] for r in booked} == {expected_status}
    for server in servers:
        assert '"status": 5' not in server.log()
    # Both replicas served winners and losers.
    for server in servers:
        assert '"path": "/api/v1/reservations", "status": 201' in server.log()
        assert '"path": "/api/v1/reservations", "status": 422' in server.log()
