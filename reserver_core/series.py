"""Recurring series: a rule in local wall time, its dates, and their booking as one.

The rule's dates come from `dateutil.rrule`, stepped on naive local dates; each date's
wall time is then placed in the series' zone (`place`), so a weekly 09:00 stays 09:00
across daylight-saving changes. Every occurrence is an ordinary reservation, held to
every rule of a single booking (`booking.check_bookable`, the policy's window rules and
the owner's allowances, clashes); a series is booked, or retimed, all or nothing in one
transaction unless asked to leave the bad dates out.

These functions take a connection or a session and never commit: the caller owns the
transaction (see `Database.write`).
"""

from __future__ import annotations

import calendar
import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice, pairwise
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta, weekday
from dateutil.rrule import DAILY, MONTHLY, WEEKLY, rrule, weekdays
from sqlalchemy import Connection, Row, Table, insert, select, update
from sqlalchemy.orm import Session

from reserver_core import booking, inbox, policy
from reserver_core.booking_statements import INSERT_EVENT, LOCK_RESOURCE, RESOURCE_TO_BOOK
from reserver_core.display import (
    describe_window,
    format_duration,
    format_window,
    series_refused_text,
)
from reserver_core.errors import (
    ForbiddenError,
    NotFoundError,
    PolicyError,
    SeriesRefusedError,
    StateError,
    UnavailableError,
    ValidationError,
)
from reserver_core.models import HOLDS_SLOT, Reservation, Series, User, row_by_id
from reserver_core.reservations import load_reservations
from reserver_core.resources import load_resource
from reserver_core.schemas import (
    Clash,
    DstNote,
    Occurrence,
    SeriesInfo,
    SeriesOutcome,
    SeriesRequest,
    SeriesRule,
    UserInfo,
)
from reserver_core.settings import Settings
from reserver_core.timeparse import OUT_OF_RANGE

MAX_OCCURRENCES = 366
MAX_EVERY = 99
AHEAD = relativedelta(years=2)
"""How far ahead of today a series may reach."""
MAX_LENGTH_DAYS = 366
"""The longest an occurrence could last: longer ones are refused before any date is placed."""

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_WORDS = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)
_ORDINALS = {"1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5, "last": -1}
_ORDINAL_WORDS = {
    "first": "1st",
    "second": "2nd",
    "third": "3rd",
    "fourth": "4th",
    "fifth": "5th",
    "last": "last",
}
_FREQUENCY: dict[str, Literal[0, 1, 2, 3, 4, 5, 6]] = {
    "daily": DAILY,
    "weekly": WEEKLY,
    "monthly": MONTHLY,
}
_UNIT = {"daily": "day", "weekly": "week", "monthly": "month"}


# -- the rule ---------------------------------------------------------------------------
def read_weekday(text: str) -> int:
    """A weekday by name or its first 2+ letters ("mon", "Tuesday", "th"): 0 = Monday."""
    word = text.strip().lower()
    if len(word) >= 2:
        for number, name in enumerate(_WEEKDAY_WORDS):
            if name.lower().startswith(word):
                return number
    raise ValidationError(f"{text.strip()!r} is not a weekday (mon, tue, ... sun)", "on")


def parse_on(repeat: str, text: str) -> str:
    """The canonical `on` of a rule (see `SeriesRule`) from what a person typed: "mon,wed",
    "Mon Wed", "2nd tue", "last-fri", "second Tuesday", "31", "31st"."""
    spec = text.strip().lower()
    if not spec:
        return ""
    if repeat == "daily":
        raise ValidationError("a daily series repeats every day: it takes no 'on'", "on")
    if repeat == "weekly":
        days = {read_weekday(part) for part in re.split(r"[\s,]+", spec) if part}
        return ",".join(WEEKDAY_NAMES[day] for day in sorted(days))
    day = re.fullmatch(r"(\d{1,2})(st|nd|rd|th)?", spec)
    if day is not None:
        number = int(day.group(1))
        if not 1 <= number <= 31:
            raise ValidationError(f"a month has no day {number}: give 1-31", "on")
        return str(number)
    parts = re.split(r"[\s-]+", spec)
    if len(parts) == 2:
        ordinal = _ORDINAL_WORDS.get(parts[0], parts[0])
        if ordinal in _ORDINALS:
            return f"{ordinal} {WEEKDAY_NAMES[read_weekday(parts[1])]}"
    raise ValidationError(
        f"{text.strip()!r} is not a day of the month: give a day (31), or a weekday of the "
        "month (2nd tue, last fri)",
        "on",
    )


def check_rule(rule: SeriesRule) -> SeriesRule:
    """The rule with its `on` made canonical; ValidationError naming the bad part."""
    if rule.repeat not in _FREQUENCY:
        raise ValidationError(
            f"{rule.repeat!r} is not a repeat: give daily, weekly or monthly", "repeat"
        )
    if not 1 <= rule.every <= MAX_EVERY:
        raise ValidationError(f"'every' must be 1-{MAX_EVERY}", "every")
    if (rule.count is None) == (rule.until is None):
        raise ValidationError("a series ends after a count or on a date: give one of them", "count")
    if rule.count is not None and not 1 <= rule.count <= MAX_OCCURRENCES:
        raise ValidationError(f"the count must be 1-{MAX_OCCURRENCES}", "count")
    return replace(rule, on=parse_on(rule.repeat, rule.on))


@dataclass(frozen=True)
class RuleDate:
    """One date the rule names: `index` from 1, the local `day`, and why it is skipped
    ("" when the day exists)."""

    index: int
    day: date
    skipped: str = ""


def rule_dates(rule: SeriesRule, first: date) -> list[RuleDate]:
    """Every date of a checked `rule` from `first` on (at most one past `MAX_OCCURRENCES`,
    so that a rule naming too many can be told apart)."""
    limit = MAX_OCCURRENCES + 1
    count = min(rule.count, limit) if rule.count is not None else None
    if rule.repeat != "monthly":
        days = (
            [WEEKDAY_NAMES.index(name) for name in rule.on.split(",")]
            if rule.on
            else [first.weekday()]
        )
        steps = rrule(
            _FREQUENCY[rule.repeat],
            interval=rule.every,
            dtstart=datetime.combine(first, time()),
            count=count,
            until=None if rule.until is None else datetime.combine(rule.until, time()),
            byweekday=days if rule.repeat == "weekly" else None,
            wkst=0,
        )
        return [
            RuleDate(number, step.date()) for number, step in enumerate(islice(steps, limit), 1)
        ]
    months = rrule(
        MONTHLY,
        interval=rule.every,
        dtstart=datetime.combine(first.replace(day=1), time()),
        count=None if count is None else count + 1,
    )
    found: list[RuleDate] = []
    for month in months:
        day, skipped = _day_in_month(rule.on or str(first.day), month.date())
        if day < first:
            continue
        if rule.until is not None and day > rule.until:
            break
        found.append(RuleDate(len(found) + 1, day, skipped))
        if len(found) == (count or limit):
            break
    return found


def _day_in_month(on: str, month: date) -> tuple[date, str]:
    """The day `on` names in `month` (its first day), or the month's last day and why it is
    skipped when the month lacks it."""
    last = calendar.monthrange(month.year, month.month)[1]
    month_name = f"{month:%B %Y}"
    if on.isdigit():
        number = int(on)
        if number > last:
            return month.replace(day=last), f"{month_name} has no {_ordinal(number)}: skipped"
        return month.replace(day=number), ""
    ordinal, name = on.split()
    number = _ORDINALS[ordinal]
    day_of_week = weekdays[WEEKDAY_NAMES.index(name)]
    assert isinstance(day_of_week, weekday)
    if number < 0:
        return month + relativedelta(day=31, weekday=day_of_week(-1)), ""
    found = month + relativedelta(weekday=day_of_week(+number))
    if found.month != month.month:
        word = _WEEKDAY_WORDS[WEEKDAY_NAMES.index(name)]
        return month.replace(day=last), f"{month_name} has no {ordinal} {word}: skipped"
    return found, ""


def _ordinal(number: int) -> str:
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


def rule_text(rule: SeriesRule, start: datetime, zone: str) -> str:
    """A rule in words: "every week on Mon and Wed at 09:00 Europe/Berlin, 8 times"."""
    unit = _UNIT[rule.repeat]
    every = f"every {unit}" if rule.every == 1 else f"every {rule.every} {unit}s"
    if rule.repeat == "weekly":
        names = rule.on.split(",") if rule.on else [WEEKDAY_NAMES[start.weekday()]]
        every += " on " + _and([name.capitalize() for name in names])
    elif rule.repeat == "monthly":
        on = rule.on or str(start.day)
        if on.isdigit():
            every += f" on the {_ordinal(int(on))}"
        else:
            ordinal, name = on.split()
            every += f" on the {ordinal} {_WEEKDAY_WORDS[WEEKDAY_NAMES.index(name)]}"
    ending = (
        f"{rule.count} {'time' if rule.count == 1 else 'times'}"
        if rule.count is not None
        else f"until {rule.until:%a %-d %b %Y}"
    )
    return f"{every} at {start:%H:%M} {zone}, {ending}"


def _and(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


# -- wall time to instants --------------------------------------------------------------
def place(local: datetime, zone: ZoneInfo) -> tuple[datetime, DstNote, str]:
    """The UTC instant of naive wall time `local` in `zone`, and where it meets a
    daylight-saving change: a time the clocks skip starts at that same instant, which
    the clock then shows later; a time that happens twice takes the first."""
    first = local.replace(tzinfo=zone, fold=0)
    instant = first.astimezone(UTC)
    shown = instant.astimezone(zone)
    if shown.replace(tzinfo=None) != local:
        return (
            instant,
            "gap",
            f"{local:%H:%M} does not exist that day (the clocks go forward): starts at "
            f"{shown:%H:%M %Z}",
        )
    if local.replace(tzinfo=zone, fold=1).utcoffset() != first.utcoffset():
        return (
            instant,
            "fold",
            f"{local:%H:%M} happens twice that day (the clocks go back): takes the first, "
            f"{shown:%H:%M %Z}",
        )
    return instant, "", ""


@dataclass(frozen=True)
class _Placed:
    """A rule date with its window placed in UTC (None when the day is skipped)."""

    index: int
    day: date
    start: datetime | None
    end: datetime | None
    dst: DstNote = ""
    remark: str = ""
    skipped: str = ""


def _placed(
    dates: Sequence[RuleDate], clock: time, length: timedelta, zone: ZoneInfo
) -> list[_Placed]:
    placed: list[_Placed] = []
    for item in dates:
        if item.skipped:
            placed.append(_Placed(item.index, item.day, None, None, skipped=item.skipped))
            continue
        start, dst, remark = place(datetime.combine(item.day, clock), zone)
        placed.append(_Placed(item.index, item.day, start, start + length, dst, remark))
    return placed


def plan(request: SeriesRequest, now: datetime) -> tuple[SeriesRequest, list[_Placed]]:
    """The request made canonical (zone checked, rule checked, `start` as naive wall time)
    and its dates placed in UTC; ValidationError for a rule that names more than 366
    dates, reaches past two years ahead, starts in the past or overlaps itself."""
    zone_name = policy.check_timezone(request.timezone)
    zone = ZoneInfo(zone_name)
    rule = check_rule(request.rule)
    start = request.start
    if start.tzinfo is not None:
        try:
            start = start.astimezone(zone).replace(tzinfo=None)
        except OverflowError:
            raise ValidationError(f"the start is {OUT_OF_RANGE}", "start") from None
    start = start.replace(second=0, microsecond=0)
    length = _length(request.length_minutes)
    if rule.until is not None and rule.until < start.date():
        raise ValidationError("the series must end on or after its first day", "until")
    today = now.astimezone(zone).date()
    # A start this far back is a mistake (what it names is past, or out of reach), and
    # refusing it keeps wall times clear of datetime's first day, which placing one in
    # a zone east of UTC would pass.
    if start.date() < today - AHEAD:
        raise ValidationError(
            f"the series starts on {start:%a %-d %b %Y}, in the past: start it later", "start"
        )
    dates = rule_dates(rule, start.date())
    if len(dates) > MAX_OCCURRENCES:
        raise ValidationError(
            f"a series holds at most {MAX_OCCURRENCES} dates; this rule names more: end it sooner",
            "until",
        )
    if dates and dates[-1].day > today + AHEAD:
        raise ValidationError(
            f"a series may reach at most 2 years ahead (to {today + AHEAD:%a %-d %b %Y}); this "
            f"one runs to {dates[-1].day:%a %-d %b %Y}",
            "until",
        )
    placed = _placed(dates, start.time(), length, zone)
    booked = [p for p in placed if p.start is not None]
    if not booked:
        raise ValidationError("the rule names no day that exists", "on")
    first = booked[0]
    assert first.start is not None
    if first.start <= now:
        raise ValidationError(
            f"the first occurrence ({first.start.astimezone(zone):%a %-d %b %Y %H:%M %Z}) is "
            "in the past: start the series later",
            "start",
        )
    _check_apart(booked, length)
    canonical = replace(request, start=start, timezone=zone_name, rule=rule)
    return canonical, placed


def _length(minutes: int) -> timedelta:
    """An occurrence's length; ValidationError unless 1 minute to `MAX_LENGTH_DAYS`."""
    if minutes <= 0:
        raise ValidationError("the length must be at least a minute", "length_minutes")
    if minutes > MAX_LENGTH_DAYS * 24 * 60:
        raise ValidationError(
            f"an occurrence may last at most {MAX_LENGTH_DAYS} days", "length_minutes"
        )
    return timedelta(minutes=minutes)


def _check_apart(placed: Sequence[_Placed], length: timedelta) -> None:
    for before, after in pairwise(placed):
        assert before.end is not None and after.start is not None
        if before.end > after.start:
            raise ValidationError(
                f"each occurrence lasts {format_duration(length)}, longer than the time "
                f"between {before.day:%a %-d %b} and {after.day:%a %-d %b}: occurrences "
                "would overlap each other",
                "length_minutes",
            )


# -- checking the dates -------------------------------------------------------------------
def _held(
    connection: Connection,
    resource_id: int,
    start: datetime,
    end: datetime,
    excluding: Sequence[int],
) -> list[Clash]:
    """What holds time on the resource within `[start, end)`, by start, but `excluding`."""
    query = (
        select(Reservation.id, Reservation.start_time, Reservation.end_time, User.username)
        .join(User, User.id == Reservation.user_id)
        .where(
            Reservation.resource_id == resource_id,
            HOLDS_SLOT,
            Reservation.start_time < end,
            Reservation.end_time > start,
        )
        .order_by(Reservation.start_time)
    )
    if excluding:
        query = query.where(Reservation.id.not_in(list(excluding)))
    return [
        Clash(row.id, row.start_time, row.end_time, row.username)
        for row in connection.execute(query)
    ]


def check_dates(
    connection: Connection,
    user: UserInfo,
    resource: Any,
    placed: Sequence[_Placed],
    zone: ZoneInfo,
    now: datetime,
    settings: Settings,
    excluding: Sequence[int] = (),
    set_aside: Sequence[tuple[datetime, datetime]] = (),
) -> list[Occurrence]:
    """Each placed date with its state: `free`, or why not (`skipped`, `clash`, `refused`).

    `resource` is its row as `RESOURCE_TO_BOOK` reads it. The reservations `excluding`
    (a retime's own occurrences, at their windows `set_aside`) neither clash nor count
    against the owner's allowances; each free date counts toward them for the dates
    after it, as the series' bookings will.
    """
    windows = [(p.start, p.end) for p in placed if p.start is not None and p.end is not None]
    held = (
        _held(connection, resource.id, windows[0][0], windows[-1][1], excluding) if windows else []
    )
    starts = [h.start_time for h in held]
    ends = [h.end_time for h in held]
    tags = resource.tag_list.split(",") if resource.tag_list else []
    rules = policy.load_rules(connection, resource.id, resource.name, tags, settings)
    counting = None
    if not user.is_admin:
        counting = policy.AllowanceCounter(
            connection, user.id, now, None, until=windows[-1][1] + policy.WEEK if windows else now
        )
        counting.set_aside(set_aside)
    found: list[Occurrence] = []
    for item in placed:
        if item.start is None or item.end is None:
            found.append(Occurrence(item.index, item.day, "skipped", reason=item.skipped))
            continue
        occurrence = Occurrence(
            item.index, item.day, "free", item.start, item.end, dst=item.dst, remark=item.remark
        )
        clashing = held[bisect_right(ends, item.start) : bisect_left(starts, item.end)]
        if item.start <= now:
            occurrence = replace(
                occurrence, state="refused", reason="it would start in the past", rule=None
            )
        elif clashing:
            listed = "; ".join(_clash_text(c, user, zone, now) for c in clashing)
            occurrence = replace(
                occurrence, state="clash", reason=f"clashes with {listed}", clashes=clashing
            )
        else:
            refusal = _refusal(resource, rules, counting, item.start, item.end, now)
            if refusal is not None:
                text, rule = refusal
                occurrence = replace(occurrence, state="refused", reason=text, rule=rule)
            elif counting is not None:
                counting.hold(rules, item.start, item.end)
        found.append(occurrence)
    return found


def _refusal(
    resource: Any,
    rules: policy.Rules,
    counting: policy.AllowanceCounter | None,
    start: datetime,
    end: datetime,
    now: datetime,
) -> tuple[str, str | None] | None:
    """Why one date may not be booked (the words, and the policy rule if one refuses)."""
    try:
        booking.check_bookable(resource, start, end)
        policy.check_window_rules(rules, start, end, now)
    except UnavailableError as refusal:
        return f"refused: {refusal}", None
    except PolicyError as refusal:
        return f"refused by policy: {refusal}", refusal.rule
    if counting is not None:
        allowance = policy.allowance_refusal(rules, counting, start, end)
        if allowance is not None:
            return f"refused by policy: {allowance}", allowance.rule
    return None


def _clash_text(clash: Clash, user: UserInfo, zone: ZoneInfo, now: datetime) -> str:
    whose = "your booking" if clash.username == user.username else f"{clash.username}'s booking"
    return f"{whose} {format_window(clash.start_time, clash.end_time, zone, now=now)}"


def refused_text(occurrences: Sequence[Occurrence], what: str, zone: ZoneInfo) -> str:
    """The sentence refusing a series as a whole: `what` was not done, and every bad date."""
    bad = [o for o in occurrences if o.state in ("clash", "refused")]
    dated = "; ".join(f"{o.day:%a %-d %b %Y} (#{o.index}): {o.reason}" for o in bad)
    return f"{series_refused_text(occurrences, what)}: {dated}"


def _resource_row(connection: Connection, resource_id: int, now: datetime) -> Any:
    row = connection.execute(
        RESOURCE_TO_BOOK, {"resource_id": resource_id, "now": now, "start": now, "end": now}
    ).one_or_none()
    if row is None:
        raise NotFoundError(f"resource {resource_id} not found")
    if not row.enabled:
        raise UnavailableError(f"{row.name} is disabled and cannot be booked")
    return row


def _lock(connection: Connection, resource_id: int, user: UserInfo) -> None:
    """As `booking.book`: the resource row, then the owner's (not an admin's) row."""
    connection.execute(LOCK_RESOURCE, {"resource_id": resource_id})
    if not user.is_admin and connection.dialect.name != "sqlite":
        connection.execute(policy.LOCK_USER, {"user_id": user.id})


# -- booking ------------------------------------------------------------------------------
def book_series(
    connection: Connection,
    user: UserInfo,
    request: SeriesRequest,
    now: datetime,
    settings: Settings,
    *,
    skip_conflicts: bool = False,
    dry_run: bool = False,
    actor: UserInfo | None = None,
) -> tuple[int | None, list[Occurrence]]:
    """Preview, then (unless `dry_run`) book every free date of `request` as `user`'s, with
    one series row: `(the series id or None, every date with its state)`.

    All or nothing unless `skip_conflicts`: one bad date raises SeriesRefusedError and
    nothing is written. The locks are those of a single booking, taken before anything
    is read, so no booking on the resource or of the owner commits in between.
    """
    request, placed = plan(request, now)
    note = booking.clean_note(request.note)
    if not dry_run:
        _lock(connection, request.resource_id, user)
    resource = _resource_row(connection, request.resource_id, now)
    zone = ZoneInfo(request.timezone)
    occurrences = check_dates(connection, user, resource, placed, zone, now, settings)
    if dry_run:
        return None, occurrences
    free = [o for o in occurrences if o.state == "free"]
    bad = [o for o in occurrences if o.state in ("clash", "refused")]
    if bad and (not skip_conflicts or not free):
        what = "nothing was booked" if free else "nothing can be booked"
        raise SeriesRefusedError(refused_text(occurrences, what, zone), occurrences, resource.name)
    series_id = _insert_series(connection, user, request, note, now)
    tags = resource.tag_list.split(",") if resource.tag_list else []
    rules = policy.load_rules(connection, resource.id, resource.name, tags, settings)
    pending = rules if rules.approval and not rules.may_approve(user) else None
    ids = _insert_occurrences(
        connection, user, request.resource_id, series_id, free, note, now, actor, pending
    )
    if pending is not None:
        first = free[0]
        assert first.start_time is not None and first.end_time is not None
        inbox.tell_approvers(
            connection,
            pending.approvers,
            resource.name,
            user.username,
            ids[0],
            (first.start_time, first.end_time),
            booking.request_deadline(pending, first.start_time, now),
            now,
            series=(series_id, len(ids)),
        )
    booked = iter(ids)
    return series_id, [
        replace(o, state="booked", reservation_id=next(booked)) if o.state == "free" else o
        for o in occurrences
    ]


def _insert_series(
    connection: Connection, user: UserInfo, request: SeriesRequest, note: str, now: datetime
) -> int:
    rule = request.rule
    result = connection.execute(
        insert(cast(Table, Series.__table__)),
        {
            "resource_id": request.resource_id,
            "user_id": user.id,
            "timezone": request.timezone,
            "start_local": request.start.isoformat(timespec="minutes"),
            "length_minutes": request.length_minutes,
            "frequency": rule.repeat,
            "every_n": rule.every,
            "on_days": rule.on,
            "date_count": rule.count,
            "last_day": rule.until,
            "note": note,
            "created_at": now,
        },
    )
    return int(cast(tuple[int], result.inserted_primary_key)[0])


_INSERT_OCCURRENCE = insert(cast(Table, Reservation.__table__)).returning(
    Reservation.id, sort_by_parameter_order=True
)


def _insert_occurrences(
    connection: Connection,
    user: UserInfo,
    resource_id: int,
    series_id: int,
    free: Sequence[Occurrence],
    note: str,
    now: datetime,
    actor: UserInfo | None,
    pending: policy.Rules | None,
) -> list[int]:
    """Insert the free dates as occurrences, `pending` (each awaiting its own approval by
    the rules' deadline) when the resource's approval rules say so; returns their ids."""
    rows = [
        {
            "resource_id": resource_id,
            "user_id": user.id,
            "start_time": o.start_time,
            "end_time": o.end_time,
            "status": "active" if pending is None else "pending",
            "decide_by": None
            if pending is None or o.start_time is None
            else booking.request_deadline(pending, o.start_time, now),
            "created_at": now,
            "note": note,
            "series_id": series_id,
        }
        for o in free
    ]
    ids = [int(row[0]) for row in connection.execute(_INSERT_OCCURRENCE, rows)]
    total = len(free)
    connection.execute(
        INSERT_EVENT,
        [
            {
                "reservation_id": reservation_id,
                "action": "created" if pending is None else "requested",
                "actor_id": (actor or user).id,
                "at": now,
                "details": f"{describe_window(o.start_time, o.end_time)}"  # type: ignore[arg-type]
                f" (series {series_id}, {number} of {total})",
            }
            for number, (reservation_id, o) in enumerate(zip(ids, free, strict=True), 1)
        ],
    )
    return ids


# -- reading ------------------------------------------------------------------------------
def series_row(session: Session, series_id: int, lock: bool = False) -> Series:
    """The series' row, locked when asked; NotFoundError if absent."""
    return row_by_id(session, Series, series_id, "series", lock)


def check_owner(series: Series | Row[Any], user: UserInfo) -> None:
    """Only the owner or an admin may see or change a series."""
    if series.user_id != user.id and not user.is_admin:
        raise ForbiddenError(f"access denied: series {series.id} belongs to someone else")


def resource_of(connection: Connection, series_id: int) -> int:
    """The id of the resource a series books."""
    return int(
        connection.execute(select(Series.resource_id).where(Series.id == series_id)).scalar_one()
    )


def rule_of(row: Series) -> SeriesRule:
    """A stored series' rule."""
    return SeriesRule(row.frequency, row.every_n, row.on_days, row.date_count, row.last_day)  # type: ignore[arg-type]


def load_series(session: Session, now: datetime, series_ids: Sequence[int]) -> list[SeriesInfo]:
    """The series with these ids, with their occurrences by start, in the order given."""
    if not series_ids:
        return []
    rows = session.execute(
        select(Series, User.username)
        .join(User, User.id == Series.user_id)
        .where(Series.id.in_(list(series_ids)))
    ).all()
    occurrences = load_reservations(session, now, [Reservation.series_id.in_(list(series_ids))])
    by_series: dict[int, list[Any]] = {}
    for reservation in sorted(occurrences, key=lambda r: r.start_time):
        assert reservation.series_id is not None
        by_series.setdefault(reservation.series_id, []).append(reservation)
    found: dict[int, SeriesInfo] = {}
    for row, username in rows:
        held = by_series.get(row.id, [])
        start = datetime.fromisoformat(row.start_local)
        rule = rule_of(row)
        resource = held[0].resource if held else None
        if resource is None:
            resource = load_resource(session, now, row.resource_id)
        found[row.id] = SeriesInfo(
            id=row.id,
            resource=resource,
            user_id=row.user_id,
            username=username,
            timezone=row.timezone,
            start=start,
            length_minutes=row.length_minutes,
            rule=rule,
            rule_text=rule_text(rule, start, row.timezone),
            created_at=row.created_at,
            note=row.note,
            cancelled_at=row.cancelled_at,
            cancellation_reason=row.cancellation_reason,
            occurrences=held,
        )
    return [found[i] for i in series_ids if i in found]


def get_series(session: Session, now: datetime, series_id: int, seen_by: UserInfo) -> SeriesInfo:
    """One series; owner or admin only."""
    check_owner(series_row(session, series_id), seen_by)
    return load_series(session, now, [series_id])[0]


def list_series(session: Session, now: datetime, user_id: int | None) -> list[SeriesInfo]:
    """The series of `user_id` (None: everyone's), newest first."""
    query = select(Series.id).order_by(Series.id.desc())
    if user_id is not None:
        query = query.where(Series.user_id == user_id)
    return load_series(session, now, list(session.scalars(query)))


# -- changing -----------------------------------------------------------------------------
def cancel_series(
    session: Session,
    user: UserInfo,
    series_id: int,
    from_time: datetime | None,
    reason: str | None,
    now: datetime,
    actor: UserInfo | None = None,
) -> int:
    """Cancel the series' active occurrences that have not ended (from `from_time` on, when
    given); each one's history names the series and keeps the reason. Returns how many.
    Cancelling the whole series marks the series cancelled too."""
    cleaned = booking.clean_reason(reason)
    series = series_row(session, series_id, lock=True)
    check_owner(series, user)
    conditions = [Reservation.series_id == series_id, HOLDS_SLOT, Reservation.end_time > now]
    if from_time is not None:
        conditions.append(Reservation.start_time >= from_time)
    chosen = list(
        session.scalars(
            select(Reservation)
            .where(*conditions)
            .order_by(Reservation.start_time)
            .with_for_update()
        )
    )
    if not chosen:
        later = "" if from_time is None else f" from {from_time:%Y-%m-%d %H:%M} UTC on"
        raise StateError(f"series {series_id} has no upcoming occurrence{later} to cancel")
    since = "" if from_time is None else f" from {chosen[0].start_time:%Y-%m-%d %H:%M} UTC on"
    details = f"series {series_id} cancelled{since}" + (f": {cleaned}" if cleaned else "")
    for reservation in chosen:
        reservation.status = "cancelled"
        reservation.cancelled_at = now
        reservation.cancellation_reason = cleaned
        booking.record_event(session, reservation.id, "cancelled", (actor or user).id, now, details)
    acting = actor or user
    if series.user_id != acting.id:
        inbox.notify(
            session.connection(),
            [series.user_id],
            "series",
            f"{acting.username} cancelled {len(chosen)} "
            f"{'occurrence' if len(chosen) == 1 else 'occurrences'} of your {details}",
            now,
            series_id=series_id,
        )
    if from_time is None:
        series.cancelled_at = now
        series.cancellation_reason = cleaned
    return len(chosen)


def retime_series(
    connection: Connection,
    user: UserInfo,
    series_id: int,
    clock: time,
    length_minutes: int | None,
    now: datetime,
    settings: Settings,
    *,
    dry_run: bool = False,
    actor: UserInfo | None = None,
) -> list[Occurrence]:
    """Move every future active occurrence of the series to the wall time `clock` on its
    own local date (and to `length_minutes`), all or nothing; returns every moved date
    with its state (`booked` once moved). Owner or admin only."""
    # Locking reads only until the resource is locked (see `booking.change`); a dry run
    # reads in a read-only transaction and locks nothing.
    lock = not dry_run
    query = select(*cast(Table, Series.__table__).c).where(Series.id == series_id)
    series = connection.execute(query.with_for_update() if lock else query).one_or_none()
    if series is None:
        raise NotFoundError(f"series {series_id} not found")
    check_owner(series, user)
    if lock:
        connection.execute(LOCK_RESOURCE, {"resource_id": series.resource_id})
    who = select(User.id, User.username, User.role, User.active, User.created_at).where(
        User.id == series.user_id
    )
    owner = connection.execute(who.with_for_update() if lock else who).one()
    owner_info = UserInfo(owner.id, owner.username, owner.role, owner.active, owner.created_at)
    length = _length(length_minutes if length_minutes is not None else series.length_minutes)
    # As `plan` does for a new series: occurrences start on the minute.
    clock = clock.replace(second=0, microsecond=0)
    zone = ZoneInfo(series.timezone)
    moving = connection.execute(
        select(Reservation.id, Reservation.start_time, Reservation.end_time)
        .where(Reservation.series_id == series_id, HOLDS_SLOT, Reservation.start_time > now)
        .order_by(Reservation.start_time)
    ).all()
    if not moving:
        raise StateError(f"series {series_id} has no upcoming occurrence to retime")
    dates = [
        RuleDate(number, m.start_time.astimezone(zone).date()) for number, m in enumerate(moving, 1)
    ]
    placed = _placed(dates, clock, length, zone)
    _check_apart(placed, length)
    resource = _resource_row(connection, series.resource_id, now)
    ids = [m.id for m in moving]
    occurrences = check_dates(
        connection,
        owner_info,
        resource,
        placed,
        zone,
        now,
        settings,
        excluding=ids,
        set_aside=[(m.start_time, m.end_time) for m in moving],
    )
    occurrences = [replace(o, reservation_id=i) for o, i in zip(occurrences, ids, strict=True)]
    if dry_run:
        return occurrences
    if any(o.state != "free" for o in occurrences):
        raise SeriesRefusedError(
            refused_text(occurrences, "nothing was moved", zone), occurrences, resource.name
        )
    later = placed[0].start is not None and placed[0].start > moving[0].start_time
    order = list(zip(moving, occurrences, strict=True))
    # Move the last first when moving later (the first first when earlier), so that no
    # occurrence passes through its neighbour's old window.
    for old, new in reversed(order) if later else order:
        connection.execute(
            update(Reservation)
            .where(Reservation.id == old.id)
            .values(start_time=new.start_time, end_time=new.end_time)
        )
    connection.execute(
        INSERT_EVENT,
        [
            {
                "reservation_id": old.id,
                "action": "moved",
                "actor_id": (actor or user).id,
                "at": now,
                "details": f"{describe_window(old.start_time, old.end_time)} -> "
                f"{describe_window(new.start_time, new.end_time)} (series {series_id} retimed)",  # type: ignore[arg-type]
            }
            for old, new in order
        ],
    )
    start = datetime.fromisoformat(series.start_local)
    connection.execute(
        update(Series)
        .where(Series.id == series_id)
        .values(
            start_local=datetime.combine(start.date(), clock).isoformat(timespec="minutes"),
            length_minutes=int(length.total_seconds() // 60),
        )
    )
    return [replace(o, state="booked", reservation_id=old.id) for old, o in order]


def outcome(
    occurrences: list[Occurrence], series: SeriesInfo | None, dry_run: bool
) -> SeriesOutcome:
    """The answer of a booking or retime: counts of what was (or would be) booked."""
    good = sum(1 for o in occurrences if o.state in ("free", "booked"))
    bad = sum(1 for o in occurrences if o.state in ("clash", "refused"))
    return SeriesOutcome(occurrences, series, good, bad, dry_run)
