"""Approvals: the requests the caller may decide, and approving or rejecting one.

Who may decide a request (an approver the resource's policy names, or an admin) is the
core's rule, refused there with the same words as in local mode; these routes only ask
for a login.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from reserver_core.schemas import ReservationInfo
from server.deps import Id, MemberBackend, Text, on_workers
from server.errors import ErrorBody
from server.responses import json_response

router = APIRouter(tags=["approvals"])

DECISION: dict[int | str, dict[str, Any]] = {
    400: {
        "model": ErrorBody,
        "description": "Not awaiting approval (code `state`): decided, cancelled or lapsed",
    },
    403: {
        "model": ErrorBody,
        "description": "Not an approver of the resource nor an admin (code `forbidden`)",
    },
}


class Rejection(BaseModel):
    """Why a request is refused (optional); its owner reads it in their inbox."""

    model_config = ConfigDict(extra="forbid")

    reason: Text | None = Field(None, description="Why, up to 500 characters")


@router.get("/approvals", response_model=list[ReservationInfo])
@on_workers
def pending_requests(backend: MemberBackend) -> Response:
    """The requests awaiting approval (status `pending`) that you may decide, soonest
    first: an admin sees all of them, an approver those of their resources."""
    return json_response(backend.pending_requests())


@router.post(
    "/reservations/{reservation_id}/approve", response_model=ReservationInfo, responses=DECISION
)
@on_workers
def approve(reservation_id: Id, backend: MemberBackend) -> Response:
    """Approve a pending request: it becomes `active`. Its slot was held, so nothing can
    clash; if the resource's policy changed since the request, its rules are checked again
    (422 code `policy`, and the request stays pending)."""
    return json_response(backend.approve(reservation_id))


@router.post(
    "/reservations/{reservation_id}/reject", response_model=ReservationInfo, responses=DECISION
)
@on_workers
def reject(
    reservation_id: Id,
    backend: MemberBackend,
    body: Annotated[Rejection | None, Body()] = None,
) -> Response:
    """Reject a pending request: it becomes `rejected` with the reason, and its slot is
    offered to the first in the resource's waitlist whose window it frees."""
    reason = body.reason if body is not None else None
    return json_response(backend.reject(reservation_id, reason))
