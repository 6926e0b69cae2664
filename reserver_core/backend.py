"""The one interface the TUI and the CLI call, whatever store is behind it.

`LocalBackend` (reserver_core.local) talks to a database; `RemoteBackend`
(reserver_core.remote) talks to a reserver server. Both raise the errors of
`reserver_core.errors` and return the dataclasses of `reserver_core.schemas`.

Each list method returns everything at once; its `..._page` twin returns one
`Page` and the cursor of the next (keyset paging, see `reserver_core.paging`),
for stores too large to hold in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from typing import BinaryIO, Protocol, TextIO

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
    OverlapChoice,
    Page,
    PolicyChanges,
    PolicyInfo,
    PolicyScope,
    ReservationInfo,
    ResourceInfo,
    ResourceStatusDetail,
    Schedule,
    SeriesInfo,
    SeriesOutcome,
    SeriesRequest,
    StatusFilter,
    Summary,
    Token,
    UserInfo,
    WaitlistInfo,
)

ProgressCallback = Callable[[int, int], None]
"""Called with (rows done, rows in all) while an import or export runs."""


class Backend(Protocol):
    """Everything a front end can ask of reserver, for one acting user."""

    # -- identity and store -------------------------------------------------
    def describe_store(self) -> str:
        """Where the data lives: a database file path, a URL without password."""
        ...

    def whoami(self) -> UserInfo:
        """The acting user; AuthError when there is none (not logged in)."""
        ...

    def health(self) -> Health:
        """Whether the store answers, and the background expiry's state."""
        ...

    def register(self, username: str, password: str) -> UserInfo:
        """Create an account; the first account of an empty store is an admin."""
        ...

    def login(self, username: str, password: str) -> Token:
        """Check credentials and return a bearer token (throttled after failures)."""
        ...

    # -- resources -----------------------------------------------------------
    def list_resources(self) -> list[ResourceInfo]:
        """Every resource with its derived status, ordered by name."""
        ...

    def resources_page(self, limit: int, after: str | None = None) -> Page[ResourceInfo]:
        """At most `limit` (1-1000) resources by name, after the cursor `after`: the
        `next` of the page before (None: from the first). ValidationError for a bad
        limit or a cursor reserver did not make."""
        ...

    def get_resource(self, resource_id: int) -> ResourceInfo:
        """One resource; NotFoundError when there is no such id."""
        ...

    def find_resource(self, reference: str) -> ResourceInfo:
        """A resource by id (digits), by name (any case), or by the one name it equals
        without accents or begins (3+ characters). AmbiguousNameError when it begins
        several; NotFoundError, with close matches as `candidates`, when none."""
        ...

    def search_resources(
        self,
        text: str | None = None,
        tags: list[str] | None = None,
        status: StatusFilter = "all",
        available_from: datetime | None = None,
        available_until: datetime | None = None,
    ) -> list[ResourceInfo]:
        """Resources matching text (name, description, tags), all `tags`, a status,
        and, given a window, bookable for the whole of it: free, open, within their
        policy's lengths and lead times, and within the acting user's allowances."""
        ...

    def search_resources_page(
        self,
        text: str | None = None,
        tags: list[str] | None = None,
        status: StatusFilter = "all",
        available_from: datetime | None = None,
        available_until: datetime | None = None,
        *,
        limit: int,
        after: str | None = None,
    ) -> Page[ResourceInfo]:
        """At most `limit` resources of `search_resources` by name, after the cursor `after`."""
        ...

    def create_resource(
        self,
        name: str,
        tags: list[str] | None = None,
        description: str = "",
        available: bool = True,
    ) -> ResourceInfo:
        """Admin: add a resource; names are unique case-insensitively."""
        ...

    def update_resource(
        self,
        resource_id: int,
        name: str | None = None,
        tags: list[str] | None = None,
        description: str | None = None,
    ) -> ResourceInfo:
        """Admin: change a resource's name, tags or description."""
        ...

    def set_available(self, resource_id: int, available: bool) -> ResourceInfo:
        """Admin: enable or disable a resource."""
        ...

    def start_maintenance(self, resource_id: int, auto_reset_hours: int = 8) -> ResourceInfo:
        """Admin: maintenance from now for 1-168 hours, keeping the bookings in it
        (the seed's quick form; `schedule_maintenance` offers the choice)."""
        ...

    def preview_maintenance(
        self,
        resource_id: int,
        length: timedelta,
        start: datetime | None = None,
        reason: str = "",
    ) -> MaintenancePreview:
        """Admin: the active bookings a maintenance window of `length` from `start`
        (None, or a time past: now) would overlap, by start; changes nothing."""
        ...

    def schedule_maintenance(
        self,
        resource_id: int,
        length: timedelta,
        start: datetime | None = None,
        reason: str = "",
        overlapped: OverlapChoice = "keep",
    ) -> MaintenanceOutcome:
        """Admin: set the resource's maintenance window (replacing any), 15 minutes to
        168 hours from `start`, with a reason (up to 500 characters); the active
        bookings it overlaps when set are cancelled (`cancel`, each one's history
        naming the window and reason) or `keep`, in the same transaction."""
        ...

    def end_maintenance(self, resource_id: int) -> ResourceInfo:
        """Admin: return a resource from maintenance to service."""
        ...

    def resource_status(self, resource_id: int) -> ResourceStatusDetail:
        """Detailed status: current and next reservation, maintenance timing."""
        ...

    def schedule(
        self,
        resource_id: int,
        start_day: date | None = None,
        days: int = 7,
        tz: str = "UTC",
        slot_minutes: int = 30,
        day_start: time = time(8, 0),
        day_end: time = time(18, 0),
    ) -> Schedule:
        """A per-day slot grid in zone `tz`, from `start_day` (default today there)."""
        ...

    def summary(self) -> Summary:
        """Counts of resources by derived status now."""
        ...

    # -- reservations ---------------------------------------------------------
    def book(
        self,
        resource_id: int,
        start: datetime,
        end: datetime,
        idempotency_key: str | None = None,
        note: str = "",
    ) -> ReservationInfo:
        """Book `[start, end)` with a `note` (one line, at most 500 characters); ConflictError
        names the clashing windows.

        The same request with the same `idempotency_key` (1-100 printable ASCII
        characters) from the same user within 24 hours books nothing and returns
        the first booking as it is now; the key with another resource or window
        is a ValidationError. The remote backend sends a key of its own when
        none is given.
        """
        ...

    def cancel(self, reservation_id: int, reason: str | None = None) -> ReservationInfo:
        """Cancel an active reservation; only its owner or an admin may."""
        ...

    def move(
        self, reservation_id: int, start: datetime, end: datetime, note: str | None = None
    ) -> ReservationInfo:
        """Move an active reservation that has not ended to `[start, end)`, and set its
        `note` when given, in one step; owner or admin only. Every rule of a new booking
        holds, but it does not clash with itself; on a ConflictError nothing changes."""
        ...

    def set_note(self, reservation_id: int, note: str) -> ReservationInfo:
        """Set a reservation's note ("" clears it); owner or admin only."""
        ...

    def get_reservation(self, reservation_id: int) -> ReservationInfo:
        """One reservation; owner or admin only."""
        ...

    def my_reservations(self, include_cancelled: bool = False) -> list[ReservationInfo]:
        """The acting user's reservations, newest first."""
        ...

    def my_reservations_page(
        self, include_cancelled: bool = False, *, limit: int, after: str | None = None
    ) -> Page[ReservationInfo]:
        """At most `limit` of the acting user's reservations, newest first, after `after`."""
        ...

    def all_reservations(self, include_cancelled: bool = False) -> list[ReservationInfo]:
        """Admin: every reservation, newest first."""
        ...

    def all_reservations_page(
        self, include_cancelled: bool = False, *, limit: int, after: str | None = None
    ) -> Page[ReservationInfo]:
        """Admin: at most `limit` of every reservation, newest first, after `after`."""
        ...

    def resource_reservations(
        self, resource_id: int, start: datetime, end: datetime
    ) -> list[ReservationInfo]:
        """Active reservations of a resource that overlap `[start, end)`, by start."""
        ...

    def resource_reservations_page(
        self,
        resource_id: int,
        start: datetime,
        end: datetime,
        *,
        limit: int,
        after: str | None = None,
    ) -> Page[ReservationInfo]:
        """At most `limit` of `resource_reservations`, by start, after the cursor `after`."""
        ...

    def history(self, reservation_id: int) -> list[EventInfo]:
        """A reservation's events, newest first; owner or admin only."""
        ...

    def next_free_slot(
        self,
        duration: timedelta,
        after: datetime | None = None,
        resource_id: int | None = None,
        tag: str | None = None,
        excluding: int | None = None,
    ) -> FreeSlot:
        """The earliest bookable window of `duration` after `after` (default now)
        on one resource, or on any resource carrying `tag`; the reservation `excluding`
        (one to move) counts as free."""
        ...

    # -- approvals, waitlists, inbox ----------------------------------------------------
    def pending_requests(self) -> list[ReservationInfo]:
        """The requests awaiting approval (status `pending`) that the acting user may
        decide, soonest first: an admin sees all, an approver those of their resources."""
        ...

    def approve(self, reservation_id: int) -> ReservationInfo:
        """Approver or admin: make a pending request `active` (its slot was held; the policy
        is checked again if it changed since). ForbiddenError for anyone else, StateError
        when it is not pending or has lapsed."""
        ...

    def reject(self, reservation_id: int, reason: str | None = None) -> ReservationInfo:
        """Approver or admin: refuse a pending request with a reason; it becomes `rejected`
        and its slot is offered to the waitlist."""
        ...

    def join_waitlist(
        self,
        resource_id: int,
        start: datetime,
        end: datetime,
        flexible_minutes: int = 0,
        note: str = "",
    ) -> WaitlistInfo:
        """Wait in line for `[start, end)` on a resource taken then (or a window as long
        starting up to `flexible_minutes`, at most 24 h, earlier or later). StateError when
        it is free (book it instead), AlreadyExistsError when already waiting then, a
        PolicyError when the resource's rules refuse the window."""
        ...

    def waitlist(
        self, everyone: bool = False, resource_id: int | None = None
    ) -> list[WaitlistInfo]:
        """The acting user's waitlist entries, newest first, each with its place in line;
        `everyone` (admin only, else ForbiddenError): all of them, with who waits."""
        ...

    def get_waitlist_entry(self, entry_id: int) -> WaitlistInfo:
        """One waitlist entry; its owner or an admin only."""
        ...

    def leave_waitlist(self, entry_id: int) -> WaitlistInfo:
        """Take a waiting entry out of line (status `left`); its owner or an admin only."""
        ...

    def accept_offer(self, reservation_id: int) -> ReservationInfo:
        """Take an offered slot (status `offered`) before its `decide_by`: it becomes
        `active`. Only its taker; StateError once lapsed."""
        ...

    def decline_offer(self, reservation_id: int) -> ReservationInfo:
        """Turn an offer down (`declined`): the slot goes to the next in line."""
        ...

    def inbox(self, unread_only: bool = False) -> list[Notice]:
        """The acting user's notices, newest first (at most 500)."""
        ...

    def unread_count(self) -> int:
        """How many of the acting user's notices are unread."""
        ...

    def mark_read(self, notice_ids: Sequence[int] | None = None) -> int:
        """Mark the acting user's notices read (all when None); returns how many changed.
        ValidationError for an id that is not in their inbox."""
        ...

    # -- recurring series --------------------------------------------------------
    def book_series(
        self, request: SeriesRequest, *, skip_conflicts: bool = False, dry_run: bool = False
    ) -> SeriesOutcome:
        """Book every date of a recurring series as one transaction, each occurrence an
        ordinary reservation held to every rule of a single booking.

        All or nothing: when any date clashes or is refused, nothing is booked and
        SeriesRefusedError names every bad date (its `occurrences` hold the preview).
        With `skip_conflicts` the rest is booked and the bad dates are returned as left
        out. A `dry_run` books nothing and returns the preview: every date with its state.
        Days the rule names but a month lacks are `skipped` and never block the rest.
        ValidationError for a bad rule: over 366 dates, past 2 years ahead, a first
        occurrence in the past, occurrences that would overlap each other."""
        ...

    def list_series(self, everyone: bool = False) -> list[SeriesInfo]:
        """The acting user's series (admin with `everyone`: all), newest first, each with
        its occurrences."""
        ...

    def get_series(self, series_id: int) -> SeriesInfo:
        """One series with its occurrences; owner or admin only."""
        ...

    def cancel_series(
        self, series_id: int, from_time: datetime | None = None, reason: str | None = None
    ) -> SeriesInfo:
        """Cancel the series' active occurrences that have not ended, or only those that
        start at or after `from_time` ("this and all later"); each one's history keeps the
        reason. Owner or admin only; StateError when none is left to cancel."""
        ...

    def retime_series(
        self,
        series_id: int,
        start: time,
        length_minutes: int | None = None,
        *,
        dry_run: bool = False,
    ) -> SeriesOutcome:
        """Move every future active occurrence to the local time of day `start` on its own
        date (and to `length_minutes`, when given), all or nothing like `book_series`
        (SeriesRefusedError names every bad date); a `dry_run` returns the preview. Owner
        or admin only."""
        ...

    # -- booking policies --------------------------------------------------------
    def resource_policy(self, resource_id: int) -> EffectivePolicy:
        """A resource's effective policy, each field with the scope it comes from, and
        the acting user's allowances on it (none when anonymous); anyone may read it."""
        ...

    def list_policies(self) -> list[PolicyInfo]:
        """Every scope's own policy that sets anything: the default, tags, resources."""
        ...

    def get_policy(self, scope: PolicyScope) -> PolicyInfo:
        """One scope's own policy (every field unset when nothing is set there)."""
        ...

    def set_policy(self, scope: PolicyScope, changes: PolicyChanges) -> PolicyInfo:
        """Admin: set the given fields of a scope's policy (closures are added), all checked
        before anything is saved; ValidationError names the bad field."""
        ...

    def clear_policy(self, scope: PolicyScope, fields: Sequence[str] = ()) -> PolicyInfo:
        """Admin: unset the named fields (`POLICY_FIELDS`) of a scope's policy, or all of
        them when none are named; returns what is left."""
        ...

    # -- import, export, upkeep ------------------------------------------------
    def import_csv(
        self,
        data: BinaryIO,
        skip_invalid: bool = False,
        progress: ProgressCallback | None = None,
        update_existing: bool = False,
    ) -> ImportReport:
        """Admin: import `name,tags[,available][,description]` rows in one transaction;
        all or nothing unless `skip_invalid`, in which case bad lines are reported and
        skipped. A name the store has is a bad line unless `update_existing`: then that
        resource takes the row's fields."""
        ...

    def export_csv(self, out: TextIO, progress: ProgressCallback | None = None) -> int:
        """Write every resource as CSV in the import format; returns the row count."""
        ...

    def expire(self) -> ExpiryReport:
        """Admin: mark finished reservations expired and end elapsed maintenance now."""
        ...

    def background_upkeep(self) -> ExpiryReport | None:
        """The front end's timer: run expiry as the system where this backend owns
        the store (local), nothing where a server does it (remote)."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
