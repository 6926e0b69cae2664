"""Reservations: booking, cancelling, listing and history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel
from starlette.responses import Response

from reserver_core.schemas import EventInfo, ReservationInfo
from reserver_core.timeparse import parse_instant
from server.deps import AdminBackend, Id, Instant, MemberBackend, Text, on_workers
from server.errors import ErrorBody
from server.responses import json_response

router = APIRouter(prefix="/reservations", tags=["reservations"])


class NewReservation(BaseModel):
    """A booking request; times in ISO 8601 (an offset is honoured, none means UTC)."""

    resource_id: int
    start_time: Instant
    end_time: Instant


class Cancellation(BaseModel):
    """Why a reservation is cancelled (optional)."""

    reason: Text | None = None


CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {
        "model": ErrorBody,
        "description": "The window clashes with `conflicts` (start_time, end_time, reservation_id)",
    }
}


@router.post("", response_model=ReservationInfo, status_code=201, responses=CONFLICT)
@on_workers
def book(body: NewReservation, backend: MemberBackend) -> Response:
    """Book `[start_time, end_time)` on a resource; 409 names the clashing windows."""
    start = parse_instant(body.start_time, "start_time")
    end = parse_instant(body.end_time, "end_time")
    return json_response(backend.book(body.resource_id, start, end), 201)


@router.get("", response_model=list[ReservationInfo])
@on_workers
def all_reservations(backend: AdminBackend, include_cancelled: bool = False) -> Response:
    """Admin: every reservation, newest first."""
    return json_response(backend.all_reservations(include_cancelled))


@router.get("/my", response_model=list[ReservationInfo])
@on_workers
def my_reservations(backend: MemberBackend, include_cancelled: bool = False) -> Response:
    """The caller's reservations, newest first."""
    return json_response(backend.my_reservations(include_cancelled))


@router.get("/{reservation_id}", response_model=ReservationInfo)
@on_workers
def get_reservation(reservation_id: Id, backend: MemberBackend) -> Response:
    """One reservation; its owner or an admin only."""
    return json_response(backend.get_reservation(reservation_id))


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
