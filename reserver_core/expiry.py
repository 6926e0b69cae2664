"""Expiry: finished reservations become `expired`, elapsed maintenance ends.

Set-based (a few statements whatever the row count), idempotent and safe to
run from several processes at once: on PostgreSQL and MySQL the due rows are
locked first, so a second runner waits and then finds them already expired;
on SQLite the write transaction holds the database's write lock throughout.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import and_, insert, literal, null, select, update
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.orm import Session

from reserver_core.models import IS_ACTIVE, Reservation, ReservationEvent, Resource


def expire(session: Session, now: datetime) -> tuple[int, int]:
    """Expire due reservations (one `expired` event each) and end elapsed maintenance.

    Returns (reservations expired, resources returned to service).
    """
    due = and_(IS_ACTIVE, Reservation.end_time <= now)
    if session.get_bind().dialect.name != "sqlite":
        session.execute(select(Reservation.id).where(due).with_for_update()).all()
    session.execute(
        insert(ReservationEvent).from_select(
            ["reservation_id", "action", "actor_id", "at", "details"],
            select(
                Reservation.id,
                literal("expired"),
                null(),
                literal(now, ReservationEvent.at.type),
                literal(""),
            ).where(due),
        )
    )
    expired = _rowcount(
        session.execute(
            update(Reservation)
            .where(due)
            .values(status="expired")
            .execution_options(synchronize_session=False)
        )
    )
    reset = _rowcount(
        session.execute(
            update(Resource)
            .where(Resource.maintenance_until.is_not(None), Resource.maintenance_until <= now)
            .values(unavailable_since=None, maintenance_until=None)
            .execution_options(synchronize_session=False)
        )
    )
    return expired, reset


def _rowcount(result: Result[Any]) -> int:
    return cast(CursorResult[Any], result).rowcount
