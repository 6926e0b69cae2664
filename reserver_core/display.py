"""The human wording of times, windows, durations, errors and events.

Times are shown in the reader's time zone; `describe_window` is the one UTC
wording, kept in history details and in error messages of the core.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
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
    Notice,
    Occurrence,
    ReservationInfo,
    ResourceInfo,
    WaitlistInfo,
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


def deadline_text(value: datetime, tz: ZoneInfo, *, now: datetime) -> str:
    """An instant soon to come for a list: "10:30 CET" on today's date in `tz`, else as
    `format_time` shows it ("Thu 3 Dec 10:30 CET")."""
    local = _local(value, tz)
    if local.date() == _local(now, tz).date():
        return f"{local:%H:%M} {_abbreviation(local)}"
    return format_time(value, tz, now=now)


def status_label(reservation: ReservationInfo, tz: ZoneInfo, *, now: datetime) -> str:
    """A reservation's status for a list: "pending approval" (by whom, when the answer to
    the booking says), "offered until 10:30 CET", else its status word."""
    if reservation.status == "pending":
        if reservation.approvers is None:
            return "pending approval"
        return f"pending approval by {approvers_text(reservation.approvers)}"
    if reservation.status == "offered" and reservation.decide_by is not None:
        return f"offered until {deadline_text(reservation.decide_by, tz, now=now)}"
    return reservation.status


def pending_text(reservation: ReservationInfo, tz: ZoneInfo, *, now: datetime) -> str:
    """What a request awaits, as a sentence's end: "pending approval by carol (or an
    admin), to be decided by Thu 3 Dec 10:00 CET"."""
    text = status_label(reservation, tz, now=now)
    if reservation.decide_by is None:
        return text
    return f"{text}, to be decided by {format_time(reservation.decide_by, tz, now=now)}"


_WAIT_WORDS = {
    "booked": "booked (offer accepted)",
    "declined": "offer declined",
    "lapsed": "offer not answered in time",
    "left": "left the line",
    "expired": "its time passed",
}


def waitlist_status_text(entry: WaitlistInfo, tz: ZoneInfo, *, now: datetime) -> str:
    """Where a waitlist entry stands: "waiting, 1st in line", "offered as #15 until
    10:30 CET", "booked (offer accepted)", ..."""
    if entry.status == "waiting":
        return f"waiting, {ordinal(entry.position)} in line" if entry.position else "waiting"
    if entry.status == "offered":
        offer = entry.offer
        if offer is None:
            return "offered"
        if offer.decide_by is None:
            return f"offered as #{offer.id}"
        return f"offered as #{offer.id} until {deadline_text(offer.decide_by, tz, now=now)}"
    return _WAIT_WORDS.get(entry.status, entry.status)


def ordinal(number: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 21st, ..."""
    if 10 <= number % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


NOTICE_KIND_LABELS = {
    "cancelled": "Cancelled",
    "moved": "Moved",
    "at_risk": "At risk",
    "approved": "Approved",
    "rejected": "Rejected",
    "request": "To decide",
    "offer": "Offer",
    "request_expired": "Request lapsed",
    "offer_expired": "Offer lapsed",
    "series": "Series",
}
"""What each kind of notice (`schemas.NoticeKind`) is about, as an inbox lists it."""


def notice_text(notice: Notice, tz: ZoneInfo, *, now: datetime) -> str:
    """A notice's words with the windows and instants it spells in UTC shown in `tz`."""
    return _in_zone(notice.text, tz, now)


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


def series_refused_text(occurrences: Sequence[Occurrence], what: str) -> str:
    """The headline of a series refused as a whole: `what` was not done, and how many of
    its dates cannot be booked ("nothing was booked: 1 of 10 occurrences cannot be booked")."""
    bad = sum(1 for o in occurrences if o.state in ("clash", "refused"))
    dates = sum(1 for o in occurrences if o.state != "skipped")
    return f"{what}: {bad} of {dates} occurrences cannot be booked"


def describe_error(error: ReserverError, tz: ZoneInfo, *, now: datetime) -> str:
    """A domain error as a sentence for people: the times it names shown in `tz`, not UTC
    (as `describe_window` and its instants spell them), and which store failed and why
    when known (the store is theirs)."""
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
    return _in_zone(error.message, tz, now)


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


POLICY_FIELD_LABELS = {
    "timezone": "Time zone",
    "hours": "Opening hours",
    "closed": "Closures",
    "min_length_minutes": "Shortest booking",
    "max_length_minutes": "Longest booking",
    "min_notice_minutes": "Notice needed",
    "max_advance_minutes": "Furthest ahead",
    "max_active": "Active bookings",
    "max_hours_per_week": "Hours per week",
    "approval": "Approval",
    "approvers": "Approvers",
    "approval_timeout_minutes": "Time to decide",
    "offer_hold_minutes": "Offers held for",
}
"""Each policy field (`schemas.POLICY_FIELDS`) as people read it, e.g. in a table's first column."""

_NO_LIMIT = {
    "min_length_minutes": "none",
    "min_notice_minutes": "none",
    "hours": "always open",
    "approval": "not needed",
    "approvers": "admins",
    "approval_timeout_minutes": "48h",
    "offer_hold_minutes": "30m",
    "closed": "never",
}
_DAY_WORD = re.compile(r"\b(mon|tue|wed|thu|fri|sat|sun)\b")


def opening_hours_text(spec: str | None) -> str:
    """An opening-hours spec for people: "Mon-Fri 08:00-12:00, 13:00-18:00; Sat 10:00-14:00";
    no spec (or "always") is "always open"."""
    if spec is None or spec.strip() == "always":
        return "always open"
    return _DAY_WORD.sub(lambda day: day[1].capitalize(), spec).replace(",", ", ")


def closure_text(closure: Closure) -> str:
    """A closure in its policy's wall time, end inclusive for whole days, with its reason:
    "Thu 24 Dec - Sat 26 Dec 2026 (holidays)", "Thu 31 Dec 2026 14:00-18:00 (early close)"."""
    text = closure_period_text(closure)
    return f"{text} ({closure.reason})" if closure.reason else text


def closure_period_text(closure: Closure) -> str:
    """A closure's period alone, as `closure_text` writes it."""
    start, end = closure.start, closure.end
    if closure.whole_days:
        last = (end - timedelta(days=1)).date() if end > start else start.date()
        if last == start.date():
            text = _dated(start.date())
        elif last.year == start.year:
            text = f"{_day_month(start.date())} - {_dated(last)}"
        else:
            text = f"{_dated(start.date())} - {_dated(last)}"
    elif end.date() == start.date():
        text = f"{_dated(start.date())} {start:%H:%M}-{end:%H:%M}"
    elif end == datetime.combine(start.date() + timedelta(days=1), time()):
        text = f"{_dated(start.date())} {start:%H:%M}-24:00"
    else:
        text = f"{_dated(start.date())} {start:%H:%M} - {_dated(end.date())} {end:%H:%M}"
    return text


def policy_value_text(name: str, value: Any) -> str:
    """The value of a policy field (`schemas.POLICY_FIELDS`) for people: lengths as "2h" or
    "30m", the opening hours as `opening_hours_text`, closures as `closure_text`; None says
    what an unset field means ("always open", "no limit")."""
    if name == "hours":
        return opening_hours_text(value)
    if value is None or value == []:
        return _NO_LIMIT.get(name, "no limit")
    if name == "closed":
        return "; ".join(closure_text(closure) for closure in value)
    if name.endswith("_minutes"):
        return format_duration(timedelta(minutes=value))
    if name == "max_active":
        return f"{value} at once"
    if name == "max_hours_per_week":
        return f"{hours_text(value)} in any 7 days"
    if name == "approval":
        return "required" if value else "not needed"
    if name == "approvers":
        return ", ".join(value) + " (and admins)"
    return str(value)


def approvers_text(approvers: Sequence[str]) -> str:
    """Who decides a request, in words: "carol or dave (or an admin)", "an admin"."""
    if not approvers:
        return "an admin"
    names = list(approvers)
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    return f"{listed} (or an admin)"


def policy_source_text(source: str) -> str:
    """Where a field of an effective policy comes from: "from tag 'gpu'", "built-in"."""
    if not source or source == "built-in":
        return source
    return f"from {source}"


def allowance_text(allowance: Allowance, tz: ZoneInfo, *, now: datetime) -> str:
    """How much of an allowance the reader holds: "max 3 active bookings (tag 'gpu'): you
    hold 1, 2 left", "max 8h per week (tag 'gpu'): 6h booked in the 7 days from Mon 30 Nov,
    2h left", or for an admin "...: exempt (admin)"."""
    if allowance.rule == "max_active":
        head = f"max {counted(int(allowance.limit), 'active booking')}"
    else:
        head = f"max {hours_text(allowance.limit)} per week"
    head += f" ({allowance.scope})"
    if allowance.exempt:
        return f"{head}: exempt (admin)"
    if allowance.rule == "max_active":
        spare = int(allowance.remaining)
        return f"{head}: you hold {int(allowance.used)}, {spare or 'none'} left"
    booked = f"{hours_text(allowance.used)} booked" if allowance.used else "nothing booked"
    if allowance.window_start is not None:
        first = _local(allowance.window_start, tz).date()
        booked += f" in the 7 days from {day_label(first, tz, now=now)}"
    left = hours_text(allowance.remaining) if allowance.remaining else "none"
    return f"{head}: {booked}, {left} left"


def _day_month(day: date) -> str:
    return f"{_DAY_NAMES[day.weekday()]} {day.day} {_MONTH_NAMES[day.month - 1]}"


def _dated(day: date) -> str:
    # Closures are configuration that outlives the year: each names its year.
    return f"{_day_month(day)} {day.year}"


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
    """An event's details for people, every window and instant they spell in UTC (as
    `describe_window` writes them) shown in `tz`, a move's arrow as "→".

    A "created" event whose details do not begin with a window is shown with the
    reservation's window.
    """
    details = event.details
    if event.action == "created" and _UTC_WINDOW.match(details) is None:
        return format_window(reservation.start_time, reservation.end_time, tz, now=now)
    shown = _in_zone(details, tz, now)
    if event.action == "moved":
        shown = shown.replace(MOVE_ARROW, " → ", 1)
    return shown


_UTC_INSTANT = re.compile(r"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}) UTC", re.ASCII)


def _in_zone(text: str, tz: ZoneInfo, now: datetime) -> str:
    def window(found: re.Match[str]) -> str:
        read = read_window(found[0])
        assert read is not None
        return format_window(*read, tz, now=now)

    def instant(found: re.Match[str]) -> str:
        return format_time(datetime.fromisoformat(found[1]).replace(tzinfo=UTC), tz, now=now)

    return _UTC_INSTANT.sub(instant, _UTC_WINDOW.sub(window, text))


def _local(value: datetime, tz: ZoneInfo) -> datetime:
    if value.utcoffset() is None:
        raise ValueError("the time to show must be an aware datetime")
    return value.astimezone(tz)


def _abbreviation(local: datetime) -> str:
    return local.tzname() or ""
