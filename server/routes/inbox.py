"""The caller's inbox: the notices the core wrote with the changes they tell of."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, ConfigDict, Field, StrictInt
from starlette.responses import Response

from reserver_core.schemas import Notice
from server.deps import MemberBackend, on_workers
from server.errors import ErrorBody
from server.responses import json_response

router = APIRouter(prefix="/inbox", tags=["inbox"])


class Unread(BaseModel):
    """How many of your notices are unread."""

    unread: int


class Marked(BaseModel):
    """How many notices were marked read (those read already do not count)."""

    marked: int


class ReadRequest(BaseModel):
    """The notices to mark read; null: every unread one."""

    model_config = ConfigDict(extra="forbid")

    ids: list[StrictInt] | None = Field(None, description="Notice ids of your inbox")


@router.get("", response_model=list[Notice])
@on_workers
def inbox(
    backend: MemberBackend,
    unread: Annotated[bool, Query(description="Only the notices not read yet")] = False,
) -> Response:
    """Your notices, newest first (at most 500): cancels and moves by others, decisions on
    your requests, offers with their deadline, lapses, series changes."""
    return json_response(backend.inbox(unread))


@router.get("/unread", response_model=Unread)
@on_workers
def unread_count(backend: MemberBackend) -> Response:
    """How many of your notices are unread: the badge a client shows."""
    return json_response({"unread": backend.unread_count()})


@router.post(
    "/read",
    response_model=Marked,
    responses={422: {"model": ErrorBody, "description": "An id that is not in your inbox"}},
)
@on_workers
def mark_read(
    backend: MemberBackend, body: Annotated[ReadRequest | None, Body()] = None
) -> Response:
    """Mark the notices `ids` read, or every unread one (`ids` null, or no body)."""
    ids = body.ids if body is not None else None
    return json_response({"marked": backend.mark_read(ids)})
