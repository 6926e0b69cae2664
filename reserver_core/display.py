"""The human wording of times, windows, durations, errors and events.

Times are shown in the reader's time zone; `describe_window` is the one UTC
wording, kept in history details and in error messages of the core.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from reserver_core.errors import (
    ConflictError,
    PolicyError,
    ReserverError,
    StoreError,
    UnavailableError,
)
from reserver_core.schemas import (
    Allowance,
    Closure,
    EventInfo,
    ImportReport,
    ReservationInfo,
    ResourceInfo,
)

_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_time(value: datetime, tz: ZoneInfo, *, now: datetime) -> str:
    """Show the instant `value` as local time in `tz`, e.g. "Tue 1 Dec 14:00 CET"; the
    year is added when it is not the year of `now` there ("Tue 1 Jan 2030 14:00 CET")."""
    local = _local(value, tz)
    return f"{day_label(local.date(), tz, now=now)} {local:%H:%M} {_abbreviation(local)}"


def format_window(start: datetime, end: datetime, tz: ZoneInfo, *, now: datetime) -> str:
    """Show `[start, end)` in `tz`, e.g. "Tue 1 Dec 14:00-15:30 CET"; the date once if shared,
    each date with its year when that is not the year of `now`."""
    first = _local(start, tz)
    last = _local(end, tz)
    if first.date() != last.date():
        return f"{format_time(start, tz, now=now)} - {format_time(end, tz, now=now)}"
    first_zone = _abbreviation(first)
    last_zone = _abbreviation(last)
    day = day_label(first.date(), tz, now=now)
    if first_zone == last_zone:
        return f"{day} {first:%H:%M}-{last:%H:%M} {last_zone}"
    return f"{day} {first:%H:%M} {first_zone}-{last:%H:%M} {last_zone}"


def short_window(start: datetime, end: datetime, tz: ZoneInfo, *, now: datetime) -> str:
    """`[start, end)` in `tz` for a narrow list that names its zone elsewhere:
    "Tue 1 Dec 14:00-15:30", "Tue 1 Dec 23:00 - Wed 2 Dec 01:00", years as `format_time`."""
    first = _local(start, tz)
    last = _local(end, tz)
    begins = f"{day_label(first.date(), tz, now=now)} {first:%H:%M}"
    if first.date() == last.date():
        return f"{begins}-{last:%H:%M}"
    return f"{begins} - {day_label(last.date(), tz, now=now)} {last:%H:%M}"


def day_label(day: date, tz: ZoneInfo, *, now: datetime) -> str:
    """A local day as people read it, "Tue 1 Dec", with the year when it is not the
    current year in `tz` ("Tue 1 Jan 2030")."""
    label = f"{_DAY_NAMES[day.weekday()]} {day.day} {_MONTH_NAMES[day.month - 1]}"
    return label if day.year == _local(now, tz).year else f"{label} {day.year}"


def month_label(day: date, tz: ZoneInfo, *, now: datetime) -> str:
    """The month of a local day as a heading, "Dec", with the year when it is not the
    current year in `tz` ("Jan 2027")."""
    label = _MONTH_NAMES[day.month - 1]
    return label if day.year == _local(now, tz).year else f"{label} {day.year}"


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


def describe_maintenance(resource: ResourceInfo, now: datetime, tz: ZoneInfo) -> str:
    """A resource's maintenance window in words, "" when it has none or it is over:
    "until ... (reason)" while it lasts, "from ... until ... (reason)" ahead of it."""
    since, until = resource.unavailable_since, resource.maintenance_until
    if since is None or until is None or until <= now:
        return ""
    why = f" ({resource.maintenance_reason})" if resource.maintenance_reason else ""
    if since > now:
        return (
            f"from {format_time(since, tz, now=now)} until {format_time(until, tz, now=now)}{why}"
        )
    return f"until {format_time(until, tz, now=now)}{why}"


def wait_text(seconds: int) -> str:
    """A wait as people say it: "45 seconds", "15 minutes" (minutes rounded up, so that
    trying again at the minute said works)."""
    if seconds < 60:
        return counted(seconds, "second")
    return counted(-(-seconds // 60), "minute")


def describe_import(report: ImportReport) -> str:
    """What an import did, for people: "Imported 3 resources: 1 new, 1 updated,
    1 unchanged; skipped 2 bad lines" (the parts only when it updated)."""
    written = report.created_count + report.updated_count + report.unchanged_count
    text = f"Imported {counted(written, 'resource')}"
    if report.updated_count or report.unchanged_count:
        text += (
            f": {report.created_count} new, {report.updated_count} updated, "
            f"{report.unchanged_count} unchanged"
        )
    if report.skipped_count:
        text += f"; skipped {counted(report.skipped_count, 'bad line')}"
    return text


def describe_window(start: datetime, end: datetime) -> str:
    """A window in UTC for messages and history: `2026-12-01 14:00-15:00 UTC`."""
    if start.date() == end.date():
        return f"{start:%Y-%m-%d %H:%M}-{end:%H:%M} UTC"
    return f"{start:%Y-%m-%d %H:%M} - {end:%Y-%m-%d %H:%M} UTC"


def already_booked(resource: str, windows: str) -> str:
    """The sentence refusing a booking that clashes with `windows` on `resource`."""
    return f"{resource} is already booked {windows}, which conflicts with that time"


def under_maintenance(resource: str, window: str, reason: str) -> str:
    """The sentence refusing a booking that overlaps the maintenance `window` of `resource`."""
    why = f" ({reason})" if reason else ""
    return f"{resource} is under maintenance {window}{why}, which overlaps that time"


def next_free_text(start: datetime, end: datetime, tz: ZoneInfo, *, now: datetime) -> str:
    """The free slot offered after a clash, e.g. "next free 1h slot: Wed 2 Dec 15:30-16:30 CET"."""
    return (
        f"next free {format_duration(end - start)} slot: {format_window(start, end, tz, now=now)}"
    )


def describe_error(error: ReserverError, tz: ZoneInfo, *, now: datetime) -> str:
    """A domain error as a sentence for people: the times it names shown in `tz`, not UTC,
    and which store failed and why when known (the store is theirs)."""
    if isinstance(error, ConflictError) and error.windows and error.resource:
        clashes = ", ".join(format_window(w.start, w.end, tz, now=now) for w in error.windows)
        return already_booked(error.resource, clashes)
    if isinstance(error, UnavailableError) and error.until is not None and error.resource:
        if error.since is None:
            until = format_time(error.until, tz, now=now)
            return f"{error.resource} is under maintenance until {until}"
        window = format_window(error.since, error.until, tz, now=now)
        return under_maintenance(error.resource, window, error.reason)
    if isinstance(error, PolicyError) and error.rule == "max_hours_per_week":
        return _week_refusal_again(error, tz) or error.message
    if isinstance(error, StoreError) and error.details:
        return f"{error.message}: {error.details}"
    return error.message


WEEK = timedelta(days=7)


def where_text(scope: str) -> str:
    """Where an allowance counts, after a figure: " on tag 'gpu'", " across all resources"."""
    if scope == "the default policy":
        return " across all resources"
    return f" on {scope}"


def hours_text(value: float) -> str:
    """A number of hours as "6h" or "1.5h"."""
    rounded = round(value, 2)
    if rounded == int(rounded):
        return f"{int(rounded)}h"
    return f"{rounded:g}h"


def week_refusal_text(
    requested: float,
    total: float,
    limit: float,
    scope: str,
    current: float,
    window_start: datetime,
    tz: ZoneInfo,
) -> str:
    """The refusal of a booking that would pass a weekly allowance, the week's days in `tz`:
    "this 3h booking would bring you to 9h of your 8h per week on tag 'gpu' (you hold 6h
    between Mon 30 Nov and Sun 6 Dec)"."""
    first = window_start.astimezone(tz).date()
    last = (window_start + WEEK - timedelta(microseconds=1)).astimezone(tz).date()
    return (
        f"this {hours_text(requested)} booking would bring you to {hours_text(total)} of your "
        f"{hours_text(limit)} per week{where_text(scope)} (you hold {hours_text(current)} "
        f"between {_DAY_NAMES[first.weekday()]} {first.day} {_MONTH_NAMES[first.month - 1]} and "
        f"{_DAY_NAMES[last.weekday()]} {last.day} {_MONTH_NAMES[last.month - 1]})"
    )


def _week_refusal_again(error: PolicyError, tz: ZoneInfo) -> str | None:
    figures = error.figures
    try:
        return week_refusal_text(
            float(figures["requested"]),
            float(figures["would_hold"]),
            float(error.limit or 0),
            error.scope,
            float(error.current or 0),
            datetime.fromisoformat(str(figures["window_start"])),
            tz,
        )
    except (KeyError, TypeError, ValueError):
        return None


def policy_value_text(name: str, value: object) -> str:
    """A policy field's value for people: "Mon-Fri 08:00-18:00", "1h30m", "3 active
    bookings", "8h per week", closures as their specs ("2026-12-24..2026-12-26 holidays")."""
    if name == "hours":
        return _hours_for_people(value) if isinstance(value, str) and value else "always open"
    if name == "closed":
        closures = value if isinstance(value, list) else []
        return "; ".join(_closure_spec(c) for c in closures) or "no closures"
    if value is None:
        return "unset"
    if name.endswith("_minutes") and isinstance(value, int):
        return format_duration(timedelta(minutes=value))
    if name == "max_active" and isinstance(value, int):
        return counted(value, "active booking")
    if name == "max_hours_per_week" and isinstance(value, int | float):
        return f"{hours_text(value)} per week"
    return str(value)


_SPEC_DAYS = re.compile(r"\b(mon|tue|wed|thu|fri|sat|sun)\b")


def _hours_for_people(spec: str) -> str:
    if spec == "always":
        return "always open"
    return _SPEC_DAYS.sub(lambda day: day.group(1).capitalize(), spec.replace(",", ", "))


def _closure_spec(closure: Closure) -> str:
    if closure.whole_days:
        first, last = closure.start.date(), (closure.end - timedelta(days=1)).date()
        days = f"{first}" if first >= last else f"{first}..{last}"
    else:
        end = "%H:%M" if closure.start.date() == closure.end.date() else "%Y-%m-%d %H:%M"
        days = f"{closure.start:%Y-%m-%d %H:%M}..{closure.end.strftime(end)}"
    return f"{days} {closure.reason}".strip()


def allowance_text(allowance: Allowance, tz: ZoneInfo, *, now: datetime) -> str:
    """What a user holds of an allowance: "max 3 active bookings (tag 'gpu'): you hold 1,
    2 left", "max 8h per week (tag 'gpu'): you hold 6h between Tue 1 Dec and Mon 7 Dec,
    2h left"; an admin's ends "admins are exempt" instead of what is left."""
    if allowance.rule == "max_active":
        limit = counted(int(allowance.limit), "active booking")
        held = f"you hold {int(allowance.used)}"
        left = f"{int(allowance.remaining)} left"
    else:
        limit = f"{hours_text(allowance.limit)} per week"
        held = f"you hold {hours_text(allowance.used)}"
        if allowance.window_start is not None and allowance.window_end is not None:
            first = day_label(_local(allowance.window_start, tz).date(), tz, now=now)
            # The window ends at an instant, not included: its last day is the one before.
            ending = allowance.window_end - timedelta(microseconds=1)
            last = day_label(_local(ending, tz).date(), tz, now=now)
            held += f" between {first} and {last}"
        left = f"{hours_text(allowance.remaining)} left"
    tail = "admins are exempt" if allowance.exempt else left
    return f"max {limit} ({allowance.scope}): {held}, {tail}"


MOVE_ARROW = " -> "
"""Between the old and the new window in a `moved` event's details."""

_UTC_WINDOW = re.compile(
    r"(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2})-(\d{2}:\d{2}) UTC"
    r"|(\d{4}-\d{2}-\d{2} \d{2}:\d{2}) - (\d{4}-\d{2}-\d{2} \d{2}:\d{2}) UTC",
    re.ASCII,
)


def describe_move(before: tuple[datetime, datetime], after: tuple[datetime, datetime]) -> str:
    """A `moved` event's details: the old window and the new, in UTC."""
    return f"{describe_window(*before)}{MOVE_ARROW}{describe_window(*after)}"


def read_window(text: str) -> tuple[datetime, datetime] | None:
    """The window `describe_window` wrote (to the minute), or None for other text."""
    found = _UTC_WINDOW.fullmatch(text)
    if found is None:
        return None
    day, first, last, start, end = found.groups()
    if day is not None:
        start, end = f"{day} {first}", f"{day} {last}"
    return (
        datetime.fromisoformat(start).replace(tzinfo=UTC),
        datetime.fromisoformat(end).replace(tzinfo=UTC),
    )


def describe_event(
    event: EventInfo, reservation: ReservationInfo, tz: ZoneInfo, *, now: datetime
) -> str:
    """An event's details for people, the windows of a booking and of a move in `tz`.

    Their stored details spell the windows in UTC; a "created" event whose details
    are not a window is shown with the reservation's window.
    """
    if event.action == "created":
        window = read_window(event.details)
        if window is None:
            window = (reservation.start_time, reservation.end_time)
        return format_window(*window, tz, now=now)
    if event.action == "moved":
        windows = [read_window(part) for part in event.details.split(MOVE_ARROW)]
        if len(windows) == 2 and None not in windows:
            return " → ".join(format_window(*w, tz, now=now) for w in windows if w is not None)
    return event.details


def _local(value: datetime, tz: ZoneInfo) -> datetime:
    if value.utcoffset() is None:
        raise ValueError("the time to show must be an aware datetime")
    return value.astimezone(tz)


def _abbreviation(local: datetime) -> str:
    return local.tzname() or ""
