"""Expiry: finished reservations become `expired`, elapsed maintenance ends.

Set-based (a few statements whatever the row count), idempotent and safe to
run from several processes at once: on PostgreSQL one UPDATE ... RETURNING
feeds the event INSERT, on MySQL the due rows are locked first, so a second
runner waits and then finds them already expired; on SQLite the write
transaction holds the database's write lock throughout.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, and_, func, insert, literal, null, select, update
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.orm import Session

from reserver_core.models import HOLDS_SLOT, Reservation, ReservationEvent, Resource
from reserver_core.schemas import ExpiryReport

_EVENT_COLUMNS = ["reservation_id", "action", "actor_id", "at", "details"]


@dataclass
class UpkeepState:
    """What the background expiry did last; shared by every backend on one store."""

    interval_seconds: int
    running: bool = False
    last_run: datetime | None = None
    next_run: datetime | None = None
    last_report: ExpiryReport | None = None
    last_error: str | None = None
    runs: int = 0

    def record(self, report: ExpiryReport) -> None:
        """Note a run that worked, and when the next one is due."""
        self.last_run = report.timestamp
        self.last_report = report
        self.last_error = None
        self.runs += 1
        self.next_run = report.timestamp + timedelta(seconds=self.interval_seconds)

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


def expire(session: Session, now: datetime) -> tuple[int, int]:
    """Expire due reservations (one `expired` event each) and end elapsed maintenance.

    Returns (reservations expired, resources returned to service).
    """
    # start < now follows from end <= now (end > start always); said, it lets the
    # index ordered by start yield only what is under way or due.
    due = and_(HOLDS_SLOT, Reservation.start_time < now, Reservation.end_time <= now)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        expired = _expire_returning(session, due, now)
    else:
        if dialect != "sqlite":
            # Lock the due rows first: a second runner waits here, then finds
            # them expired and writes no event twice.
            session.execute(select(func.count()).where(due).with_for_update())
        session.execute(
            insert(ReservationEvent).from_select(
                _EVENT_COLUMNS, _event_rows(select(Reservation.id).where(due), now)
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
            .values(unavailable_since=None, maintenance_until=None, maintenance_reason="")
            .execution_options(synchronize_session=False)
        )
    )
    return expired, reset


def _expire_returning(session: Session, due: ColumnElement[bool], now: datetime) -> int:
    # One statement: the UPDATE locks and changes the due rows and hands their ids
    # to the event INSERT. A second runner's UPDATE waits on the same rows, then
    # sees them no longer active and skips them.
    changed = (
        update(Reservation)
        .where(due)
        .values(status="expired")
        .returning(Reservation.id)
        .cte("changed")
    )
    logged = (
        insert(ReservationEvent)
        .from_select(_EVENT_COLUMNS, _event_rows(select(changed.c.id), now))
        .returning(ReservationEvent.reservation_id)
        .cte("logged")
    )
    # Counted in SQL: the driver reports no row count for a DML statement in a CTE.
    return int(session.connection().execute(select(func.count()).select_from(logged)).scalar_one())


def _event_rows(ids: Select[Any], now: datetime) -> Select[Any]:
    return ids.add_columns(
        literal("expired"), null(), literal(now, ReservationEvent.at.type), literal("")
    )


def _rowcount(result: Result[Any]) -> int:
    return cast(CursorResult[Any], result).rowcount
