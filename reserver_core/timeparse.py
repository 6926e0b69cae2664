"""Reading times and durations typed in the user's time zone (`display` shows them).

Storage and the wire are UTC; people type local wall times. A point
in time (such as a start) can be given as:

  2026-12-01 14:00          ISO 8601 date and time in your time zone; a T may
                            replace the space and seconds may follow (14:00:30)
  2026-12-01T14:00+01:00    ISO 8601 with an offset (+HH:MM, +HHMM or Z):
                            exactly that instant, whatever your time zone
  now                       this moment
  14:00                     today at 14:00 (9:30 works as well as 09:30)
  today 14:00               the same, spelled out
  tomorrow 9:30             tomorrow at 9:30
  mon 10:00                 the next Monday after today at 10:00; mon tue wed
                            thu fri sat sun or monday ... sunday; today is
                            never meant, use "today" for today
  +45m  +2h  +1h30m  +1d    that long from now, to the minute (the seconds of
                            now are dropped): a plus sign and a duration in
                            the units form below; exact elapsed time, so +1d is
                            24 hours even across a daylight-saving change

An end (of a booking, of a search window) can be given in any of these forms
and must come after the start. A bare time of day is the first such time after the
start: from 23:00, an end of 01:00 is 01:00 the next day, two hours later. An end
with a day or a date (tomorrow 01:00, 2026-12-02 01:00) means just that.

Hours run 0-23 and minutes 00-59 (24:00 is not accepted). Letters may be in
any case. A date needs a time (2026-12-01 alone is rejected). A local time
that does not exist (skipped when the clocks go forward) or that happens twice
(when they go back) is rejected rather than guessed; add an offset to pick one.

A duration can be given as:

  90m  45min  1h  2hrs  1h30m  1d  1d2h    numbers with units, largest first
  1.5h                                     decimals, if they come to whole minutes
  1:30                                     hours:minutes

Units: d (day, days), h (hr, hrs, hour, hours), m (min, mins, minute, minutes).
Every number needs a unit (1h30 is rejected) and a duration must be longer
than zero.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reserver_core.errors import ValidationError

__all__ = [
    "add_length",
    "check_day",
    "localize",
    "parse_clock",
    "parse_date",
    "parse_day",
    "parse_duration",
    "parse_end",
    "parse_instant",
    "parse_wall_time",
    "parse_when",
    "resolve_zone",
    "zone_name",
]

LAST_SUPPORTED = datetime(9998, 1, 1, tzinfo=UTC)
"""The first instant reserver refuses: far enough from datetime's end (9999-12-31)
that a year's search ahead or a shift into any time zone still fits."""
OUT_OF_RANGE = "out of the supported range of dates (the years 1 to 9997)"

ETC_TIMEZONE = Path("/etc/timezone")
ETC_LOCALTIME = Path("/etc/localtime")

_WHEN_FORMS = (
    "accepted forms: 2026-12-01 14:00 (ISO 8601; seconds and an offset such as +01:00 or Z "
    "are optional), now, 14:00, today 14:00, tomorrow 9:30, a weekday and a time such as "
    "mon 10:00 (the next Monday after today), or a time from now such as +45m, +2h, +1h30m "
    "or +1d"
)
_RELATIVE_FORMS = "write a plus sign and a duration, such as +45m, +2h, +1h30m or +1d"
_DURATION_FORMS = (
    "accepted forms: 90m, 45min, 1h, 1h30m, 1.5h, 1d, 1d2h or hours:minutes such as 1:30; "
    "every number needs a unit (d, h or m)"
)
_INSTANT_FORMS = (
    "use ISO 8601 such as 2026-12-01T14:00:00Z or 2026-12-01T14:00:00+01:00 "
    "(without an offset the time is taken as UTC)"
)
_WALL_FORMS = (
    "use ISO 8601 such as 2026-12-01T14:00 (a wall time in the zone given) or "
    "2026-12-01T14:00+01:00 (that instant)"
)
_ZONE_HINT = "use an IANA name such as Europe/Berlin, America/New_York or UTC"

_WEEKDAYS = {
    name: index
    for index, names in enumerate(
        [
            ("mon", "monday"),
            ("tue", "tuesday"),
            ("wed", "wednesday"),
            ("thu", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        ]
    )
    for name in names
}
_DAY_WORDS = {"today", "tomorrow", *_WEEKDAYS}
# Fixed English names: strftime's %a and %b follow the process locale.

# re.ASCII everywhere: \d would otherwise accept digits of every script.
_ISO_RE = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})(?:t|\s+)"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d+))?)?"
    r"(?P<offset>z|(?P<sign>[+-])(?P<offset_hours>\d{2}):?(?P<offset_minutes>\d{2}))?",
    re.ASCII,
)
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}t?", re.ASCII)
_DAY_RE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_CLOCK_RE = re.compile(r"(?:(?P<word>[a-z]+)\s+)?(?P<hour>\d{1,2}):(?P<minute>\d{2})", re.ASCII)
_NUMBER = r"\d+(?:\.\d+)?"
_UNITS_RE = re.compile(
    rf"(?:(?P<days>{_NUMBER})\s*(?:d|days?)\s*)?"
    rf"(?:(?P<hours>{_NUMBER})\s*(?:h|hrs?|hours?)\s*)?"
    rf"(?:(?P<minutes>{_NUMBER})\s*(?:m|mins?|minutes?))?",
    re.ASCII,
)
_BARE_CLOCK_RE = re.compile(r"(?P<hour>\d{1,2}):(?P<minute>\d{2})", re.ASCII)
_DURATION_CLOCK_RE = re.compile(r"(?P<hours>\d+):(?P<minutes>\d{2})", re.ASCII)
_ZONEINFO_PATH_RE = re.compile(r"zoneinfo[^/]*/(?P<key>.+)$")


def resolve_zone(name: str | None) -> ZoneInfo:
    """Return the IANA zone `name`, or with None the system's zone (UTC if none is found)."""
    if name is None:
        return system_zone()
    zone = _load_zone(name.strip())
    if zone is None:
        raise ValidationError(f"unknown time zone {name!r}; {_ZONE_HINT}", "tz")
    return zone


def zone_name(tz: ZoneInfo) -> str:
    """Return the IANA name of `tz`, e.g. "Europe/Berlin"."""
    return tz.key


def localize(naive: datetime, tz: ZoneInfo, *, field: str | None = None) -> datetime:
    """Return the UTC instant that wall time `naive` names in `tz`; gaps and repeats are errors."""
    if naive.tzinfo is not None:
        raise ValueError("localize() needs a naive datetime")
    wall = _wall_text(naive)
    instants: set[datetime] = set()
    for fold in (0, 1):
        instant = _to_utc(wall, naive.replace(tzinfo=tz, fold=fold), field)
        # Only readings that survive the trip through UTC name this wall time:
        # none do in a gap, both do (as different instants) in a fold.
        if instant.astimezone(tz).replace(tzinfo=None) == naive:
            instants.add(instant)
    if not instants:
        raise ValidationError(
            f"{wall} does not exist in {zone_name(tz)} (clocks skip forward at the DST change); "
            "choose another time",
            field,
        )
    if len(instants) > 1:
        choices = " or ".join(
            f"{naive.isoformat(timespec='minutes')}{_offset_text(instant.astimezone(tz))}"
            for instant in sorted(instants)
        )
        raise ValidationError(
            f"{wall} is ambiguous in {zone_name(tz)} (clocks go back at the DST change, so it "
            f"happens twice); add an offset to choose: {choices}",
            field,
        )
    return instants.pop()


def parse_when(text: str, now: datetime, tz: ZoneInfo, field: str = "start") -> datetime:
    """Read a point in time in one of the forms in the module docs; return it as aware UTC."""
    _require_aware(now, "now")
    raw = text.strip()
    value = raw.lower()
    if not value:
        raise ValidationError(f"no time given; {_WHEN_FORMS}", field)
    if value == "now":
        return now.astimezone(UTC)
    if value.startswith("+"):
        return _parse_relative(raw, value[1:], now, field)
    iso = _ISO_RE.fullmatch(value)
    if iso is not None:
        naive, offset = _iso_parts(raw, iso, field)
        if offset is None:
            return localize(naive, tz, field=field)
        return _to_utc(raw, naive.replace(tzinfo=offset), field)
    if _DATE_RE.fullmatch(value):
        raise ValidationError(
            f"{raw!r} has no time of day; add one, e.g. '{value[:10]} 14:00'", field
        )
    clock = _CLOCK_RE.fullmatch(value)
    if clock is not None:
        day = _day_for(raw, clock["word"], now.astimezone(tz).date(), field)
        hour, minute = _clock(raw, clock, field)
        return localize(datetime.combine(day, time(hour, minute)), tz, field=field)
    if value in _DAY_WORDS:
        raise ValidationError(f"{raw!r} has no time of day; add one, e.g. '{value} 14:00'", field)
    raise ValidationError(f"cannot read {raw!r} as a time; {_WHEN_FORMS}", field)


def parse_end(
    text: str, start: datetime, now: datetime, tz: ZoneInfo, field: str = "end"
) -> datetime:
    """Read the end of a window starting at `start`; it must come after the start.

    A bare `HH:MM` is the first such local time after the start, so 23:00 to 01:00 is
    two hours; any other form of `parse_when` (a day, a date, +45m) keeps its meaning.
    """
    raw = text.strip()
    clock = _BARE_CLOCK_RE.fullmatch(raw)
    if clock is None:
        end = parse_when(raw, now, tz, field=field)
    else:
        end = _clock_after(raw, clock, start, tz, field)
    if end <= start:
        raise ValidationError(
            f"the end {raw!r} is not after the start "
            f"({start.astimezone(tz):%Y-%m-%d %H:%M}); give a later end or a length such as 90m",
            field,
        )
    return end


def _clock_after(
    raw: str, found: re.Match[str], start: datetime, tz: ZoneInfo, field: str
) -> datetime:
    hour, minute = _clock(raw, found, field)
    day = start.astimezone(tz).date()
    end = localize(datetime.combine(day, time(hour, minute)), tz, field=field)
    if end <= start:
        end = localize(
            datetime.combine(day + timedelta(days=1), time(hour, minute)), tz, field=field
        )
    return end


def add_length(start: datetime, length: timedelta, raw: str, field: str) -> datetime:
    """`start + length`, which the user typed as `raw`; ValidationError past the supported dates."""
    try:
        end = start + length
    except OverflowError:
        end = LAST_SUPPORTED
    if end >= LAST_SUPPORTED:
        raise ValidationError(f"{raw!r} ends {OUT_OF_RANGE}", field)
    return end


def check_day(text: str, field: str = "day") -> None:
    """Refuse text that is no day at all: a day is a date (2026-12-07), today, tomorrow or
    a weekday (mon); whether that date exists is for `parse_day` to say."""
    value = text.strip().lower()
    if value not in _DAY_WORDS and not _DAY_RE.fullmatch(value):
        raise ValidationError(
            f"cannot read the day {text.strip()!r}; give today, tomorrow, a weekday (mon) "
            "or a date (2026-12-07)",
            field,
        )


def parse_day(text: str, now: datetime, tz: ZoneInfo, field: str = "day") -> date:
    """Read a local day in one of the forms `check_day` names."""
    check_day(text, field)
    # Noon is never in a daylight-saving gap, so the day's name alone decides.
    return parse_when(f"{text.strip()} 12:00", now, tz, field=field).astimezone(tz).date()


def parse_clock(text: str, field: str = "time") -> time:
    """Read a time of day on no particular date: 09:30 or 9:30 (hours 0-23)."""
    raw = text.strip()
    found = _BARE_CLOCK_RE.fullmatch(raw)
    if found is None:
        raise ValidationError(
            f"cannot read {raw!r} as a time of day; give HH:MM, e.g. 09:30", field
        )
    return time(*_clock(raw, found, field))


def parse_duration(text: str, field: str = "duration") -> timedelta:
    """Read a duration such as 90m, 1h30m, 1.5h, 1d or 1:30; it must be whole minutes and > 0."""
    raw = text.strip()
    value = raw.lower()
    if not value:
        raise ValidationError(f"no duration given; {_DURATION_FORMS}", field)
    if value.startswith("-"):
        raise ValidationError(
            f"{raw!r} is negative; a duration must be longer than zero, e.g. 90m", field
        )
    clock = _DURATION_CLOCK_RE.fullmatch(value)
    if clock is not None:
        minutes = int(clock["minutes"])
        if minutes > 59:
            raise ValidationError(
                f"{raw!r}: minute {clock['minutes']} is out of range (00-59)", field
            )
        return _positive_minutes(raw, Decimal(int(clock["hours"]) * 60 + minutes), field)
    total = _unit_minutes(value)
    if total is None:
        raise ValidationError(f"cannot read {raw!r} as a duration; {_DURATION_FORMS}", field)
    return _positive_minutes(raw, total, field)


def parse_instant(text: str, field: str = "time") -> datetime:
    """Read an ISO 8601 date-time for the wire; an offset is honoured, none means UTC."""
    raw = text.strip()
    iso = _ISO_RE.fullmatch(raw.lower())
    if iso is None:
        raise ValidationError(f"cannot read {raw!r} as a time; {_INSTANT_FORMS}", field)
    naive, offset = _iso_parts(raw, iso, field)
    return _to_utc(raw, naive.replace(tzinfo=offset or UTC), field)


def parse_wall_time(text: str, field: str = "start") -> datetime:
    """Read an ISO 8601 date-time for the wire, kept as written: without an offset a naive
    wall time (for the caller to place in its zone), with one that instant in UTC."""
    raw = text.strip()
    iso = _ISO_RE.fullmatch(raw.lower())
    if iso is None:
        raise ValidationError(f"cannot read {raw!r} as a time; {_WALL_FORMS}", field)
    naive, offset = _iso_parts(raw, iso, field)
    if offset is None:
        return naive
    return _to_utc(raw, naive.replace(tzinfo=offset), field)


def parse_date(text: str, field: str = "day") -> date:
    """Read an ISO 8601 date for the wire, YYYY-MM-DD."""
    raw = text.strip()
    if not _DAY_RE.fullmatch(raw):
        raise ValidationError(f"cannot read {raw!r} as a date; give YYYY-MM-DD", field)
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(f"{raw!r} is not a real date", field) from None


def next_whole(now: datetime, minutes: int) -> datetime:
    """The first whole `minutes` boundary strictly after `now` (a start worth offering)."""
    base = now.replace(second=0, microsecond=0)
    return base + timedelta(minutes=minutes - base.minute % minutes)


def system_zone(etc_timezone: Path = ETC_TIMEZONE, etc_localtime: Path = ETC_LOCALTIME) -> ZoneInfo:
    """The system's zone: from TZ, else `/etc/timezone`, else where `/etc/localtime`
    links; UTC when none of them names a known zone."""
    for key in _system_zone_keys(etc_timezone, etc_localtime):
        zone = _load_zone(key)
        if zone is not None:
            return zone
    return ZoneInfo("UTC")


def _system_zone_keys(etc_timezone: Path, etc_localtime: Path) -> Iterator[str]:
    # POSIX allows TZ=":Europe/Berlin" and TZ=":/usr/share/zoneinfo/Europe/Berlin".
    env = os.environ.get("TZ", "").strip().removeprefix(":")
    yield _key_from_path(env) if env.startswith("/") else env
    try:
        words = etc_timezone.read_text(encoding="utf-8").split()
    except (OSError, UnicodeDecodeError):
        words = []
    if words:
        yield words[0]
    yield _key_from_path(os.path.realpath(etc_localtime))


def _key_from_path(path: str) -> str:
    found = _ZONEINFO_PATH_RE.search(path)
    return found["key"].removeprefix("posix/") if found else ""


def _load_zone(key: str) -> ZoneInfo | None:
    if not key:
        return None
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def _parse_relative(raw: str, body: str, now: datetime, field: str) -> datetime:
    total = _unit_minutes(body)
    if total is None:
        raise ValidationError(f"cannot read {raw!r} as a time from now; {_RELATIVE_FORMS}", field)
    if total <= 0:
        raise ValidationError(f"{raw!r} is zero; {_RELATIVE_FORMS}", field)
    delta = _positive_minutes(raw, total, field)
    # Times are shown to the minute; a hidden 15:42:37 would refuse "15:42" next.
    return add_length(now.astimezone(UTC), delta, raw, field).replace(second=0, microsecond=0)


def _unit_minutes(value: str) -> Decimal | None:
    found = _UNITS_RE.fullmatch(value)
    if found is None or not any(found.groups()):
        return None
    days, hours, minutes = (Decimal(part or 0) for part in found.groups())
    return days * 24 * 60 + hours * 60 + minutes


def _positive_minutes(raw: str, total: Decimal, field: str) -> timedelta:
    if total <= 0:
        raise ValidationError(f"{raw!r} is zero; a duration must be longer than zero", field)
    if total != total.to_integral_value():
        raise ValidationError(f"{raw!r} is not a whole number of minutes", field)
    try:
        return timedelta(minutes=int(total))
    except OverflowError:
        raise ValidationError(f"{raw!r} is too long", field) from None


def _iso_parts(raw: str, found: re.Match[str], field: str) -> tuple[datetime, timezone | None]:
    hour, minute = _clock(raw, found, field)
    second = int(found["second"] or 0)
    if second > 59:
        raise ValidationError(f"{raw!r}: second {found['second']} is out of range (00-59)", field)
    microsecond = int((found["fraction"] or "")[:6].ljust(6, "0"))
    try:
        naive = datetime(
            int(found["year"]),
            int(found["month"]),
            int(found["day"]),
            hour,
            minute,
            second,
            microsecond,
        )
    except ValueError:
        day = f"{found['year']}-{found['month']}-{found['day']}"
        raise ValidationError(f"{raw!r}: {day} is not a real date", field) from None
    return naive, _offset(raw, found, field)


def _offset(raw: str, found: re.Match[str], field: str) -> timezone | None:
    if found["offset"] is None:
        return None
    if found["offset"] == "z":
        return UTC
    hours = int(found["offset_hours"])
    minutes = int(found["offset_minutes"])
    if hours > 23 or minutes > 59:
        offset = found["offset"].upper()
        raise ValidationError(
            f"{raw!r}: the offset {offset} is out of range (-23:59 to +23:59)", field
        )
    size = timedelta(hours=hours, minutes=minutes)
    return timezone(-size if found["sign"] == "-" else size)


def _clock(raw: str, found: re.Match[str], field: str) -> tuple[int, int]:
    hour = int(found["hour"])
    minute = int(found["minute"])
    if hour == 24 and minute == 0:
        raise ValidationError(f"{raw!r}: 24:00 is not accepted; use 00:00 of the next day", field)
    if hour > 23:
        raise ValidationError(f"{raw!r}: hour {hour} is out of range (0-23)", field)
    if minute > 59:
        raise ValidationError(f"{raw!r}: minute {found['minute']} is out of range (00-59)", field)
    return hour, minute


def _day_for(raw: str, word: str | None, today: date, field: str) -> date:
    if word is None or word == "today":
        return today
    if word == "tomorrow":
        return today + timedelta(days=1)
    weekday = _WEEKDAYS.get(word)
    if weekday is None:
        raise ValidationError(f"cannot read {raw!r} as a time; {_WHEN_FORMS}", field)
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def _to_utc(raw: str, aware: datetime, field: str | None) -> datetime:
    try:
        instant = aware.astimezone(UTC)
    except OverflowError:
        instant = LAST_SUPPORTED
    if instant >= LAST_SUPPORTED:
        raise ValidationError(f"{raw!r} is {OUT_OF_RANGE}", field)
    return instant


def _require_aware(value: datetime, name: str) -> None:
    if value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")


def _wall_text(naive: datetime) -> str:
    has_seconds = naive.second or naive.microsecond
    return naive.isoformat(sep=" ", timespec="seconds" if has_seconds else "minutes")


def _offset_text(local: datetime) -> str:
    offset = local.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    hours, rest = divmod(abs(offset), timedelta(hours=1))
    return f"{sign}{hours:02d}:{rest // timedelta(minutes=1):02d}"
