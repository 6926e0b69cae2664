"""Booking policies: opening hours, closures, lead times, lengths and per-user allowances.

A policy is set on a scope: one resource, every resource with a tag, or the
store's default. A resource's effective policy takes each field from the first
scope that sets it: the resource, then its tags in its own order, then the
default, then the store's settings. The rules are checked in the booking's
own transaction (`check_booking`); a refusal is a `PolicyError` naming the
rule, the scope and the figures.

Opening hours and closures are wall times in the policy's zone; the booking
path works on UTC instants (`closed_between`).
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import accumulate, pairwise
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, bindparam, exists, func, or_, select
from sqlalchemy.orm import Session

from reserver_core.display import (
    closure_period_text,
    opening_hours_text,
    week_refusal_text,
    where_text,
)
from reserver_core.errors import ForbiddenError, NotFoundError, PolicyError, ValidationError
from reserver_core.models import (
    Policy,
    Reservation,
    Resource,
    ResourceTag,
    User,
    UTCDateTime,
    check_id,
)
from reserver_core.resources import clean_tags
from reserver_core.schemas import (
    HOLDING_STATUSES,
    POLICY_FIELDS,
    Allowance,
    Closure,
    EffectiveField,
    EffectivePolicy,
    PolicyChanges,
    PolicyInfo,
    PolicyScope,
    ResourceInfo,
    UserInfo,
)
from reserver_core.settings import Settings
from reserver_core.text import clean_one_line
from reserver_core.timeparse import parse_duration, resolve_zone
from reserver_core.users import clean_username

WEEK = timedelta(days=7)
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_TITLES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MINUTES_PER_DAY = 24 * 60
MAX_CLOSURES = 200
MAX_REASON_LENGTH = 200
MAX_LIMIT_MINUTES = 366 * MINUTES_PER_DAY
MAX_ACTIVE_LIMIT = 10_000
STORE_SETTINGS = "store settings"
BUILT_IN = "built-in"
DEFAULT_APPROVAL_TIMEOUT = 48 * 60
"""Minutes a request waits for a decision when its policy sets no `approval_timeout`."""
DEFAULT_OFFER_HOLD = 30
"""Minutes a waitlist offer is held when its policy sets no `offer_hold`."""
DEFAULT_LABEL = "the default policy"

_SPAN_RE = re.compile(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})", re.ASCII)
_DATE = r"\d{4}-\d{2}-\d{2}"
_CLOCK = r"\d{1,2}:\d{2}"
_CLOSURE_RE = re.compile(
    rf"(?P<start_day>{_DATE})(?:[ T](?P<start_clock>{_CLOCK}))?"
    rf"(?:\s*\.\.\s*(?:(?P<end_day>{_DATE})(?:[ T](?P<end_clock>{_CLOCK}))?"
    rf"|(?P<end_only>{_CLOCK})))?"
    r"(?:\s+(?P<reason>.*))?",
    re.ASCII | re.DOTALL,
)

Span = tuple[int, int]
"""An open span of one weekday in minutes from midnight, `[start, end)`; end may be 1440."""
WeekHours = tuple[tuple[Span, ...], ...]
"""The open spans of each weekday, Monday first."""


# -- reading what admins type ------------------------------------------------------------
def check_timezone(name: str) -> str:
    """The IANA zone `name`, trimmed; ValidationError (field `timezone`) if unknown."""
    cleaned = name.strip()
    if not cleaned:
        raise ValidationError(
            "no time zone given; use an IANA name such as Europe/Berlin", "timezone"
        )
    try:
        return resolve_zone(cleaned).key
    except ValidationError as exc:
        raise ValidationError(exc.message, "timezone") from exc


def parse_hours(text: str) -> str:
    """Opening hours such as "mon-fri 08:00-12:00,13:00-18:00; sat 10:00-14:00" in the
    canonical form they are stored in ("always" for every day, all day); ValidationError
    (field `hours`) naming what is wrong."""
    return format_hours(read_hours(text))


def read_hours(text: str) -> WeekHours:
    """The open spans per weekday that an hours spec names (see `parse_hours`)."""
    return _read_hours(" ".join(text.lower().split()))


@lru_cache(maxsize=256)
def _read_hours(spec: str) -> WeekHours:
    if not spec:
        raise ValidationError(
            "no opening hours given; write e.g. 'mon-fri 08:00-18:00; sat 10:00-14:00'", "hours"
        )
    if spec in ("always", "24/7"):
        return tuple(((0, MINUTES_PER_DAY),) for _ in DAY_NAMES)
    days: list[list[Span]] = [[] for _ in DAY_NAMES]
    seen: set[int] = set()
    for group in (part.strip() for part in spec.split(";")):
        if not group:
            continue
        day_text, _, span_text = group.partition(" ")
        weekdays = _read_days(day_text, group)
        spans = _read_spans(span_text.replace(" ", ""), group)
        for weekday in weekdays:
            if weekday in seen:
                raise ValidationError(
                    f"{_DAY_TITLES[weekday]} is named twice in the opening hours; give each "
                    "day once, with all its spans",
                    "hours",
                )
            seen.add(weekday)
            days[weekday] = spans
    if not seen:
        raise ValidationError("no opening hours given", "hours")
    return tuple(tuple(spans) for spans in days)


def _read_days(text: str, group: str) -> list[int]:
    if text == "daily":
        return list(range(7))
    found: list[int] = []
    for part in text.split(","):
        first, dash, last = part.partition("-")
        if first not in DAY_NAMES or (dash and last not in DAY_NAMES):
            raise ValidationError(
                f"cannot read the days {text!r} in {group!r}; write mon, tue, wed, thu, fri, "
                "sat, sun, a range such as mon-fri, a list such as mon,wed, or daily",
                "hours",
            )
        start = DAY_NAMES.index(first)
        end = DAY_NAMES.index(last) if dash else start
        if end < start:
            raise ValidationError(
                f"the days {part!r} run backwards; write the earlier day first", "hours"
            )
        found.extend(day for day in range(start, end + 1) if day not in found)
    return found


def _read_spans(text: str, group: str) -> list[Span]:
    if not text:
        raise ValidationError(f"{group!r} names days but no hours, e.g. 08:00-18:00", "hours")
    spans: list[Span] = []
    for part in text.split(","):
        found = _SPAN_RE.fullmatch(part)
        if found is None:
            raise ValidationError(
                f"cannot read the hours {part!r} in {group!r}; write HH:MM-HH:MM, e.g. 08:00-18:00",
                "hours",
            )
        start = _clock_minutes(found[1], found[2], part, allow_midnight=False)
        end = _clock_minutes(found[3], found[4], part, allow_midnight=True)
        if end <= start:
            raise ValidationError(
                f"the hours {part!r} end before they start; a span past midnight is two spans, "
                "e.g. 'fri 22:00-24:00; sat 00:00-06:00'",
                "hours",
            )
        spans.append((start, end))
    spans.sort()
    for (_, first_end), (second_start, _) in pairwise(spans):
        if second_start < first_end:
            raise ValidationError(f"the hours in {group!r} overlap; give each span once", "hours")
    return spans


def _clock_minutes(hour: str, minute: str, part: str, *, allow_midnight: bool) -> int:
    hours, minutes = int(hour), int(minute)
    if allow_midnight and (hours, minutes) == (24, 0):
        return MINUTES_PER_DAY
    if hours > 23 or minutes > 59:
        limit = "00:00 to 24:00" if allow_midnight else "00:00 to 23:59"
        raise ValidationError(
            f"{hour}:{minute} in {part!r} is not a time of day (a span runs {limit})", "hours"
        )
    return hours * 60 + minutes


def format_hours(week: WeekHours) -> str:
    """The canonical spec of `week`: consecutive days with the same spans joined."""
    if all(spans == ((0, MINUTES_PER_DAY),) for spans in week):
        return "always"
    groups: list[str] = []
    day = 0
    while day < 7:
        spans = week[day]
        last = day
        while last + 1 < 7 and week[last + 1] == spans:
            last += 1
        if spans:
            days = DAY_NAMES[day] if last == day else f"{DAY_NAMES[day]}-{DAY_NAMES[last]}"
            groups.append(f"{days} {format_spans(spans)}")
        day = last + 1
    return "; ".join(groups) if groups else "never"


def format_spans(spans: Iterable[Span]) -> str:
    """Spans as "08:00-12:00,13:00-18:00"."""
    return ",".join(f"{_clock_text(start)}-{_clock_text(end)}" for start, end in spans)


def _clock_text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_closure(text: str) -> Closure:
    """A closure such as "2026-12-24..2026-12-26 holidays" (whole days, the last included)
    or "2026-12-31 14:00..18:00 early close"; ValidationError (field `closed`)."""
    raw = " ".join(text.split())
    found = _CLOSURE_RE.fullmatch(raw)
    if found is None:
        raise ValidationError(
            f"cannot read the closure {raw!r}; write 2026-12-24..2026-12-26 holidays "
            "(whole days) or 2026-12-31 14:00..18:00 early close",
            "closed",
        )
    reason = clean_one_line(found["reason"] or "", "closed", MAX_REASON_LENGTH, "a closure reason")
    start_day = _day(found["start_day"])
    if found["start_clock"] is None:
        if found["end_clock"] is not None or found["end_only"] is not None:
            raise ValidationError(f"{raw!r}: give a time on both ends or on neither", "closed")
        end_day = _day(found["end_day"]) if found["end_day"] else start_day
        if end_day < start_day:
            raise ValidationError(f"the closure {raw!r} ends before it starts", "closed")
        return Closure(
            datetime.combine(start_day, time(0)),
            datetime.combine(end_day + timedelta(days=1), time(0)),
            reason,
            whole_days=True,
        )
    start = datetime.combine(start_day, _clock(found["start_clock"], raw))
    if found["end_only"] is not None:
        end = datetime.combine(start_day, _clock(found["end_only"], raw))
    elif found["end_day"] is not None and found["end_clock"] is not None:
        end = datetime.combine(_day(found["end_day"]), _clock(found["end_clock"], raw))
    else:
        raise ValidationError(f"{raw!r}: a closure from a time needs an end time", "closed")
    if end <= start:
        raise ValidationError(f"the closure {raw!r} ends before it starts", "closed")
    return Closure(start, end, reason, whole_days=False)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValidationError(f"{text!r} is not a date", "closed") from exc


def _clock(text: str, raw: str) -> time:
    hour, _, minute = text.partition(":")
    if int(hour) > 23 or int(minute) > 59:
        raise ValidationError(f"{raw!r}: {text} is not a time of day (00:00-23:59)", "closed")
    return time(int(hour), int(minute))


def closure_spec(closure: Closure) -> str:
    """A closure as its spec reads: "2026-12-24..2026-12-26 holidays"."""
    if closure.whole_days:
        first = closure.start.date()
        last = closure.end.date() - timedelta(days=1)
        days = first.isoformat() if first == last else f"{first.isoformat()}..{last.isoformat()}"
    else:
        start = closure.start.strftime("%Y-%m-%d %H:%M")
        same_day = closure.end.date() == closure.start.date()
        end = closure.end.strftime("%H:%M" if same_day else "%Y-%m-%d %H:%M")
        days = f"{start}..{end}"
    return f"{days} {closure.reason}".strip()


_HOURS_NUMBER = re.compile(r"-?\d+(?:\.\d+)?", re.ASCII)


def read_minutes(text: str, field: str) -> int:
    """A length typed for a policy field (30m, 4h, 14d, 1:30) in whole minutes."""
    return parse_duration(text, field) // timedelta(minutes=1)


def read_week_hours(text: str) -> float:
    """The hours of a weekly allowance as typed: a number (8, 7.5) or a duration (7h30m)."""
    if _HOURS_NUMBER.fullmatch(text.strip()):
        return float(text)
    return parse_duration(text, "max_hours_per_week") / timedelta(hours=1)


def _check_minutes(value: int | None, field: str, what: str) -> int | None:
    if value is None:
        return None
    if value <= 0:
        raise ValidationError(f"{what} must be longer than zero", field)
    if value > MAX_LIMIT_MINUTES:
        raise ValidationError(f"{what} is at most 366 days", field)
    return value


@dataclass(frozen=True)
class _Checked:
    """`PolicyChanges` once read: the column values to write."""

    values: dict[str, Any]
    closures: list[Closure]


def check_changes(changes: PolicyChanges) -> _Checked:
    """Read and check every field of `changes`; ValidationError names the first bad field."""
    values: dict[str, Any] = {}
    if changes.timezone is not None:
        values["timezone"] = check_timezone(changes.timezone)
    if changes.hours is not None:
        values["hours"] = parse_hours(changes.hours)
    for name, what in (
        ("min_length_minutes", "the shortest booking"),
        ("max_length_minutes", "the longest booking"),
        ("min_notice_minutes", "the notice"),
        ("max_advance_minutes", "how far ahead one may book"),
    ):
        checked = _check_minutes(getattr(changes, name), name, what)
        if checked is not None:
            values[name] = checked
    if changes.max_active is not None:
        if not 1 <= changes.max_active <= MAX_ACTIVE_LIMIT:
            raise ValidationError(
                f"max_active is a number of bookings from 1 to {MAX_ACTIVE_LIMIT}", "max_active"
            )
        values["max_active"] = changes.max_active
    if changes.max_hours_per_week is not None:
        hours = changes.max_hours_per_week
        if not 0 < hours <= 168 or round(hours * 60) <= 0:
            raise ValidationError(
                "max_hours_per_week is a number of hours above 0 and at most 168",
                "max_hours_per_week",
            )
        values["max_minutes_per_week"] = round(hours * 60)
    for name, what in (
        ("approval_timeout_minutes", "the time to decide a request"),
        ("offer_hold_minutes", "the time an offer is held"),
    ):
        checked = _check_minutes(getattr(changes, name), name, what)
        if checked is not None:
            values[name] = checked
    if changes.approval is not None:
        values["approval"] = changes.approval
    if changes.approvers is not None:
        values["approvers"] = ",".join(
            dict.fromkeys(clean_username(name) for name in changes.approvers if name.strip())
        )
    shortest = values.get("min_length_minutes")
    longest = values.get("max_length_minutes")
    if shortest is not None and longest is not None and shortest > longest:
        raise ValidationError(
            "the shortest booking is longer than the longest", "min_length_minutes"
        )
    return _Checked(values, [parse_closure(text) for text in changes.add_closed])


def _check_approvers(session: Session, names: str) -> None:
    """Every approver named must be a user of the store."""
    wanted = [name for name in names.split(",") if name]
    known = set(session.scalars(select(User.username).where(User.username.in_(wanted))))
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise ValidationError(f"no user is called {unknown[0]!r}", "approvers")


# -- storing -------------------------------------------------------------------------------
def check_scope(session: Session, scope: PolicyScope) -> tuple[str, str, str]:
    """`(scope, scope_key, label)` of a scope, the resource or tag checked."""
    if scope.kind == "default":
        return "default", "", DEFAULT_LABEL
    if scope.kind == "tag":
        cleaned = clean_tags([scope.tag or ""])
        if not cleaned:
            raise ValidationError("no tag given", "tag")
        return "tag", cleaned[0], f"tag {cleaned[0]!r}"
    if scope.kind == "resource" and scope.resource_id is not None:
        resource_id = check_id(scope.resource_id, "resource")
        name = session.scalar(select(Resource.name).where(Resource.id == resource_id))
        if name is None:
            raise NotFoundError(f"resource {scope.resource_id} not found")
        return "resource", str(scope.resource_id), f"resource {name!r}"
    raise ValidationError("name a resource, a tag or the default policy", "scope")


def _scope_of(kind: str, key: str) -> PolicyScope:
    if kind == "resource":
        return PolicyScope("resource", resource_id=int(key))
    if kind == "tag":
        return PolicyScope("tag", tag=key)
    return PolicyScope("default")


def get_policy(session: Session, scope: PolicyScope) -> PolicyInfo:
    """One scope's own policy; every field unset when nothing is set there."""
    kind, key, label = check_scope(session, scope)
    row = _row(session, kind, key)
    return _info(row, _scope_of(kind, key), label)


def _row(session: Session, kind: str, key: str, lock: bool = False) -> Policy | None:
    query = select(Policy).where(Policy.scope == kind, Policy.scope_key == key)
    if lock:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def _info(row: Policy | None, scope: PolicyScope, label: str) -> PolicyInfo:
    if row is None:
        return PolicyInfo(scope=scope, label=label)
    hours = row.max_minutes_per_week
    return PolicyInfo(
        scope=scope,
        label=label,
        timezone=row.timezone,
        hours=row.hours,
        closed=list(read_closures(row.closed)),
        min_length_minutes=row.min_length_minutes,
        max_length_minutes=row.max_length_minutes,
        min_notice_minutes=row.min_notice_minutes,
        max_advance_minutes=row.max_advance_minutes,
        max_active=row.max_active,
        max_hours_per_week=None if hours is None else hours / 60,
        approval=row.approval,
        approvers=None if row.approvers is None else _names(row.approvers),
        approval_timeout_minutes=row.approval_timeout_minutes,
        offer_hold_minutes=row.offer_hold_minutes,
        updated_at=row.updated_at,
    )


def _names(text: str) -> list[str]:
    return [name for name in text.split(",") if name]


def list_policies(session: Session) -> list[PolicyInfo]:
    """Every scope that sets anything: the default first, then tags, then resources."""
    names = {row.id: row.name for row in session.execute(select(Resource.id, Resource.name))}
    order = {"default": 0, "tag": 1, "resource": 2}
    found: list[PolicyInfo] = []
    for row in session.scalars(select(Policy)):
        if row.scope == "resource":
            label = f"resource {names.get(int(row.scope_key), row.scope_key)!r}"
        elif row.scope == "tag":
            label = f"tag {row.scope_key!r}"
        else:
            label = DEFAULT_LABEL
        found.append(_info(row, _scope_of(row.scope, row.scope_key), label))
    return sorted(found, key=lambda p: (order[p.scope.kind], p.label))


def set_policy(
    session: Session, user: UserInfo, scope: PolicyScope, changes: PolicyChanges, now: datetime
) -> PolicyInfo:
    """Admin: write the checked `changes` into the scope's policy (closures are added)."""
    _require_admin(user)
    checked = check_changes(changes)
    if checked.values.get("approvers"):
        _check_approvers(session, checked.values["approvers"])
    kind, key, label = check_scope(session, scope)
    row = _row(session, kind, key, lock=True)
    if row is None:
        row = Policy(scope=kind, scope_key=key, closed="", updated_at=now)
        session.add(row)
    for name, value in checked.values.items():
        setattr(row, name, value)
    shortest = row.min_length_minutes
    longest = row.max_length_minutes
    if shortest is not None and longest is not None and shortest > longest:
        raise ValidationError(
            f"the shortest booking ({shortest} minutes) would be longer than the longest "
            f"({longest} minutes) in {label}",
            "min_length_minutes"
            if "min_length_minutes" in checked.values
            else "max_length_minutes",
        )
    if checked.closures:
        closures = list(read_closures(row.closed))
        closures.extend(c for c in checked.closures if c not in closures)
        if len(closures) > MAX_CLOSURES:
            raise ValidationError(f"a policy holds at most {MAX_CLOSURES} closures", "closed")
        row.closed = write_closures(sorted(closures, key=lambda c: (c.start, c.end)))
    row.updated_at = now
    session.flush()
    return _info(row, _scope_of(kind, key), label)


def clear_policy(
    session: Session, user: UserInfo, scope: PolicyScope, fields: Sequence[str], now: datetime
) -> PolicyInfo:
    """Admin: unset the named fields of the scope's policy (all of them when none)."""
    _require_admin(user)
    unknown = [name for name in fields if name not in POLICY_FIELDS]
    if unknown:
        raise ValidationError(
            f"unknown policy field {unknown[0]!r}; the fields are {', '.join(POLICY_FIELDS)}",
            "fields",
        )
    kind, key, label = check_scope(session, scope)
    row = _row(session, kind, key, lock=True)
    if row is None:
        return PolicyInfo(scope=_scope_of(kind, key), label=label)
    for name in fields or POLICY_FIELDS:
        if name == "closed":
            row.closed = ""
        elif name == "max_hours_per_week":
            row.max_minutes_per_week = None
        else:
            setattr(row, name, None)
    row.updated_at = now
    info = _info(row, _scope_of(kind, key), label)
    if _is_empty(info):
        session.delete(row)
        session.flush()
        return PolicyInfo(scope=info.scope, label=label)
    session.flush()
    return info


def _is_empty(info: PolicyInfo) -> bool:
    return not info.closed and all(
        getattr(info, name) is None for name in POLICY_FIELDS if name != "closed"
    )


def _require_admin(user: UserInfo) -> None:
    if not user.is_admin:
        raise ForbiddenError("access denied: only an admin may change booking policies")


def write_closures(closures: Sequence[Closure]) -> str:
    """Closures as the JSON text the `closed` column holds."""
    return json.dumps(
        [
            [
                c.start.isoformat(timespec="minutes"),
                c.end.isoformat(timespec="minutes"),
                c.reason,
                c.whole_days,
            ]
            for c in closures
        ],
        ensure_ascii=False,
    )


@lru_cache(maxsize=1024)
def read_closures(text: str) -> tuple[Closure, ...]:
    """The closures a `closed` column holds."""
    if not text:
        return ()
    return tuple(
        Closure(datetime.fromisoformat(start), datetime.fromisoformat(end), reason, whole)
        for start, end, reason, whole in json.loads(text)
    )


# -- the effective policy --------------------------------------------------------------------
@dataclass(slots=True)
class Rules:
    """A resource's effective policy, as the booking path checks it.

    Each `*_from` is the label of the scope the field comes from; `allowance_scope`
    of the per-user fields is `(scope, key)` to count the user's bookings in.
    """

    resource_id: int
    resource_name: str
    zone: ZoneInfo
    zone_from: str
    hours: str | None
    hours_from: str
    closures: tuple[tuple[Closure, str], ...]
    min_length: int
    min_length_from: str
    max_length: int
    max_length_from: str
    min_notice: int | None
    min_notice_from: str
    max_advance: int | None
    max_advance_from: str
    max_active: int | None
    max_active_from: str
    max_active_scope: tuple[str, str]
    max_week: int | None
    max_week_from: str
    max_week_scope: tuple[str, str]
    approval: bool = False
    approval_from: str = BUILT_IN
    approvers: tuple[str, ...] = ()
    approvers_from: str = BUILT_IN
    approval_timeout: int = DEFAULT_APPROVAL_TIMEOUT
    approval_timeout_from: str = BUILT_IN
    offer_hold: int = DEFAULT_OFFER_HOLD
    offer_hold_from: str = BUILT_IN

    def may_approve(self, user: UserInfo) -> bool:
        """Whether `user` may decide requests on the resource: an admin or an approver."""
        return user.is_admin or user.username in self.approvers

    @property
    def has_allowances(self) -> bool:
        return self.max_active is not None or self.max_week is not None

    @property
    def limits_time(self) -> bool:
        return self.limits_hours or bool(self.closures)

    @property
    def limits_hours(self) -> bool:
        return self.hours not in (None, "always")


_RULE_COLUMNS = (
    "timezone",
    "hours",
    "min_length_minutes",
    "max_length_minutes",
    "min_notice_minutes",
    "max_advance_minutes",
    "max_active",
    "max_minutes_per_week",
    "approval",
    "approvers",
    "approval_timeout_minutes",
    "offer_hold_minutes",
)


_RULE_ROWS = select(
    Policy.scope,
    Policy.scope_key,
    Policy.closed,
    *(getattr(Policy, name) for name in _RULE_COLUMNS),
)
_POLICY_ROWS = _RULE_ROWS.where(
    or_(
        Policy.scope == "default",
        (Policy.scope == "resource") & (Policy.scope_key == bindparam("resource_key")),
        (Policy.scope == "tag")
        & Policy.scope_key.in_(
            select(ResourceTag.tag).where(ResourceTag.resource_id == bindparam("resource_id"))
        ),
    )
)


def policy_rows(connection: Connection, resource_id: int) -> list[Any]:
    """The policy rows that bear on a resource: its own, its tags', the default."""
    return list(
        connection.execute(
            _POLICY_ROWS, {"resource_key": str(resource_id), "resource_id": resource_id}
        )
    )


@dataclass(frozen=True)
class ScopeRules:
    """What one scope's policy row sets: its set columns and its closures."""

    fields: dict[str, Any]
    closures: tuple[Closure, ...]


PolicyIndex = dict[tuple[str, str], ScopeRules]
"""Policy rows by `(scope, scope_key)`, read for `resolve`."""


def index_rows(rows: Iterable[Any]) -> PolicyIndex:
    """Policy rows by scope, for `resolve`."""
    return {
        (row.scope, row.scope_key): ScopeRules(
            {name: value for name in _RULE_COLUMNS if (value := getattr(row, name)) is not None},
            read_closures(row.closed),
        )
        for row in rows
    }


def all_policies(connection: Connection) -> PolicyIndex:
    """Every policy row (a store holds few) by scope: for resolving many resources at once."""
    return index_rows(connection.execute(_RULE_ROWS))


def resolve(
    by_scope: PolicyIndex,
    resource_id: int,
    resource_name: str,
    tags: Sequence[str],
    settings: Settings,
) -> Rules:
    """The effective policy of a resource from the policy rows by scope (any superset of
    those that bear on it): each field from its resource, then its tags in order, then
    the default."""
    chain: list[tuple[tuple[str, str], str, ScopeRules]] = []
    own = by_scope.get(("resource", str(resource_id)))
    if own is not None:
        chain.append((("resource", str(resource_id)), f"resource {resource_name!r}", own))
    for tag in tags:
        entry = by_scope.get(("tag", tag))
        if entry is not None:
            chain.append((("tag", tag), f"tag {tag!r}", entry))
    default = by_scope.get(("default", ""))
    if default is not None:
        chain.append((("default", ""), DEFAULT_LABEL, default))
    picked: dict[str, tuple[Any, str, tuple[str, str]]] = {}
    for key, label, entry in reversed(chain):
        picked.update({name: (value, label, key) for name, value in entry.fields.items()})
    unset = (None, "", ("default", ""))
    store_zone = settings.tz or "UTC"
    zone_name, zone_from, _ = picked.get(
        "timezone", (store_zone, STORE_SETTINGS if settings.tz else BUILT_IN, None)
    )
    hours, hours_from, _ = picked.get("hours", unset)
    min_length, min_length_from, _ = picked.get(
        "min_length_minutes", (settings.min_booking_minutes, STORE_SETTINGS, None)
    )
    max_length, max_length_from, _ = picked.get(
        "max_length_minutes", (settings.max_booking_hours * 60, STORE_SETTINGS, None)
    )
    min_notice, min_notice_from, _ = picked.get("min_notice_minutes", unset)
    max_advance, max_advance_from, _ = picked.get("max_advance_minutes", unset)
    max_active, max_active_from, active_scope = picked.get("max_active", unset)
    max_week, max_week_from, week_scope = picked.get("max_minutes_per_week", unset)
    closures = tuple((closure, label) for _, label, entry in chain for closure in entry.closures)
    approval, approval_from, _ = picked.get("approval", (False, BUILT_IN, None))
    approvers, approvers_from, _ = picked.get("approvers", ("", BUILT_IN, None))
    timeout, timeout_from, _ = picked.get(
        "approval_timeout_minutes", (DEFAULT_APPROVAL_TIMEOUT, BUILT_IN, None)
    )
    hold, hold_from, _ = picked.get("offer_hold_minutes", (DEFAULT_OFFER_HOLD, BUILT_IN, None))
    return Rules(
        resource_id=resource_id,
        resource_name=resource_name,
        zone=_zone(zone_name),
        zone_from=zone_from,
        hours=hours,
        hours_from=hours_from,
        closures=closures,
        min_length=min_length,
        min_length_from=min_length_from,
        max_length=max_length,
        max_length_from=max_length_from,
        min_notice=min_notice,
        min_notice_from=min_notice_from,
        max_advance=max_advance,
        max_advance_from=max_advance_from,
        max_active=max_active,
        max_active_from=max_active_from,
        max_active_scope=active_scope,
        max_week=max_week,
        max_week_from=max_week_from,
        max_week_scope=week_scope,
        approval=bool(approval),
        approval_from=approval_from,
        approvers=tuple(_names(approvers)),
        approvers_from=approvers_from,
        approval_timeout=timeout,
        approval_timeout_from=timeout_from,
        offer_hold=hold,
        offer_hold_from=hold_from,
    )


def rules_of(effective: EffectivePolicy) -> Rules:
    """The rules for anyone that an effective policy (as `effective_policy` or a server sent
    it) describes, so that a form can judge a window before it is sent. Allowances are
    left out: only the store can count a user's bookings."""
    fields = {f.name: f for f in effective.fields}

    def value(name: str) -> Any:
        found = fields.get(name)
        return None if found is None else found.value

    def source(name: str) -> str:
        found = fields.get(name)
        return "" if found is None else found.source

    closed = value("closed") or []
    return Rules(
        resource_id=effective.resource.id,
        resource_name=effective.resource.name,
        zone=_zone(effective.timezone),
        zone_from=source("timezone"),
        hours=value("hours"),
        hours_from=source("hours"),
        closures=tuple((closure, source("closed")) for closure in closed),
        min_length=value("min_length_minutes") or 1,
        min_length_from=source("min_length_minutes"),
        max_length=value("max_length_minutes") or MAX_LIMIT_MINUTES,
        max_length_from=source("max_length_minutes"),
        min_notice=value("min_notice_minutes"),
        min_notice_from=source("min_notice_minutes"),
        max_advance=value("max_advance_minutes"),
        max_advance_from=source("max_advance_minutes"),
        max_active=None,
        max_active_from="",
        max_active_scope=("default", ""),
        max_week=None,
        max_week_from="",
        max_week_scope=("default", ""),
        approval=bool(value("approval")),
        approval_from=source("approval"),
        approvers=tuple(value("approvers") or ()),
        approvers_from=source("approvers"),
    )


def open_during(
    connection: Connection,
    found: Sequence[ResourceInfo],
    start: datetime,
    end: datetime,
    settings: Settings,
    now: datetime,
    counting: AllowanceCounter | None = None,
) -> list[ResourceInfo]:
    """The resources of `found` whose policy allows anyone to book `[start, end)`: open all
    that time, and within their lengths and lead times (a search for a free window leaves
    out the others); with `counting`, the user's holdings, also within their allowances."""
    rows = all_policies(connection)
    if not rows and settings.min_booking_minutes * 60 <= (end - start).total_seconds() <= (
        settings.max_booking_hours * 3600
    ):
        return list(found)
    cache = _SearchCache.current(rows, settings)
    own = {int(key) for kind, key in rows if kind == "resource"}
    verdicts: dict[tuple[str, ...], bool] = {}
    kept: list[ResourceInfo] = []
    for resource in found:
        # A resource's rules depend on its own policy, if any, and its tags' policies alone.
        mine = str(resource.id) if resource.id in own else ""
        key = (mine, *(tag for tag in resource.tags if ("tag", tag) in rows))
        if key not in verdicts:
            verdicts[key] = cache.allows(key, resource, start, end, now) and (
                counting is None
                or allowance_refusal(cache.rules[key], counting, start, end) is None
            )
        if verdicts[key]:
            kept.append(resource)
    return kept


class _SearchCache:
    """Effective rules and open-window verdicts by chain of scopes, kept while the store's
    policies and settings stay as they were: searches ask for the same few hundred."""

    _latest: _SearchCache | None = None
    _MAX_VERDICTS = 20_000

    def __init__(self, stamp: tuple[Any, ...], rows: PolicyIndex, settings: Settings) -> None:
        self.stamp = stamp
        self.rows = rows
        self.settings = settings
        self.rules: dict[tuple[str, ...], Rules] = {}
        self.open: dict[tuple[tuple[str, ...], datetime, datetime], bool] = {}

    @classmethod
    def current(cls, rows: PolicyIndex, settings: Settings) -> _SearchCache:
        """The cache for these policy rows and settings, a new one when either changed (it
        is told by what they hold: another store, or another process's change, is another)."""
        stamp = (
            tuple(
                sorted(
                    (key, tuple(sorted(entry.fields.items())), entry.closures)
                    for key, entry in rows.items()
                )
            ),
            settings.tz,
            settings.min_booking_minutes,
            settings.max_booking_hours,
        )
        latest = cls._latest
        if latest is None or latest.stamp != stamp:
            latest = cls._latest = cls(stamp, rows, settings)
        return latest

    def allows(
        self,
        key: tuple[str, ...],
        resource: ResourceInfo,
        start: datetime,
        end: datetime,
        now: datetime,
    ) -> bool:
        """Whether the rules of chain `key` (those of `resource`) let anyone book the window."""
        rules = self.rules.get(key)
        if rules is None:
            rules = resolve(self.rows, resource.id, resource.name, resource.tags, self.settings)
            self.rules[key] = rules
        window = (key, start, end)
        is_open = self.open.get(window)
        if is_open is None:
            if len(self.open) >= self._MAX_VERDICTS:
                self.open.clear()
            is_open = self.open[window] = _passes(
                lambda: check_open(rules, start, end, length_too=True)
            )
        return is_open and _passes(lambda: check_lead(rules, start, now))


def _passes(check: Any) -> bool:
    try:
        check()
    except PolicyError:
        return False
    return True


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def load_rules(
    connection: Connection, resource_id: int, name: str, tags: Sequence[str], settings: Settings
) -> Rules:
    """The effective policy of one resource, read in the caller's transaction."""
    rows = index_rows(policy_rows(connection, resource_id))
    return resolve(rows, resource_id, name, tags, settings)


def effective_policy(
    session: Session,
    resource: ResourceInfo,
    user: UserInfo | None,
    settings: Settings,
    now: datetime,
) -> EffectivePolicy:
    """A resource's effective policy field by field, and `user`'s allowances on it."""
    rules = load_rules(session.connection(), resource.id, resource.name, resource.tags, settings)
    fields = [
        EffectiveField("timezone", rules.zone.key, rules.zone_from),
    ]
    if rules.hours is not None:
        fields.append(EffectiveField("hours", rules.hours, rules.hours_from))
    if rules.closures:
        sources = ", ".join(dict.fromkeys(label for _, label in rules.closures))
        fields.append(EffectiveField("closed", [c for c, _ in rules.closures], sources))
    fields.append(EffectiveField("min_length_minutes", rules.min_length, rules.min_length_from))
    fields.append(EffectiveField("max_length_minutes", rules.max_length, rules.max_length_from))
    for name, value, source in (
        ("min_notice_minutes", rules.min_notice, rules.min_notice_from),
        ("max_advance_minutes", rules.max_advance, rules.max_advance_from),
        ("max_active", rules.max_active, rules.max_active_from),
        (
            "max_hours_per_week",
            None if rules.max_week is None else rules.max_week / 60,
            rules.max_week_from,
        ),
    ):
        if value is not None:
            fields.append(EffectiveField(name, value, source))
    if rules.approval:
        fields.append(EffectiveField("approval", True, rules.approval_from))
        fields.append(EffectiveField("approvers", list(rules.approvers), rules.approvers_from))
        fields.append(
            EffectiveField(
                "approval_timeout_minutes", rules.approval_timeout, rules.approval_timeout_from
            )
        )
    if rules.offer_hold_from != BUILT_IN:
        fields.append(EffectiveField("offer_hold_minutes", rules.offer_hold, rules.offer_hold_from))
    allowances: list[Allowance] = []
    if user is not None:
        connection = session.connection()
        if rules.max_active is not None:
            used = count_active(connection, user.id, rules.max_active_scope, now)
            allowances.append(
                Allowance(
                    "max_active", rules.max_active_from, rules.max_active, used, user.is_admin
                )
            )
        if rules.max_week is not None:
            booked = held_windows(connection, user.id, rules.max_week_scope, now, now + WEEK)
            used_minutes = sum(_overlap(b, (now, now + WEEK)) for b in booked) / 60
            allowances.append(
                Allowance(
                    "max_hours_per_week",
                    rules.max_week_from,
                    rules.max_week / 60,
                    used_minutes / 60,
                    user.is_admin,
                    now,
                    now + WEEK,
                )
            )
    return EffectivePolicy(resource, rules.zone.key, fields, allowances)


# -- open and closed time ------------------------------------------------------------------
def closed_between(rules: Rules, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The closed time of a resource within `[start, end)` (UTC): outside its opening hours
    or in a closure; sorted and merged."""
    if not rules.limits_time or end <= start:
        return []
    closed = list(_outside_hours(rules.hours, rules.zone, start, end)) if rules.limits_hours else []
    for closure, _ in rules.closures:
        first, last = _closure_instants(closure, rules.zone)
        if first < end and last > start:
            closed.append((max(first, start), min(last, end)))
    return _merged(closed)


@lru_cache(maxsize=512)
def _outside_hours(
    hours: str, zone: ZoneInfo, start: datetime, end: datetime
) -> tuple[tuple[datetime, datetime], ...]:
    """The time within `[start, end)` outside the opening hours `hours` in `zone`."""
    closed: list[tuple[datetime, datetime]] = []
    cursor = start
    for open_start, open_end in _open_spans(hours, zone, start, end):
        if open_start > cursor:
            closed.append((cursor, min(open_start, end)))
        cursor = max(cursor, open_end)
    if cursor < end:
        closed.append((cursor, end))
    return tuple(closed)


def _open_spans(
    hours: str, zone: ZoneInfo, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The open spans of the opening hours that meet `[start, end)`, merged where they
    touch (across midnight, say), in UTC."""
    week = _read_hours(hours)
    first = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=1)
    spans: list[tuple[datetime, datetime]] = []
    day = first
    while day <= last:
        for open_start, open_end in week[day.weekday()]:
            spans.append((_instant(day, open_start, zone), _instant(day, open_end, zone)))
        day += timedelta(days=1)
    return [span for span in _merged(spans) if span[0] < end and span[1] > start]


def _instant(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    # Wall-clock arithmetic: the date's midnight plus the clock, then placed in the zone.
    wall = datetime.combine(day, time(0)) + timedelta(minutes=minutes)
    local = wall.replace(tzinfo=zone)
    return local.astimezone(UTC)


@lru_cache(maxsize=4096)
def _closure_instants(closure: Closure, zone: ZoneInfo) -> tuple[datetime, datetime]:
    return (
        closure.start.replace(tzinfo=zone).astimezone(UTC),
        closure.end.replace(tzinfo=zone).astimezone(UTC),
    )


def _merged(windows: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for first, last in sorted(windows):
        if merged and first <= merged[-1][1]:
            if last > merged[-1][1]:
                merged[-1] = (merged[-1][0], last)
        else:
            merged.append((first, last))
    return merged


def _overlap(window: tuple[datetime, datetime], other: tuple[datetime, datetime]) -> float:
    """Seconds two windows share."""
    return max(0.0, (min(window[1], other[1]) - max(window[0], other[0])).total_seconds())


# -- checking a booking ----------------------------------------------------------------------
def check_window_rules(rules: Rules, start: datetime, end: datetime, now: datetime) -> None:
    """Refuse a window the resource's policy does not allow for anyone: its length, the
    notice, how far ahead, opening hours and closures."""
    check_length(rules, int((end - start).total_seconds() // 60))
    check_lead(rules, start, now)
    check_open(rules, start, end)


def check_open(rules: Rules, start: datetime, end: datetime, *, length_too: bool = False) -> None:
    """Refuse a window outside the opening hours or in a closure (and, `length_too`, one
    shorter or longer than allowed)."""
    if length_too:
        check_length(rules, int((end - start).total_seconds() // 60))
    if not rules.limits_time:
        return
    for closure, label in rules.closures:
        first, last = _closure_instants(closure, rules.zone)
        if first < end and last > start:
            why = f"{closure.reason}; " if closure.reason else ""
            raise _refusal(
                "closed",
                f"{rules.resource_name} is closed {closure_period_text(closure)} ({why}closures "
                f"of {label}, {rules.zone.key})",
                label,
                rules,
                "start_time",
                figures={
                    "closed_from": first.isoformat(),
                    "closed_until": last.isoformat(),
                    "reason": closure.reason,
                    "timezone": rules.zone.key,
                },
            )
    closed = closed_between(rules, start, end)
    if closed and rules.limits_hours:
        raise _hours_refusal(rules, closed[0][0])


def check_length(rules: Rules, length: int) -> None:
    """Refuse a booking of `length` minutes shorter or longer than the policy allows."""
    name = rules.resource_name
    if length < rules.min_length:
        raise _refusal(
            "min_length",
            f"a booking of {name} lasts at least {_length(rules.min_length)}; this one lasts "
            f"{_length(length)}",
            rules.min_length_from,
            rules,
            "end_time",
            rules.min_length,
            length,
            "minutes",
        )
    if length > rules.max_length:
        raise _refusal(
            "max_length",
            f"a booking of {name} lasts at most {_length(rules.max_length)}; this one lasts "
            f"{_length(length)}",
            rules.max_length_from,
            rules,
            "end_time",
            rules.max_length,
            length,
            "minutes",
        )


def check_lead(rules: Rules, start: datetime, now: datetime) -> None:
    """Refuse a booking starting sooner than the notice or further ahead than allowed."""
    name = rules.resource_name
    ahead = int((start - now).total_seconds() // 60)
    if rules.min_notice is not None and ahead < rules.min_notice:
        raise _refusal(
            "min_notice",
            f"{name} must be booked at least {_length(rules.min_notice)} ahead; this booking "
            f"starts in {_length(max(ahead, 0))}",
            rules.min_notice_from,
            rules,
            "start_time",
            rules.min_notice,
            ahead,
            "minutes",
        )
    if rules.max_advance is not None and ahead > rules.max_advance:
        raise _refusal(
            "max_advance",
            f"{name} can be booked at most {_length(rules.max_advance)} ahead; this booking "
            f"starts in {_length(ahead)}",
            rules.max_advance_from,
            rules,
            "start_time",
            rules.max_advance,
            ahead,
            "minutes",
        )


def earliest_gap(
    busy: list[tuple[datetime, datetime]], after: datetime, duration: timedelta
) -> datetime:
    """The first whole minute at or after `after` where `duration` fits between sorted
    busy windows: a slot offered to people starts on a minute they can type."""
    candidate = _whole_minute_from(after)
    for start, end in busy:
        if end <= candidate:
            continue
        if start >= candidate + duration:
            break
        candidate = max(candidate, _whole_minute_from(end))
    return candidate


def _whole_minute_from(moment: datetime) -> datetime:
    whole = moment.replace(second=0, microsecond=0)
    return whole if whole == moment else whole + timedelta(minutes=1)


def _hours_refusal(rules: Rules, first_closed: datetime) -> PolicyError:
    assert rules.hours is not None
    local = first_closed.astimezone(rules.zone)
    weekday = local.weekday()
    spans = _read_hours(rules.hours)[weekday]
    if not spans:
        what = f"{rules.resource_name} is closed on {_DAY_TITLES[weekday]}s"
    else:
        what = (
            f"{rules.resource_name} is open on {_DAY_TITLES[weekday]}s only "
            f"{format_spans(spans).replace(',', ', ')}"
        )
    return _refusal(
        "hours",
        f"{what} (opening hours of {rules.hours_from}: {opening_hours_text(rules.hours)} "
        f"{rules.zone.key})",
        rules.hours_from,
        rules,
        "start_time",
        figures={
            "hours": rules.hours,
            "timezone": rules.zone.key,
            "closed_at": first_closed.isoformat(),
        },
    )


def check_allowances(
    connection: Connection,
    rules: Rules,
    user_id: int,
    start: datetime,
    end: datetime,
    now: datetime,
    excluding: int | None = None,
) -> None:
    """Refuse a booking by `user_id` (not an admin: admins are exempt) that would take them
    past an allowance; the reservation `excluding` (one being moved) is not counted.

    The caller holds the user's lock (see `LOCK_USER`), so no other booking of the
    user's commits between this count and the insert.
    """
    if rules.max_active is not None:
        held = count_active(connection, user_id, rules.max_active_scope, now, excluding)
        if held + 1 > rules.max_active:
            raise _active_refusal(rules, held)
    if rules.max_week is not None:
        booked = held_windows(
            connection, user_id, rules.max_week_scope, start - WEEK, end + WEEK, excluding
        )
        refusal = _week_refusal(rules, booked, start, end)
        if refusal is not None:
            raise refusal


def _active_refusal(rules: Rules, held: int) -> PolicyError:
    assert rules.max_active is not None
    return _refusal(
        "max_active",
        f"you already hold {held} active {_plural(held, 'booking')}"
        f"{where_text(rules.max_active_from)}, the most one may hold at once "
        f"({rules.max_active_from} allows {rules.max_active})",
        rules.max_active_from,
        rules,
        None,
        rules.max_active,
        held,
        "bookings",
    )


def _week_refusal(
    rules: Rules, booked: Sequence[tuple[datetime, datetime]], start: datetime, end: datetime
) -> PolicyError | None:
    """The refusal of `[start, end)` by the weekly allowance, or None when it fits."""
    assert rules.max_week is not None
    near = (start - WEEK, end + WEEK)
    if (sum(_overlap(b, near) for b in booked) + (end - start).total_seconds()) / 60 <= (
        rules.max_week
    ):
        # Even all of it in one week would fit: no need to find the busiest.
        return None
    worst_start, worst_held = busiest_week(booked, start, end)
    in_worst = _overlap((start, end), (worst_start, worst_start + WEEK)) / 60
    if worst_held + in_worst <= rules.max_week + 1e-9:
        return None
    requested = (end - start).total_seconds() / 3600
    limit = rules.max_week / 60
    current = worst_held / 60
    total = (worst_held + in_worst) / 60
    return PolicyError(
        week_refusal_text(
            requested, total, limit, rules.max_week_from, current, worst_start, rules.zone
        ),
        "max_hours_per_week",
        rules.max_week_from,
        None,
        limit,
        round(current, 2),
        "hours",
        rules.resource_name,
        {
            "requested": round(requested, 2),
            "would_hold": round(total, 2),
            "window_start": worst_start.isoformat(),
            "window_end": (worst_start + WEEK).isoformat(),
        },
    )


class AllowanceCounter:
    """A user's holdings per allowance scope, read once for a free-slot search or a series.

    Windows are read from a week ago up to `until` (default: a year and a week ahead).
    `hold` counts a booking planned but not yet written (a series' earlier dates);
    `set_aside` leaves out windows about to move (a series' own occurrences, being
    retimed on the resource the rules are for)."""

    def __init__(
        self,
        connection: Connection,
        user_id: int,
        now: datetime,
        excluding: int | None,
        until: datetime | None = None,
    ) -> None:
        self.connection = connection
        self.user_id = user_id
        self.now = now
        self.excluding = excluding
        self.until = until if until is not None else now + SEARCH_AHEAD + WEEK
        self._active: dict[tuple[str, str], int] = {}
        self._windows: dict[tuple[str, str], list[tuple[datetime, datetime]]] = {}
        self._aside: list[tuple[datetime, datetime]] = []

    def active(self, scope: tuple[str, str]) -> int:
        """Active bookings not ended in `scope`."""
        if scope not in self._active:
            counted = count_active(self.connection, self.user_id, scope, self.now, self.excluding)
            aside = sum(1 for _, end in self._aside if end > self.now)
            self._active[scope] = counted - aside
        return self._active[scope]

    def windows(self, scope: tuple[str, str]) -> list[tuple[datetime, datetime]]:
        """Held booking windows in `scope` from a week ago to `until`."""
        if scope not in self._windows:
            held = held_windows(
                self.connection,
                self.user_id,
                scope,
                self.now - WEEK,
                self.until,
                self.excluding,
            )
            for window in self._aside:
                if window in held:
                    held.remove(window)
            self._windows[scope] = sorted(held)
        return self._windows[scope]

    def set_aside(self, windows: Sequence[tuple[datetime, datetime]]) -> None:
        """Count none of these held windows (before anything is counted)."""
        self._aside = list(windows)

    def hold(self, rules: Rules, start: datetime, end: datetime) -> None:
        """Count `[start, end)` as held in the scopes of `rules`' allowances."""
        if rules.max_active is not None:
            self._active[rules.max_active_scope] = self.active(rules.max_active_scope) + 1
        if rules.max_week is not None:
            self.windows(rules.max_week_scope).append((start, end))


def allowance_refusal(
    rules: Rules, counting: AllowanceCounter, start: datetime, end: datetime
) -> PolicyError | None:
    """The refusal of `[start, end)` by an allowance of the counted user, or None."""
    if rules.max_active is not None:
        held = counting.active(rules.max_active_scope)
        if held + 1 > rules.max_active:
            return _active_refusal(rules, held)
    if rules.max_week is not None:
        return _week_refusal(rules, counting.windows(rules.max_week_scope), start, end)
    return None


SEARCH_AHEAD = timedelta(days=367)
_SEARCH_CHUNK = timedelta(days=7)
_WEEKLY_STEP = timedelta(minutes=15)
_WEEKLY_TRIES = 3000


def _next_step(moment: datetime) -> datetime:
    """The next quarter hour after `moment`: where a search past a weekly limit tries next."""
    step = int(_WEEKLY_STEP.total_seconds() // 60)
    whole = moment.replace(second=0, microsecond=0)
    return whole + timedelta(minutes=step - whole.minute % step)


def earliest_allowed(
    rules: Rules,
    busy: list[tuple[datetime, datetime]],
    after: datetime,
    duration: timedelta,
    latest: datetime,
    now: datetime,
    counting: AllowanceCounter | None,
) -> datetime | None:
    """The earliest start from `after` up to `latest` where `duration` fits between the
    sorted `busy` windows and the resource's closed time, and that the policy allows
    (with `counting`, the user's allowances too). PolicyError when a rule rules out
    every start."""
    check_length(rules, int(duration.total_seconds() // 60))
    if rules.min_notice is not None:
        after = max(after, now + timedelta(minutes=rules.min_notice))
    if rules.max_advance is not None:
        latest = min(latest, now + timedelta(minutes=rules.max_advance))
        if after > latest:
            check_lead(rules, after, now)
    if counting is not None and rules.max_active is not None:
        held = counting.active(rules.max_active_scope)
        if held + 1 > rules.max_active:
            raise _active_refusal(rules, held)
    weekly: PolicyError | None = None
    tries = 0
    chunk = _SEARCH_CHUNK if rules.limits_time else latest - after + timedelta(minutes=1)
    begin = after
    while begin <= latest:
        stop = begin + chunk
        closed = closed_between(rules, begin, stop + duration)
        merged = sorted([*busy, *closed]) if closed else busy
        start = earliest_gap(merged, begin, duration)
        while start < stop and start <= latest:
            if counting is None or rules.max_week is None:
                return start
            booked = counting.windows(rules.max_week_scope)
            weekly = _week_refusal(rules, booked, start, start + duration)
            if weekly is None:
                return start
            tries += 1
            if tries >= _WEEKLY_TRIES:
                raise weekly
            start = earliest_gap(merged, _next_step(start), duration)
        begin = stop
        chunk = min(chunk * 2, SEARCH_AHEAD)
    if weekly is not None:
        raise weekly
    return None


def busiest_week(
    booked: Sequence[tuple[datetime, datetime]], start: datetime, end: datetime
) -> tuple[datetime, float]:
    """Of the 7-day windows that share time with `[start, end)`, the one where the new
    booking and the `booked` windows together fill the most: `(its start, booked minutes
    in it, the new booking left out)`.

    The filled time is piecewise linear in the window's start, so its maximum lies where
    a window's edge meets a booking's edge (or at the ends of the range); the booked time
    before any instant comes from running totals of the sorted edges.
    """
    lowest = start - WEEK + timedelta(minutes=1)
    highest = max(end - timedelta(minutes=1), lowest)
    before = _BookedBefore(booked)
    candidates = {lowest, highest}
    for first, last in [*booked, (start, end)]:
        for edge in (first, last, first - WEEK, last - WEEK):
            if lowest <= edge <= highest:
                candidates.add(edge)
    best: tuple[datetime, float, float] | None = None
    for candidate in sorted(candidates):
        window = (candidate, candidate + WEEK)
        held = (before.seconds(candidate + WEEK) - before.seconds(candidate)) / 60
        total = held + _overlap((start, end), window) / 60
        if best is None or total > best[2] + 1e-9:
            best = (candidate, held, total)
    assert best is not None
    return best[0], best[1]


class _BookedBefore:
    """How many seconds of a set of windows (which may overlap) lie before an instant."""

    def __init__(self, windows: Sequence[tuple[datetime, datetime]]) -> None:
        self.starts = sorted(first.timestamp() for first, _ in windows)
        self.ends = sorted(last.timestamp() for _, last in windows)
        self.start_sums = [0.0, *accumulate(self.starts)]
        self.end_sums = [0.0, *accumulate(self.ends)]

    def seconds(self, moment: datetime) -> float:
        """Each window's time before `moment`: begun ones count from their start, ended
        ones lose what lies past their end."""
        at = moment.timestamp()
        begun = bisect_left(self.starts, at)
        ended = bisect_left(self.ends, at)
        return (begun * at - self.start_sums[begun]) - (ended * at - self.end_sums[ended])


_STATUS = func.coalesce(Reservation.status, "")
"""The status, read where no index on it can serve: see `_IN_SCOPE`."""

# `resource_id + 0` keeps the planner on the user's own rows (`ix_reservations_user_end`):
# driving the count from a tag's resources reads everyone's bookings of them. A tag is
# looked up row by row, as the user's rows are few beside the tag's resources.
_IN_SCOPE = {
    "default": None,
    "resource": Reservation.resource_id + 0 == bindparam("scope_id"),
    "tag": exists().where(
        ResourceTag.resource_id == Reservation.resource_id,
        ResourceTag.tag == bindparam("scope_tag"),
    ),
}
_OTHER_THAN = Reservation.id != bindparam("excluding")


def _per_scope(query: Any) -> dict[str, Any]:
    return {
        kind: query if condition is None else query.where(condition)
        for kind, condition in _IN_SCOPE.items()
    }


_COUNT_ACTIVE = _per_scope(
    select(func.count()).where(
        Reservation.user_id == bindparam("user_id"),
        Reservation.end_time > bindparam("now", type_=UTCDateTime()),
        _STATUS.in_(HOLDING_STATUSES),
        _OTHER_THAN,
    )
)
_HELD_WINDOWS = _per_scope(
    select(Reservation.start_time, Reservation.end_time).where(
        Reservation.user_id == bindparam("user_id"),
        Reservation.end_time > bindparam("start", type_=UTCDateTime()),
        Reservation.start_time < bindparam("end", type_=UTCDateTime()),
        _STATUS.in_((*HOLDING_STATUSES, "expired")),
        _OTHER_THAN,
    )
)


def _scope_values(scope: tuple[str, str], excluding: int | None) -> dict[str, Any]:
    kind, key = scope
    values: dict[str, Any] = {"excluding": excluding or 0}
    if kind == "resource":
        values["scope_id"] = int(key)
    elif kind == "tag":
        values["scope_tag"] = key
    return values


def count_active(
    connection: Connection,
    user_id: int,
    scope: tuple[str, str],
    now: datetime,
    excluding: int | None = None,
) -> int:
    """How many active bookings that have not ended `user_id` holds in a scope."""
    values = _scope_values(scope, excluding) | {"user_id": user_id, "now": now}
    return int(connection.execute(_COUNT_ACTIVE[scope[0]], values).scalar_one())


def held_windows(
    connection: Connection,
    user_id: int,
    scope: tuple[str, str],
    start: datetime,
    end: datetime,
    excluding: int | None = None,
) -> list[tuple[datetime, datetime]]:
    """The windows of `user_id`'s bookings in a scope that were or are held (active or
    run to their end) and meet `[start, end)`."""
    values = _scope_values(scope, excluding) | {"user_id": user_id, "start": start, "end": end}
    return [(row[0], row[1]) for row in connection.execute(_HELD_WINDOWS[scope[0]], values)]


LOCK_USER = select(User.id, User.role).where(User.id == bindparam("user_id")).with_for_update()
"""Lock the booking user's row (PostgreSQL, MariaDB; SQLite's write transaction holds the
database's lock): bookings of one user that count allowances run one after another."""


def _refusal(
    rule: str,
    message: str,
    scope: str,
    rules: Rules,
    field: str | None,
    limit: float | None = None,
    current: float | None = None,
    unit: str | None = None,
    figures: dict[str, Any] | None = None,
) -> PolicyError:
    return PolicyError(
        message, rule, scope, field, limit, current, unit, rules.resource_name, figures
    )


def _plural(count: int, noun: str) -> str:
    return noun if count == 1 else f"{noun}s"


def _length(minutes: int) -> str:
    """A number of minutes for people: "15 minutes", "2 hours", "1 day", "1h 30m"."""
    days, rest = divmod(minutes, MINUTES_PER_DAY)
    if days < 2:
        days, rest = 0, minutes
    hours, mins = divmod(rest, 60)
    whole = [(days, "day"), (hours, "hour"), (mins, "minute")]
    named = [(count, unit) for count, unit in whole if count]
    if len(named) == 1:
        count, unit = named[0]
        return f"{count} {unit}" if count == 1 else f"{count} {unit}s"
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{mins}m" if mins else ""]
    return " ".join(part for part in parts if part) or "0 minutes"
