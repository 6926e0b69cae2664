"""Maintenance windows: set now or ahead, with a reason, deciding about the bookings in them.

A resource has at most one window `[unavailable_since, maintenance_until)`; setting one
replaces the last. Its status is `maintenance` only while the window lasts; expiry
ends it. Setting a window first previews the active bookings it overlaps; the admin
then cancels them or keeps them, and the window is set and the bookings are
cancelled in one transaction that reads the overlapped bookings again under the
resource's lock, so a booking made after the preview is decided like the others.

These functions take a session and never commit: the caller owns the transaction.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from reserver_core import inbox
from reserver_core.booking import record_event
from reserver_core.clock import as_utc
from reserver_core.display import describe_window
from reserver_core.errors import ValidationError
from reserver_core.models import Reservation, WaitlistEntry
from reserver_core.reservations import load_reservations, overlapping
from reserver_core.resources import (
    MAX_RESET_HOURS,
    MIN_RESET_HOURS,
    load_resource,
    resource_row,
)
from reserver_core.schemas import (
    MaintenanceOutcome,
    MaintenancePreview,
    OverlapChoice,
    ReservationInfo,
)
from reserver_core.text import clean_free_text

MIN_LENGTH = timedelta(minutes=15)
MAX_LENGTH = timedelta(hours=MAX_RESET_HOURS)
MAX_AHEAD = timedelta(days=366)
"""How far ahead a window may start."""
MAX_REASON_LENGTH = 500
OVERLAP_CHOICES: tuple[OverlapChoice, ...] = ("cancel", "keep")
_CANCELLATION_REASON_LENGTH = 500
"""The length of a reservation's stored cancellation reason."""


def check_window(
    start: datetime | None, length: timedelta, now: datetime
) -> tuple[datetime, datetime]:
    """The window `[start, start + length)` in UTC: a start in the past (or none) is now;
    it starts at most a year ahead; it lasts whole minutes, 15 minutes to 168 hours."""
    if start is not None and start.tzinfo is None:
        raise ValidationError("the start must carry a time zone", "from")
    begin = now if start is None or start < now else as_utc(start)
    if begin - now > MAX_AHEAD:
        raise ValidationError("maintenance starts at most a year ahead", "from")
    if length % timedelta(minutes=1):
        raise ValidationError("maintenance lasts a whole number of minutes", "length")
    if not MIN_LENGTH <= length <= MAX_LENGTH:
        raise ValidationError(
            f"maintenance lasts {MIN_LENGTH // timedelta(minutes=1)} minutes "
            f"to {MAX_LENGTH // timedelta(hours=1)} hours",
            "length",
        )
    return begin, begin + length


def clean_reason(reason: str | None) -> str:
    """Trim the reason for a maintenance window; it may be empty; at most 500 characters."""
    return clean_free_text(reason or "", "reason", MAX_REASON_LENGTH, "a maintenance reason")


def check_choice(choice: str) -> OverlapChoice:
    """`cancel` or `keep`: what becomes of the bookings a window overlaps."""
    if choice not in OVERLAP_CHOICES:
        raise ValidationError(
            f"overlapped must be one of {', '.join(OVERLAP_CHOICES)} (got {choice!r})",
            "overlapped",
        )
    return choice


def cancellation_reason(start: datetime, end: datetime, reason: str) -> str:
    """What a booking cancelled by maintenance says in its history and cancellation reason."""
    text = f"cancelled for maintenance {describe_window(start, end)}"
    if reason:
        text += f": {reason}"
    if len(text) > _CANCELLATION_REASON_LENGTH:
        text = text[: _CANCELLATION_REASON_LENGTH - 1] + "…"
    return text


def preview(
    session: Session, now: datetime, resource_id: int, start: datetime, end: datetime, reason: str
) -> MaintenancePreview:
    """The active bookings of the resource that a window would overlap, by start."""
    resource = load_resource(session, now, resource_id)
    found = load_reservations(
        session, now, overlapping(resource_id, start, end), newest_first=False
    )
    return MaintenancePreview(resource, start, end, reason, found)


def set_window(
    session: Session,
    actor_id: int,
    now: datetime,
    resource_id: int,
    start: datetime,
    end: datetime,
    reason: str,
    choice: OverlapChoice,
) -> MaintenanceOutcome:
    """Set the resource's window, cancelling (one `cancelled` event each, by `actor_id`)
    or keeping the active bookings it overlaps as of this transaction."""
    resource = resource_row(session, resource_id, lock=True)
    # Locked too, so that an owner cancelling at the same moment either goes first
    # (and the booking drops out here) or waits and finds it cancelled.
    ids = list(
        session.scalars(
            select(Reservation.id).where(*overlapping(resource_id, start, end)).with_for_update()
        )
    )
    found = (
        load_reservations(session, now, [Reservation.id.in_(ids)], newest_first=False)
        if ids
        else []
    )
    resource.unavailable_since = start
    resource.maintenance_until = end
    resource.maintenance_reason = reason
    hours = math.ceil((end - start) / timedelta(hours=1))
    resource.auto_reset_hours = min(max(hours, MIN_RESET_HOURS), MAX_RESET_HOURS)
    cancelled: list[ReservationInfo] = []
    window = describe_window(start, end)
    if choice == "cancel":
        why = cancellation_reason(start, end, reason)
        for held in found:
            row = session.get_one(Reservation, held.id)
            row.status = "cancelled"
            row.cancelled_at = now
            row.cancellation_reason = why
            row.decide_by = None
            record_event(session, held.id, "cancelled", actor_id, now, why)
        # An offer cancelled here puts its taker back in line, in their place.
        session.execute(
            update(WaitlistEntry)
            .where(WaitlistEntry.offer_id.in_(ids), WaitlistEntry.status == "offered")
            .values(status="waiting", offer_id=None)
        )
    for held in found:
        if held.user_id is None or held.user_id == actor_id:
            continue
        booked = describe_window(held.start_time, held.end_time)
        if choice == "cancel":
            text = f"your reservation {held.id} on {resource.name} ({booked}) was {why}"
        else:
            text = (
                f"maintenance of {resource.name} {window} overlaps your reservation {held.id} "
                f"({booked}): it is kept, but the resource may not be ready"
                + (f" ({reason})" if reason else "")
            )
        inbox.notify(
            session.connection(),
            [held.user_id],
            "cancelled" if choice == "cancel" else "at_risk",
            text,
            now,
            reservation_id=held.id,
        )
    # The reads below go through the session's connection, which does not flush.
    session.flush()
    if choice == "cancel" and ids:
        cancelled = load_reservations(session, now, [Reservation.id.in_(ids)], newest_first=False)
    info = load_resource(session, now, resource_id)
    kept = [] if choice == "cancel" else found
    return MaintenanceOutcome(info, start, end, reason, cancelled, kept)
