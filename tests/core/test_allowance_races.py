"""One user's processes racing past a per-user allowance: 16 processes of one member book
16 disjoint slots on 16 resources of tag 'gpu' at once, and exactly the tag's 3 pass,
every round, on one SQLite file (its write lock) and on MariaDB (the per-user row lock).
PostgreSQL's row lock races in tests/server/test_concurrent_allowances.py, behind two replicas.
"""

from __future__ import annotations

import multiprocessing

import pytest
from support.allowance_races import (
    LIMIT,
    RACER,
    RACERS,
    ROUNDS,
    TAG,
    AllowanceRule,
    allowance,
    check_rounds,
    fewest_in_flight,
    race_locally,
)
from support.clock import NOW
from support.settings import fast_settings

from reserver_core.clock import FixedClock
from reserver_core.local import LocalBackend
from reserver_core.schemas import PolicyScope

KINDS = ["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)]


def prepare(admin: LocalBackend, rule: AllowanceRule) -> list[int]:
    """RACERS resources of the tag, its allowance, and the racing member; the resource ids."""
    rooms = [admin.create_resource(f"GPU-{n:02d}", tags=[TAG]).id for n in range(RACERS)]
    admin.set_policy(PolicyScope("tag", tag=TAG), allowance(rule))
    assert not admin.acting_for(RACER).whoami().is_admin  # admins are exempt
    return rooms


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("rule", ["max_active", "max_hours_per_week"])
def test_sixteen_processes_of_one_user_get_exactly_the_allowance_every_round(
    kind: str, rule: AllowanceRule, request: pytest.FixtureRequest
) -> None:
    url = str(request.getfixturevalue(f"{kind}_url"))
    admin = LocalBackend.open(url, fast_settings(), FixedClock(NOW), username="alice")
    try:
        rooms = prepare(admin, rule)
        context = multiprocessing.get_context("spawn")
        with context.Manager() as manager:
            barrier = manager.Barrier(RACERS)
            outcomes = manager.list()
            processes = [
                context.Process(
                    target=race_locally, args=(url, rule, racer, rooms[racer], barrier, outcomes)
                )
                for racer in range(RACERS)
            ]
            for process in processes:
                process.start()
            for process in processes:
                process.join(timeout=600)
            assert [process.exitcode for process in processes] == [0] * RACERS
            results = list(outcomes)
        check_rounds(results, rule)
        # A real race: in every round more than LIMIT attempts were under way at once.
        assert fewest_in_flight(results) > LIMIT
        booked = admin.all_reservations(include_cancelled=True)
        assert len(booked) == LIMIT * ROUNDS
        assert {r.username for r in booked} == {RACER}
        expected_status = "cancelled" if rule == "max_active" else "active"
        assert {r.status for r in booked} == {expected_status}
    finally:
        admin.close()
