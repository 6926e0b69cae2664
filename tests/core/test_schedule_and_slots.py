"""The per-day slot grid in a display zone, and the next free slot."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

import pytest
from support.clock import NOW
from support.settings import fast_settings

from reserver_core.clock import FixedClock
from reserver_core.errors import NotFoundError, PolicyError, UnavailableError, ValidationError
from reserver_core.local import LocalBackend

HOUR = timedelta(hours=1)


def at(hours: float) -> datetime:
    return NOW + timedelta(hours=hours)


@pytest.mark.parametrize(
    ("day", "hours"),
    [(date(2026, 3, 28), 24), (date(2026, 3, 29), 23), (date(2026, 10, 25), 25)],
)
def test_a_dst_day_in_berlin_has_an_hour_of_slots_fewer_or_more(
    local: LocalBackend, day: date, hours: int
) -> None:
    room = local.create_resource("Room").id
    grid = local.schedule(
        room,
        start_day=day,
        days=1,
        tz="Europe/Berlin",
        slot_minutes=30,
        day_start=time(0),
        day_end=time(0),
    )
    (only,) = grid.days
    assert only.day == day and len(only.slots) == 2 * hours
    # Slots are laid in real time, back to back, from local midnight to local midnight.
    berlin_midnight = datetime.combine(day, time(0)).replace(tzinfo=UTC) - (
        timedelta(hours=2) if day.month == 10 else timedelta(hours=1)
    )
    assert only.slots[0].start == berlin_midnight
    assert all(a.end == b.start for a, b in itertools.pairwise(only.slots))
    assert only.slots[-1].end - only.slots[0].start == timedelta(hours=hours)
    assert {slot.state for slot in only.slots} == {"past"}


def test_slot_states_past_mine_booked_maintenance_and_free(
    local: LocalBackend, sqlite_url: str, clock: FixedClock
) -> None:
    room = local.create_resource("Room").id
    bob = LocalBackend.open(sqlite_url, fast_settings(), clock, username="bob")
    mine = local.book(room, at(1), at(2))  # 10:00-11:00 UTC
    theirs = bob.book(room, at(2), at(2.5))  # 11:00-11:30
    bob.close()
    clock.set(at(1.5))  # 10:30 UTC: the first half of "mine" is past
    local.start_maintenance(room, auto_reset_hours=1)  # 10:30-11:30
    grid = local.schedule(room, days=1, tz="UTC", slot_minutes=30)
    states = {slot.start.strftime("%H:%M"): slot for slot in grid.days[0].slots}
    assert states["08:00"].state == "past"
    assert (states["10:00"].state, states["10:00"].holder) == ("past", "alice")
    # Maintenance outranks the bookings it covers; "mine" and "booked" show outside it.
    assert states["10:30"].state == "maintenance"
    assert states["11:00"].state == "maintenance"
    assert states["11:30"].state == "free"
    local.end_maintenance(room)
    grid = local.schedule(room, days=2, tz="UTC", slot_minutes=30)
    states = {slot.start.strftime("%H:%M"): slot for slot in grid.days[0].slots}
    assert (states["10:30"].state, states["10:30"].reservation_id) == ("mine", mine.id)
    assert (states["11:00"].state, states["11:00"].holder) == ("booked", "bob")
    assert states["11:00"].reservation_id == theirs.id
    assert Counter(slot.state for slot in grid.days[1].slots) == {"free": 20}
    assert [r.id for r in grid.reservations] == [mine.id, theirs.id]
    local.set_available(room, False)
    grid = local.schedule(room, days=1, tz="UTC", slot_minutes=60)
    assert [slot.state for slot in grid.days[0].slots] == ["past"] * 2 + ["disabled"] * 8


def test_the_grid_starts_today_in_the_zone_asked(local: LocalBackend, clock: FixedClock) -> None:
    room = local.create_resource("Room").id
    clock.set(datetime(2026, 12, 1, 23, 30, tzinfo=UTC))  # already 2 Dec in Tokyo
    grid = local.schedule(room, tz="Asia/Tokyo", days=2, slot_minutes=60)
    assert [day.day for day in grid.days] == [date(2026, 12, 2), date(2026, 12, 3)]
    assert grid.days[0].slots[0].start == datetime(2026, 12, 1, 23, 0, tzinfo=UTC)
    assert grid.timezone == "Asia/Tokyo" and grid.slot_minutes == 60


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"days": 0}, "days"),
        ({"days": 63}, "days"),
        ({"slot_minutes": 7}, "slot_minutes"),
        ({"day_start": time(18), "day_end": time(8)}, "day_end"),
        ({"tz": "Mars/Olympus"}, "tz"),
        ({"start_day": date(9999, 12, 31)}, "start_day"),
        ({"start_day": date(9997, 12, 1), "days": 32}, "start_day"),
        ({"start_day": date(1, 1, 1), "tz": "Asia/Tokyo"}, "start_day"),
    ],
)
def test_bad_grid_requests_name_their_field(
    local: LocalBackend, options: dict[str, object], field: str
) -> None:
    room = local.create_resource("Room").id
    with pytest.raises(ValidationError) as refused:
        local.schedule(room, **options)  # type: ignore[arg-type]
    assert refused.value.field == field


def test_a_grid_may_reach_the_last_supported_day(local: LocalBackend) -> None:
    room = local.create_resource("Room").id
    grid = local.schedule(room, start_day=date(9997, 12, 1), days=31, tz="Pacific/Kiritimati")
    assert grid.days[-1].day == date(9997, 12, 31)
    first = local.schedule(room, start_day=date(1, 1, 2), days=1, tz="Asia/Tokyo")
    assert first.days[0].day == date(1, 1, 2)


def test_the_next_free_slot_on_a_resource_skips_bookings_and_maintenance(
    local: LocalBackend, clock: FixedClock
) -> None:
    room = local.create_resource("Room").id
    local.book(room, at(1), at(2))
    local.book(room, at(2), at(3))
    local.book(room, at(3.5), at(5))
    slot = local.next_free_slot(HOUR, resource_id=room)
    # 09:01 is free for 59 minutes only; 12:00-12:30 is too short; 14:00 fits.
    assert (slot.start_time, slot.end_time) == (at(5), at(6))
    assert slot.resource.id == room
    short = local.next_free_slot(timedelta(minutes=30), resource_id=room)
    assert short.start_time == at(1 / 60)
    later = local.next_free_slot(timedelta(minutes=30), after=at(2.5), resource_id=room)
    assert later.start_time == at(3)
    local.start_maintenance(room, auto_reset_hours=8)
    assert local.next_free_slot(HOUR, resource_id=room).start_time == at(8)
    local.book(room, at(8), at(9))
    assert local.next_free_slot(HOUR, resource_id=room).start_time == at(9)
    assert local.book(room, at(9), at(10)).start_time == at(9)


def test_a_free_slot_starts_on_a_whole_minute(local: LocalBackend) -> None:
    room = local.create_resource("Room").id
    seconds = timedelta(seconds=37)
    local.book(room, at(1), at(2) + seconds)  # ends at 11:00:37
    slot = local.next_free_slot(HOUR, after=at(1.5), resource_id=room)
    assert slot.start_time == at(2) + timedelta(minutes=1)
    local.book(room, at(3) + seconds, at(4))  # starts at 12:00:37: 11:01-12:01 does not fit
    assert local.next_free_slot(HOUR, after=at(1.5), resource_id=room).start_time == at(4)
    assert local.next_free_slot(HOUR, after=at(5) + seconds, resource_id=room).start_time == (
        at(5) + timedelta(minutes=1)
    )
    assert local.book(room, slot.start_time, slot.end_time - timedelta(minutes=2)).id > 0


def test_the_next_free_slot_by_tag_takes_the_earliest_enabled_resource(
    local: LocalBackend,
) -> None:
    first = local.create_resource("A", tags=["beamer"]).id
    second = local.create_resource("B", tags=["beamer"]).id
    third = local.create_resource("C", tags=["beamer"]).id
    local.create_resource("D", tags=["other"])
    local.book(first, at(0.5), at(4))
    local.book(second, at(0.5), at(2))
    local.start_maintenance(third, auto_reset_hours=1)
    slot = local.next_free_slot(HOUR, after=at(0.25), tag="BEAMER")
    assert (slot.resource.name, slot.start_time) == ("C", at(1))
    local.set_available(third, False)
    slot = local.next_free_slot(HOUR, after=at(0.25), tag="beamer")
    assert (slot.resource.name, slot.start_time) == ("B", at(2))


def test_next_free_slot_errors_say_what_is_wrong(local: LocalBackend) -> None:
    room = local.create_resource("Room", tags=["room"]).id
    with pytest.raises(ValidationError, match="name either a resource or a tag"):
        local.next_free_slot(HOUR)
    with pytest.raises(ValidationError, match="name either a resource or a tag"):
        local.next_free_slot(HOUR, resource_id=room, tag="room")
    with pytest.raises(PolicyError, match="lasts at least 15 minutes; this one lasts 5") as short:
        local.next_free_slot(timedelta(minutes=5), resource_id=room)
    assert (short.value.field, short.value.rule, short.value.scope) == (
        "duration",
        "min_length",
        "store settings",
    )
    with pytest.raises(PolicyError, match="lasts at most 24 hours; this one lasts 25") as long:
        local.next_free_slot(timedelta(hours=25), resource_id=room)
    assert long.value.rule == "max_length"
    with pytest.raises(NotFoundError, match="tag 'nothing' not found on any resource"):
        local.next_free_slot(HOUR, tag="nothing")
    with pytest.raises(NotFoundError, match="resource 999 not found"):
        local.next_free_slot(HOUR, resource_id=999)
    local.set_available(room, False)
    with pytest.raises(UnavailableError, match="Room is disabled"):
        local.next_free_slot(HOUR, resource_id=room)
