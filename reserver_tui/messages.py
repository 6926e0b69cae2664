"""The TUI's messages: backend replies from workers to the screen that asked, and app events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from enum import Enum
from pathlib import Path

from textual.message import Message

from reserver_core.backend import Backend
from reserver_core.errors import ConflictError, ReserverError, ValidationError
from reserver_core.schemas import (
    EffectivePolicy,
    EventInfo,
    ExpiryReport,
    FreeSlot,
    Health,
    ImportReport,
    MaintenanceOutcome,
    MaintenancePreview,
    Notice,
    PolicyInfo,
    ReservationInfo,
    ResourceInfo,
    Schedule,
    SeriesInfo,
    SeriesOutcome,
    SeriesRequest,
    Summary,
    UserInfo,
    WaitlistInfo,
)


@dataclass
class ResourcesLoaded(Message):
    """Resources with their derived status: a batch of the reading numbered `load` (its
    first when `first`), which has read every resource when `complete`."""

    resources: list[ResourceInfo]
    load: int = 0
    first: bool = True
    complete: bool = True


@dataclass
class ScheduleLoaded(Message):
    """A resource's week grid and its upcoming reservations."""

    schedule: Schedule
    upcoming: list[ReservationInfo]


@dataclass
class PolicyRead(Message):
    """A resource's effective policy and the acting user's allowances on it."""

    policy: EffectivePolicy


@dataclass
class PolicyLoaded(Message):
    """One scope's own policy, for the editor, and every scope that sets anything."""

    policy: PolicyInfo
    scopes: list[PolicyInfo]


@dataclass
class PolicySaved(Message):
    """An admin's changes to a scope's policy were saved; `policy` is what it holds now."""

    policy: PolicyInfo


@dataclass
class Booked(Message):
    """A reservation was made."""

    reservation: ReservationInfo


@dataclass
class ReservationChanged(Message):
    """A reservation was moved or its note changed."""

    reservation: ReservationInfo


@dataclass
class BookingClashed(Message):
    """A booking lost to others on the resource; `offer` is the next free slot of the
    same length, None when there is none."""

    error: ConflictError
    offer: FreeSlot | None


@dataclass
class SeriesPreviewed(Message):
    """The dry run of `request`: every date with its state, or why the rule cannot be
    previewed (`error`, and then no `outcome`)."""

    request: SeriesRequest
    outcome: SeriesOutcome | None
    error: ValidationError | None = None


@dataclass
class SeriesBooked(Message):
    """A series was booked (all its dates, or those left when skipping conflicts)."""

    outcome: SeriesOutcome


@dataclass
class SeriesRetimePreviewed(Message):
    """The dry run of retiming a series to `clock` for `length_minutes` (None: as it is);
    `error` says why there is none."""

    clock: time
    length_minutes: int | None
    outcome: SeriesOutcome | None
    error: ValidationError | None = None


@dataclass
class SeriesRetimed(Message):
    """Every future occurrence of a series (`moved` of them) went to a new time of day;
    `series` is the series as it is now."""

    series: SeriesInfo
    moved: int


@dataclass
class SeriesCancelled(Message):
    """Occurrences of a series were cancelled: `count` of them, from `since` on (None:
    the whole series)."""

    series: SeriesInfo
    count: int
    since: datetime | None


@dataclass
class ClashesChecked(Message):
    """The active reservations of a resource that overlap the window `[start, end)`;
    None when they could not be read."""

    start: datetime
    end: datetime
    clashes: list[ReservationInfo] | None


@dataclass
class FreeResourcesFound(Message):
    """The resources free for a whole window; with none, what the store offers instead or
    why it offers nothing (`instead`), when it was asked."""

    resources: list[ResourceInfo]
    instead: str | None = None


@dataclass
class ReservationsLoaded(Message):
    """The acting user's reservations (all of them, for an admin in admin view), and the
    series that any of them belong to."""

    reservations: list[ReservationInfo]
    series: list[SeriesInfo] = field(default_factory=list)


@dataclass
class Cancelled(Message):
    """A reservation was cancelled."""

    reservation: ReservationInfo


@dataclass
class HistoryLoaded(Message):
    """A reservation's events, newest first."""

    events: list[EventInfo]


class ResourceAction(Enum):
    """What an admin did to a resource."""

    CREATE = "create"
    EDIT = "edit"
    ENABLE = "enable"
    DISABLE = "disable"
    START_MAINTENANCE = "start_maintenance"
    END_MAINTENANCE = "end_maintenance"


@dataclass
class ResourceChanged(Message):
    """An admin created or changed a resource."""

    resource: ResourceInfo
    action: ResourceAction


@dataclass
class MaintenancePreviewed(Message):
    """The active bookings a maintenance window would overlap, for the admin to decide."""

    preview: MaintenancePreview


@dataclass
class MaintenanceSet(Message):
    """A maintenance window was set; `outcome` says which bookings it cancelled or kept."""

    outcome: MaintenanceOutcome


@dataclass
class ImportProgress(Message):
    """How far a CSV import has come; a newer one replaces an unprocessed older one."""

    done: int
    total: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ImportProgress)


@dataclass
class ImportFinished(Message):
    """A CSV import ended; `report.errors` lists any skipped lines."""

    report: ImportReport
    source: str


@dataclass
class ExportFinished(Message):
    """The resources were written to a CSV file."""

    count: int
    path: Path


@dataclass
class ExpiryDone(Message):
    """Expiry ran (on the timer or by an admin)."""

    report: ExpiryReport | None


@dataclass
class StatusLoaded(Message):
    """The store's summary and health."""

    summary: Summary
    health: Health
    store: str


@dataclass
class LoggedIn(Message):
    """Logging in (or registering and logging in) to the server worked."""

    username: str


@dataclass
class OperationFailed(Message):
    """A backend call of `group` failed with a domain error (already notified)."""

    group: str
    error: ReserverError = field(repr=False)


@dataclass
class StoreOpened(Message):
    """The backend is open; `user` is None when a server wants a login first."""

    backend: Backend
    user: UserInfo | None


@dataclass
class ServerBack(Message):
    """A lost server answers again."""


@dataclass
class UnreadCounted(Message):
    """How many of the acting user's notices are unread, for the header's badge."""

    count: int


@dataclass
class InboxLoaded(Message):
    """The acting user's notices, newest first, and which of the offers and requests they
    tell of still await an answer (by reservation id)."""

    notices: list[Notice]
    open_offers: set[int] = field(default_factory=set)
    open_requests: set[int] = field(default_factory=set)


@dataclass
class NoticesMarked(Message):
    """Notices were marked read: `count` of them changed (every unread one when `every`)."""

    count: int
    every: bool


@dataclass
class OfferAnswered(Message):
    """A waitlist offer was accepted (now `active`) or declined."""

    reservation: ReservationInfo


@dataclass
class ReservationFound(Message):
    """One reservation, read to be shown (its history)."""

    reservation: ReservationInfo


@dataclass
class RequestsLoaded(Message):
    """The requests awaiting the acting user's decision, soonest first."""

    requests: list[ReservationInfo]


@dataclass
class RequestDecided(Message):
    """A request was approved (now `active`) or rejected."""

    reservation: ReservationInfo


@dataclass
class WaitlistJoined(Message):
    """A place in a resource's waitlist was taken; `entry.position` is the place in line."""

    entry: WaitlistInfo
