"""Maintenance windows (issue 13): set ahead or from now with a reason, previewed first,
then the overlapped bookings cancelled (each history saying why) or kept."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from support.clock import NOW
from support.settings import fast_settings

from reserver_core.clock import FixedClock
from reserver_core.errors import ForbiddenError, NotFoundError, UnavailableError, ValidationError
from reserver_core.local import LocalBackend


def at(hours: float) -> datetime:
    return NOW + timedelta(hours=hours)


@pytest.fixture
def bob(local: LocalBackend) -> LocalBackend:
    return local.acting_for("bob")


@pytest.fixture
def room(local: LocalBackend) -> int:
    return local.create_resource("Room A").id


def test_a_window_ahead_blocks_bookings_only_while_it_lasts(
    local: LocalBackend, bob: LocalBackend, room: int
) -> None:
    outcome = local.schedule_maintenance(room, timedelta(hours=2), at(3), "new projector")
    assert (outcome.start_time, outcome.end_time) == (at(3), at(5))
    assert outcome.resource.status == "available"
    assert outcome.resource.maintenance_reason == "new projector"
    assert bob.book(room, at(1), at(3)).status == "active"
    assert bob.book(room, at(5), at(6)).status == "active"
    with pytest.raises(UnavailableError) as refused:
        bob.book(room, at(4), at(5.5))
    assert "2026-12-01 12:00-14:00 UTC (new projector)" in refused.value.message
    assert (refused.value.since, refused.value.until) == (at(3), at(5))
    assert refused.value.reason == "new projector"
    free = bob.next_free_slot(timedelta(hours=1), after=at(3), resource_id=room)
    assert free.start_time == at(6)


def test_the_status_is_maintenance_while_the_window_lasts_and_expiry_ends_it(
    local: LocalBackend, room: int, clock: FixedClock
) -> None:
    local.schedule_maintenance(room, timedelta(hours=2), at(1), "paint")
    assert local.get_resource(room).status == "available"
    assert [r.name for r in local.search_resources(status="maintenance")] == []
    clock.set(at(1))
    assert local.get_resource(room).status == "maintenance"
    assert [r.name for r in local.search_resources(status="maintenance")] == ["Room A"]
    assert local.resource_status(room).maintenance_reset_at == at(3)
    clock.set(at(3))
    report = local.expire()
    assert report.maintenance_reset_count == 1
    back = local.get_resource(room)
    assert (back.status, back.unavailable_since, back.maintenance_reason) == (
        "available",
        None,
        "",
    )


def test_preview_lists_the_overlapping_active_bookings_and_changes_nothing(
    local: LocalBackend, bob: LocalBackend, room: int
) -> None:
    before = bob.book(room, at(1), at(2))
    first = bob.book(room, at(2), at(3))
    second = bob.book(room, at(4), at(5))
    cancelled = bob.book(room, at(3), at(4))
    bob.cancel(cancelled.id)
    after = bob.book(room, at(6), at(7))
    seen = local.preview_maintenance(room, timedelta(hours=4), at(2), "floor")
    assert [r.id for r in seen.overlapped] == [first.id, second.id]
    assert seen.overlapped[0].username == "bob"
    assert (seen.start_time, seen.end_time, seen.reason) == (at(2), at(6), "floor")
    assert local.get_resource(room).unavailable_since is None
    assert {r.id for r in bob.my_reservations()} == {before.id, first.id, second.id, after.id}


def test_cancel_overlapped_cancels_exactly_those_and_each_history_says_why(
    local: LocalBackend, bob: LocalBackend, room: int
) -> None:
    before = bob.book(room, at(1), at(2))
    first = bob.book(room, at(2), at(3))
    second = bob.book(room, at(4), at(5))
    after = bob.book(room, at(6), at(7))
    outcome = local.schedule_maintenance(room, timedelta(hours=4), at(2), "floor", "cancel")
    assert [r.id for r in outcome.cancelled] == [first.id, second.id]
    assert all(r.status == "cancelled" for r in outcome.cancelled)
    assert outcome.kept == []
    why = "cancelled for maintenance 2026-12-01 11:00-15:00 UTC: floor"
    for held in (first, second):
        mine = bob.get_reservation(held.id)
        assert (mine.status, mine.cancellation_reason) == ("cancelled", why)
        latest = bob.history(held.id)[0]
        assert (latest.action, latest.actor, latest.details) == ("cancelled", "alice", why)
    for untouched in (before, after):
        assert bob.get_reservation(untouched.id).status == "active"
        assert len(bob.history(untouched.id)) == 1


def test_keep_overlapped_leaves_the_bookings_active(
    local: LocalBackend, bob: LocalBackend, room: int
) -> None:
    held = bob.book(room, at(2), at(3))
    outcome = local.schedule_maintenance(room, timedelta(hours=4), at(2), "", "keep")
    assert [r.id for r in outcome.kept] == [held.id]
    assert outcome.cancelled == []
    assert bob.get_reservation(held.id).status == "active"
    assert len(bob.history(held.id)) == 1


def test_the_confirm_decides_about_a_booking_made_after_the_preview(
    local: LocalBackend, bob: LocalBackend, room: int
) -> None:
    seen = local.preview_maintenance(room, timedelta(hours=4), at(2))
    assert seen.overlapped == []
    late = bob.book(room, at(3), at(4))
    outcome = local.schedule_maintenance(room, timedelta(hours=4), at(2), "", "cancel")
    assert [r.id for r in outcome.cancelled] == [late.id]
    assert bob.get_reservation(late.id).status == "cancelled"


def test_from_now_a_start_in_the_past_and_ending_early(
    local: LocalBackend, bob: LocalBackend, room: int
) -> None:
    outcome = local.schedule_maintenance(room, timedelta(minutes=90), at(-5), "leak")
    assert (outcome.start_time, outcome.end_time) == (NOW, at(1.5))
    assert outcome.resource.status == "maintenance"
    assert outcome.resource.auto_reset_hours == 2
    local.end_maintenance(room)
    back = local.get_resource(room)
    assert (back.status, back.maintenance_until, back.maintenance_reason) == ("available", None, "")
    bob.book(room, at(0.5), at(1))


def test_a_new_window_replaces_the_last(local: LocalBackend, room: int) -> None:
    local.schedule_maintenance(room, timedelta(hours=1), at(1), "first")
    local.schedule_maintenance(room, timedelta(hours=1), at(5), "second")
    info = local.get_resource(room)
    assert (info.unavailable_since, info.maintenance_reason) == (at(5), "second")


@pytest.mark.parametrize(
    ("length", "start", "reason", "choice", "field"),
    [
        (timedelta(minutes=10), None, "", "keep", "length"),
        (timedelta(hours=169), None, "", "keep", "length"),
        (timedelta(minutes=30, seconds=5), None, "", "keep", "length"),
        (timedelta(hours=1), at(24 * 367), "", "keep", "from"),
        (timedelta(hours=1), datetime(2026, 12, 2, 9, 0), "", "keep", "from"),
        (timedelta(hours=1), None, "x" * 501, "keep", "reason"),
        (timedelta(hours=1), None, "bad\u202etext", "keep", "reason"),
        (timedelta(hours=1), None, "", "maybe", "overlapped"),
    ],
)
def test_bad_inputs_are_refused_naming_the_field(
    local: LocalBackend,
    room: int,
    length: timedelta,
    start: datetime | None,
    reason: str,
    choice: str,
    field: str,
) -> None:
    with pytest.raises(ValidationError) as refused:
        local.schedule_maintenance(room, length, start, reason, choice)  # type: ignore[arg-type]
    assert refused.value.field == field
    assert local.get_resource(room).unavailable_since is None


def test_only_an_admin_sets_maintenance(local: LocalBackend, bob: LocalBackend, room: int) -> None:
    with pytest.raises(ForbiddenError):
        bob.preview_maintenance(room, timedelta(hours=1))
    with pytest.raises(ForbiddenError):
        bob.schedule_maintenance(room, timedelta(hours=1), None, "", "cancel")
    with pytest.raises(NotFoundError):
        local.preview_maintenance(999, timedelta(hours=1))
    with pytest.raises(NotFoundError):
        local.schedule_maintenance(999, timedelta(hours=1))


def test_a_long_reason_still_fits_the_cancellation_reason(
    local: LocalBackend, bob: LocalBackend, room: int
) -> None:
    held = bob.book(room, at(1), at(2))
    local.schedule_maintenance(room, timedelta(hours=2), at(1), "r" * 500, "cancel")
    reason = bob.get_reservation(held.id).cancellation_reason or ""
    assert len(reason) == 500
    assert reason.startswith("cancelled for maintenance") and reason.endswith("…")


@pytest.mark.parametrize("kind", ["postgres", "mysql"])
def test_cancel_overlapped_on_server_databases(
    kind: str, request: pytest.FixtureRequest, clock: FixedClock
) -> None:
    url = str(request.getfixturevalue(f"{kind}_url"))
    admin = LocalBackend.open(url, fast_settings(), clock, username="alice")
    try:
        room = admin.create_resource("Room A").id
        bob = admin.acting_for("bob")
        held = bob.book(room, at(1), at(2))
        kept = bob.book(room, at(5), at(6))
        outcome = admin.schedule_maintenance(room, timedelta(hours=2), at(1), "floor", "cancel")
        assert [r.id for r in outcome.cancelled] == [held.id]
        assert bob.get_reservation(held.id).status == "cancelled"
        assert bob.get_reservation(kept.id).status == "active"
        assert bob.history(held.id)[0].details.endswith(": floor")
        with pytest.raises(UnavailableError):
            bob.book(room, at(2), at(3))
    finally:
        admin.close()


@pytest.mark.slow
def test_bookings_racing_a_window_end_cancelled_or_refused_never_active_inside(
    any_url: str, clock: FixedClock
) -> None:
    """Whatever commits first, no active booking is left inside a window set to cancel."""
    admin = LocalBackend.open(any_url, fast_settings(), clock, username="alice")
    room = admin.create_resource("Room A").id
    bookers = [
        LocalBackend.open(any_url, fast_settings(), clock, username=f"user{n}") for n in range(6)
    ]
    start = threading.Barrier(len(bookers) + 1)
    refused: list[str] = []

    def book(backend: LocalBackend, slot: int) -> None:
        start.wait()
        try:
            backend.book(room, at(1 + slot * 0.5), at(1.5 + slot * 0.5))
        except UnavailableError:
            refused.append(backend.whoami().username)

    def set_window() -> None:
        start.wait()
        admin.schedule_maintenance(room, timedelta(hours=4), at(1), "race", "cancel")

    try:
        threads = [threading.Thread(target=book, args=(b, n)) for n, b in enumerate(bookers)]
        threads.append(threading.Thread(target=set_window))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        inside = admin.resource_reservations(room, at(1), at(5))
        assert inside == []
        made = len(bookers) - len(refused)
        every = admin.all_reservations(include_cancelled=True)
        assert len(every) == made
        assert all(r.status == "cancelled" for r in every)
    finally:
        for backend in [admin, *bookers]:
            backend.close()
