"""Idempotency keys in the store: a twin request waits for the first and answers like it,
on every database, and the upkeep purges keys past their day."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from support.clock import NOW
from support.settings import fast_settings

from reserver_core import booking
from reserver_core.clock import FixedClock
from reserver_core.db import Database
from reserver_core.errors import ValidationError
from reserver_core.local import LocalBackend
from reserver_core.models import IdempotencyKey
from reserver_core.schemas import ReservationInfo

HOUR = timedelta(hours=1)
STORES = [
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("mysql", marks=pytest.mark.mysql),
]

WAITING_ON_A_LOCK = {
    "postgresql": "SELECT count(*) FROM pg_stat_activity "
    "WHERE datname = current_database() AND wait_event_type = 'Lock'",
    "mysql": "SELECT count(*) FROM information_schema.innodb_trx WHERE trx_state = 'LOCK WAIT'",
}


def wait_until_someone_waits(database: Database) -> None:
    """Return once another transaction waits for a lock (on SQLite, after a pause:
    the twin waits in BEGIN IMMEDIATE, which no view shows)."""
    query = WAITING_ON_A_LOCK.get(database.dialect)
    if query is None:
        time.sleep(0.3)
        return
    deadline = time.monotonic() + 30
    with database.write_engine.connect() as connection:
        while connection.execute(text(query)).scalar() == 0:
            assert time.monotonic() < deadline, "the twin request never waited"
            time.sleep(0.02)
            connection.rollback()


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest) -> Iterator[tuple[LocalBackend, LocalBackend]]:
    """An admin and bob, each with a store connection of their own."""
    url = str(request.getfixturevalue(f"{request.param}_url"))
    admin = LocalBackend.open(url, fast_settings(), FixedClock(NOW), username="alice")
    bob = LocalBackend.open(url, fast_settings(), FixedClock(NOW), username="bob")
    yield admin, bob
    bob.close()
    admin.close()


@pytest.mark.parametrize("twin_room", ["same", "other"])
def test_a_twin_request_waits_for_the_first_and_answers_like_it(
    store: tuple[LocalBackend, LocalBackend], twin_room: str
) -> None:
    admin, bob = store
    room, other = admin.create_resource("Room A").id, admin.create_resource("Room B").id
    start = NOW + HOUR
    assert bob.user is not None
    # The first request's transaction, held open: the twin meets it mid-flight.
    with admin.database.write_engine.connect() as first:
        transaction = first.begin()
        held = booking.book(first, bob.user, room, start, start + HOUR, NOW, bob.settings, "k")
        target = room if twin_room == "same" else other

        def twin() -> ReservationInfo | ValidationError:
            try:
                return bob.book(target, start, start + HOUR, idempotency_key="k")
            except ValidationError as exc:
                return exc

        with ThreadPoolExecutor(1) as pool:
            answer = pool.submit(twin)
            wait_until_someone_waits(admin.database)
            transaction.commit()
            outcome = answer.result(timeout=60)
    if twin_room == "same":
        assert outcome == bob.get_reservation(held.id)
    else:
        assert isinstance(outcome, ValidationError)
        assert f"already used for a different booking (#{held.id})" in str(outcome)
    assert [r.id for r in admin.all_reservations()] == [held.id]


def test_a_twin_request_books_when_the_first_failed(
    store: tuple[LocalBackend, LocalBackend],
) -> None:
    admin, bob = store
    room, other = admin.create_resource("Room A").id, admin.create_resource("Room B").id
    start = NOW + HOUR
    assert bob.user is not None
    with admin.database.write_engine.connect() as first:
        transaction = first.begin()
        booking.book(first, bob.user, room, start, start + HOUR, NOW, bob.settings, "k")
        with ThreadPoolExecutor(1) as pool:
            answer = pool.submit(bob.book, other, start, start + HOUR, "k")
            wait_until_someone_waits(admin.database)
            transaction.rollback()
            made = answer.result(timeout=60)
    assert [r.id for r in admin.all_reservations()] == [made.id]
    assert made.resource_id == other


def test_the_upkeep_purges_keys_past_their_day(local: LocalBackend, clock: FixedClock) -> None:
    room = local.create_resource("Room A").id
    local.book(room, NOW + 30 * HOUR, NOW + 31 * HOUR, idempotency_key="old")
    clock.set(NOW + 12 * HOUR)
    local.book(room, NOW + 32 * HOUR, NOW + 33 * HOUR, idempotency_key="young")

    def keys() -> list[str]:
        return local.database.read(lambda s: list(s.scalars(select(IdempotencyKey.key))))

    local.run_expiry()
    assert sorted(keys()) == ["old", "young"]
    clock.set(NOW + 24 * HOUR)
    local.run_expiry()
    assert keys() == ["young"]
