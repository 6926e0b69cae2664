"""Expiry (DESIGN.md section 4): set-based, one event per reservation, idempotent and
safe from several processes at once; maintenance returns to service by itself."""

from __future__ import annotations

import multiprocessing
from datetime import timedelta

import pytest
from sqlalchemy import event, text
from support.clock import NOW
from support.settings import fast_settings
from support.stores import run_expiry

from reserver_core.clock import FixedClock
from reserver_core.db import Database
from reserver_core.errors import ForbiddenError
from reserver_core.local import LocalBackend

DUE = 100_000


def test_expiry_marks_finished_reservations_and_ends_elapsed_maintenance(
    local: LocalBackend, sqlite_url: str, clock: FixedClock
) -> None:
    room = local.create_resource("Room").id
    lab = local.create_resource("Lab").id
    done = local.book(room, NOW + timedelta(hours=1), NOW + timedelta(hours=2))
    running = local.book(room, NOW + timedelta(hours=2), NOW + timedelta(hours=4))
    cancelled = local.book(room, NOW + timedelta(hours=5), NOW + timedelta(hours=6))
    local.cancel(cancelled.id)
    local.start_maintenance(lab, auto_reset_hours=2)
    assert local.get_resource(lab).status == "maintenance"
    clock.set(NOW + timedelta(hours=3))
    # Derived status never lags: the maintenance window has passed even before expiry.
    assert local.get_resource(lab).status == "available"
    report = local.expire()
    assert (report.expired_count, report.maintenance_reset_count) == (1, 1)
    assert report.timestamp == NOW + timedelta(hours=3)
    assert local.get_reservation(done.id).status == "expired"
    assert local.get_reservation(running.id).status == "active"
    assert local.get_reservation(cancelled.id).status == "cancelled"
    assert local.get_resource(lab).unavailable_since is None
    assert local.get_resource(lab).maintenance_until is None
    (expired, created) = local.history(done.id)
    assert (expired.action, expired.actor, expired.timestamp) == ("expired", "system", clock.now())
    assert created.action == "created"
    again = local.expire()
    assert (again.expired_count, again.maintenance_reset_count) == (0, 0)
    assert len(local.history(done.id)) == 2
    member = LocalBackend.open(sqlite_url, fast_settings(), clock, username="bob")
    try:
        with pytest.raises(ForbiddenError):
            member.expire()
    finally:
        member.close()


def test_opening_a_store_runs_expiry(sqlite_url: str, local: LocalBackend) -> None:
    room = local.create_resource("Room").id
    made = local.book(room, NOW + timedelta(hours=1), NOW + timedelta(hours=2))
    later = LocalBackend.open(
        sqlite_url, fast_settings(), FixedClock(NOW + timedelta(days=1)), username="alice"
    )
    try:
        assert later.get_reservation(made.id).status == "expired"
        assert later.upkeep.runs == 1 and later.upkeep.last_report is not None
        assert later.health().background_tasks["expiry"]["last_expired_count"] == 1
    finally:
        later.close()


def add_due_reservations(url: str, count: int) -> None:
    """`count` active one-minute reservations that ended before NOW, written in bulk."""
    admin = LocalBackend.open(url, fast_settings(), FixedClock(NOW), username="alice")
    rooms = [admin.create_resource(f"Room {index}").id for index in range(10)]
    user = admin.whoami().id
    database = admin.database
    with database.write_engine.begin() as connection:
        if database.dialect == "postgresql":
            connection.execute(
                text(
                    "INSERT INTO reservations (resource_id, user_id, start_time, end_time, "
                    "status, created_at) SELECT :first + n % 10, :user, "
                    ":now - make_interval(mins => n + 1), :now - make_interval(mins => n), "
                    "'active', :now - interval '3 days' FROM generate_series(1, :count) AS n"
                ),
                {"first": rooms[0], "user": user, "now": NOW, "count": count},
            )
        else:
            stamp = "%Y-%m-%d %H:%M:%S.%f"
            connection.exec_driver_sql(
                "INSERT INTO reservations (resource_id, user_id, start_time, end_time, status, "
                "created_at) VALUES (?, ?, ?, ?, 'active', ?)",
                [
                    (
                        rooms[n % 10],
                        user,
                        (NOW - timedelta(minutes=n + 1)).strftime(stamp),
                        (NOW - timedelta(minutes=n)).strftime(stamp),
                        (NOW - timedelta(days=3)).strftime(stamp),
                    )
                    for n in range(1, count + 1)
                ],
            )
    admin.close()


def expire_from_two_processes_at_once(url: str) -> None:
    add_due_reservations(url, DUE)
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(2)
        results = manager.list()
        processes = [
            context.Process(target=run_expiry, args=(url, barrier, results)) for _ in range(2)
        ]
        for process in processes:
            process.start()
        for process in processes:
            process.join(timeout=300)
        assert [process.exitcode for process in processes] == [0, 0]
        counts = sorted(count for count, _ in results)
        seconds = max(elapsed for _, elapsed in results)
    # One runner did all the work, the other found nothing left: nothing twice.
    assert counts == [0, DUE]
    # "A few seconds" on a loaded 2-core CI machine; the bench measures the real figure.
    assert seconds < 30
    database = Database(url, fast_settings())
    try:
        with database.read_engine.connect() as connection:
            per_status = dict(
                connection.execute(
                    text("SELECT status, count(*) FROM reservations GROUP BY status")
                ).all()
            )
            events = connection.execute(
                text(
                    "SELECT count(*), count(DISTINCT reservation_id) FROM reservation_events "
                    "WHERE action = 'expired'"
                )
            ).one()
    finally:
        database.close()
    assert per_status == {"expired": DUE}
    assert tuple(events) == (DUE, DUE)


@pytest.mark.slow
def test_expiring_100k_from_two_sqlite_processes_changes_nothing_twice(sqlite_url: str) -> None:
    expire_from_two_processes_at_once(sqlite_url)


@pytest.mark.slow
@pytest.mark.postgres
def test_expiring_100k_from_two_postgres_processes_changes_nothing_twice(
    postgres_url: str,
) -> None:
    expire_from_two_processes_at_once(postgres_url)


def statements_of_one_expiry(url: str, due: int) -> int:
    """How many SQL statements one expiry run over `due` reservations sends."""
    add_due_reservations(url, due)
    settings = fast_settings()
    backend = LocalBackend(Database.open(url, settings), settings, FixedClock(NOW))
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        statements.append(statement)

    event.listen(backend.database.write_engine, "before_cursor_execute", record)
    try:
        assert backend.run_expiry().expired_count == due
    finally:
        event.remove(backend.database.write_engine, "before_cursor_execute", record)
        backend.close()
    return len(statements)


def test_expiry_is_a_few_statements_whatever_the_row_count(sqlite_url: str) -> None:
    few = statements_of_one_expiry(sqlite_url.replace(".db", "-few.db"), 10)
    many = statements_of_one_expiry(sqlite_url.replace(".db", "-many.db"), 2000)
    # Expiry's own statements, the look for lapsed requests and offers (none here), then
    # the purges of throttle counters and idempotency keys.
    assert few == many <= 10
