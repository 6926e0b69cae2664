"""Waitlists: joining the line for a taken window, reading and leaving one's places, and
answering the offers a released slot brings.

The rules (a window that is free is booked instead, one place per window, how flexible a
window may be, who sees whose entries) are the core's, refused there with the same words
as in local mode; these models only read the JSON.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StrictInt
from starlette.responses import Response

from reserver_core.schemas import ReservationInfo, WaitlistInfo
from reserver_core.timeparse import parse_instant
from server.deps import Id, Instant, MemberBackend, Text, on_workers
from server.errors import ErrorBody
from server.responses import json_response

router = APIRouter(tags=["waitlist"])

OTHERS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorBody, "description": "Someone else's, and you are not an admin"},
}
ANSWER: dict[int | str, dict[str, Any]] = {
    **OTHERS,
    400: {
        "model": ErrorBody,
        "description": "Not an open offer (code `state`): answered already, or lapsed",
    },
}


class NewWaitlistEntry(BaseModel):
    """A place in line for `[start_time, end_time)` on a resource taken then, or for as
    long a window starting up to `flexible_minutes` earlier or later."""

    # A misspelt `flexible_minutes` must not be dropped and the wait made for other terms.
    model_config = ConfigDict(extra="forbid")

    resource_id: StrictInt
    start_time: Instant
    end_time: Instant
    flexible_minutes: StrictInt = Field(
        0, description="How far the start may move either way to fit: 0 to 1440 minutes"
    )
    note: Text = Field("", description="What it is for: one line, at most 500 characters")


@router.post(
    "/waitlist",
    response_model=WaitlistInfo,
    status_code=201,
    responses={
        400: {
            "model": ErrorBody,
            "description": "The window is free (code `state`: book it instead), or you "
            "already wait for overlapping times (code `exists`)",
        },
        422: {
            "model": ErrorBody,
            "description": "A bad input (`field`), or a window the resource's policy refuses "
            "(code `policy`)",
        },
    },
)
@on_workers
def join_waitlist(body: NewWaitlistEntry, backend: MemberBackend) -> Response:
    """Wait in line for a taken window; the answer holds your place (`position`, 1: next).
    When the window (within its flexibility) is freed, the first in line is offered it: a
    reservation `offered` to them, in their inbox, held until its `decide_by`."""
    start = parse_instant(body.start_time, "start_time")
    end = parse_instant(body.end_time, "end_time")
    joined = backend.join_waitlist(body.resource_id, start, end, body.flexible_minutes, body.note)
    return json_response(joined, 201)


@router.get(
    "/waitlist",
    response_model=list[WaitlistInfo],
    responses={403: {"model": ErrorBody, "description": "`all=true` from a member"}},
)
@on_workers
def list_waitlist(
    backend: MemberBackend,
    everyone: Annotated[
        bool, Query(alias="all", description="Admin: everyone's entries, with who waits")
    ] = False,
    resource_id: Annotated[int | None, Query(description="Only this resource's")] = None,
) -> Response:
    """Your waitlist entries, newest first, each with its place in line while waiting and
    its offer while one is open (an admin's `all=true`: everyone's)."""
    return json_response(backend.waitlist(everyone, resource_id))


@router.get("/waitlist/{entry_id}", response_model=WaitlistInfo, responses=OTHERS)
@on_workers
def get_waitlist_entry(entry_id: Id, backend: MemberBackend) -> Response:
    """One waitlist entry with its place in line; its owner or an admin only."""
    return json_response(backend.get_waitlist_entry(entry_id))


@router.delete(
    "/waitlist/{entry_id}",
    response_model=WaitlistInfo,
    responses={
        **OTHERS,
        400: {
            "model": ErrorBody,
            "description": "No longer waiting, or holding an offer (decline that instead)",
        },
    },
)
@on_workers
def leave_waitlist(entry_id: Id, backend: MemberBackend) -> Response:
    """Leave the line: the entry becomes `left`; its owner or an admin only."""
    return json_response(backend.leave_waitlist(entry_id))


@router.post(
    "/reservations/{reservation_id}/accept", response_model=ReservationInfo, responses=ANSWER
)
@on_workers
def accept_offer(reservation_id: Id, backend: MemberBackend) -> Response:
    """Take an offered slot before its `decide_by`: the reservation becomes `active`."""
    return json_response(backend.accept_offer(reservation_id))


@router.post(
    "/reservations/{reservation_id}/decline", response_model=ReservationInfo, responses=ANSWER
)
@on_workers
def decline_offer(reservation_id: Id, backend: MemberBackend) -> Response:
    """Turn an offer down (`declined`): the slot is offered to the next in line."""
    return json_response(backend.decline_offer(reservation_id))
