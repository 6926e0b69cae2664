"""`LocalBackend`: the `Backend` interface on a database, for one acting user.

Each public method is one transaction (`Database.read` or `Database.write`);
the rule functions it calls take the session and never commit.
"""

from __future__ import annotations

import getpass
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import BinaryIO, TextIO

from sqlalchemy import ColumnElement, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reserver_core import booking, csv_io, expiry, resources, schedule, tokens, users
from reserver_core.backend import ProgressCallback
from reserver_core.clock import Clock, SystemClock, as_utc
from reserver_core.db import Database, is_exclusion_violation
from reserver_core.errors import (
    AlreadyExistsError,
    AuthError,
    ConflictError,
    ForbiddenError,
    ImportRejectedError,
    LineError,
    NotFoundError,
    StoreError,
    UnavailableError,
    ValidationError,
)
from reserver_core.models import (
    IS_ACTIVE,
    MAX_ID,
    Reservation,
    ReservationEvent,
    Resource,
    ResourceTag,
    User,
)
from reserver_core.schemas import (
    EventInfo,
    ExpiryReport,
    FreeSlot,
    Health,
    ImportReport,
    ReservationInfo,
    ResourceInfo,
    ResourceStatusDetail,
    Schedule,
    StatusFilter,
    Summary,
    Token,
    UserInfo,
)
from reserver_core.settings import Settings, default_database_url, load_settings

_IMPORT_BATCH = 1000


@dataclass
class UpkeepState:
    """What the background expiry did last; shared by every backend on one store."""

    interval_seconds: int
    running: bool = False
    last_run: datetime | None = None
    next_run: datetime | None = None
    last_report: ExpiryReport | None = None
    last_error: str | None = None
    runs: int = field(default=0)

    def as_dict(self) -> dict[str, object]:
        """The state as JSON-ready data for /health."""
        return {
            "expiry": {
                "running": self.running,
                "interval_seconds": self.interval_seconds,
                "last_run": self.last_run.isoformat() if self.last_run else None,
                "next_run": self.next_run.isoformat() if self.next_run else None,
                "runs": self.runs,
                "last_expired_count": self.last_report.expired_count if self.last_report else None,
                "last_error": self.last_error,
            }
        }


def local_username() -> str:
    """The operating-system account name, made into a valid reserver username."""
    try:
        raw = getpass.getuser()
    except (KeyError, OSError):
        raw = "local-user"
    name = re.sub(r"[^a-z0-9_-]", "-", raw.lower())[:50]
    return name if len(name) >= 3 else f"{name}-user"[:50]


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
        self.policy = booking.BookingPolicy.from_settings(settings)

    @classmethod
    def open(
        cls,
        url: str | None = None,
        settings: Settings | None = None,
        clock: Clock | None = None,
        username: str | None = None,
    ) -> LocalBackend:
        """Open a store (migrating it), run expiry, and act as the local user.

        The local user is `username` or the OS account; the first user of a new
        store is an admin.
        """
        settings = settings or load_settings()
        database = Database.open(url or settings.database_url or default_database_url(), settings)
        backend = cls(database, settings, clock)
        try:
            backend.background_upkeep()
            name = users.clean_username(username or local_username())
            now = backend.now()
            backend.user = database.write(
                lambda s: users.user_info(users.ensure_user(s, name, now))
            )
        except Exception:
            database.close()
            raise
        return backend

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

    def _require_admin(self) -> UserInfo:
        user = self._require_user()
        if not user.is_admin:
            raise ForbiddenError("only an admin may do this")
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

    def register(self, username: str, password: str) -> UserInfo:
        """Create an account with a password; the first account is an admin."""
        if not self.settings.allow_registration:
            raise ForbiddenError("registration is switched off on this server")
        name = users.clean_username(username)
        users.check_password(password)
        # bcrypt is slow on purpose: hash before taking the write lock.
        password_hash = users.hash_password(password, self.settings.bcrypt_rounds)
        now = self.now()
        try:
            return self.database.write(
                lambda s: users.user_info(users.create_user(s, name, password_hash, now))
            )
        except IntegrityError as exc:
            raise AlreadyExistsError(f"the username {name!r} is taken", "username") from exc

    def login(self, username: str, password: str) -> Token:
        """Check a password (throttled after repeated failures) and issue a token."""
        if not self.token_secret:
            raise AuthError("this store does not issue tokens; log in to a server instead")
        user = self.authenticate(username, password)
        ttl = timedelta(minutes=self.settings.token_ttl_minutes)
        return Token(tokens.issue_token(user.username, self.token_secret, self.now(), ttl))

    def authenticate(self, username: str, password: str) -> UserInfo:
        """The user whose password this is; AuthError or ThrottledError otherwise."""
        name = username.strip().lower()
        now = self.now()
        window = timedelta(minutes=self.settings.login_window_minutes)

        def lookup(session: Session) -> User | None:
            users.check_throttle(session, name, now, self.settings.login_max_failures, window)
            return users.find_user(session, name)

        found = self.database.read(lookup)
        valid = (
            found is not None
            and found.active
            and users.password_matches(password, found.password_hash)
        )
        if not valid or found is None:
            self.database.write(lambda s: users.record_failure(s, name, now, window))
            raise users.wrong_credentials()
        self.database.write(lambda s: users.clear_failures(s, name))
        return users.user_info(found)

    def health(self) -> Health:
        """`ok` with the store answering; `degraded` with the database down."""
        now = self.now()
        try:
            self.database.ping()
            database = "ok"
        except StoreError:
            database = "unreachable"
        return Health(
            status="ok" if database == "ok" else "degraded",
            database=database,
            timestamp=now,
            background_tasks=self.upkeep.as_dict(),
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
        resource_id = _known_id(resource_id, "resource")
        now = self.now()
        return self.database.read(lambda s: resources.load_resource(s, now, resource_id))

    def find_resource(self, reference: str) -> ResourceInfo:
        """A resource by id or by exact name (any case)."""
        reference = reference.strip()
        # ASCII only: str.isdigit also accepts digits int() refuses, such as "²".
        numeric = reference.isascii() and reference.isdigit()
        if numeric:
            try:
                return self.get_resource(int(reference))
            except NotFoundError:
                pass  # a resource may be named with digits alone
        found = self._load([Resource.name_key == resources.name_key(" ".join(reference.split()))])
        if not found:
            also = f"no resource with id {reference} and " if numeric else ""
            raise NotFoundError(f"{also}no resource named {reference!r}")
        return found[0]

    def search_resources(
        self,
        text: str | None = None,
        tags: list[str] | None = None,
        status: StatusFilter = "all",
        available_from: datetime | None = None,
        available_until: datetime | None = None,
    ) -> list[ResourceInfo]:
        """Resources by text, tags, derived status and a window they are free for."""
        wanted = resources.check_status_filter(status)
        conditions: list[ColumnElement[bool]] = []
        if text and text.strip():
            conditions.append(resources.text_match(text))
        for tag in resources.clean_tags(tags or []):
            conditions.append(resources.has_tag(tag))
        if (available_from is None) != (available_until is None):
            raise ValidationError(
                "give both available_from and available_until, or neither", "available_until"
            )
        if available_from is not None and available_until is not None:
            start, end = as_utc(available_from), as_utc(available_until)
            if end <= start:
                raise ValidationError("the window's end must be after its start", "available_until")
            # Past reservations have expired, so a window that is over looks free everywhere.
            if end <= self.now():
                raise ValidationError(
                    "that window is over: search one that ends in the future", "available_until"
                )
            conditions.append(resources.bookable_during(start, end))
        found = self._load(conditions)
        return [info for info in found if resources.matches_status(info.status, wanted)]

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

        def create(session: Session) -> int:
            self._check_name_free(session, clean)
            resource = Resource(
                name=clean,
                name_key=resources.name_key(clean),
                description=clean_description,
                enabled=available,
                auto_reset_hours=8,
                created_at=now,
            )
            resources.set_tags(resource, clean_tags)
            session.add(resource)
            session.flush()
            return resource.id

        return self.get_resource(self._write_unique(create, clean))

    def _check_name_free(self, session: Session, name: str, except_id: int | None = None) -> None:
        query = select(Resource.id).where(Resource.name_key == resources.name_key(name))
        existing = session.scalar(query)
        if existing is not None and existing != except_id:
            raise AlreadyExistsError(f"a resource named {name!r} already exists", "name")

    def _write_unique(self, work: Callable[[Session], int], name: str) -> int:
        # A concurrent writer may take the name between the check and the insert;
        # the unique index then speaks, with the same message.
        try:
            return self.database.write(work)
        except IntegrityError as exc:
            raise AlreadyExistsError(f"a resource named {name!r} already exists", "name") from exc

    def update_resource(
        self,
        resource_id: int,
        name: str | None = None,
        tags: list[str] | None = None,
        description: str | None = None,
    ) -> ResourceInfo:
        """Admin: rename, retag or redescribe a resource."""
        resource_id = _known_id(resource_id, "resource")
        self._require_admin()
        clean = resources.clean_name(name) if name is not None else None
        clean_tags = resources.clean_tags(tags) if tags is not None else None
        clean_description = (
            resources.clean_description(description) if description is not None else None
        )

        def update(session: Session) -> int:
            resource = resources.resource_row(session, resource_id, lock=True)
            if clean is not None:
                self._check_name_free(session, clean, except_id=resource_id)
                resource.name = clean
                resource.name_key = resources.name_key(clean)
            if clean_tags is not None:
                resources.set_tags(resource, clean_tags)
                session.flush()
            if clean_description is not None:
                resource.description = clean_description
            return resource_id

        return self.get_resource(self._write_unique(update, clean or str(resource_id)))

    def set_available(self, resource_id: int, available: bool) -> ResourceInfo:
        """Admin: enable or disable a resource (existing bookings stay)."""
        resource_id = _known_id(resource_id, "resource")
        self._require_admin()

        def switch(session: Session) -> None:
            resources.resource_row(session, resource_id, lock=True).enabled = available

        self.database.write(switch)
        return self.get_resource(resource_id)

    def start_maintenance(self, resource_id: int, auto_reset_hours: int = 8) -> ResourceInfo:
        """Admin: maintenance from now for 1-168 hours, then back in service by itself."""
        resource_id = _known_id(resource_id, "resource")
        self._require_admin()
        resources.check_auto_reset_hours(auto_reset_hours)
        now = self.now()

        def start(session: Session) -> None:
            resource = resources.resource_row(session, resource_id, lock=True)
            resource.unavailable_since = now
            resource.auto_reset_hours = auto_reset_hours
            resource.maintenance_until = now + timedelta(hours=auto_reset_hours)

        self.database.write(start)
        return self.get_resource(resource_id)

    def end_maintenance(self, resource_id: int) -> ResourceInfo:
        """Admin: back in service now."""
        resource_id = _known_id(resource_id, "resource")
        self._require_admin()

        def end(session: Session) -> None:
            resource = resources.resource_row(session, resource_id, lock=True)
            resource.unavailable_since = None
            resource.maintenance_until = None

        self.database.write(end)
        return self.get_resource(resource_id)

    def resource_status(self, resource_id: int) -> ResourceStatusDetail:
        """Status with the current and next reservation and maintenance timing."""
        resource_id = _known_id(resource_id, "resource")
        now = self.now()

        def read(session: Session) -> ResourceStatusDetail:
            info = resources.load_resource(session, now, resource_id)
            upcoming = self._reservations(
                session,
                [
                    Reservation.resource_id == resource_id,
                    IS_ACTIVE,
                    Reservation.end_time > now,
                ],
                order_newest=False,
                limit=2,
            )
            current = next((r for r in upcoming if r.start_time <= now), None)
            following = next((r for r in upcoming if r.start_time > now), None)
            return ResourceStatusDetail(
                resource=info,
                status=info.status,
                current_reservation=current,
                next_reservation=following,
                maintenance_reset_at=info.maintenance_until
                if info.status == "maintenance"
                else None,
                timestamp=now,
            )

        return self.database.read(read)

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
        resource_id = _known_id(resource_id, "resource")
        schedule.check_grid(days, slot_minutes, day_start, day_end)
        zone = schedule.zone(tz)
        now = self.now()
        first = start_day or now.astimezone(zone).date()
        schedule.check_days(first, days)
        span_start, _ = schedule.day_span(first, zone, time(0), time(0))
        _, span_end = schedule.day_span(first + timedelta(days=days - 1), zone, time(0), time(0))
        user_id = self.user.id if self.user else None

        def read(session: Session) -> Schedule:
            info = resources.load_resource(session, now, resource_id)
            held = self._reservations(
                session,
                [
                    Reservation.resource_id == resource_id,
                    resources.active_overlap(span_start, span_end),
                ],
                order_newest=False,
            )
            return schedule.build_schedule(
                info, held, user_id, now, first, days, tz, slot_minutes, day_start, day_end
            )

        return self.database.read(read)

    def summary(self) -> Summary:
        """Counts of resources by derived status now."""
        found = self._load()
        counts = {status: 0 for status in ("available", "in_use", "maintenance", "disabled")}
        for info in found:
            counts[info.status] += 1
        return Summary(
            total_resources=len(found),
            available_now=counts["available"],
            unavailable_now=counts["maintenance"] + counts["disabled"],
            currently_in_use=counts["in_use"],
            timestamp=self.now(),
        )

    # -- reservations ----------------------------------------------------------------
    def _reservations(
        self,
        session: Session,
        conditions: Sequence[ColumnElement[bool]],
        order_newest: bool = True,
        limit: int | None = None,
    ) -> list[ReservationInfo]:
        order = Reservation.start_time.desc() if order_newest else Reservation.start_time.asc()
        query = (
            select(Reservation, User.username)
            .join(User, User.id == Reservation.user_id)
            .where(*conditions)
            .order_by(order, Reservation.id.desc() if order_newest else Reservation.id.asc())
            .limit(limit)
        )
        rows = session.execute(query).all()
        ids = sorted({row.Reservation.resource_id for row in rows})
        now = self.now()
        nested = {
            info.id: info
            for info in (
                resources.load_resources(session, now, [Resource.id.in_(ids)]) if ids else []
            )
        }
        return [_reservation_info(row.Reservation, row.username, nested) for row in rows]

    def _reservation(self, session: Session, reservation_id: int) -> ReservationInfo:
        found = self._reservations(session, [Reservation.id == reservation_id])
        if not found:
            raise NotFoundError(f"no reservation with id {reservation_id}")
        return found[0]

    def book(self, resource_id: int, start: datetime, end: datetime) -> ReservationInfo:
        """Book `[start, end)`; ConflictError names the clashing windows."""
        resource_id = _known_id(resource_id, "resource")
        user = self._require_user()
        start, end = as_utc(start), as_utc(end)
        now = self.now()
        # A deadlock that outlives its retry while racing for the slot means
        # another booking won, as does PostgreSQL's exclusion constraint.
        try:
            return self.database.write_core(
                lambda c: booking.book(c, user, resource_id, start, end, now, self.policy),
                retries=1,
                contended=lambda: self._conflict(resource_id, start, end),
            )
        except IntegrityError as exc:
            if not is_exclusion_violation(exc):
                raise
            raise self._conflict(resource_id, start, end) from exc

    def _conflict(self, resource_id: int, start: datetime, end: datetime) -> ConflictError:
        def read(session: Session) -> ConflictError:
            name = session.scalar(select(Resource.name).where(Resource.id == resource_id))
            return booking.conflict_error(
                name or "", booking.clashes(session.connection(), resource_id, start, end)
            )

        return self.database.read(read)

    def cancel(self, reservation_id: int, reason: str | None = None) -> ReservationInfo:
        """Cancel an active reservation (owner or admin), keeping the reason."""
        reservation_id = _known_id(reservation_id, "reservation")
        user = self._require_user()
        now = self.now()
        self.database.write(lambda s: booking.cancel(s, user, reservation_id, reason, now))
        return self.database.read(lambda s: self._reservation(s, reservation_id))

    def get_reservation(self, reservation_id: int) -> ReservationInfo:
        """One reservation; owner or admin only."""
        reservation_id = _known_id(reservation_id, "reservation")
        user = self._require_user()

        def read(session: Session) -> ReservationInfo:
            booking.check_owner(booking.reservation_row(session, reservation_id), user)
            return self._reservation(session, reservation_id)

        return self.database.read(read)

    def my_reservations(self, include_cancelled: bool = False) -> list[ReservationInfo]:
        """The acting user's reservations, newest first."""
        user = self._require_user()
        conditions = [Reservation.user_id == user.id]
        if not include_cancelled:
            conditions.append(Reservation.status != "cancelled")
        return self.database.read(lambda s: self._reservations(s, conditions))

    def all_reservations(self, include_cancelled: bool = False) -> list[ReservationInfo]:
        """Admin: every reservation, newest first."""
        self._require_admin()
        conditions = [] if include_cancelled else [Reservation.status != "cancelled"]
        return self.database.read(lambda s: self._reservations(s, conditions))

    def resource_reservations(
        self, resource_id: int, start: datetime, end: datetime
    ) -> list[ReservationInfo]:
        """Active reservations of a resource overlapping `[start, end)`, by start."""
        resource_id = _known_id(resource_id, "resource")
        start, end = as_utc(start), as_utc(end)
        now = self.now()

        def read(session: Session) -> list[ReservationInfo]:
            resources.load_resource(session, now, resource_id)
            return self._reservations(
                session,
                [Reservation.resource_id == resource_id, resources.active_overlap(start, end)],
                order_newest=False,
            )

        return self.database.read(read)

    def history(self, reservation_id: int) -> list[EventInfo]:
        """The reservation's events, newest first; owner or admin only."""
        reservation_id = _known_id(reservation_id, "reservation")
        user = self._require_user()

        def read(session: Session) -> list[EventInfo]:
            booking.check_owner(booking.reservation_row(session, reservation_id), user)
            query = (
                select(ReservationEvent, User.username)
                .outerjoin(User, User.id == ReservationEvent.actor_id)
                .where(ReservationEvent.reservation_id == reservation_id)
                .order_by(ReservationEvent.at.desc(), ReservationEvent.id.desc())
            )
            return [
                EventInfo(
                    id=event.id,
                    reservation_id=event.reservation_id,
                    action=event.action,
                    actor=username or "system",
                    timestamp=event.at,
                    details=event.details,
                )
                for event, username in session.execute(query)
            ]

        return self.database.read(read)

    def next_free_slot(
        self,
        duration: timedelta,
        after: datetime | None = None,
        resource_id: int | None = None,
        tag: str | None = None,
    ) -> FreeSlot:
        """The earliest window of `duration` after `after` on a resource or any with `tag`."""
        if resource_id is not None:
            resource_id = _known_id(resource_id, "resource")
        if (resource_id is None) == (tag is None):
            raise ValidationError("name either a resource or a tag", "resource")
        self.policy.check_duration(duration, "duration")
        now = self.now()
        # Bookings start in the future: the next whole minute at the earliest.
        earliest = (now + timedelta(minutes=1)).replace(second=0, microsecond=0)
        begin = max(as_utc(after), earliest) if after is not None else earliest

        def read(session: Session) -> FreeSlot:
            if resource_id is not None:
                info = resources.load_resource(session, now, resource_id)
                if not info.available:
                    raise UnavailableError(f"{info.name} is disabled: it has no free slot")
                ids = [resource_id]
            else:
                ids = list(
                    session.scalars(
                        select(ResourceTag.resource_id).where(ResourceTag.tag == str(tag).lower())
                    )
                )
                if not ids:
                    raise NotFoundError(f"no resource carries the tag {tag!r}")
            found = booking.next_free(session, ids, duration, begin)
            if found is None:
                raise NotFoundError("no free slot of that length within a year")
            winner, start = found
            info = resources.load_resource(session, now, winner)
            return FreeSlot(resource=info, start_time=start, end_time=start + duration)

        return self.database.read(read)

    # -- import, export, upkeep --------------------------------------------------------
    def import_csv(
        self,
        data: BinaryIO,
        skip_invalid: bool = False,
        progress: ProgressCallback | None = None,
    ) -> ImportReport:
        """Admin: validate the whole file, then import it in one transaction."""
        self._require_admin()
        content = data.read(csv_io.MAX_IMPORT_BYTES + 1)
        rows, errors = csv_io.parse_resources_csv(content)
        now = self.now()

        def write(session: Session) -> ImportReport:
            taken = _existing_names(session, [resources.name_key(row.name) for row in rows])
            line_errors = list(errors)
            valid = []
            for row in rows:
                if resources.name_key(row.name) in taken:
                    line_errors.append(
                        LineError(row.line, f"a resource named {row.name!r} already exists")
                    )
                else:
                    valid.append(row)
            line_errors.sort(key=lambda e: e.line)
            if line_errors and not skip_invalid:
                raise ImportRejectedError(line_errors)
            _insert_resources(session, valid, now, progress)
            return ImportReport(created_count=len(valid), errors=line_errors)

        try:
            return self.database.write(write)
        except IntegrityError as exc:
            raise AlreadyExistsError(
                "another import created some of these names at the same time; try again", "file"
            ) from exc

    def export_csv(self, out: TextIO, progress: ProgressCallback | None = None) -> int:
        """Write every resource in the import format; returns the row count."""
        found = self._load()
        total = len(found)

        def rows() -> Iterator[tuple[str, list[str], bool]]:
            for index, info in enumerate(found, start=1):
                yield info.name, info.tags, info.available
                if progress and (index % _IMPORT_BATCH == 0 or index == total):
                    progress(index, total)

        return csv_io.write_resources_csv(out, rows())

    def expire(self) -> ExpiryReport:
        """Admin: expire finished reservations and end elapsed maintenance now."""
        self._require_admin()
        return self.run_expiry()

    def run_expiry(self) -> ExpiryReport:
        """Run expiry as the system (on open and on the background timer)."""
        now = self.now()
        expired, reset = self.database.write(lambda s: expiry.expire(s, now))
        report = ExpiryReport(expired_count=expired, maintenance_reset_count=reset, timestamp=now)
        self.upkeep.last_run = now
        self.upkeep.last_report = report
        self.upkeep.last_error = None
        self.upkeep.runs += 1
        self.upkeep.next_run = now + timedelta(seconds=self.upkeep.interval_seconds)
        return report

    def background_upkeep(self) -> ExpiryReport | None:
        """The timer's work: run expiry, recording rather than raising a failure."""
        try:
            return self.run_expiry()
        except StoreError as exc:
            self.upkeep.last_error = str(exc)
            return None


def _known_id(value: int, what: str) -> int:
    """`value`, when a store can hold it as an id; else NotFoundError, as no row has it."""
    if not 1 <= value <= MAX_ID:
        raise NotFoundError(f"no {what} with id {value}")
    return value


def _reservation_info(
    reservation: Reservation, username: str, nested: dict[int, ResourceInfo]
) -> ReservationInfo:
    return ReservationInfo(
        id=reservation.id,
        resource_id=reservation.resource_id,
        user_id=reservation.user_id,
        username=username,
        start_time=reservation.start_time,
        end_time=reservation.end_time,
        status=reservation.status,  # type: ignore[arg-type]
        created_at=reservation.created_at,
        resource=nested[reservation.resource_id],
        cancelled_at=reservation.cancelled_at,
        cancellation_reason=reservation.cancellation_reason,
    )


def _existing_names(session: Session, keys: list[str]) -> set[str]:
    taken: set[str] = set()
    for index in range(0, len(keys), 5000):
        chunk = keys[index : index + 5000]
        taken.update(session.scalars(select(Resource.name_key).where(Resource.name_key.in_(chunk))))
    return taken


def _insert_resources(
    session: Session,
    rows: list[csv_io.CsvResource],
    now: datetime,
    progress: ProgressCallback | None,
) -> None:
    total = len(rows)
    for index in range(0, total, _IMPORT_BATCH):
        batch = rows[index : index + _IMPORT_BATCH]
        session.execute(
            insert(Resource),
            [
                {
                    "name": row.name,
                    "name_key": resources.name_key(row.name),
                    "description": "",
                    "enabled": row.available,
                    "auto_reset_hours": 8,
                    "created_at": now,
                }
                for row in batch
            ],
        )
        keys = [resources.name_key(row.name) for row in batch]
        query = select(Resource.name_key, Resource.id).where(Resource.name_key.in_(keys))
        ids = {key: resource_id for key, resource_id in session.execute(query)}
        tag_rows = [
            {"resource_id": ids[resources.name_key(row.name)], "tag": tag, "position": position}
            for row in batch
            for position, tag in enumerate(row.tags)
        ]
        if tag_rows:
            session.execute(insert(ResourceTag), tag_rows)
        if progress:
            progress(min(index + _IMPORT_BATCH, total), total)
    if progress and total == 0:
        progress(0, 0)
