"""Every booking rule of DESIGN.md section 3, through LocalBackend on a real SQLite file."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event
from support.clock import NOW
from support.settings import fast_settings

from reserver_core.clock import FixedClock
from reserver_core.errors import (
    AuthError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    StateError,
    UnavailableError,
    ValidationError,
)
from reserver_core.local import LocalBackend


def at(hours: float) -> datetime:
    """NOW plus `hours`."""
    return NOW + timedelta(hours=hours)


@pytest.fixture
def bob(local: LocalBackend, sqlite_url: str, clock: FixedClock) -> Iterator[LocalBackend]:
    """A second user of the same store: a member."""
    backend = LocalBackend.open(sqlite_url, fast_settings(), clock, username="bob")
    yield backend
    backend.close()


@pytest.fixture
def room(local: LocalBackend) -> int:
    return local.create_resource("Room A", tags=["room"]).id


def test_a_booking_is_returned_whole_and_written_with_its_event(
    local: LocalBackend, room: int
) -> None:
    made = local.book(room, at(1), at(2))
    assert (made.resource_id, made.start_time, made.end_time) == (room, at(1), at(2))
    assert (made.status, made.username, made.created_at) == ("active", "alice", NOW)
    assert made.resource.name == "Room A" and made.resource.tags == ["room"]
    assert local.get_reservation(made.id) == made
    lab = local.create_resource("Lab", tags=["zeta", "alpha", "mid"]).id
    assert local.book(lab, at(1), at(2)).resource == local.get_resource(lab)
    assert local.get_resource(lab).tags == ["zeta", "alpha", "mid"]
    (created,) = local.history(made.id)
    assert (created.action, created.actor, created.timestamp) == ("created", "alice", NOW)
    assert "2026-12-01 10:00-11:00 UTC" in created.details


@pytest.mark.parametrize(
    ("start", "end", "field", "words"),
    [
        (at(-1), at(1), "start_time", "in the future"),
        (NOW, at(1), "start_time", "in the future"),
        (at(2), at(1), "end_time", "end must be after the start"),
        (at(1), at(1), "end_time", "end must be after the start"),
        (at(1), at(1) + timedelta(minutes=14), "end_time", "at least 15 minutes"),
        (at(1), at(25) + timedelta(minutes=1), "end_time", "at most 24 hours"),
    ],
)
def test_bad_windows_are_refused_with_the_field_and_a_reason(
    local: LocalBackend, room: int, start: datetime, end: datetime, field: str, words: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        local.book(room, start, end)
    assert refused.value.field == field
    assert words in str(refused.value)
    assert local.resource_reservations(room, at(-48), at(48)) == []


def test_the_length_limits_are_inclusive_and_configurable(
    local: LocalBackend, room: int, sqlite_url: str, clock: FixedClock
) -> None:
    local.book(room, at(1), at(1) + timedelta(minutes=15))
    local.book(room, at(2), at(26))
    strict = LocalBackend.open(
        sqlite_url,
        fast_settings(min_booking_minutes=30, max_booking_hours=2),
        clock,
        username="alice",
    )
    try:
        with pytest.raises(ValidationError, match="at least 30 minutes"):
            strict.book(room, at(30), at(30) + timedelta(minutes=20))
        with pytest.raises(ValidationError, match="at most 2 hours"):
            strict.book(room, at(30), at(33))
        strict.book(room, at(30), at(32))
    finally:
        strict.close()


def test_naive_times_are_taken_as_utc_and_offsets_are_honoured(
    local: LocalBackend, room: int
) -> None:
    naive = local.book(room, datetime(2026, 12, 2, 10, 0), datetime(2026, 12, 2, 11, 0))
    assert naive.start_time == datetime.fromisoformat("2026-12-02T10:00:00+00:00")
    offset = local.book(
        room,
        datetime.fromisoformat("2026-12-02T12:00:00+01:00"),
        datetime.fromisoformat("2026-12-02T13:00:00+01:00"),
    )
    assert offset.start_time == datetime.fromisoformat("2026-12-02T11:00:00+00:00")
    assert offset.start_time.utcoffset() == timedelta(0)


def test_the_resource_must_exist_and_be_enabled(local: LocalBackend, room: int) -> None:
    with pytest.raises(NotFoundError, match="resource 9999 not found"):
        local.book(9999, at(1), at(2))
    local.set_available(room, False)
    with pytest.raises(UnavailableError, match="Room A is disabled"):
        local.book(room, at(1), at(2))
    local.set_available(room, True)
    local.book(room, at(1), at(2))


def test_maintenance_blocks_only_the_windows_it_covers(
    local: LocalBackend, room: int, clock: FixedClock
) -> None:
    local.start_maintenance(room, auto_reset_hours=3)
    with pytest.raises(
        UnavailableError, match=r"under maintenance 2026-12-01 09:00-12:00 UTC, which overlaps"
    ):
        local.book(room, at(2), at(4))
    with pytest.raises(UnavailableError):
        local.book(room, at(1), at(2))
    after = local.book(room, at(3), at(4))
    assert after.start_time == at(3)
    local.end_maintenance(room)
    local.book(room, at(1), at(2))


def test_an_overlap_names_every_clashing_window(local: LocalBackend, room: int) -> None:
    first = local.book(room, at(1), at(2))
    second = local.book(room, at(3), at(4))
    with pytest.raises(ConflictError) as clash:
        local.book(room, at(1.5), at(3.5))
    message = str(clash.value)
    assert "Room A is already booked" in message
    assert "2026-12-01 10:00-11:00 UTC" in message and "2026-12-01 12:00-13:00 UTC" in message
    assert [(w.reservation_id, w.start, w.end) for w in clash.value.windows] == [
        (first.id, at(1), at(2)),
        (second.id, at(3), at(4)),
    ]
    for start, end in [(at(1), at(2)), (at(0.5), at(1.25)), (at(1.75), at(2.5)), (at(0.25), at(5))]:
        with pytest.raises(ConflictError):
            local.book(room, start, end)


def test_back_to_back_bookings_fit_and_other_resources_are_independent(
    local: LocalBackend, room: int
) -> None:
    local.book(room, at(1), at(2))
    local.book(room, at(2), at(3))
    local.book(room, at(0.5), at(1))
    other = local.create_resource("Room B").id
    local.book(other, at(1), at(2))
    assert len(local.resource_reservations(room, at(0), at(4))) == 3


def test_cancelled_and_expired_reservations_free_their_slot(
    local: LocalBackend, room: int, clock: FixedClock
) -> None:
    made = local.book(room, at(1), at(2))
    local.cancel(made.id)
    local.book(room, at(1), at(2))
    gone = local.book(room, at(3), at(4))
    clock.set(at(5))
    local.expire()
    assert local.get_reservation(gone.id).status == "expired"
    assert local.resource_reservations(room, at(0), at(10)) == []


def test_only_the_owner_or_an_admin_cancels(
    local: LocalBackend, bob: LocalBackend, room: int
) -> None:
    mine = bob.book(room, at(1), at(2))
    alices = local.book(room, at(3), at(4))
    with pytest.raises(
        ForbiddenError, match=f"access denied: reservation {alices.id} belongs to someone else"
    ):
        bob.cancel(alices.id)
    with pytest.raises(ForbiddenError):
        bob.get_reservation(alices.id)
    with pytest.raises(ForbiddenError):
        bob.history(alices.id)
    cancelled = local.cancel(mine.id, "  room needed for the audit  ")
    assert cancelled.status == "cancelled"
    assert cancelled.cancelled_at == NOW
    assert cancelled.cancellation_reason == "room needed for the audit"
    events = bob.history(mine.id)
    assert [(e.action, e.actor) for e in events] == [("cancelled", "alice"), ("created", "bob")]
    assert events[0].details == "room needed for the audit"


def test_cancelling_twice_or_after_the_end_is_a_clear_error(
    local: LocalBackend, room: int, clock: FixedClock
) -> None:
    made = local.book(room, at(1), at(2))
    assert local.cancel(made.id, "").cancellation_reason is None
    with pytest.raises(StateError, match=f"reservation {made.id} is already cancelled"):
        local.cancel(made.id)
    ended = local.book(room, at(3), at(4))
    clock.set(at(4))
    with pytest.raises(StateError, match="has already ended"):
        local.cancel(ended.id)
    local.expire()
    with pytest.raises(StateError, match="has already ended"):
        local.cancel(ended.id)
    with pytest.raises(NotFoundError, match="reservation 4242 not found"):
        local.cancel(4242)


def test_a_running_reservation_can_still_be_cancelled(
    local: LocalBackend, room: int, clock: FixedClock
) -> None:
    made = local.book(room, at(1), at(3))
    clock.set(at(2))
    assert local.cancel(made.id).status == "cancelled"


def test_a_reason_is_at_most_500_characters(local: LocalBackend, room: int) -> None:
    made = local.book(room, at(1), at(2))
    with pytest.raises(ValidationError) as refused:
        local.cancel(made.id, "x" * 501)
    assert refused.value.field == "reason" and "500 characters" in str(refused.value)
    assert local.get_reservation(made.id).status == "active"
    assert local.cancel(made.id, "y" * 500).cancellation_reason == "y" * 500


def test_lists_of_reservations_respect_owner_order_and_cancelled(
    local: LocalBackend, bob: LocalBackend, room: int
) -> None:
    early = bob.book(room, at(1), at(2))
    late = bob.book(room, at(5), at(6))
    bob.cancel(early.id)
    local.book(room, at(3), at(4))
    assert [r.id for r in bob.my_reservations()] == [late.id]
    assert [r.id for r in bob.my_reservations(include_cancelled=True)] == [late.id, early.id]
    assert len(local.all_reservations()) == 2
    assert len(local.all_reservations(include_cancelled=True)) == 3
    with pytest.raises(ForbiddenError, match="only an admin"):
        bob.all_reservations()


def test_anonymous_users_cannot_book(local: LocalBackend, room: int) -> None:
    anonymous = local.as_user(None)
    with pytest.raises(AuthError, match="not logged in"):
        anonymous.book(room, at(1), at(2))
    assert anonymous.get_resource(room).name == "Room A"


def test_sqlite_writes_begin_immediate_and_reads_begin_deferred(
    local: LocalBackend, room: int
) -> None:
    begins: list[tuple[str, str]] = []

    def recorder(kind: str) -> Callable[..., None]:
        def record(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
            if statement.upper().startswith("BEGIN"):
                begins.append((kind, statement.upper()))

        return record

    engines = {"write": local.database.write_engine, "read": local.database.read_engine}
    listeners = {kind: recorder(kind) for kind in engines}
    for kind, engine in engines.items():
        event.listen(engine, "before_cursor_execute", listeners[kind])
    try:
        local.book(room, at(1), at(2))
        local.cancel(local.book(room, at(3), at(4)).id)
        local.list_resources()
        local.my_reservations()
    finally:
        for kind, engine in engines.items():
            event.remove(engine, "before_cursor_execute", listeners[kind])
    assert begins.count(("write", "BEGIN IMMEDIATE")) == 3
    assert begins.count(("read", "BEGIN")) >= 2
    assert set(begins) == {("write", "BEGIN IMMEDIATE"), ("read", "BEGIN")}


def test_a_write_waits_for_another_process_writer_instead_of_failing(
    local: LocalBackend, room: int, sqlite_url: str
) -> None:
    # Another "process" (a raw connection) holds the write lock for a moment:
    # the booking waits on busy_timeout and then succeeds; reads never wait.
    path = Path(sqlite_url.removeprefix("sqlite:///"))
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.5, lambda: holder.execute("COMMIT"))
    release.start()
    try:
        assert local.get_resource(room).name == "Room A"
        made = local.book(room, at(1), at(2))
    finally:
        release.join()
        holder.close()
    assert made.status == "active"


def test_threads_sharing_one_backend_get_exactly_one_winner(local: LocalBackend, room: int) -> None:
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def contender(offset: int) -> None:
        barrier.wait()
        try:
            local.book(room, at(1) + timedelta(minutes=offset), at(2))
            outcomes.append("won")
        except ConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=contender, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict"] * 7 + ["won"]
