"""Booking rules: the window checks, conflicts, cancellation, next free slot.

These functions take a session and never commit: the caller owns the
transaction (see `Database.write`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Row,
    select,
)
from sqlalchemy.orm import Session

from reserver_core import idempotency, inbox, policy
from reserver_core.booking_statements import (
    CLASHES,
    INSERT_EVENT,
    INSERT_RESERVATION,
    LOCK_RESOURCE,
    RESOURCE_TO_BOOK,
)
from reserver_core.display import (
    already_booked,
    describe_move,
    describe_window,
    format_duration,
    under_maintenance,
)
from reserver_core.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    PolicyError,
    StateError,
    UnavailableError,
    ValidationError,
    Window,
)
from reserver_core.models import Reservation, Resource, ResourceTag, row_by_id
from reserver_core.resources import (
    RESOURCE_COLUMNS,
    active_overlap,
    info_from_row,
    load_resource,
    run_end,
    tagged,
)
from reserver_core.schemas import (
    FreeSlot,
    ReservationInfo,
    ReservationStatus,
    ResourceInfo,
    UserInfo,
)
from reserver_core.settings import Settings
from reserver_core.text import clean_free_text, clean_one_line

MAX_REASON_LENGTH = 500
MAX_NOTE_LENGTH = 500
SEARCH_HORIZON = timedelta(days=366)
"""How far ahead a free slot is looked for."""


def check_window(start: datetime, end: datetime, now: datetime) -> None:
    """Enforce: aware times, start in the future, end after start (the length is the
    resource's policy's to judge, see `policy.check_window_rules`)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValidationError("times must carry a time zone", "start_time")
    if end <= start:
        raise ValidationError("the end must be after the start", "end_time")
    if start <= now:
        raise ValidationError("the start must be in the future", "start_time")


def clashes(
    connection: Connection, resource_id: int, start: datetime, end: datetime
) -> list[Window]:
    """Active reservations of the resource overlapping `[start, end)`, by start."""
    rows = connection.execute(CLASHES, {"resource_id": resource_id, "start": start, "end": end})
    return [Window(row.start_time, row.end_time, row.id) for row in rows]


def conflict_with(
    session: Session,
    resource_id: int,
    start: datetime,
    end: datetime,
    excluding: int | None = None,
) -> ConflictError:
    """The error for a booking (or the move of reservation `excluding`) that lost to others
    on the resource, naming what it clashes with."""
    name = session.scalar(select(Resource.name).where(Resource.id == resource_id))
    found = clashes(session.connection(), resource_id, start, end)
    return conflict_error(name or "", [w for w in found if w.reservation_id != excluding])


def move_conflict(
    session: Session, reservation_id: int, start: datetime, end: datetime
) -> ConflictError:
    """The error for a move of a reservation to `[start, end)` that lost to others."""
    resource_id = reservation_row(session, reservation_id).resource_id
    return conflict_with(session, resource_id, start, end, excluding=reservation_id)


def conflict_error(name: str, windows: list[Window]) -> ConflictError:
    """The error for a clashing booking: names every clashing window."""
    if not windows:
        # The winner of a race that ended in a deadlock may not have committed yet.
        return ConflictError(
            f"{name} was just booked by someone else: that time conflicts with it", windows, name
        )
    listed = ", ".join(describe_window(w.start, w.end) for w in windows)
    return ConflictError(already_booked(name, listed), windows, name)


def book(
    connection: Connection,
    user: UserInfo,
    resource_id: int,
    start: datetime,
    end: datetime,
    now: datetime,
    settings: Settings,
    idempotency_key: str | None = None,
    actor: UserInfo | None = None,
    note: str = "",
) -> ReservationInfo:
    """Check every rule, insert an active reservation with its `created` event, return it.

    `note` is already cleaned (see `clean_note`).

    The booking is `user`'s; its event names `actor`, an admin acting for them, if any.

    The resource row is locked first (PostgreSQL, MariaDB; on SQLite the write
    transaction already holds the database's write lock), then the user's row
    unless the user is an admin (exempt from allowances), so that one user's
    bookings count their allowances one after another; the clashes and the counts
    are read after the locks, so they see every booking committed before them.
    The result is built from what the transaction knows, without reading the
    reservation back.

    The resource's booking policy (`policy`) is checked before the clashes.

    With a (cleaned) `idempotency_key` the user sent for this very request
    within a day, nothing is booked: the reservation it made is returned as it
    is now. The key sent for another request is refused (see `idempotency`).
    """
    connection.execute(LOCK_RESOURCE, {"resource_id": resource_id})
    if not user.is_admin and connection.dialect.name != "sqlite":
        # SQLite's write transaction already holds the whole database's lock.
        connection.execute(policy.LOCK_USER, {"user_id": user.id})
    if idempotency_key is not None:
        # Read after the lock: a twin request on this resource that held it has
        # committed its key. A twin on another resource collides on the key instead.
        earlier = idempotency.earlier_booking(connection, user.id, idempotency_key, now)
        if earlier is not None:
            idempotency.check_same_request(earlier, idempotency_key, resource_id, start, end)
            return _replayed(connection, user, earlier, now)
    check_window(start, end, now)
    resource = connection.execute(
        RESOURCE_TO_BOOK, {"resource_id": resource_id, "now": now, "start": start, "end": end}
    ).one_or_none()
    if resource is None:
        raise NotFoundError(f"resource {resource_id} not found")
    check_bookable(resource, start, end)
    tags = resource.tag_list.split(",") if resource.tag_list else []
    rules = policy.load_rules(connection, resource_id, resource.name, tags, settings)
    policy.check_window_rules(rules, start, end, now)
    if not user.is_admin:
        policy.check_allowances(connection, rules, user.id, start, end, now)
    if resource.any_clash:
        raise conflict_error(resource.name, clashes(connection, resource_id, start, end))
    pending = rules.approval and not rules.may_approve(user)
    decide_by = request_deadline(rules, start, now) if pending else None
    status: ReservationStatus = "pending" if pending else "active"
    result = connection.execute(
        INSERT_RESERVATION,
        {
            "resource_id": resource_id,
            "user_id": user.id,
            "start_time": start,
            "end_time": end,
            "status": status,
            "created_at": now,
            "note": note,
            "decide_by": decide_by,
        },
    )
    reservation_id = int(cast(tuple[int], result.inserted_primary_key)[0])
    connection.execute(
        INSERT_EVENT,
        {
            "reservation_id": reservation_id,
            "action": "requested" if pending else "created",
            "actor_id": (actor or user).id,
            "at": now,
            "details": describe_window(start, end),
        },
    )
    if decide_by is not None:
        inbox.tell_approvers(
            connection,
            rules.approvers,
            resource.name,
            user.username,
            reservation_id,
            (start, end),
            decide_by,
            now,
        )
    if idempotency_key is not None:
        idempotency.remember(connection, user.id, idempotency_key, reservation_id, now)
    return ReservationInfo(
        id=reservation_id,
        resource_id=resource_id,
        user_id=user.id,
        username=user.username,
        start_time=start,
        end_time=end,
        status=status,
        created_at=now,
        resource=_nested_resource(connection, now, resource),
        note=note,
        decide_by=decide_by,
        approvers=list(rules.approvers) if pending else None,
    )


def request_deadline(rules: policy.Rules, start: datetime, now: datetime) -> datetime:
    """When a request made `now` lapses undecided: its policy's timeout, never past its
    start."""
    return min(now + timedelta(minutes=rules.approval_timeout), start)


def check_bookable(resource: Any, start: datetime, end: datetime) -> None:
    """Refuse a window on a disabled resource, or one its maintenance overlaps (`resource`
    is its row as `RESOURCE_TO_BOOK` reads it)."""
    if not resource.enabled:
        raise UnavailableError(f"{resource.name} is disabled and cannot be booked")
    since, until = resource.unavailable_since, resource.maintenance_until
    if since is not None and until is not None and since < end and until > start:
        reason = resource.maintenance_reason
        raise UnavailableError(
            under_maintenance(resource.name, describe_window(since, until), reason),
            resource.name,
            until,
            since,
            reason,
        )


def _replayed(
    connection: Connection, user: UserInfo, earlier: Row[*tuple[Any, ...]], now: datetime
) -> ReservationInfo:
    """The reservation an idempotency key made (`earlier`, its row), as it is now."""
    resource = connection.execute(
        RESOURCE_TO_BOOK,
        {
            "resource_id": earlier.resource_id,
            "now": now,
            "start": earlier.start_time,
            "end": earlier.end_time,
        },
    ).one()
    return ReservationInfo(
        id=earlier.id,
        resource_id=earlier.resource_id,
        user_id=user.id,
        username=user.username,
        start_time=earlier.start_time,
        end_time=earlier.end_time,
        status=earlier.status,
        created_at=earlier.created_at,
        resource=_nested_resource(connection, now, resource),
        cancelled_at=earlier.cancelled_at,
        cancellation_reason=earlier.cancellation_reason,
        note=earlier.note,
    )


def _nested_resource(connection: Connection, now: datetime, row: Any) -> ResourceInfo:
    # The new booking starts in the future, so it cannot change what covers now;
    # only a run that reaches it can grow, which `run_end` follows.
    covering = row.covering_end
    busy_until = None if covering is None else run_end(connection, row.id, now, covering)
    tags = row.tag_list.split(",") if row.tag_list else []
    return info_from_row(row[: len(RESOURCE_COLUMNS)], tags, busy_until, now)


def record_event(
    session: Session,
    reservation_id: int,
    action: str,
    actor_id: int | None,
    at: datetime,
    details: str = "",
) -> None:
    """Append one entry to a reservation's history, in the caller's transaction."""
    write_event(session.connection(), reservation_id, action, actor_id, at, details)


def write_event(
    connection: Connection,
    reservation_id: int,
    action: str,
    actor_id: int | None,
    at: datetime,
    details: str = "",
) -> None:
    """`record_event` on a bare connection."""
    connection.execute(
        INSERT_EVENT,
        {
            "reservation_id": reservation_id,
            "action": action,
            "actor_id": actor_id,
            "at": at,
            "details": details,
        },
    )


def reservation_row(session: Session, reservation_id: int, lock: bool = False) -> Reservation:
    """The reservation's row, locked when asked; NotFoundError if absent."""
    return row_by_id(session, Reservation, reservation_id, "reservation", lock)


def check_owner(reservation: Reservation, user: UserInfo) -> None:
    """Only the owner or an admin may see or change a reservation."""
    if reservation.user_id != user.id and not user.is_admin:
        raise ForbiddenError(f"access denied: reservation {reservation.id} belongs to someone else")


def clean_reason(reason: str | None) -> str | None:
    """Trim a cancellation reason; empty means none; at most 500 characters."""
    if reason is None:
        return None
    return clean_free_text(reason, "reason", MAX_REASON_LENGTH, "a reason") or None


def cancel(
    session: Session,
    user: UserInfo,
    reservation_id: int,
    reason: str | None,
    now: datetime,
    actor: UserInfo | None = None,
) -> None:
    """Cancel an active reservation that has not ended; owner or admin only (`user`'s
    rights count; the event names `actor`, an admin acting for them, if any)."""
    cleaned = clean_reason(reason)
    reservation = reservation_row(session, reservation_id, lock=True)
    check_owner(reservation, user)
    if reservation.status == "cancelled":
        raise StateError(f"reservation {reservation_id} is already cancelled")
    if reservation.status in ("rejected", "declined"):
        raise StateError(
            f"reservation {reservation_id} was {reservation.status}: nothing to cancel"
        )
    if reservation.status == "offered":
        raise StateError(f"reservation {reservation_id} is an offer: decline it instead")
    if reservation.status == "expired" or reservation.end_time <= now:
        raise StateError(f"reservation {reservation_id} has already ended and cannot be cancelled")
    reservation.status = "cancelled"
    reservation.cancelled_at = now
    reservation.cancellation_reason = cleaned
    reservation.decide_by = None
    acting = actor or user
    record_event(session, reservation_id, "cancelled", acting.id, now, cleaned or "")
    if reservation.user_id != acting.id:
        why = f": {cleaned}" if cleaned else ""
        inbox.notify(
            session.connection(),
            [reservation.user_id],
            "cancelled",
            f"{acting.username} cancelled your reservation {reservation_id} "
            f"({describe_window(reservation.start_time, reservation.end_time)}){why}",
            now,
            reservation_id=reservation_id,
        )


def clean_note(note: str) -> str:
    """Trim a booking's note: one line (no control characters) of at most 500 characters;
    empty means none."""
    return clean_one_line(note, "note", MAX_NOTE_LENGTH, "a note")


def change(
    session: Session,
    user: UserInfo,
    reservation_id: int,
    window: tuple[datetime, datetime] | None,
    note: str | None,
    now: datetime,
    settings: Settings,
    actor: UserInfo | None = None,
) -> None:
    """Move a reservation to `window` and/or set its (cleaned) `note`, as one change; owner
    or admin only (`user`'s rights count; the events name `actor`, if any).

    A move is held to every rule of a new booking, but the reservation does not clash
    with itself nor count against its owner's allowances; only an active reservation
    that has not ended moves. As in `book`, the resource row (then the owner's row) is
    locked before the clashes are read (the write transaction holds
    SQLite's write lock; PostgreSQL's exclusion constraint also checks the new window).
    A changed window writes a `moved` event naming the old and the new one; a changed
    note a `noted` event. What does not change writes nothing.
    """
    # Locking reads only until the resource is locked: MariaDB's first plain read would
    # fix the transaction's snapshot, and the clashes must be read after the lock.
    reservation = reservation_row(session, reservation_id, lock=True)
    if window is not None:
        connection = session.connection()
        connection.execute(LOCK_RESOURCE, {"resource_id": reservation.resource_id})
        owner = connection.execute(policy.LOCK_USER, {"user_id": reservation.user_id}).one()
    check_owner(reservation, user)
    acting = (actor or user).id
    if window is not None:
        left = _move(session, reservation, window, now, settings, acting, owner.role == "admin")
        if left is not None and reservation.user_id != acting:
            inbox.notify(
                session.connection(),
                [reservation.user_id],
                "moved",
                f"{(actor or user).username} moved your reservation {reservation_id}: "
                f"{describe_move(left, window)}",
                now,
                reservation_id=reservation_id,
            )
    if note is not None and note != reservation.note:
        reservation.note = note
        record_event(session, reservation_id, "noted", acting, now, note or "(note cleared)")


def _move(
    session: Session,
    reservation: Reservation,
    window: tuple[datetime, datetime],
    now: datetime,
    settings: Settings,
    actor_id: int,
    owner_is_admin: bool,
) -> tuple[datetime, datetime] | None:
    """Move the reservation (see `change`); returns the window it left, None when the
    window is the same."""
    start, end = window
    if reservation.status in ("cancelled", "rejected", "declined"):
        raise StateError(
            f"reservation {reservation.id} is {reservation.status} and cannot be moved"
        )
    if reservation.status == "offered":
        raise StateError(f"reservation {reservation.id} is an offer: accept it before moving it")
    if reservation.status == "expired" or reservation.end_time <= now:
        raise StateError(f"reservation {reservation.id} has already ended and cannot be moved")
    check_window(start, end, now)
    resource = row_by_id(session, Resource, reservation.resource_id, "resource")
    check_bookable(resource, start, end)
    connection = session.connection()
    rules = policy.load_rules(
        connection, resource.id, resource.name, [t.tag for t in resource.tags], settings
    )
    policy.check_window_rules(rules, start, end, now)
    if not owner_is_admin:
        policy.check_allowances(
            connection, rules, reservation.user_id, start, end, now, reservation.id
        )
    found = clashes(session.connection(), resource.id, start, end)
    others = [clash for clash in found if clash.reservation_id != reservation.id]
    if others:
        raise conflict_error(resource.name, others)
    before = (reservation.start_time, reservation.end_time)
    if before == (start, end):
        return None
    reservation.start_time, reservation.end_time = start, end
    record_event(
        session, reservation.id, "moved", actor_id, now, describe_move(before, (start, end))
    )
    return before


def free_slot(
    session: Session,
    now: datetime,
    duration: timedelta,
    after: datetime,
    resource_id: int | None,
    tag: str | None,
    settings: Settings,
    user: UserInfo | None,
    excluding: int | None = None,
) -> FreeSlot:
    """The earliest window of `duration` at or after `after` on a resource, or any with `tag`,
    that every rule of its policy allows `user`; the reservation `excluding` (one being
    moved) counts as free. When no resource can offer one because of a rule, the
    PolicyError says which."""
    requested = None
    if resource_id is not None:
        requested = load_resource(session, now, resource_id)
        if not requested.available:
            raise UnavailableError(f"{requested.name} is disabled: it has no free slot")
        ids = [resource_id]
    else:
        ids = tagged(session, str(tag))
    refusals: list[PolicyError] = []
    found = next_free(session, ids, duration, after, settings, now, user, excluding, refusals)
    if found is None:
        if refusals:
            first = refusals[0]
            raise PolicyError(
                f"no free {format_duration(duration)} slot can be offered: {first.message}",
                first.rule,
                first.scope,
                "duration",
                first.limit,
                first.current,
                first.unit,
                first.resource,
                first.figures,
            )
        raise NotFoundError("no free slot of that length found within a year")
    winner, start = found
    info = requested or load_resource(session, now, winner)
    return FreeSlot(resource=info, start_time=start, end_time=start + duration)


def next_free(
    session: Session,
    resource_ids: list[int],
    duration: timedelta,
    after: datetime,
    settings: Settings,
    now: datetime,
    user: UserInfo | None = None,
    excluding: int | None = None,
    refusals: list[PolicyError] | None = None,
) -> tuple[int, datetime] | None:
    """The earliest `(resource_id, start)` where `duration` fits and the resource's policy
    allows it (for `user`, when given: their allowances too), searching a year ahead.

    Only enabled resources are considered; maintenance windows and closed time count as
    busy, the reservation `excluding` does not. Among resources free at the same moment
    the lowest id wins. Each resource whose policy rules the request out adds its
    refusal to `refusals`.
    """
    if not resource_ids:
        return None
    horizon = after + SEARCH_HORIZON
    connection = session.connection()
    resources = session.execute(
        select(
            Resource.id, Resource.name, Resource.unavailable_since, Resource.maintenance_until
        ).where(Resource.id.in_(resource_ids), Resource.enabled.is_(True))
    ).all()
    busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for row in resources:
        if row.unavailable_since is not None and row.maintenance_until is not None:
            busy[row.id].append((row.unavailable_since, row.maintenance_until))
    rows = session.execute(
        select(Reservation.resource_id, Reservation.start_time, Reservation.end_time)
        .where(
            Reservation.resource_id.in_([row.id for row in resources]),
            active_overlap(after, horizon),
            *([Reservation.id != excluding] if excluding is not None else []),
        )
        .order_by(Reservation.start_time)
    )
    for resource_id, start, end in rows:
        busy[resource_id].append((start, end))
    tags = tags_of(connection, [row.id for row in resources])
    policies = policy.all_policies(connection)
    counting = None
    if user is not None and not user.is_admin:
        counting = policy.AllowanceCounter(connection, user.id, now, excluding)
    best: tuple[int, datetime] | None = None
    for row in sorted(resources, key=lambda r: r.id):
        rules = policy.resolve(policies, row.id, row.name, tags.get(row.id, []), settings)
        latest = horizon - duration
        if best is not None:
            latest = min(latest, best[1] - timedelta(microseconds=1))
        try:
            found = policy.earliest_allowed(
                rules, sorted(busy[row.id]), after, duration, latest, now, counting
            )
        except PolicyError as refusal:
            if refusals is not None:
                refusals.append(refusal)
            continue
        if found is not None and (best is None or found < best[1]):
            best = (row.id, found)
    return best


def tags_of(connection: Connection, resource_ids: list[int]) -> dict[int, list[str]]:
    """The tags of each resource, in its order."""
    found: dict[int, list[str]] = defaultdict(list)
    if not resource_ids:
        return found
    rows = connection.execute(
        select(ResourceTag.resource_id, ResourceTag.tag)
        .where(ResourceTag.resource_id.in_(resource_ids))
        .order_by(ResourceTag.resource_id, ResourceTag.position)
    )
    for resource_id, tag in rows:
        found[resource_id].append(tag)
    return found
