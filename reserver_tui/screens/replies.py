"""Messages that carry a backend call's result from a worker to the screen that asked."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from textual.message import Message

from reserver_core.errors import ReserverError
from reserver_core.schemas import (
    EventInfo,
    ExpiryReport,
    Health,
    ImportReport,
    ReservationInfo,
    ResourceInfo,
    Schedule,
    Summary,
)


@dataclass(frozen=True)
class ResourceFields:
    """What the resource form holds: a new resource's or an edited one's values."""

    name: str
    tags: list[str]
    description: str
    available: bool = True


@dataclass
class ResourcesLoaded(Message):
    """Every resource, with its derived status."""

    resources: list[ResourceInfo]


@dataclass
class ScheduleLoaded(Message):
    """A resource's week grid and its upcoming reservations."""

    schedule: Schedule
    upcoming: list[ReservationInfo]


@dataclass
class Booked(Message):
    """A reservation was made."""

    reservation: ReservationInfo


@dataclass
class FreeResourcesFound(Message):
    """The resources free for a whole window."""

    resources: list[ResourceInfo]


@dataclass
class ReservationsLoaded(Message):
    """The acting user's reservations (all of them, for an admin in admin view)."""

    reservations: list[ReservationInfo]


@dataclass
class Cancelled(Message):
    """A reservation was cancelled."""

    reservation: ReservationInfo


@dataclass
class HistoryLoaded(Message):
    """A reservation's events, newest first."""

    events: list[EventInfo]


@dataclass
class ResourceChanged(Message):
    """An admin created or changed a resource."""

    resource: ResourceInfo
    action: str


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
