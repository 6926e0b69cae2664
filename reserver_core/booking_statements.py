"""The booking hot path's prebuilt statements: built once, measured, kept apart from the rules.

A reused statement skips SQLAlchemy's construction and cache-key work on every
booking; `booking.book` runs them, and nothing else should need them.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    ScalarSelect,
    String,
    Table,
    bindparam,
    case,
    func,
    insert,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from reserver_core.models import HOLDS_SLOT, Reservation, ReservationEvent, Resource, UTCDateTime
from reserver_core.resources import RESOURCE_COLUMNS

LOCK_RESOURCE = select(Resource.id).where(Resource.id == bindparam("resource_id")).with_for_update()
"""Lock the resource row to book (PostgreSQL, MariaDB); a plain read on SQLite, whose
write transaction already holds the database's write lock. Every read after it
sees each booking committed before the lock was granted."""


class _OrderedTags(FunctionElement[str]):
    """The tags of the outer query's resource joined by commas, in their order."""

    inherit_cache = True
    type = String()
    name = "ordered_tags"


@compiles(_OrderedTags, "sqlite")
def _sqlite_tags(element: _OrderedTags, compiler: SQLCompiler, **kw: Any) -> str:
    return (
        "(SELECT group_concat(tag, ',') FROM (SELECT tag FROM resource_tags"
        " WHERE resource_tags.resource_id = resources.id ORDER BY position))"
    )


@compiles(_OrderedTags, "postgresql")
def _postgresql_tags(element: _OrderedTags, compiler: SQLCompiler, **kw: Any) -> str:
    return (
        "(SELECT string_agg(tag, ',' ORDER BY position) FROM resource_tags"
        " WHERE resource_tags.resource_id = resources.id)"
    )


@compiles(_OrderedTags, "mysql")
def _mysql_tags(element: _OrderedTags, compiler: SQLCompiler, **kw: Any) -> str:
    # The connection raises group_concat_max_len above the longest tag list (see db.py).
    return (
        "(SELECT GROUP_CONCAT(tag ORDER BY position SEPARATOR ',') FROM resource_tags"
        " WHERE resource_tags.resource_id = resources.id)"
    )


def _of_first_ending_after(value: ColumnElement[Any], instant: str) -> ScalarSelect[Any]:
    """`value` of the resource's first active reservation ending after `:instant`."""
    return (
        select(value)
        .where(
            Reservation.resource_id == Resource.id,
            HOLDS_SLOT,
            Reservation.end_time > bindparam(instant, type_=UTCDateTime()),
        )
        .order_by(Reservation.end_time)
        .limit(1)
        .scalar_subquery()
    )


# Active reservations of a resource never overlap, so ordered by end they are
# ordered by start too: the first one ending after an instant is the only one
# that can cover it, and the first ending after a window's start is the first
# that can clash with the window: one index step each.
_COVERING_END = _of_first_ending_after(
    case((Reservation.start_time <= bindparam("now", type_=UTCDateTime()), Reservation.end_time)),
    "now",
)
_ANY_CLASH = _of_first_ending_after(
    Reservation.start_time < bindparam("end", type_=UTCDateTime()), "start"
)
RESOURCE_TO_BOOK = select(
    *RESOURCE_COLUMNS,
    _OrderedTags().label("tag_list"),
    _COVERING_END.label("covering_end"),
    _ANY_CLASH.label("any_clash"),
).where(Resource.id == bindparam("resource_id"))
"""Read after `LOCK_RESOURCE`: the resource, its tags (in order; tags hold no commas),
the end of a reservation covering now, and whether anything clashes with
`[:start, :end)`, so the clashing windows are read only when something does."""

# By the same order, every clash but the last ends within the window, and the
# last is the first one ending at or after the window's end: bounding the end
# there keeps each lookup to a short index range, however many bookings lie ahead.
_FIRST_END_FROM_WINDOW_END = (
    select(func.min(Reservation.end_time))
    .where(
        Reservation.resource_id == bindparam("resource_id"),
        HOLDS_SLOT,
        Reservation.end_time >= bindparam("end", type_=UTCDateTime()),
    )
    .scalar_subquery()
)
CLASHES = (
    select(Reservation.id, Reservation.start_time, Reservation.end_time)
    .where(
        Reservation.resource_id == bindparam("resource_id"),
        HOLDS_SLOT,
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
