"""Reading reservations and their history: the queries and their mapping to schemas.

These functions take a session and never commit; `LocalBackend` owns the
transaction. The rules that change reservations live in `booking`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, select, tuple_
from sqlalchemy.orm import Session

from reserver_core import paging
from reserver_core.booking import check_owner, reservation_row
from reserver_core.clock import as_utc
from reserver_core.errors import NotFoundError, ValidationError
from reserver_core.models import HOLDS_SLOT, Reservation, ReservationEvent, User
from reserver_core.resources import active_overlap, load_resource, resources_by_id
from reserver_core.schemas import (
    EventInfo,
    Page,
    ReservationInfo,
    ResourceInfo,
    ResourceStatusDetail,
    UserInfo,
)


def load_reservations(
    session: Session,
    now: datetime,
    conditions: Sequence[ColumnElement[bool]],
    newest_first: bool = True,
    limit: int | None = None,
) -> list[ReservationInfo]:
    """Reservations matching every condition, with their owner and nested resource."""
    by_start = Reservation.start_time.desc() if newest_first else Reservation.start_time.asc()
    by_id = Reservation.id.desc() if newest_first else Reservation.id.asc()
    query = (
        select(Reservation, User.username)
        .join(User, User.id == Reservation.user_id)
        .where(*conditions)
        .order_by(by_start, by_id)
        .limit(limit)
    )
    rows = session.execute(query).all()
    nested = resources_by_id(session, now, sorted({row.Reservation.resource_id for row in rows}))
    return [_reservation_info(row.Reservation, row.username, nested) for row in rows]


def page_reservations(
    session: Session,
    now: datetime,
    conditions: Sequence[ColumnElement[bool]],
    limit: int,
    after: paging.ReservationKey | None,
    newest_first: bool = True,
) -> Page[ReservationInfo]:
    """At most `limit` reservations matching every condition, by start (newest first or
    oldest first), after the key `after`."""
    if after is not None:
        key = tuple_(Reservation.start_time, Reservation.id)
        conditions = [*conditions, key < after if newest_first else key > after]
    # One row more than asked tells whether a next page exists.
    found = load_reservations(session, now, conditions, newest_first, limit + 1)
    items = found[:limit]
    last = items[-1] if len(found) > limit else None
    return Page(items, paging.reservation_cursor(last.start_time, last.id) if last else None)


def load_reservation(
    session: Session, now: datetime, reservation_id: int, seen_by: UserInfo | None = None
) -> ReservationInfo:
    """One reservation; NotFoundError when absent, ForbiddenError when not `seen_by`'s."""
    if seen_by is not None:
        check_owner(reservation_row(session, reservation_id), seen_by)
    found = load_reservations(session, now, [Reservation.id == reservation_id])
    if not found:
        raise NotFoundError(f"reservation {reservation_id} not found")
    return found[0]


def of_user(user_id: int, include_cancelled: bool) -> list[ColumnElement[bool]]:
    """The conditions for one user's reservations."""
    return [Reservation.user_id == user_id, *everyone(include_cancelled)]


def everyone(include_cancelled: bool) -> list[ColumnElement[bool]]:
    """The conditions for everybody's reservations."""
    return [] if include_cancelled else [Reservation.status != "cancelled"]


def check_window(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """A listing window in UTC; its end must be after its start (a reversed window
    would only ever list nothing)."""
    start, end = as_utc(start), as_utc(end)
    if end <= start:
        raise ValidationError(
            f"the window's end ({end.isoformat()}) must be after its start ({start.isoformat()})",
            "end",
        )
    return start, end


def overlapping(resource_id: int, start: datetime, end: datetime) -> list[ColumnElement[bool]]:
    """The conditions for a resource's active reservations overlapping `[start, end)`."""
    return [Reservation.resource_id == resource_id, active_overlap(start, end)]


def status_detail(session: Session, now: datetime, resource_id: int) -> ResourceStatusDetail:
    """A resource's status with the reservation covering `now`, the next one, maintenance."""
    info = load_resource(session, now, resource_id)
    upcoming = load_reservations(
        session,
        now,
        [Reservation.resource_id == resource_id, HOLDS_SLOT, Reservation.end_time > now],
        newest_first=False,
        limit=2,
    )
    return ResourceStatusDetail(
        resource=info,
        status=info.status,
        current_reservation=next((r for r in upcoming if r.start_time <= now), None),
        next_reservation=next((r for r in upcoming if r.start_time > now), None),
        maintenance_reset_at=info.maintenance_until if info.status == "maintenance" else None,
        timestamp=now,
    )


def load_resource_reservations(
    session: Session, now: datetime, resource_id: int, start: datetime, end: datetime
) -> list[ReservationInfo]:
    """A resource's active reservations overlapping `[start, end)`, by start."""
    load_resource(session, now, resource_id)
    return load_reservations(session, now, overlapping(resource_id, start, end), newest_first=False)


def page_resource_reservations(
    session: Session,
    now: datetime,
    resource_id: int,
    window: tuple[datetime, datetime],
    limit: int,
    after: paging.ReservationKey | None,
) -> Page[ReservationInfo]:
    """A page of a resource's active reservations overlapping the window, by start."""
    load_resource(session, now, resource_id)
    conditions = overlapping(resource_id, *window)
    return page_reservations(session, now, conditions, limit, after, newest_first=False)


def load_history(session: Session, reservation_id: int, seen_by: UserInfo) -> list[EventInfo]:
    """A reservation's events, newest first, for its owner or an admin; the system's
    own events name `system` as actor."""
    check_owner(reservation_row(session, reservation_id), seen_by)
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
            actor_id=event.actor_id,
        )
        for event, username in session.execute(query)
    ]


def without_holder(reservation: ReservationInfo) -> ReservationInfo:
    """What anyone may see of a reservation: that its slot is taken, not by whom."""
    return dataclasses.replace(
        reservation, user_id=None, username=None, cancellation_reason=None, note=""
    )


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
        note=reservation.note,
        series_id=reservation.series_id,
        decide_by=reservation.decide_by,
    )
