"""The data that crosses the `Backend` interface, one dataclass per concept.

Both backends return these, the server serializes them as JSON and the remote
backend parses them back with `from_json`, so the local and remote paths
cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any, Generic, Literal, TypeVar, get_args, get_origin

from reserver_core.errors import LineError

ResourceStatus = Literal["available", "in_use", "maintenance", "disabled"]
StatusFilter = Literal["available", "in_use", "unavailable", "maintenance", "disabled", "all"]
ReservationStatus = Literal[
    "active", "pending", "offered", "cancelled", "expired", "rejected", "declined"
]
"""`pending` awaits an approver's yes and `offered` its taker's; both hold their slot as
`active` does (see `models.HOLDS_SLOT`). `rejected` and `declined` hold nothing."""
HOLDING_STATUSES: tuple[ReservationStatus, ...] = ("active", "pending", "offered")
"""The statuses whose reservation holds its slot: booked, awaiting approval, or offered
to the next in a waitlist. Nothing else may overlap them on their resource."""
WaitStatus = Literal["waiting", "offered", "booked", "declined", "lapsed", "left", "expired"]
NoticeKind = Literal[
    "cancelled",
    "moved",
    "at_risk",
    "approved",
    "rejected",
    "request",
    "offer",
    "request_expired",
    "offer_expired",
    "series",
]
SlotState = Literal["free", "mine", "booked", "maintenance", "disabled", "closed", "past"]
"""`closed`: outside the resource's opening hours or in one of its closures."""
Role = Literal["admin", "member"]
Repeat = Literal["daily", "weekly", "monthly"]
"""How a series repeats: every N days, every N weeks, or every N months."""
OccurrenceState = Literal["free", "clash", "refused", "skipped", "booked"]
"""An occurrence in a series preview: `free` to book; `clash` with another booking;
`refused` by a booking rule or policy; `skipped` because the rule names a day a month
lacks (the 31st, a 5th Monday); `booked` once the series holds it."""
DstNote = Literal["", "gap", "fold"]
"""Where an occurrence's local time meets a daylight-saving change: `gap`, a time the clocks
skip (the occurrence starts at the same instant the clock then shows later); `fold`, a
time that happens twice (the occurrence takes the first)."""
OverlapChoice = Literal["cancel", "keep"]
"""What starting maintenance does with the active bookings it overlaps."""
ScopeKind = Literal["resource", "tag", "default"]
"""Where a policy is set: on one resource, on every resource with a tag, or store-wide."""
PolicyRule = Literal[
    "hours",
    "closed",
    "min_length",
    "max_length",
    "min_notice",
    "max_advance",
    "max_active",
    "max_hours_per_week",
]
"""The rules a booking policy can refuse a booking by; each is also a policy field."""


@dataclass(frozen=True)
class UserInfo:
    """A user as others may see it."""

    id: int
    username: str
    role: Role
    active: bool
    created_at: datetime

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class ResourceInfo:
    """A resource with its derived status at the moment it was read.

    `available` is the admin's enable switch; `status` is derived from it, the
    maintenance window and the reservations. `busy_until` is the end of the
    run of back-to-back reservations covering now, when in use. The maintenance
    window `[unavailable_since, maintenance_until)` may lie ahead: the status is
    `maintenance` only while it lasts; `maintenance_reason` says why.
    """

    id: int
    name: str
    description: str
    tags: list[str]
    available: bool
    status: ResourceStatus
    created_at: datetime
    unavailable_since: datetime | None = None
    auto_reset_hours: int = 8
    maintenance_until: datetime | None = None
    busy_until: datetime | None = None
    maintenance_reason: str = ""


@dataclass(frozen=True)
class ReservationInfo:
    """A reservation with its resource nested, as the HTTP contract has it.

    `user_id` and `username` are None where the caller may not see who holds it
    (anonymous reads of a resource's bookings); the note is then "" too.
    """

    id: int
    resource_id: int
    user_id: int | None
    username: str | None
    start_time: datetime
    end_time: datetime
    status: ReservationStatus
    created_at: datetime
    resource: ResourceInfo
    cancelled_at: datetime | None = None
    cancellation_reason: str | None = None
    note: str = ""
    """What the booking is for, in its owner's words ("" when none)."""
    series_id: int | None = None
    """The recurring series this reservation is an occurrence of, if any."""
    decide_by: datetime | None = None
    """When a `pending` request or an `offered` slot lapses unless answered."""
    approvers: list[str] | None = None
    """Who may approve a `pending` request (admins always may), when known."""


@dataclass(frozen=True)
class EventInfo:
    """One entry of a reservation's history; `actor` is a username or `system`,
    `actor_id` that user's id (None for the system)."""

    id: int
    reservation_id: int
    action: str
    actor: str
    timestamp: datetime
    details: str
    actor_id: int | None = None


@dataclass(frozen=True)
class Summary:
    """Counts of resources by their derived status right now."""

    total_resources: int
    available_now: int
    unavailable_now: int
    currently_in_use: int
    timestamp: datetime


@dataclass(frozen=True)
class ResourceStatusDetail:
    """The detailed status of one resource: current booking and maintenance timing."""

    resource: ResourceInfo
    status: ResourceStatus
    current_reservation: ReservationInfo | None
    next_reservation: ReservationInfo | None
    maintenance_reset_at: datetime | None
    timestamp: datetime


@dataclass(frozen=True)
class MaintenancePreview:
    """What a maintenance window `[start_time, end_time)` would overlap: the resource's
    active bookings in it, by start. Nothing is changed by a preview."""

    resource: ResourceInfo
    start_time: datetime
    end_time: datetime
    reason: str
    overlapped: list[ReservationInfo]


@dataclass(frozen=True)
class MaintenanceOutcome:
    """A maintenance window set, with the active bookings it overlapped when it was set:
    `cancelled` (the admin chose so) or `kept`."""

    resource: ResourceInfo
    start_time: datetime
    end_time: datetime
    reason: str
    cancelled: list[ReservationInfo]
    kept: list[ReservationInfo]


@dataclass(frozen=True)
class Slot:
    """One cell of a schedule grid: `[start, end)` in UTC and what it holds (`series_id`:
    the series the holding reservation is an occurrence of, if any)."""

    start: datetime
    end: datetime
    state: SlotState
    reservation_id: int | None = None
    holder: str | None = None
    series_id: int | None = None


@dataclass(frozen=True)
class DaySchedule:
    """The slots of one local calendar day."""

    day: date
    slots: list[Slot]


@dataclass(frozen=True)
class Schedule:
    """A per-day slot grid for one resource, in the time zone it was asked in."""

    resource: ResourceInfo
    timezone: str
    slot_minutes: int
    days: list[DaySchedule]
    reservations: list[ReservationInfo]


@dataclass(frozen=True)
class FreeSlot:
    """A free window of the requested length on a resource."""

    resource: ResourceInfo
    start_time: datetime
    end_time: datetime


@dataclass(frozen=True)
class ImportReport:
    """What a CSV import created, updated and left unchanged, and which lines it skipped."""

    created_count: int
    updated_count: int = 0
    unchanged_count: int = 0
    skipped_count: int = 0
    """The bad lines skipped, which `errors` lists."""
    errors: list[LineError] = field(default_factory=list)


@dataclass(frozen=True)
class ExpiryReport:
    """What one run of expiry changed."""

    expired_count: int
    maintenance_reset_count: int
    timestamp: datetime
    lapsed_count: int = 0
    """Requests and offers that lapsed unanswered."""
    offers_made: int = 0


@dataclass(frozen=True)
class Health:
    """Whether the store answers, how many resources it holds, and the background
    expiry's state."""

    status: str
    database: str
    timestamp: datetime
    background_tasks: dict[str, Any] = field(default_factory=dict)
    resources_count: int | None = None


@dataclass(frozen=True)
class Token:
    """A bearer token for a server."""

    access_token: str
    token_type: str = "bearer"


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing and the cursor the next page starts after (None: the last page)."""

    items: list[T]
    next: str | None = None


def to_json(value: Any) -> Any:
    """Turn a schema object (or list of them) into JSON-ready data, times in ISO 8601."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def from_json(cls: type[T], data: Any) -> T:
    """Build a schema object of type `cls` from data made by `to_json`."""
    return typing.cast(T, _convert(cls, data))


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _convert(kind: Any, data: Any) -> Any:
    origin = get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        if data is None:
            return None
        options = [arg for arg in get_args(kind) if arg is not type(None)]
        return _convert(options[0], data)
    if origin is list:
        (item_kind,) = get_args(kind)
        return [_convert(item_kind, item) for item in data]
    if origin is dict or origin is Literal or kind is Any:
        return data
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        hints = _hints(kind)
        names = {f.name for f in dataclasses.fields(kind)}
        return kind(**{k: _convert(hints[k], v) for k, v in data.items() if k in names})
    if kind is datetime:
        return datetime.fromisoformat(data)
    if kind is date:
        return date.fromisoformat(data)
    return data


@dataclass(frozen=True)
class PolicyScope:
    """A place a policy is set: a resource (by id), a tag, or the store's default."""

    kind: ScopeKind
    resource_id: int | None = None
    tag: str | None = None


@dataclass(frozen=True)
class Closure:
    """A period a resource is closed, in naive local wall time of the policy's zone:
    `[start, end)`; a whole-days closure starts and ends at midnight."""

    start: datetime
    end: datetime
    reason: str = ""
    whole_days: bool = True


@dataclass(frozen=True)
class PolicyInfo:
    """One scope's own policy, as an admin set it; None (or no closures) = unset, falling
    through to the next scope. `hours` is the canonical opening-hours spec, e.g.
    "mon-fri 08:00-12:00,13:00-18:00; sat 10:00-14:00". `label` names the scope for people
    ("tag 'gpu'", "resource 'GPU-3'", "the default policy")."""

    scope: PolicyScope
    label: str
    timezone: str | None = None
    hours: str | None = None
    closed: list[Closure] = field(default_factory=list)
    min_length_minutes: int | None = None
    max_length_minutes: int | None = None
    min_notice_minutes: int | None = None
    max_advance_minutes: int | None = None
    max_active: int | None = None
    max_hours_per_week: float | None = None
    approval: bool | None = None
    approvers: list[str] | None = None
    approval_timeout_minutes: int | None = None
    offer_hold_minutes: int | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class PolicyChanges:
    """What `set_policy` changes in one scope; a None field is left as it is.

    `hours` is a spec to parse; `add_closed` are closure specs to add, e.g.
    "2026-12-24..2026-12-26 holidays" or "2026-12-31 14:00..18:00 early close".
    """

    timezone: str | None = None
    hours: str | None = None
    add_closed: list[str] = field(default_factory=list)
    min_length_minutes: int | None = None
    max_length_minutes: int | None = None
    min_notice_minutes: int | None = None
    max_advance_minutes: int | None = None
    max_active: int | None = None
    max_hours_per_week: float | None = None
    approval: bool | None = None
    approvers: list[str] | None = None
    approval_timeout_minutes: int | None = None
    offer_hold_minutes: int | None = None


POLICY_FIELDS = (
    "timezone",
    "hours",
    "closed",
    "min_length_minutes",
    "max_length_minutes",
    "min_notice_minutes",
    "max_advance_minutes",
    "max_active",
    "max_hours_per_week",
    "approval",
    "approvers",
    "approval_timeout_minutes",
    "offer_hold_minutes",
)
"""The policy's fields, in the order they are shown; `clear_policy` takes these names."""


@dataclass(frozen=True)
class EffectiveField:
    """One field of a resource's effective policy: its value (as in `PolicyInfo`; closures
    are the union of every scope's) and the label of the scope it comes from ("store
    settings" for the store-wide length limits, "built-in" for the zone's UTC fallback)."""

    name: str
    value: Any
    source: str


@dataclass(frozen=True)
class Allowance:
    """How much of a per-user allowance the acting user holds now on one scope.

    `max_active`: `used` active bookings that have not ended, of `limit`.
    `max_hours_per_week`: `used` hours booked in the 7 days from `window_start`.
    `exempt` when the user is an admin (allowances do not bind them).
    """

    rule: PolicyRule
    scope: str
    limit: float
    used: float
    exempt: bool = False
    window_start: datetime | None = None
    window_end: datetime | None = None

    @property
    def remaining(self) -> float:
        return max(0.0, self.limit - self.used)


@dataclass(frozen=True)
class EffectivePolicy:
    """A resource's policy once every scope is applied, field by field, and the acting
    user's allowances on it (empty when anonymous)."""

    resource: ResourceInfo
    timezone: str
    fields: list[EffectiveField]
    allowances: list[Allowance]


@dataclass(frozen=True)
class SeriesRule:
    """How a series repeats, ending after `count` dates or on `until` (one of them).

    `on`, canonical: for `weekly` the weekdays ("mon,wed"; "" = the start's weekday); for
    `monthly` a day of the month ("31"; "" = the start's) or the n-th or last weekday
    ("2nd tue", "last fri"); "" for `daily`. A monthly `count` counts months, a month that
    lacks the day included (it is skipped and reported)."""

    repeat: Repeat
    every: int = 1
    on: str = ""
    count: int | None = None
    until: date | None = None


@dataclass(frozen=True)
class SeriesRequest:
    """A recurring booking to preview or make: the first occurrence at `start`, naive wall
    time in the zone `timezone`, each lasting `length_minutes`, repeating by `rule`."""

    resource_id: int
    start: datetime
    timezone: str
    length_minutes: int
    rule: SeriesRule
    note: str = ""


@dataclass(frozen=True)
class Clash:
    """A reservation an occurrence would overlap, and who holds it (None when hidden)."""

    reservation_id: int
    start_time: datetime
    end_time: datetime
    username: str | None = None


@dataclass(frozen=True)
class Occurrence:
    """One date of a series, as previewed or booked.

    `index` counts the rule's dates from 1; `day` is the local date. `start_time` and
    `end_time` (UTC) are None for a `skipped` day. `reason` says, in words, why a `clash`,
    `refused` or `skipped` occurrence is not booked; `rule` names the policy rule that
    refused, if one did. `remark` explains a `dst` gap or fold. `reservation_id` is the
    reservation that holds a `booked` occurrence."""

    index: int
    day: date
    state: OccurrenceState
    start_time: datetime | None = None
    end_time: datetime | None = None
    reason: str = ""
    rule: str | None = None
    clashes: list[Clash] = field(default_factory=list)
    dst: DstNote = ""
    remark: str = ""
    reservation_id: int | None = None


@dataclass(frozen=True)
class SeriesInfo:
    """A recurring series: its rule and its occurrences (the reservations it made, by start,
    whatever their status). `start` is the first occurrence's naive wall time in
    `timezone`; after a retime, `start` keeps its date and takes the new time of day.
    `rule_text` says the rule in words ("every week on Mon, Wed, 8 times")."""

    id: int
    resource: ResourceInfo
    user_id: int
    username: str
    timezone: str
    start: datetime
    length_minutes: int
    rule: SeriesRule
    rule_text: str
    created_at: datetime
    note: str = ""
    cancelled_at: datetime | None = None
    cancellation_reason: str | None = None
    occurrences: list[ReservationInfo] = field(default_factory=list)

    @property
    def upcoming(self) -> list[ReservationInfo]:
        """The active occurrences, in order."""
        return [r for r in self.occurrences if r.status == "active"]


@dataclass(frozen=True)
class SeriesOutcome:
    """What booking (or retiming) a series did, or on a dry run would do: every date of
    the rule with its state, the series (None on a dry run, or when nothing was booked),
    and how many occurrences it booked (or would) and left out."""

    occurrences: list[Occurrence]
    series: SeriesInfo | None = None
    booked: int = 0
    left_out: int = 0
    dry_run: bool = False


@dataclass(frozen=True)
class WaitlistInfo:
    """A place in a resource's waitlist for `[start_time, end_time)` (which may start up to
    `flexible_minutes` earlier or later). `position` is the place in line among those
    waiting for overlapping times (1: next), None once no longer waiting. `offer` is the
    reservation offered to them, while it holds the slot. `username` is None where the
    reader may not see who waits."""

    id: int
    resource: ResourceInfo
    user_id: int | None
    username: str | None
    start_time: datetime
    end_time: datetime
    flexible_minutes: int
    status: WaitStatus
    created_at: datetime
    position: int | None = None
    offer: ReservationInfo | None = None
    note: str = ""


@dataclass(frozen=True)
class Notice:
    """One line of the acting user's inbox: what happened, in words, and what it is about
    (`reservation_id`, `series_id`); `deadline` when an offer or a request must be answered
    by then; `read_at` None while unread."""

    id: int
    kind: NoticeKind
    text: str
    created_at: datetime
    reservation_id: int | None = None
    series_id: int | None = None
    deadline: datetime | None = None
    read_at: datetime | None = None
