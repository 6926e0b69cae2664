"""The per-day slot grid of one resource, in a display time zone.

Slots are laid in real (UTC) time from each local day's start to its end, so a
day with a daylight-saving change has one hour of slots more or fewer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reserver_core.errors import ValidationError
from reserver_core.schemas import (
    DaySchedule,
    ReservationInfo,
    ResourceInfo,
    Schedule,
    Slot,
    SlotState,
)
from reserver_core.timeparse import LAST_SUPPORTED, OUT_OF_RANGE

MAX_DAYS = 62
SLOT_SIZES = (5, 10, 15, 20, 30, 60, 120)
_FIRST_DAY = date(1, 1, 2)
"""The first day a grid may show: an earlier local midnight east of UTC is before year 1."""


def zone(name: str) -> ZoneInfo:
    """The IANA zone called `name`; ValidationError for an unknown one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"unknown time zone {name!r}", "tz") from exc


def check_grid(days: int, slot_minutes: int, day_start: time, day_end: time) -> None:
    """Validate a grid request: 1-62 days, a known slot size, a non-empty day span."""
    if not 1 <= days <= MAX_DAYS:
        raise ValidationError(f"days must be between 1 and {MAX_DAYS}", "days")
    if slot_minutes not in SLOT_SIZES:
        sizes = ", ".join(str(size) for size in SLOT_SIZES)
        raise ValidationError(f"slot_minutes must be one of {sizes}", "slot_minutes")
    if day_end != time(0) and day_end <= day_start:
        raise ValidationError("the day's end must be after its start", "day_end")


def check_days(first: date, days: int) -> None:
    """Refuse a grid whose days reach outside the supported range of dates."""
    last = LAST_SUPPORTED.date() - timedelta(days=1)
    if first < _FIRST_DAY or first > last - timedelta(days=days - 1):
        noun = "day" if days == 1 else "days"
        raise ValidationError(
            f"the grid from {first} ({days} {noun}) is {OUT_OF_RANGE}", "start_day"
        )


def day_span(day: date, tz: ZoneInfo, day_start: time, day_end: time) -> tuple[datetime, datetime]:
    """The UTC instants where a local day's grid starts and ends (end 00:00 = midnight)."""
    start = datetime.combine(day, day_start, tzinfo=tz).astimezone(UTC)
    end_day = day + timedelta(days=1) if day_end == time(0) else day
    end = datetime.combine(end_day, day_end, tzinfo=tz).astimezone(UTC)
    return start, end


def days_span(first: date, days: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants where `days` whole local days from `first` start and end."""
    start, _ = day_span(first, tz, time(0), time(0))
    _, end = day_span(first + timedelta(days=days - 1), tz, time(0), time(0))
    return start, end


def build_schedule(
    resource: ResourceInfo,
    reservations: list[ReservationInfo],
    user_id: int | None,
    now: datetime,
    start_day: date,
    days: int,
    tz_name: str,
    slot_minutes: int,
    day_start: time,
    day_end: time,
    closed: Sequence[tuple[datetime, datetime]] = (),
) -> Schedule:
    """Lay the grid and mark each slot past, disabled, maintenance, mine, booked, closed (it
    meets the sorted `closed` windows: outside opening hours or in a closure) or free."""
    tz = zone(tz_name)
    step = timedelta(minutes=slot_minutes)
    ordered = sorted(reservations, key=lambda r: r.start_time)
    grid: list[DaySchedule] = []
    for offset in range(days):
        day = start_day + timedelta(days=offset)
        span_start, span_end = day_span(day, tz, day_start, day_end)
        slots: list[Slot] = []
        cursor = span_start
        while cursor < span_end:
            slot_end = min(cursor + step, span_end)
            slots.append(_slot(resource, ordered, user_id, now, cursor, slot_end, closed))
            cursor = slot_end
        grid.append(DaySchedule(day=day, slots=slots))
    return Schedule(
        resource=resource,
        timezone=tz_name,
        slot_minutes=slot_minutes,
        days=grid,
        reservations=ordered,
    )


def _slot(
    resource: ResourceInfo,
    reservations: list[ReservationInfo],
    user_id: int | None,
    now: datetime,
    start: datetime,
    end: datetime,
    closed: Sequence[tuple[datetime, datetime]],
) -> Slot:
    holder = next(
        (r for r in reservations if r.start_time < end and r.end_time > start),
        None,
    )
    state: SlotState
    if end <= now:
        state = "past"
    elif not resource.available:
        state = "disabled"
    elif (
        resource.unavailable_since is not None
        and resource.maintenance_until is not None
        and resource.unavailable_since < end
        and resource.maintenance_until > start
    ):
        state = "maintenance"
    elif holder is not None:
        state = "mine" if user_id is not None and holder.user_id == user_id else "booked"
    elif any(first < end and last > start for first, last in closed):
        state = "closed"
    else:
        state = "free"
    if holder is None:
        return Slot(start=start, end=end, state=state)
    return Slot(
        start,
        end,
        state,
        reservation_id=holder.id,
        holder=holder.username,
        series_id=holder.series_id,
    )
