"""The booking hot path's prebuilt statements: built once, measured, kept apart from the rules.

A reused statement skips SQLAlchemy's construction and cache-key work on every
booking; `booking.book` runs them, and nothing else should need them.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, bindparam, case, func, insert, select

from reserver_core.models import IS_ACTIVE, Reservation, ReservationEvent, Resource, UTCDateTime
from reserver_core.resources import RESOURCE_COLUMNS

# Active reservations of a resource never overlap, so ordered by end they are
# ordered by start too: the first one ending after now is the only one that can
# cover now, one index step.
_COVERING_END = (
    select(
        case(
            (Reservation.start_time <= bindparam("now", type_=UTCDateTime()), Reservation.end_time)
        )
    )
    .where(
        Reservation.resource_id == Resource.id,
        IS_ACTIVE,
        Reservation.end_time > bindparam("now", type_=UTCDateTime()),
    )
    .order_by(Reservation.end_time)
    .limit(1)
    .scalar_subquery()
)
RESOURCE_TO_BOOK = (
    select(*RESOURCE_COLUMNS, _COVERING_END.label("covering_end"))
    .where(Resource.id == bindparam("resource_id"))
    .with_for_update()
)
"""The resource row and the end of a reservation covering now, locked on PostgreSQL
and MariaDB (SQLite ignores the lock: its write transaction holds the database's)."""

# By the same order, every clash but the last ends within the window, and the
# last is the first one ending at or after the window's end: bounding the end
# there keeps each lookup to a short index range, however many bookings lie ahead.
_FIRST_END_FROM_WINDOW_END = (
    select(func.min(Reservation.end_time))
    .where(
        Reservation.resource_id == bindparam("resource_id"),
        IS_ACTIVE,
        Reservation.end_time >= bindparam("end", type_=UTCDateTime()),
    )
    .scalar_subquery()
)
CLASHES = (
    select(Reservation.id, Reservation.start_time, Reservation.end_time)
    .where(
        Reservation.resource_id == bindparam("resource_id"),
        IS_ACTIVE,
        Reservation.start_time < bindparam("end", type_=UTCDateTime()),
        Reservation.end_time > bindparam("start", type_=UTCDateTime()),
        Reservation.end_time
        <= func.coalesce(_FIRST_END_FROM_WINDOW_END, bindparam("end", type_=UTCDateTime())),
    )
    .order_by(Reservation.start_time)
)
"""Active reservations of a resource overlapping `[:start, :end)`, by start."""

INSERT_RESERVATION = insert(cast(Table, Reservation.__table__))
INSERT_EVENT = insert(cast(Table, ReservationEvent.__table__))
