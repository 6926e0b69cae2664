"""`LocalBackend`: the `Backend` interface on a database, for one acting user.

Each public method authorizes, checks its input, runs one transaction
(`Database.read` or `Database.write`) of the concept modules' functions, which
take the session and never commit, and returns schemas.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from typing import BinaryIO, TextIO, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reserver_core import (
    approvals,
    booking,
    csv_io,
    expiry,
    idempotency,
    inbox,
    maintenance,
    paging,
    policy,
    reservations,
    resources,
    schedule,
    series,
    throttle,
    tokens,
    users,
    waitlist,
)
from reserver_core.backend import ProgressCallback
from reserver_core.clock import Clock, SystemClock, as_utc
from reserver_core.db import Database, is_exclusion_violation, is_unique_violation
from reserver_core.errors import (
    AlreadyExistsError,
    AuthError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    SeriesRefusedError,
    StoreError,
    ValidationError,
)
from reserver_core.expiry import UpkeepState
from reserver_core.models import check_id
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
    Occurrence,
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
from reserver_core.settings import Settings, default_database_url, load_settings
from reserver_core.text import clean_idempotency_key

T = TypeVar("T")


class LocalBackend:
    """The `Backend` on a database, acting as `user` (None: anonymous, read-only)."""

    def __init__(
        self,
        database: Database,
        settings: Settings,
        clock: Clock | None = None,
        user: UserInfo | None = None,
        token_secret: str | None = None,
        upkeep: UpkeepState | None = None,
    ) -> None:
        self.database = database
        self.settings = settings
        self.clock = clock or SystemClock()
        self.user = user
        self.token_secret = token_secret
        self.upkeep = upkeep or UpkeepState(settings.expiry_interval)
        self.actor: UserInfo | None = None
        """An admin acting as `user`, named in the history as the one who acted."""

    @classmethod
    def open(
        cls,
        url: str | None = None,
        settings: Settings | None = None,
        clock: Clock | None = None,
        username: str | None = None,
    ) -> LocalBackend:
        """Open a store (migrating it), run expiry, and act as the local user.

        The local user is `username`, which only a program can choose, else the
        OS account this process runs as; the first user of a new store is an
        admin. People choose someone else through `acting_for`, an admin's right.
        """
        settings = settings or load_settings()
        database = Database.open(url or settings.database_url or default_database_url(), settings)
        backend = cls(database, settings, clock)
        try:
            backend.background_upkeep()
            name = users.clean_username(username or users.local_username())
            now = backend.now()
            backend.user = database.write(
                lambda s: users.user_info(users.ensure_user(s, name, now))
            )
        except Exception:
            database.close()
            raise
        return backend

    def acting_for(self, username: str) -> LocalBackend:
        """Admin: a backend acting as `username` (created if new), its actions recorded
        as this admin's; this backend itself for one's own name."""
        username = users.clean_username(username)
        if self.user is not None and self.user.username == username:
            return self
        admin = self._require_admin(
            f"access denied: only an admin may act as another user (you are "
            f"{self._require_user().username!r})"
        )
        now = self.now()
        other = self.database.write(lambda s: users.user_info(users.ensure_user(s, username, now)))
        acting = self.as_user(other)
        acting.actor = admin
        return acting

    def as_user(self, user: UserInfo | None) -> LocalBackend:
        """A backend on the same store acting as another user (the server's per-request view)."""
        return LocalBackend(
            self.database, self.settings, self.clock, user, self.token_secret, self.upkeep
        )

    def now(self) -> datetime:
        """The clock's current instant."""
        return as_utc(self.clock.now())

    def close(self) -> None:
        """Release the store's connections."""
        self.database.close()

    # -- identity ------------------------------------------------------------------
    def describe_store(self) -> str:
        """The database file path or URL (password hidden)."""
        return self.database.describe()

    def whoami(self) -> UserInfo:
        """The acting user; AuthError when anonymous."""
        return self._require_user()

    def _require_user(self) -> UserInfo:
        if self.user is None:
            raise AuthError("you are not logged in")
        return self.user

    def _require_admin(self, refusal: str = "access denied: only an admin may do this") -> UserInfo:
        user = self._require_user()
        if not user.is_admin:
            raise ForbiddenError(refusal)
        return user

    def user_for_token(self, token: str) -> UserInfo:
        """The active user a server token names; AuthError otherwise."""
        if not self.token_secret:
            raise AuthError("this store does not issue tokens")
        username = tokens.read_token(token, self.token_secret, self.now())
        found = self.database.read(lambda s: users.find_user(s, username))
        if found is None or not found.active:
            raise AuthError("the account of this token no longer exists: log in again")
        return users.user_info(found)

    def register(
        self, username: str, password: str, address: str = throttle.LOCAL_ADDRESS
    ) -> UserInfo:
        """Create an account with a password; the first account is an admin.

        At most `registration_limit` accounts an hour come from one address.
        """
        if not self.settings.allow_registration:
            raise ForbiddenError("registration is switched off on this server")
        name = users.clean_username(username)
        users.check_password(password)
        now = self.now()
        limit = self.settings.registration_limit
        if limit and address != throttle.LOCAL_ADDRESS:
            key = f"register@{throttle.clean_address(address)}"
            message = f"at most {limit} accounts an hour are created from one address"
            self.database.write(
                lambda s: throttle.admit(s, key, now, limit, throttle.REGISTRATION_WINDOW, message)
            )
        # bcrypt is slow on purpose: hash before taking the write lock.
        password_hash = users.hash_password(password, self.settings.bcrypt_rounds)
        try:
            return self.database.write(
                lambda s: users.user_info(users.create_user(s, name, password_hash, now))
            )
        except IntegrityError as exc:
            raise AlreadyExistsError(f"the username {name!r} is already taken", "username") from exc

    def login(self, username: str, password: str, address: str = throttle.LOCAL_ADDRESS) -> Token:
        """Check a password (throttled after repeated failures) and issue a token."""
        if not self.token_secret:
            raise AuthError("this store does not issue tokens; log in to a server instead")
        user = self.authenticate(username, password, address)
        ttl = timedelta(minutes=self.settings.token_ttl_minutes)
        return Token(tokens.issue_token(user.username, self.token_secret, self.now(), ttl))

    def authenticate(
        self, username: str, password: str, address: str = throttle.LOCAL_ADDRESS
    ) -> UserInfo:
        """The user whose password this is; AuthError or ThrottledError otherwise.

        An unknown username costs the same bcrypt check as a known one, so that the
        time taken does not tell which accounts exist.
        """
        name = users.clean_username(username)
        where = throttle.clean_address(address)
        now = self.now()
        window = timedelta(minutes=self.settings.login_window_minutes)
        limit = self.settings.login_max_failures
        found = self.database.write(lambda s: users.admit_login(s, name, where, now, limit, window))
        rounds = self.settings.bcrypt_rounds
        stored = found.password_hash if found is not None and found.active else ""
        matches = users.password_matches(password, stored or users.dummy_hash(rounds))
        if not matches or found is None or not stored:
            raise users.wrong_credentials()
        self.database.write(lambda s: users.forget_failures(s, name, where))
        return users.user_info(found)

    def health(self) -> Health:
        """`ok` with the store answering; `degraded` with the database down."""
        now = self.now()
        try:
            count: int | None = self.database.read(resources.count_resources)
        except StoreError:
            count = None
        return self.health_report(now, count)

    def health_report(self, now: datetime, resources_count: int | None) -> Health:
        """The health report at `now`: `ok` with the store's resource count, `degraded`
        without one (the store did not answer)."""
        return Health(
            status="degraded" if resources_count is None else "ok",
            database="unreachable" if resources_count is None else "ok",
            timestamp=now,
            background_tasks=self.upkeep.as_dict(),
            resources_count=resources_count,
        )

    # -- resources -----------------------------------------------------------------
    def _load(self, conditions: Sequence[ColumnElement[bool]] = ()) -> list[ResourceInfo]:
        now = self.now()
        return self.database.read(lambda s: resources.load_resources(s, now, conditions))

    def list_resources(self) -> list[ResourceInfo]:
        """Every resource with its derived status, by name."""
        return self._load()

    def get_resource(self, resource_id: int) -> ResourceInfo:
        """One resource; NotFoundError when absent."""
        resource_id = check_id(resource_id, "resource")
        now = self.now()
        return self.database.read(lambda s: resources.load_resource(s, now, resource_id))

    def find_resource(self, reference: str) -> ResourceInfo:
        """A resource by id, by name (any case), or by the one name it begins or
        equals without accents; NotFoundError names close matches."""
        reference = reference.strip()
        now = self.now()
        # ASCII only: str.isdigit also accepts digits int() refuses, such as "²".
        if reference.isascii() and reference.isdigit():
            try:
                return self.get_resource(int(reference))
            except NotFoundError:
                pass  # a resource may be named with digits alone
            try:
                return self.database.read(lambda s: self._resolve(s, now, reference))
            except NotFoundError:
                raise NotFoundError(f"no resource with id {reference} or named so") from None
        return self.database.read(lambda s: self._resolve(s, now, reference))

    @staticmethod
    def _resolve(session: Session, now: datetime, reference: str) -> ResourceInfo:
        return resources.load_resource(session, now, resources.resolve_name(session, reference))

    def resources_page(self, limit: int, after: str | None = None) -> Page[ResourceInfo]:
        """At most `limit` resources by name, after the cursor `after` (a page's `next`)."""
        return self._resources_page([], limit, after, self.now())

    def search_resources(
        self,
        text: str | None = None,
        tags: list[str] | None = None,
        status: StatusFilter = "all",
        available_from: datetime | None = None,
        available_until: datetime | None = None,
    ) -> list[ResourceInfo]:
        """Resources by text, tags, derived status and a window they are free for."""
        now = self.now()
        conditions = self._search(text, tags, status, available_from, available_until, now)
        window = resources.check_search_window(available_from, available_until, now)

        def read(session: Session) -> list[ResourceInfo]:
            found = resources.load_resources(session, now, conditions)
            if window is None:
                return found
            return policy.open_during(
                session.connection(),
                found,
                *window,
                self.settings,
                now,
                self._counter(session, now),
            )

        return self.database.read(read)

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
        """At most `limit` resources of a search by name, after the cursor `after`."""
        now = self.now()
        conditions = self._search(text, tags, status, available_from, available_until, now)
        window = resources.check_search_window(available_from, available_until, now)
        return self._resources_page(conditions, limit, after, now, window)

    def _search(
        self,
        text: str | None,
        tags: list[str] | None,
        status: StatusFilter,
        available_from: datetime | None,
        available_until: datetime | None,
        now: datetime,
    ) -> list[ColumnElement[bool]]:
        wanted = resources.check_status_filter(status)
        window = resources.check_search_window(available_from, available_until, now)
        return [
            *resources.search_conditions(text, tags or [], window),
            *resources.status_conditions(wanted, now, has_window=window is not None),
        ]

    def _resources_page(
        self,
        conditions: Sequence[ColumnElement[bool]],
        limit: int,
        after: str | None,
        now: datetime,
        window: tuple[datetime, datetime] | None = None,
    ) -> Page[ResourceInfo]:
        limit = paging.check_limit(limit)
        key = paging.read_resource_cursor(after)

        def read(session: Session) -> Page[ResourceInfo]:
            page = resources.page_resources(session, now, conditions, limit, key)
            if window is None:
                return page
            # A page may come out shorter than `limit`; its cursor still goes on.
            counting = self._counter(session, now)
            kept = policy.open_during(
                session.connection(), page.items, *window, self.settings, now, counting
            )
            return Page(kept, page.next)

        return self.database.read(read)

    def _counter(self, session: Session, now: datetime) -> policy.AllowanceCounter | None:
        """What a search counts the acting user's allowances by (none for admins, who are
        exempt, and for anonymous readers)."""
        if self.user is None or self.user.is_admin:
            return None
        return policy.AllowanceCounter(session.connection(), self.user.id, now, None)

    def create_resource(
        self,
        name: str,
        tags: list[str] | None = None,
        description: str = "",
        available: bool = True,
    ) -> ResourceInfo:
        """Admin: add a resource with a unique name."""
        self._require_admin()
        clean = resources.clean_name(name)
        clean_tags = resources.clean_tags(tags or [])
        clean_description = resources.clean_description(description)
        now = self.now()
        created = self._write_named(
            clean,
            lambda s: resources.create_resource(
                s, clean, clean_tags, clean_description, available, now
            ),
        )
        return self.get_resource(created)

    def update_resource(
        self,
        resource_id: int,
        name: str | None = None,
        tags: list[str] | None = None,
        description: str | None = None,
    ) -> ResourceInfo:
        """Admin: rename, retag or redescribe a resource."""
        resource_id = check_id(resource_id, "resource")
        self._require_admin()
        clean = resources.clean_name(name) if name is not None else None
        clean_tags = resources.clean_tags(tags) if tags is not None else None
        clean_description = (
            resources.clean_description(description) if description is not None else None
        )
        self._write_named(
            clean or str(resource_id),
            lambda s: resources.update_resource(
                s, resource_id, clean, clean_tags, clean_description
            ),
        )
        return self.get_resource(resource_id)

    def _write_named(self, name: str, work: Callable[[Session], T]) -> T:
        # A concurrent writer may take the name between the check and the insert;
        # the unique index then speaks, with the same message.
        try:
            return self.database.write(work)
        except IntegrityError as exc:
            raise resources.name_taken(name) from exc

    def set_available(self, resource_id: int, available: bool) -> ResourceInfo:
        """Admin: enable or disable a resource (existing bookings stay)."""
        resource_id = check_id(resource_id, "resource")
        self._require_admin()
        self.database.write(lambda s: resources.set_enabled(s, resource_id, available))
        return self.get_resource(resource_id)

    def start_maintenance(self, resource_id: int, auto_reset_hours: int = 8) -> ResourceInfo:
        """Admin: maintenance from now for 1-168 hours, keeping the bookings in it: the
        seed's `status/unavailable`, which has no choice to offer."""
        hours = resources.check_auto_reset_hours(auto_reset_hours)
        return self.schedule_maintenance(resource_id, timedelta(hours=hours)).resource

    def preview_maintenance(
        self,
        resource_id: int,
        length: timedelta,
        start: datetime | None = None,
        reason: str = "",
    ) -> MaintenancePreview:
        """Admin: the active bookings a maintenance window would overlap; changes nothing."""
        resource_id = check_id(resource_id, "resource")
        self._require_admin()
        now = self.now()
        begin, end = maintenance.check_window(start, length, now)
        why = maintenance.clean_reason(reason)
        return self.database.read(
            lambda s: maintenance.preview(s, now, resource_id, begin, end, why)
        )

    def schedule_maintenance(
        self,
        resource_id: int,
        length: timedelta,
        start: datetime | None = None,
        reason: str = "",
        overlapped: OverlapChoice = "keep",
    ) -> MaintenanceOutcome:
        """Admin: set a maintenance window, cancelling or keeping the bookings in it."""
        resource_id = check_id(resource_id, "resource")
        admin = self._require_admin()
        now = self.now()
        begin, end = maintenance.check_window(start, length, now)
        why = maintenance.clean_reason(reason)
        choice = maintenance.check_choice(overlapped)
        actor_id = (self.actor or admin).id

        def work(session: Session) -> MaintenanceOutcome:
            outcome = maintenance.set_window(
                session, actor_id, now, resource_id, begin, end, why, choice
            )
            if outcome.cancelled:
                self._release(session, resource_id)
            return outcome

        return self.database.write(work)

    def end_maintenance(self, resource_id: int) -> ResourceInfo:
        """Admin: back in service now."""
        resource_id = check_id(resource_id, "resource")
        self._require_admin()
        self.database.write(lambda s: resources.end_maintenance(s, resource_id))
        return self.get_resource(resource_id)

    def resource_status(self, resource_id: int) -> ResourceStatusDetail:
        """Status with the current and next reservation and maintenance timing."""
        resource_id = check_id(resource_id, "resource")
        now = self.now()
        detail = self.database.read(lambda s: reservations.status_detail(s, now, resource_id))
        if self.user is not None:
            return detail
        current, following = detail.current_reservation, detail.next_reservation
        return dataclasses.replace(
            detail,
            current_reservation=current and reservations.without_holder(current),
            next_reservation=following and reservations.without_holder(following),
        )

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
        """The slot grid of a resource for `days` local days from `start_day`."""
        resource_id = check_id(resource_id, "resource")
        schedule.check_grid(days, slot_minutes, day_start, day_end)
        zone = schedule.zone(tz)
        now = self.now()
        first = start_day or now.astimezone(zone).date()
        schedule.check_days(first, days)
        span_start, span_end = schedule.days_span(first, days, zone)
        user_id = self.user.id if self.user else None

        def read(session: Session) -> Schedule:
            info = resources.load_resource(session, now, resource_id)
            held = reservations.load_reservations(
                session,
                now,
                reservations.overlapping(resource_id, span_start, span_end),
                newest_first=False,
            )
            if user_id is None:
                held = [reservations.without_holder(r) for r in held]
            rules = policy.load_rules(
                session.connection(), info.id, info.name, info.tags, self.settings
            )
            closed = policy.closed_between(rules, span_start, span_end)
            return schedule.build_schedule(
                info, held, user_id, now, first, days, tz, slot_minutes, day_start, day_end, closed
            )

        return self.database.read(read)

    def summary(self) -> Summary:
        """Counts of resources by derived status now."""
        return resources.summarize(self._load(), self.now())

    # -- reservations ----------------------------------------------------------------
    def book(
        self,
        resource_id: int,
        start: datetime,
        end: datetime,
        idempotency_key: str | None = None,
        note: str = "",
    ) -> ReservationInfo:
        """Book `[start, end)` with a `note`; ConflictError names the clashing windows. The
        same request with the same `idempotency_key` within 24 hours returns the first
        booking."""
        resource_id = check_id(resource_id, "resource")
        user = self._require_user()
        key = None if idempotency_key is None else clean_idempotency_key(idempotency_key)
        cleaned = booking.clean_note(note)
        start, end = as_utc(start), as_utc(end)
        now = self.now()
        try:
            return self._book(user, resource_id, start, end, now, key, cleaned)
        except IntegrityError as exc:
            if key is None or not is_unique_violation(exc):
                raise
            # A twin request with this key committed first: booking again finds its key.
            return self._book(user, resource_id, start, end, now, key, cleaned)

    def _book(
        self,
        user: UserInfo,
        resource_id: int,
        start: datetime,
        end: datetime,
        now: datetime,
        key: str | None,
        note: str,
    ) -> ReservationInfo:
        # A deadlock that outlives its retry while racing for the slot means
        # another booking won, as does PostgreSQL's exclusion constraint.
        try:
            return self.database.write_core(
                lambda c: booking.book(
                    c, user, resource_id, start, end, now, self.settings, key, self.actor, note
                ),
                retries=1,
                contended=lambda: self._conflict(resource_id, start, end),
            )
        except IntegrityError as exc:
            if not is_exclusion_violation(exc):
                raise
            raise self._conflict(resource_id, start, end) from exc

    def _conflict(self, resource_id: int, start: datetime, end: datetime) -> ConflictError:
        return self.database.read(lambda s: booking.conflict_with(s, resource_id, start, end))

    def cancel(self, reservation_id: int, reason: str | None = None) -> ReservationInfo:
        """Cancel an active reservation (owner or admin), keeping the reason."""
        reservation_id = check_id(reservation_id, "reservation")
        user = self._require_user()
        now = self.now()

        def work(session: Session) -> None:
            booking.cancel(session, user, reservation_id, reason, now, self.actor)
            self._release(session, booking.reservation_row(session, reservation_id).resource_id)

        self.database.write(work)
        return self.database.read(lambda s: reservations.load_reservation(s, now, reservation_id))

    def _release(self, session: Session, resource_id: int) -> None:
        """Offer what a change freed on the resource to those waiting, in its transaction."""
        session.flush()
        waitlist.offer_next(session.connection(), resource_id, self.now(), self.settings)

    def move(
        self, reservation_id: int, start: datetime, end: datetime, note: str | None = None
    ) -> ReservationInfo:
        """Move an active reservation that has not ended to `[start, end)`, and set its
        `note` when given, in one step; owner or admin only. Every rule of a new booking
        holds; ConflictError names what else holds that time, and then nothing changes."""
        return self._change(reservation_id, (as_utc(start), as_utc(end)), note)

    def set_note(self, reservation_id: int, note: str) -> ReservationInfo:
        """Set a reservation's note ("" clears it); owner or admin only."""
        return self._change(reservation_id, None, note)

    def _change(
        self, reservation_id: int, window: tuple[datetime, datetime] | None, note: str | None
    ) -> ReservationInfo:
        reservation_id = check_id(reservation_id, "reservation")
        user = self._require_user()
        cleaned = None if note is None else booking.clean_note(note)
        now = self.now()

        def work(session: Session) -> None:
            booking.change(
                session, user, reservation_id, window, cleaned, now, self.settings, self.actor
            )
            if window is not None:
                self._release(session, booking.reservation_row(session, reservation_id).resource_id)

        if window is None:
            self.database.write(work)
        else:
            # As in `_book`: a move that lost the race for the slot is a conflict.
            def lost() -> ConflictError:
                return self.database.read(
                    lambda s: booking.move_conflict(s, reservation_id, *window)
                )

            try:
                self.database.write(work, retries=1, contended=lost)
            except IntegrityError as exc:
                if not is_exclusion_violation(exc):
                    raise
                raise lost() from exc
        return self.database.read(lambda s: reservations.load_reservation(s, now, reservation_id))

    def get_reservation(self, reservation_id: int) -> ReservationInfo:
        """One reservation; owner or admin only."""
        reservation_id = check_id(reservation_id, "reservation")
        user = self._require_user()
        now = self.now()
        return self.database.read(
            lambda s: reservations.load_reservation(s, now, reservation_id, seen_by=user)
        )

    def my_reservations(self, include_cancelled: bool = False) -> list[ReservationInfo]:
        """The acting user's reservations, newest first."""
        user = self._require_user()
        conditions = reservations.of_user(user.id, include_cancelled)
        return self._reservations(conditions)

    def all_reservations(self, include_cancelled: bool = False) -> list[ReservationInfo]:
        """Admin: every reservation, newest first."""
        self._require_admin()
        return self._reservations(reservations.everyone(include_cancelled))

    def _reservations(self, conditions: list[ColumnElement[bool]]) -> list[ReservationInfo]:
        now = self.now()
        return self.database.read(lambda s: reservations.load_reservations(s, now, conditions))

    def my_reservations_page(
        self, include_cancelled: bool = False, *, limit: int, after: str | None = None
    ) -> Page[ReservationInfo]:
        """At most `limit` of the acting user's reservations, newest first, after `after`."""
        user = self._require_user()
        conditions = reservations.of_user(user.id, include_cancelled)
        return self._reservations_page(conditions, limit, after)

    def all_reservations_page(
        self, include_cancelled: bool = False, *, limit: int, after: str | None = None
    ) -> Page[ReservationInfo]:
        """Admin: at most `limit` of every reservation, newest first, after `after`."""
        self._require_admin()
        return self._reservations_page(reservations.everyone(include_cancelled), limit, after)

    def _reservations_page(
        self, conditions: list[ColumnElement[bool]], limit: int, after: str | None
    ) -> Page[ReservationInfo]:
        limit = paging.check_limit(limit)
        key = paging.read_reservation_cursor(after)
        now = self.now()
        return self.database.read(
            lambda s: reservations.page_reservations(s, now, conditions, limit, key)
        )

    def resource_reservations(
        self, resource_id: int, start: datetime, end: datetime
    ) -> list[ReservationInfo]:
        """Active reservations of a resource overlapping `[start, end)`, by start."""
        resource_id = check_id(resource_id, "resource")
        start, end = reservations.check_window(start, end)
        now = self.now()
        held = self.database.read(
            lambda s: reservations.load_resource_reservations(s, now, resource_id, start, end)
        )
        return held if self.user is not None else [reservations.without_holder(r) for r in held]

    def resource_reservations_page(
        self,
        resource_id: int,
        start: datetime,
        end: datetime,
        *,
        limit: int,
        after: str | None = None,
    ) -> Page[ReservationInfo]:
        """At most `limit` active reservations of a resource overlapping `[start, end)`,
        by start, after the cursor `after`."""
        resource_id = check_id(resource_id, "resource")
        window = reservations.check_window(start, end)
        limit = paging.check_limit(limit)
        key = paging.read_reservation_cursor(after)
        now = self.now()
        page = self.database.read(
            lambda s: reservations.page_resource_reservations(
                s, now, resource_id, window, limit, key
            )
        )
        if self.user is not None:
            return page
        return Page([reservations.without_holder(r) for r in page.items], page.next)

    def history(self, reservation_id: int) -> list[EventInfo]:
        """The reservation's events, newest first; owner or admin only."""
        reservation_id = check_id(reservation_id, "reservation")
        user = self._require_user()
        return self.database.read(lambda s: reservations.load_history(s, reservation_id, user))

    def next_free_slot(
        self,
        duration: timedelta,
        after: datetime | None = None,
        resource_id: int | None = None,
        tag: str | None = None,
        excluding: int | None = None,
    ) -> FreeSlot:
        """The earliest window of `duration` after `after` on a resource or any with `tag`;
        the reservation `excluding` (one to move) counts as free."""
        if resource_id is not None:
            resource_id = check_id(resource_id, "resource")
        if (resource_id is None) == (tag is None):
            raise ValidationError("name either a resource or a tag", "resource")
        if duration <= timedelta(0):
            raise ValidationError("a slot lasts longer than zero", "duration")
        now = self.now()
        # Bookings start in the future: the next whole minute at the earliest.
        earliest = (now + timedelta(minutes=1)).replace(second=0, microsecond=0)
        begin = max(as_utc(after), earliest) if after is not None else earliest
        return self.database.read(
            lambda s: booking.free_slot(
                s, now, duration, begin, resource_id, tag, self.settings, self.user, excluding
            )
        )

    # -- approvals, waitlists, inbox -----------------------------------------------------
    def pending_requests(self) -> list[ReservationInfo]:
        """The requests awaiting approval that the acting user may decide, soonest first."""
        user = self._require_user()
        now = self.now()
        return self.database.read(lambda s: approvals.requests(s, user, now, self.settings))

    def approve(self, reservation_id: int) -> ReservationInfo:
        """Approver or admin: make a pending request active."""
        reservation_id = check_id(reservation_id, "reservation")
        user = self._require_user()
        now = self.now()
        self.database.write(
            lambda s: approvals.approve(s.connection(), user, reservation_id, now, self.settings)
        )
        return self.database.read(lambda s: reservations.load_reservation(s, now, reservation_id))

    def reject(self, reservation_id: int, reason: str | None = None) -> ReservationInfo:
        """Approver or admin: refuse a pending request; its slot goes to the waitlist."""
        reservation_id = check_id(reservation_id, "reservation")
        user = self._require_user()
        now = self.now()
        self.database.write(
            lambda s: approvals.reject(
                s.connection(), user, reservation_id, reason, now, self.settings
            )
        )
        return self.database.read(lambda s: reservations.load_reservation(s, now, reservation_id))

    def join_waitlist(
        self,
        resource_id: int,
        start: datetime,
        end: datetime,
        flexible_minutes: int = 0,
        note: str = "",
    ) -> WaitlistInfo:
        """Wait in line for a taken window (or one as long starting up to
        `flexible_minutes` earlier or later); the answer holds the place in line."""
        resource_id = check_id(resource_id, "resource")
        user = self._require_user()
        cleaned = booking.clean_note(note)
        start, end = as_utc(start), as_utc(end)
        now = self.now()
        entry_id = self.database.write_core(
            lambda c: waitlist.join(
                c, user, resource_id, start, end, flexible_minutes, cleaned, now, self.settings
            )
        )
        return self.get_waitlist_entry(entry_id)

    def waitlist(
        self, everyone: bool = False, resource_id: int | None = None
    ) -> list[WaitlistInfo]:
        """The acting user's waitlist entries (admin with `everyone`: all), newest first."""
        if resource_id is not None:
            resource_id = check_id(resource_id, "resource")
        user = self._require_user()
        now = self.now()
        return self.database.read(lambda s: waitlist.entries(s, user, now, everyone, resource_id))

    def get_waitlist_entry(self, entry_id: int) -> WaitlistInfo:
        """One waitlist entry with its place in line; its owner or an admin only."""
        entry_id = check_id(entry_id, "waitlist entry")
        user = self._require_user()
        now = self.now()

        def read(session: Session) -> WaitlistInfo:
            found = waitlist.entries(session, user, now, user.is_admin, entry_ids=[entry_id])
            if not found:
                waitlist.entry_row(session, entry_id, user)
            return found[0]

        return self.database.read(read)

    def leave_waitlist(self, entry_id: int) -> WaitlistInfo:
        """Take a waiting entry out of line; its owner or an admin only."""
        entry_id = check_id(entry_id, "waitlist entry")
        user = self._require_user()
        self.database.write(lambda s: waitlist.leave(s, user, entry_id))
        return self.get_waitlist_entry(entry_id)

    def accept_offer(self, reservation_id: int) -> ReservationInfo:
        """Take an offered slot before its time to answer passes: it becomes active."""
        reservation_id = check_id(reservation_id, "reservation")
        user = self._require_user()
        now = self.now()
        self.database.write(lambda s: waitlist.accept(s.connection(), user, reservation_id, now))
        return self.database.read(lambda s: reservations.load_reservation(s, now, reservation_id))

    def decline_offer(self, reservation_id: int) -> ReservationInfo:
        """Turn an offer down: the slot goes to the next in line."""
        reservation_id = check_id(reservation_id, "reservation")
        user = self._require_user()
        now = self.now()
        self.database.write(
            lambda s: waitlist.decline(s.connection(), user, reservation_id, now, self.settings)
        )
        return self.database.read(lambda s: reservations.load_reservation(s, now, reservation_id))

    def inbox(self, unread_only: bool = False) -> list[Notice]:
        """The acting user's notices, newest first."""
        user = self._require_user()
        return self.database.read(lambda s: inbox.notices(s.connection(), user.id, unread_only))

    def unread_count(self) -> int:
        """How many of the acting user's notices are unread."""
        user = self._require_user()
        return self.database.read(lambda s: inbox.unread_count(s.connection(), user.id))

    def mark_read(self, notice_ids: Sequence[int] | None = None) -> int:
        """Mark notices read (all when none are named); returns how many changed."""
        user = self._require_user()
        now = self.now()
        return self.database.write(
            lambda s: inbox.mark_read(s.connection(), user.id, notice_ids, now)
        )

    # -- recurring series ----------------------------------------------------------------
    def book_series(
        self, request: SeriesRequest, *, skip_conflicts: bool = False, dry_run: bool = False
    ) -> SeriesOutcome:
        """Book a recurring series all or nothing (`skip_conflicts`: the rest), or preview
        it (`dry_run`); see `Backend.book_series`."""
        request = dataclasses.replace(
            request, resource_id=check_id(request.resource_id, "resource")
        )
        user = self._require_user()
        now = self.now()

        def work(connection: Connection) -> tuple[int | None, list[Occurrence]]:
            return series.book_series(
                connection,
                user,
                request,
                now,
                self.settings,
                skip_conflicts=skip_conflicts,
                dry_run=dry_run,
                actor=self.actor,
            )

        def lost() -> SeriesRefusedError:
            # Another booking won a slot between the preview and the insert.
            _, seen = self.database.read(
                lambda s: series.book_series(
                    s.connection(), user, request, now, self.settings, dry_run=True
                )
            )
            return SeriesRefusedError(
                series.refused_text(seen, "nothing was booked", ZoneInfo(request.timezone)),
                seen,
                None,
            )

        if dry_run:
            _, preview = self.database.read(lambda s: work(s.connection()))
            return series.outcome(preview, None, dry_run)
        try:
            series_id, occurrences = self.database.write_core(work, retries=1, contended=lost)
        except IntegrityError as exc:
            if not is_exclusion_violation(exc):
                raise
            raise lost() from exc
        found = None
        if series_id is not None:
            found = self.database.read(lambda s: series.load_series(s, now, [series_id])[0])
        return series.outcome(occurrences, found, dry_run)

    def list_series(self, everyone: bool = False) -> list[SeriesInfo]:
        """The acting user's series (admin with `everyone`: all), newest first."""
        user = self._require_admin() if everyone else self._require_user()
        now = self.now()
        owner = None if everyone else user.id
        return self.database.read(lambda s: series.list_series(s, now, owner))

    def get_series(self, series_id: int) -> SeriesInfo:
        """One series with its occurrences; owner or admin only."""
        series_id = check_id(series_id, "series")
        user = self._require_user()
        now = self.now()
        return self.database.read(lambda s: series.get_series(s, now, series_id, user))

    def cancel_series(
        self, series_id: int, from_time: datetime | None = None, reason: str | None = None
    ) -> SeriesInfo:
        """Cancel the series' upcoming occurrences (from `from_time` on, when given)."""
        series_id = check_id(series_id, "series")
        user = self._require_user()
        now = self.now()
        start = None if from_time is None else as_utc(from_time)

        def work(session: Session) -> None:
            series.cancel_series(session, user, series_id, start, reason, now, self.actor)
            self._release(session, series.series_row(session, series_id).resource_id)

        self.database.write(work)
        return self.database.read(lambda s: series.load_series(s, now, [series_id])[0])

    def retime_series(
        self,
        series_id: int,
        start: time,
        length_minutes: int | None = None,
        *,
        dry_run: bool = False,
    ) -> SeriesOutcome:
        """Move the series' future occurrences to a new local time (and length), all or
        nothing, or preview that (`dry_run`)."""
        series_id = check_id(series_id, "series")
        user = self._require_user()
        now = self.now()

        def work(connection: Connection) -> list[Occurrence]:
            moved = series.retime_series(
                connection,
                user,
                series_id,
                start,
                length_minutes,
                now,
                self.settings,
                dry_run=dry_run,
                actor=self.actor,
            )
            if not dry_run:
                resource_id = series.resource_of(connection, series_id)
                waitlist.offer_next(connection, resource_id, now, self.settings, lock=False)
            return moved

        if dry_run:
            preview = self.database.read(lambda s: work(s.connection()))
            return series.outcome(preview, None, dry_run)
        try:
            occurrences = self.database.write_core(work, retries=1)
        except IntegrityError as exc:
            if not is_exclusion_violation(exc):
                raise
            # Another booking won a slot between the check and the move.
            preview = self.database.read(
                lambda s: series.retime_series(
                    s.connection(),
                    user,
                    series_id,
                    start,
                    length_minutes,
                    now,
                    self.settings,
                    dry_run=True,
                )
            )
            raise SeriesRefusedError(
                "nothing was moved: another booking took one of the new times", preview, None
            ) from exc
        found = self.database.read(lambda s: series.load_series(s, now, [series_id])[0])
        return series.outcome(occurrences, found, dry_run)

    # -- booking policies --------------------------------------------------------------
    def resource_policy(self, resource_id: int) -> EffectivePolicy:
        """A resource's effective policy with each field's scope, and the acting user's
        allowances on it (none when anonymous)."""
        resource_id = check_id(resource_id, "resource")
        now = self.now()

        def read(session: Session) -> EffectivePolicy:
            resource = resources.load_resource(session, now, resource_id)
            return policy.effective_policy(session, resource, self.user, self.settings, now)

        return self.database.read(read)

    def list_policies(self) -> list[PolicyInfo]:
        """Every scope's own policy that sets anything."""
        return self.database.read(policy.list_policies)

    def get_policy(self, scope: PolicyScope) -> PolicyInfo:
        """One scope's own policy (every field unset when nothing is set there)."""
        return self.database.read(lambda s: policy.get_policy(s, scope))

    def set_policy(self, scope: PolicyScope, changes: PolicyChanges) -> PolicyInfo:
        """Admin: set the given fields of a scope's policy (closures are added)."""
        user = self._require_user()
        now = self.now()
        return self.database.write(lambda s: policy.set_policy(s, user, scope, changes, now))

    def clear_policy(self, scope: PolicyScope, fields: Sequence[str] = ()) -> PolicyInfo:
        """Admin: unset the named fields of a scope's policy, or all of them."""
        user = self._require_user()
        now = self.now()
        names = list(fields)
        return self.database.write(lambda s: policy.clear_policy(s, user, scope, names, now))

    # -- import, export, upkeep --------------------------------------------------------
    def import_csv(
        self,
        data: BinaryIO,
        skip_invalid: bool = False,
        progress: ProgressCallback | None = None,
        update_existing: bool = False,
    ) -> ImportReport:
        """Admin: validate the whole file, then import it in one transaction."""
        self._require_admin()
        content = data.read(csv_io.MAX_IMPORT_BYTES + 1)
        rows, errors = csv_io.parse_resources_csv(content)
        now = self.now()

        def run(session: Session) -> ImportReport:
            return csv_io.import_resources(
                session, rows, errors, skip_invalid, now, progress, update_existing
            )

        raced = AlreadyExistsError(
            "another import created some of these names at the same time; try again", "file"
        )
        try:
            return self.database.write(run)
        except IntegrityError as exc:
            if not update_existing:
                raise raced from exc
            # Another import created some of these names after this one looked (where
            # writers run side by side, unlike on SQLite): now they are there to update.
            try:
                return self.database.write(run)
            except IntegrityError as again:
                raise raced from again

    def export_csv(self, out: TextIO, progress: ProgressCallback | None = None) -> int:
        """Write every resource in the import format; returns the row count."""
        return csv_io.write_resources_csv(out, csv_io.export_rows(self._load(), progress))

    def expire(self) -> ExpiryReport:
        """Admin: expire finished reservations and end elapsed maintenance now."""
        self._require_admin()
        return self.run_expiry()

    def run_expiry(self) -> ExpiryReport:
        """Run expiry as the system (on open and on the background timer), and drop
        throttling counters no window needs any more and idempotency keys past their day."""
        now = self.now()
        window = timedelta(minutes=self.settings.login_window_minutes)
        expired, reset = self.database.write(lambda s: expiry.expire(s, now))
        lapsed, offers = self._move_queues(now)

        def forget(session: Session) -> None:
            throttle.purge(session, now, window)
            idempotency.purge(session, now)

        self.database.write(forget)
        report = ExpiryReport(
            expired_count=expired,
            maintenance_reset_count=reset,
            timestamp=now,
            lapsed_count=lapsed,
            offers_made=offers,
        )
        self.upkeep.record(report)
        return report

    def _move_queues(self, now: datetime) -> tuple[int, int]:
        """For each resource with a request or an offer past its time or someone waiting,
        in one transaction under its row lock: lapse those, then offer its free time to
        those waiting. Lapsing under the lock keeps an offer being made from seeing a
        slot freed halfway through the line. A resource another transaction holds is
        left to it, or to the next run (SKIP LOCKED). Returns (lapsed, offers made)."""
        resource_ids = self.database.read(lambda s: waitlist.resources_to_move(s.connection(), now))
        lapsed = made = 0
        for resource_id in resource_ids:

            def move(session: Session, resource_id: int = resource_id) -> tuple[int, int]:
                connection = session.connection()
                if not waitlist.try_lock_resource(connection, resource_id):
                    return 0, 0
                count = approvals.lapse_requests(connection, resource_id, now)
                count += waitlist.lapse_offers(connection, resource_id, now)
                offers = waitlist.offer_next(
                    connection, resource_id, now, self.settings, lock=False
                )
                return count, len(offers)

            done = self.database.write(move)
            lapsed += done[0]
            made += done[1]
        return lapsed, made

    def background_upkeep(self) -> ExpiryReport | None:
        """The timer's work: run expiry, recording rather than raising a failure."""
        try:
            return self.run_expiry()
        except StoreError as exc:
            self.upkeep.last_error = str(exc)
            return None
