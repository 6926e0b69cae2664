"""Reading reservations and their history: the queries and their mapping to schemas.

These functions take a session and never commit; `LocalBackend` owns the
transaction. The rules that change reservations live in `booking`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from reserver_core.booking import check_owner, reservation_row
from reserver_core.errors import NotFoundError
from reserver_core.models import IS_ACTIVE, Reservation, ReservationEvent, Resource, User
from reserver_core.resources import active_overlap, load_resource, load_resources
from reserver_core.schemas import (
    EventInfo,
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
    ids = sorted({row.Reservation.resource_id for row in rows})
    nested = {
        info.id: info
        for info in (load_resources(session, now, [Resource.id.in_(ids)]) if ids else [])
    }
    return [_reservation_info(row.Reservation, row.username, nested) for row in rows]


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


def overlapping(resource_id: int, start: datetime, end: datetime) -> list[ColumnElement[bool]]:
    """The conditions for a resource's active reservations overlapping `[start, end)`."""
    return [Reservation.resource_id == resource_id, active_overlap(start, end)]


def status_detail(session: Session, now: datetime, resource_id: int) -> ResourceStatusDetail:
    """A resource's status with the reservation covering `now`, the next one, maintenance."""
    info = load_resource(session, now, resource_id)
    upcoming = load_reservations(
        session,
        now,
        [Reservation.resource_id == resource_id, IS_ACTIVE, Reservation.end_time > now],
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
