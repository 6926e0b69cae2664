"""The human wording of times, windows, durations, errors and events.

Times are shown in the reader's time zone; `describe_window` is the one UTC
wording, kept in history details and in error messages of the core.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from reserver_core.errors import ConflictError, ReserverError, StoreError, UnavailableError
from reserver_core.schemas import EventInfo, ReservationInfo

_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_time(value: datetime, tz: ZoneInfo) -> str:
    """Show the instant `value` as local time in `tz`, e.g. "Tue 1 Dec 14:00 CET"."""
    local = _local(value, tz)
    return f"{_day_label(local)} {local:%H:%M} {_abbreviation(local)}"


def format_window(start: datetime, end: datetime, tz: ZoneInfo) -> str:
    """Show `[start, end)` in `tz`, e.g. "Tue 1 Dec 14:00-15:30 CET"; the date once if shared."""
    first = _local(start, tz)
    last = _local(end, tz)
    if first.date() != last.date():
        return f"{format_time(start, tz)} - {format_time(end, tz)}"
    first_zone = _abbreviation(first)
    last_zone = _abbreviation(last)
    if first_zone == last_zone:
        return f"{_day_label(first)} {first:%H:%M}-{last:%H:%M} {last_zone}"
    return f"{_day_label(first)} {first:%H:%M} {first_zone}-{last:%H:%M} {last_zone}"


def format_duration(delta: timedelta) -> str:
    """Show `delta` in days, hours and minutes, e.g. "1d2h" or "1h30m", rounded to the minute."""
    microseconds = delta // timedelta(microseconds=1)
    sign = "-" if microseconds < 0 else ""
    minutes = (abs(microseconds) + 30_000_000) // 60_000_000
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [
        f"{count}{unit}" for count, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if count
    ]
    return sign + ("".join(parts) or "0m")


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """A count with its noun in the right number: "1 resource", "2 resources", "1,204 lines".

    `plural` is for nouns that do not just take an "s" ("1 entry", "3 entries").
    """
    word = noun if count == 1 else (plural or f"{noun}s")
    return f"{count:,} {word}"


def holder_name(reservation: ReservationInfo) -> str:
    """Who holds a reservation, or "someone" where the caller may not see who."""
    return reservation.username or "someone"


def wait_text(seconds: int) -> str:
    """A wait as people say it: "45 seconds", "15 minutes" (minutes rounded up, so that
    trying again at the minute said works)."""
    if seconds < 60:
        return counted(seconds, "second")
    return counted(-(-seconds // 60), "minute")


def describe_window(start: datetime, end: datetime) -> str:
    """A window in UTC for messages and history: `2026-12-01 14:00-15:00 UTC`."""
    if start.date() == end.date():
        return f"{start:%Y-%m-%d %H:%M}-{end:%H:%M} UTC"
    return f"{start:%Y-%m-%d %H:%M} - {end:%Y-%m-%d %H:%M} UTC"


def already_booked(resource: str, windows: str) -> str:
    """The sentence refusing a booking that clashes with `windows` on `resource`."""
    return f"{resource} is already booked {windows}, which conflicts with that time"


def next_free_text(start: datetime, end: datetime, tz: ZoneInfo) -> str:
    """The free slot offered after a clash, e.g. "next free 1h slot: Wed 2 Dec 15:30-16:30 CET"."""
    return f"next free {format_duration(end - start)} slot: {format_window(start, end, tz)}"


def describe_error(error: ReserverError, tz: ZoneInfo) -> str:
    """A domain error as a sentence for people: the times it names shown in `tz`, not UTC,
    and which store failed and why when known (the store is theirs)."""
    if isinstance(error, ConflictError) and error.windows and error.resource:
        clashes = ", ".join(format_window(w.start, w.end, tz) for w in error.windows)
        return already_booked(error.resource, clashes)
    if isinstance(error, UnavailableError) and error.until is not None and error.resource:
        return f"{error.resource} is under maintenance until {format_time(error.until, tz)}"
    if isinstance(error, StoreError) and error.details:
        return f"{error.message}: {error.details}"
    return error.message


def describe_event(event: EventInfo, reservation: ReservationInfo, tz: ZoneInfo) -> str:
    """An event's details for people; a "created" event names the booked window in `tz`.

    The stored details of a booking spell its window in UTC; a reservation's window
    never changes, so it is shown from the reservation instead.
    """
    if event.action == "created":
        return format_window(reservation.start_time, reservation.end_time, tz)
    return event.details


def _local(value: datetime, tz: ZoneInfo) -> datetime:
    if value.utcoffset() is None:
        raise ValueError("the time to show must be an aware datetime")
    return value.astimezone(tz)


def _day_label(local: datetime) -> str:
    return f"{_DAY_NAMES[local.weekday()]} {local.day} {_MONTH_NAMES[local.month - 1]}"


def _abbreviation(local: datetime) -> str:
    return local.tzname() or ""
