"""Several users' processes racing to book overlapping series on one resource, round after
round, on one SQLite file (its write lock), on MariaDB (the resource's row lock) and on
PostgreSQL (the row lock and the exclusion constraint): never a double booking, every
series whole or absent unless it skipped, every left-out date held by another racer.
The same race over HTTP, on two replicas of one PostgreSQL: tests/server/test_concurrent_series.py.
"""

from __future__ import annotations

import multiprocessing

import pytest
from support.clock import NOW
from support.series_races import (
    LOCAL_FIRST,
    RACERS,
    check_race,
    fewest_in_flight,
    race_locally,
    racer_name,
    read_store,
)
from support.settings import fast_settings

from reserver_core.clock import FixedClock
from reserver_core.local import LocalBackend

KINDS = [
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("mysql", marks=pytest.mark.mysql),
]


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_users_racing_overlapping_series_never_double_book_nor_book_in_part(
    kind: str, request: pytest.FixtureRequest
) -> None:
    url = str(request.getfixturevalue(f"{kind}_url"))
    admin = LocalBackend.open(url, fast_settings(), FixedClock(NOW), username="alice")
    try:
        room = admin.create_resource("Contested").id
        for racer in range(RACERS):
            # Members, not admins: their allowances are counted and their rows locked.
            assert not admin.acting_for(racer_name(racer)).whoami().is_admin
    finally:
        admin.close()
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(RACERS)
        shared = manager.list()
        processes = [
            context.Process(target=race_locally, args=(url, racer, room, barrier, shared))
            for racer in range(RACERS)
        ]
        for process in processes:
            process.start()
        for process in processes:
            process.join(timeout=600)
        assert [process.exitcode for process in processes] == [0] * RACERS
        attempts = list(shared)
    check_race(attempts, read_store(url), room, LOCAL_FIRST)
    # A real race: in every round at least two attempts were under way at once.
    assert fewest_in_flight(attempts) >= 2
