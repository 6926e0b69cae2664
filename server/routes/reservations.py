"""Reservations: booking, cancelling, listing and history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Request
from pydantic import BaseModel, Field, StrictInt
from starlette.responses import Response

from reserver_core.errors import ValidationError
from reserver_core.http_contract import IDEMPOTENCY_HEADER
from reserver_core.schemas import EventInfo, Page, ReservationInfo
from reserver_core.timeparse import parse_instant
from server.deps import AdminBackend, Id, Instant, MemberBackend, Text, on_workers
from server.errors import ErrorBody
from server.paging import PAGED, After, Limit, listing
from server.responses import json_response

router = APIRouter(prefix="/reservations", tags=["reservations"])


class NewReservation(BaseModel):
    """A booking request; times in ISO 8601 (an offset is honoured, none means UTC)."""

    # Strict: `true`, `"1"` and `1.0` are not ids, whatever Python would make of them.
    resource_id: StrictInt
    start_time: Instant
    end_time: Instant
    note: Text = Field("", description="What the booking is for: one line, at most 500 characters.")


class ReservationChange(BaseModel):
    """A move to a new window (both times, ISO 8601), a new note ("" clears it), or both."""

    start_time: Instant | None = None
    end_time: Instant | None = None
    note: Text | None = None


class Cancellation(BaseModel):
    """Why a reservation is cancelled (optional)."""

    reason: Text | None = None


IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias=IDEMPOTENCY_HEADER,
        description="Your name for this booking request (1-100 printable ASCII characters). "
        "Sent again by the same user within 24 hours with the same resource and times, it "
        "books nothing and answers 201 with the booking it made, as that booking is now; "
        "with another resource or times it is refused (422).",
    ),
]
"""The optional `Idempotency-Key` header of a booking request."""

CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {
        "model": ErrorBody,
        "description": "The window clashes with `conflicts` (start_time, end_time, reservation_id)",
    },
    422: {
        "model": ErrorBody,
        "description": "A bad input (`field`), or, with code `policy`, refused by a booking "
        "policy: `rule`, the `scope` it is set on, `limit` and `current` in `unit`",
    },
}


@router.post("", response_model=ReservationInfo, status_code=201, responses=CONFLICT)
@on_workers
def book(
    body: NewReservation, backend: MemberBackend, idempotency_key: IdempotencyKeyHeader = None
) -> Response:
    """Book `[start_time, end_time)` on a resource; 409 names the clashing windows.

    A retry with the first request's `Idempotency-Key` answers like the first: 201
    and the same booking.
    """
    start = parse_instant(body.start_time, "start_time")
    end = parse_instant(body.end_time, "end_time")
    booked = backend.book(body.resource_id, start, end, idempotency_key, body.note)
    return json_response(booked, 201)


@router.get("", response_model=list[ReservationInfo], responses=PAGED)
@on_workers
def all_reservations(
    request: Request,
    backend: AdminBackend,
    include_cancelled: bool = False,
    limit: Limit = None,
    after: After = None,
) -> Response:
    """Admin: every reservation, newest first: a page with `limit`, else all of them."""

    def fetch(size: int, cursor: str | None) -> Page[ReservationInfo]:
        return backend.all_reservations_page(include_cancelled, limit=size, after=cursor)

    return listing(request, fetch, limit, after)


@router.get("/my", response_model=list[ReservationInfo], responses=PAGED)
@on_workers
def my_reservations(
    request: Request,
    backend: MemberBackend,
    include_cancelled: bool = False,
    limit: Limit = None,
    after: After = None,
) -> Response:
    """The caller's reservations, newest first: a page with `limit`, else all of them."""

    def fetch(size: int, cursor: str | None) -> Page[ReservationInfo]:
        return backend.my_reservations_page(include_cancelled, limit=size, after=cursor)

    return listing(request, fetch, limit, after)


@router.get("/{reservation_id}", response_model=ReservationInfo)
@on_workers
def get_reservation(reservation_id: Id, backend: MemberBackend) -> Response:
    """One reservation; its owner or an admin only."""
    return json_response(backend.get_reservation(reservation_id))


@router.patch("/{reservation_id}", response_model=ReservationInfo, responses=CONFLICT)
@on_workers
def change(reservation_id: Id, body: ReservationChange, backend: MemberBackend) -> Response:
    """Move a reservation (`start_time` and `end_time` together), set its `note`, or both in
    one step; its owner or an admin only. A move keeps every booking rule, does not clash
    with the reservation itself, and on a clash (409) changes nothing; only an active
    reservation that has not ended moves (400)."""
    if (body.start_time is None) != (body.end_time is None):
        missing = "end_time" if body.end_time is None else "start_time"
        raise ValidationError("a move needs both start_time and end_time", missing)
    if body.start_time is not None and body.end_time is not None:
        start = parse_instant(body.start_time, "start_time")
        end = parse_instant(body.end_time, "end_time")
        return json_response(backend.move(reservation_id, start, end, body.note))
    if body.note is None:
        raise ValidationError("nothing to change: give start_time and end_time, or note", "note")
    return json_response(backend.set_note(reservation_id, body.note))


@router.post("/{reservation_id}/cancel", response_model=ReservationInfo)
@on_workers
def cancel(
    reservation_id: Id,
    backend: MemberBackend,
    body: Annotated[Cancellation | None, Body()] = None,
) -> Response:
    """Cancel an active reservation; 403 when not yours, 400 when already cancelled or expired."""
    reason = body.reason if body else None
    return json_response(backend.cancel(reservation_id, reason))


@router.get("/{reservation_id}/history", response_model=list[EventInfo])
@on_workers
def history(reservation_id: Id, backend: MemberBackend) -> Response:
    """The reservation's events, newest first; its owner or an admin only."""
    return json_response(backend.history(reservation_id))
