"""No double booking under concurrency: OS processes on one SQLite file, threads with
their own connections on PostgreSQL and MariaDB, bookings and moves racing for one
slot, and lost races that end in a deadlock reported as the same conflict.
"""

from __future__ import annotations

import itertools
import multiprocessing
import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError
from support.clock import NOW
from support.settings import fast_settings
from support.stores import ROUNDS, WORKERS, contend, contend_by_moving, shared_window

from reserver_core.clock import FixedClock
from reserver_core.errors import ConflictError
from reserver_core.local import LocalBackend


def check_one_winner_per_round(
    outcomes: list[tuple[int, int, str]], rooms: tuple[int, int]
) -> None:
    unexpected = [o for o in outcomes if o[2] not in ("won", "conflict")]
    assert unexpected == []
    wins = Counter((round_number, room) for round_number, room, o in outcomes if o == "won")
    assert len(outcomes) == WORKERS * ROUNDS * 2
    assert {key: wins[key] for key in wins} == {
        (round_number, room): 1 for round_number in range(ROUNDS) for room in rooms
    }


def check_store(admin: LocalBackend, rooms: tuple[int, int]) -> None:
    everything = admin.all_reservations(include_cancelled=True)
    assert len(everything) == ROUNDS * 2
    for room in rooms:
        held = admin.resource_reservations(room, NOW, NOW + timedelta(days=10))
        assert len(held) == ROUNDS
        for earlier, later in itertools.pairwise(held):
            assert earlier.end_time <= later.start_time
    with admin.database.write_engine.connect() as connection:
        events = connection.execute(text("SELECT count(*) FROM reservation_events")).scalar()
        created = connection.execute(
            text("SELECT count(*) FROM reservation_events WHERE action = 'created'")
        ).scalar()
    assert events == created == len(everything)


def test_eight_processes_on_one_sqlite_file_never_double_book(sqlite_url: str) -> None:
    admin = LocalBackend.open(sqlite_url, fast_settings(), FixedClock(NOW), username="alice")
    rooms = (admin.create_resource("Contested").id, admin.create_resource("Shared").id)
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(WORKERS)
        outcomes = manager.list()
        processes = [
            context.Process(target=contend, args=(sqlite_url, worker, rooms, barrier, outcomes))
            for worker in range(WORKERS)
        ]
        for process in processes:
            process.start()
        for process in processes:
            process.join(timeout=300)
        assert [process.exitcode for process in processes] == [0] * WORKERS
        check_one_winner_per_round(list(outcomes), rooms)
    check_store(admin, rooms)
    admin.close()


def race_with_threads(url: str) -> None:
    admin = LocalBackend.open(url, fast_settings(), FixedClock(NOW), username="alice")
    try:
        rooms = (admin.create_resource("Contested").id, admin.create_resource("Shared").id)
        barrier = threading.Barrier(WORKERS)
        outcomes: list[tuple[int, int, str]] = []
        threads = [
            threading.Thread(target=contend, args=(url, worker, rooms, barrier, outcomes))
            for worker in range(WORKERS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        check_one_winner_per_round(outcomes, rooms)
        check_store(admin, rooms)
    finally:
        admin.close()


@pytest.mark.postgres
def test_threads_with_their_own_connections_never_double_book_on_postgres(
    postgres_url: str,
) -> None:
    race_with_threads(postgres_url)


@pytest.mark.mysql
def test_threads_with_their_own_connections_never_double_book_on_mariadb(
    mysql_url: str,
) -> None:
    race_with_threads(mysql_url)


def check_moves_and_bookings(
    admin: LocalBackend, room: int, outcomes: list[tuple[int, str]]
) -> None:
    """One winner a round, booker or mover; the store holds no overlap and one event each."""
    unexpected = [o for o in outcomes if o[1] not in ("booked", "moved", "conflict")]
    assert unexpected == []
    assert len(outcomes) == WORKERS * ROUNDS
    winners = Counter(round_number for round_number, o in outcomes if o != "conflict")
    assert winners == dict.fromkeys(range(ROUNDS), 1)
    kinds = Counter(o for _, o in outcomes)
    held = admin.resource_reservations(room, NOW, NOW + timedelta(days=30))
    for earlier, later in itertools.pairwise(held):
        assert earlier.end_time <= later.start_time
    contested = [shared_window(n) for n in range(ROUNDS)]
    assert (
        sorted((r.start_time, r.end_time) for r in held if r.start_time < NOW + timedelta(days=10))
        == contested
    )
    with admin.database.write_engine.connect() as connection:
        moved = connection.execute(
            text("SELECT count(*) FROM reservation_events WHERE action = 'moved'")
        ).scalar()
    assert moved == kinds["moved"]


def race_moves_with_threads(url: str) -> None:
    admin = LocalBackend.open(url, fast_settings(), FixedClock(NOW), username="alice")
    try:
        room = admin.create_resource("Contested").id
        barrier = threading.Barrier(WORKERS)
        outcomes: list[tuple[int, str]] = []
        threads = [
            threading.Thread(target=contend_by_moving, args=(url, worker, room, barrier, outcomes))
            for worker in range(WORKERS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        check_moves_and_bookings(admin, room, outcomes)
    finally:
        admin.close()


def test_processes_booking_and_moving_into_one_slot_never_double_book_on_sqlite(
    sqlite_url: str,
) -> None:
    admin = LocalBackend.open(sqlite_url, fast_settings(), FixedClock(NOW), username="alice")
    room = admin.create_resource("Contested").id
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(WORKERS)
        outcomes = manager.list()
        processes = [
            context.Process(
                target=contend_by_moving, args=(sqlite_url, worker, room, barrier, outcomes)
            )
            for worker in range(WORKERS)
        ]
        for process in processes:
            process.start()
        for process in processes:
            process.join(timeout=300)
        assert [process.exitcode for process in processes] == [0] * WORKERS
        check_moves_and_bookings(admin, room, list(outcomes))
    admin.close()


@pytest.mark.postgres
def test_threads_booking_and_moving_into_one_slot_never_double_book_on_postgres(
    postgres_url: str,
) -> None:
    race_moves_with_threads(postgres_url)


@pytest.mark.mysql
def test_threads_booking_and_moving_into_one_slot_never_double_book_on_mariadb(
    mysql_url: str,
) -> None:
    race_moves_with_threads(mysql_url)


@pytest.mark.postgres
def test_postgres_refuses_an_overlapping_active_row_written_with_plain_sql(
    postgres_url: str, clock: FixedClock
) -> None:
    backend = LocalBackend.open(postgres_url, fast_settings(), clock, username="alice")
    room = backend.create_resource("Room").id
    user = backend.whoami().id
    backend.book(room, NOW + timedelta(hours=1), NOW + timedelta(hours=2))
    backend.close()
    insert = text(
        "INSERT INTO reservations (resource_id, user_id, start_time, end_time, status, "
        "created_at) VALUES (:room, :user, :start, :end, :status, now())"
    )
    engine = create_engine(postgres_url)
    try:
        with engine.begin() as connection:
            # Touching and inactive rows are fine; only active overlaps are refused.
            for start, end, status in (
                (NOW + timedelta(hours=2), NOW + timedelta(hours=3), "active"),
                (NOW + timedelta(hours=1), NOW + timedelta(hours=2), "cancelled"),
            ):
                connection.execute(
                    insert,
                    {"room": room, "user": user, "start": start, "end": end, "status": status},
                )
        with pytest.raises(IntegrityError) as refused, engine.begin() as connection:
            connection.execute(
                insert,
                {
                    "room": room,
                    "user": user,
                    "start": NOW + timedelta(minutes=90),
                    "end": NOW + timedelta(minutes=150),
                    "status": "active",
                },
            )
        assert getattr(refused.value.orig, "sqlstate", None) == "23P01"
        assert "ex_reservations_no_overlap" in str(refused.value.orig)
    finally:
        engine.dispose()


FAKE_DEADLOCK = {
    "postgres": [
        "CREATE SEQUENCE booking_attempts",
        "CREATE FUNCTION refuse_as_deadlock() RETURNS trigger AS $$ BEGIN "
        "PERFORM nextval('booking_attempts'); "
        "RAISE EXCEPTION 'deadlock detected' USING ERRCODE = '40P01'; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER deadlock_on_insert BEFORE INSERT ON reservations "
        "FOR EACH ROW EXECUTE FUNCTION refuse_as_deadlock()",
    ],
    "mysql": [
        "CREATE TRIGGER deadlock_on_insert BEFORE INSERT ON reservations FOR EACH ROW "
        "SIGNAL SQLSTATE '40001' SET MYSQL_ERRNO = 1213, "
        "MESSAGE_TEXT = 'Deadlock found when trying to get lock'",
    ],
}


@pytest.mark.parametrize("kind", ["postgres", "mysql"])
def test_a_deadlock_that_outlasts_its_retry_is_the_same_conflict(
    kind: str, request: pytest.FixtureRequest, clock: FixedClock
) -> None:
    url = str(request.getfixturevalue(f"{kind}_url"))
    backend = LocalBackend.open(url, fast_settings(), clock, username="alice")
    room = backend.create_resource("Room").id
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            for statement in FAKE_DEADLOCK[kind]:
                connection.execute(text(statement))
        with pytest.raises(ConflictError, match="Room was just booked by someone else"):
            backend.book(room, NOW + timedelta(hours=1), NOW + timedelta(hours=2))
        if kind == "postgres":
            with engine.connect() as connection:
                attempts = connection.execute(text("SELECT last_value FROM booking_attempts"))
                assert attempts.scalar() == 2  # the first try and one retry
    finally:
        engine.dispose()
        backend.close()
