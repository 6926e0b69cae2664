"""Resources: listing, search, creation, CSV import/export, status and schedules."""

from __future__ import annotations

import io
from datetime import date, time, timedelta
from typing import Annotated, cast

from fastapi import APIRouter, Body, Query, Request, UploadFile
from pydantic import BaseModel, Field
from starlette.responses import Response

from reserver_core import maintenance
from reserver_core.errors import ValidationError
from reserver_core.resources import split_tags
from reserver_core.schemas import (
    FreeSlot,
    ImportReport,
    MaintenanceOutcome,
    MaintenancePreview,
    Page,
    ReservationInfo,
    ResourceInfo,
    ResourceStatusDetail,
    Schedule,
    StatusFilter,
    Summary,
)
from reserver_core.timeparse import parse_instant
from server.deps import AdminBackend, BackendDep, Id, Instant, Text, on_workers
from server.errors import ErrorBody
from server.paging import PAGED, After, Limit, listing
from server.responses import json_response

router = APIRouter(prefix="/resources", tags=["resources"])

UPLOAD_LIMIT_BYTES = 17 * 1024 * 1024
"""The largest upload accepted: the core's 16 MiB import limit plus form overhead."""


class NewResource(BaseModel):
    """A resource to create; `tags` as a list or one comma-separated string."""

    name: Text
    tags: list[Text] | Text = []
    description: Text = ""
    available: bool = True


class ResourceChanges(BaseModel):
    """Fields of a resource to change; absent ones stay."""

    name: Text | None = None
    tags: list[Text] | None = None
    description: Text | None = None


class Availability(BaseModel):
    """The admin's enable switch."""

    available: bool


def tag_list(tags: list[str] | str) -> list[str]:
    """Tags sent as a list or as one comma-separated string, as a list."""
    return split_tags(tags) if isinstance(tags, str) else tags


def _local_time(value: time | None, name: str, default: time) -> time:
    if value is None:
        return default
    if value.tzinfo is not None:
        raise ValidationError(f"{name} is a wall-clock time without an offset", name)
    return value


@router.get("", response_model=list[ResourceInfo], responses=PAGED)
@on_workers
def list_resources(
    request: Request, backend: BackendDep, limit: Limit = None, after: After = None
) -> Response:
    """Resources with their derived status, by name: a page with `limit`, else every one."""
    return listing(request, backend.resources_page, limit, after)


@router.post("", response_model=ResourceInfo, status_code=201)
@on_workers
def create_resource(body: NewResource, backend: AdminBackend) -> Response:
    """Admin: add a resource; 400 when the name is taken (any case)."""
    created = backend.create_resource(
        body.name, tag_list(body.tags), body.description, body.available
    )
    return json_response(created, 201)


@router.get("/search", response_model=list[ResourceInfo], responses=PAGED)
@on_workers
def search_resources(
    request: Request,
    backend: BackendDep,
    q: Annotated[Text | None, Query(description="Text in the name, description or a tag")] = None,
    status: Annotated[
        Text, Query(description="available, in_use, unavailable, maintenance, disabled or all")
    ] = "available",
    tags: Annotated[list[Text] | None, Query(description="Tags every result carries")] = None,
    available_from: Annotated[Instant | None, Query()] = None,
    available_until: Annotated[Instant | None, Query()] = None,
    limit: Limit = None,
    after: After = None,
) -> Response:
    """Resources matching text and tags, a status, and free for the whole window if given,
    by name: a page with `limit`, else every one."""
    start = parse_instant(available_from, "available_from") if available_from else None
    end = parse_instant(available_until, "available_until") if available_until else None
    wanted = cast(StatusFilter, status)  # the core refuses an unknown one

    def fetch(size: int, cursor: str | None) -> Page[ResourceInfo]:
        return backend.search_resources_page(q, tags, wanted, start, end, limit=size, after=cursor)

    return listing(request, fetch, limit, after)


@router.get("/lookup", response_model=ResourceInfo)
@on_workers
def find_resource(backend: BackendDep, reference: Annotated[Text, Query()]) -> Response:
    """A resource by id (digits), by name (any case), or by the one name it equals
    without accents or begins; an unknown name answers 404 with `candidates`, a
    beginning of several names 422 with code `ambiguous`."""
    return json_response(backend.find_resource(reference))


@router.get("/next-free-slot", response_model=FreeSlot)
@on_workers
def next_free_slot(
    backend: BackendDep,
    duration_seconds: Annotated[int, Query(ge=1, le=366 * 24 * 3600)],
    after: Annotated[Instant | None, Query()] = None,
    resource_id: Annotated[int | None, Query()] = None,
    tag: Annotated[Text | None, Query()] = None,
    excluding: Annotated[
        int | None, Query(description="A reservation to count as free: one to be moved.")
    ] = None,
) -> Response:
    """The earliest free window of that length on a resource, or on any with `tag`."""
    slot = backend.next_free_slot(
        timedelta(seconds=duration_seconds),
        parse_instant(after, "after") if after else None,
        resource_id,
        tag,
        excluding,
    )
    return json_response(slot)


@router.get("/export", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
@on_workers
def export_csv(backend: BackendDep) -> Response:
    """Every resource as CSV in the import format."""
    out = io.StringIO()
    backend.export_csv(out)
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8")


@router.post(
    "/upload",
    response_model=ImportReport,
    responses={
        422: {
            "model": ErrorBody,
            "description": "The file was rejected; `errors` lists every bad line",
        }
    },
)
@on_workers
def upload_csv(
    file: UploadFile,
    backend: AdminBackend,
    skip_invalid: bool = False,
    update: Annotated[
        bool, Query(description="Update the resources the file names that exist already.")
    ] = False,
) -> Response:
    """Admin: import `name,tags[,available][,description]` in one transaction; all or
    nothing unless `skip_invalid`. The answer counts what was created, updated, left
    unchanged and skipped."""
    return json_response(backend.import_csv(file.file, skip_invalid, update_existing=update))


@router.get("/availability/summary", response_model=Summary)
@on_workers
def summary(backend: BackendDep) -> Response:
    """Counts of resources by derived status now."""
    return json_response(backend.summary())


@router.get("/{resource_id}", response_model=ResourceInfo)
@on_workers
def get_resource(resource_id: Id, backend: BackendDep) -> Response:
    """One resource."""
    return json_response(backend.get_resource(resource_id))


@router.patch("/{resource_id}", response_model=ResourceInfo)
@on_workers
def update_resource(resource_id: Id, body: ResourceChanges, backend: AdminBackend) -> Response:
    """Admin: rename, retag or redescribe a resource."""
    return json_response(
        backend.update_resource(resource_id, body.name, body.tags, body.description)
    )


@router.get("/{resource_id}/availability", response_model=Schedule)
@on_workers
def availability(
    resource_id: Id,
    backend: BackendDep,
    days_ahead: Annotated[int, Query(description="Days in the grid")] = 7,
    start_day: Annotated[date | None, Query(description="First day (default today)")] = None,
    tz: Annotated[Text, Query(description="IANA zone of the grid")] = "UTC",
    slot_minutes: int = 30,
    day_start: Annotated[time | None, Query(description="First hour of a day, HH:MM")] = None,
    day_end: Annotated[time | None, Query(description="End of a day, HH:MM")] = None,
) -> Response:
    """A per-day slot grid and the active reservations in range."""
    grid = backend.schedule(
        resource_id,
        start_day,
        days_ahead,
        tz,
        slot_minutes,
        _local_time(day_start, "day_start", time(8, 0)),
        _local_time(day_end, "day_end", time(18, 0)),
    )
    return json_response(grid)


@router.put("/{resource_id}/availability", response_model=ResourceInfo)
@on_workers
def set_availability(
    resource_id: Id,
    body: Annotated[Availability, Body()],
    backend: AdminBackend,
) -> Response:
    """Admin: enable or disable a resource."""
    return json_response(backend.set_available(resource_id, body.available))


@router.get("/{resource_id}/status", response_model=ResourceStatusDetail)
@on_workers
def resource_status(resource_id: Id, backend: BackendDep) -> Response:
    """Detailed status: current and next reservation, maintenance timing."""
    return json_response(backend.resource_status(resource_id))


@router.put("/{resource_id}/status/unavailable", response_model=ResourceInfo)
@on_workers
def start_maintenance(
    resource_id: Id,
    backend: AdminBackend,
    auto_reset_hours: Annotated[int, Query(description="1-168")] = 8,
) -> Response:
    """Admin: put a resource under maintenance; it returns by itself after the hours."""
    return json_response(backend.start_maintenance(resource_id, auto_reset_hours))


@router.put("/{resource_id}/status/available", response_model=ResourceInfo)
@on_workers
def end_maintenance(resource_id: Id, backend: AdminBackend) -> Response:
    """Admin: return a resource from maintenance."""
    return json_response(backend.end_maintenance(resource_id))


Minutes = Annotated[
    float,
    Field(ge=0, le=10_000_000, allow_inf_nan=False, description="How long, in minutes"),
]
"""A maintenance window's length; the core holds it to 15 minutes - 168 hours."""


class MaintenanceRequest(BaseModel):
    """A maintenance window to set: from `from` (absent or past: now) for `minutes`, why,
    and what becomes of the active bookings it overlaps: `cancel` or `keep`."""

    start: Instant | None = Field(None, alias="from")
    minutes: Minutes
    reason: Text = ""
    overlapped: Text


@router.get("/{resource_id}/maintenance/preview", response_model=MaintenancePreview)
@on_workers
def preview_maintenance(
    resource_id: Id,
    backend: AdminBackend,
    minutes: Annotated[Minutes, Query()],
    start: Annotated[Instant | None, Query(alias="from")] = None,
    reason: Annotated[Text, Query(description="Why, up to 500 characters")] = "",
) -> Response:
    """Admin: the active bookings a maintenance window would overlap, by start; changes nothing."""
    begin = parse_instant(start, "from") if start is not None else None
    found = backend.preview_maintenance(resource_id, timedelta(minutes=minutes), begin, reason)
    return json_response(found)


@router.post("/{resource_id}/maintenance", response_model=MaintenanceOutcome)
@on_workers
def schedule_maintenance(
    resource_id: Id, body: Annotated[MaintenanceRequest, Body()], backend: AdminBackend
) -> Response:
    """Admin: set a resource's maintenance window (replacing any), cancelling or keeping the
    active bookings it overlaps as of this request, in one transaction."""
    begin = parse_instant(body.start, "from") if body.start is not None else None
    outcome = backend.schedule_maintenance(
        resource_id,
        timedelta(minutes=body.minutes),
        begin,
        body.reason,
        maintenance.check_choice(body.overlapped),
    )
    return json_response(outcome)


@router.get("/{resource_id}/reservations", response_model=list[ReservationInfo], responses=PAGED)
@on_workers
def resource_reservations(
    request: Request,
    resource_id: Id,
    backend: BackendDep,
    start: Annotated[Instant, Query()],
    end: Annotated[Instant, Query()],
    limit: Limit = None,
    after: After = None,
) -> Response:
    """Active reservations of a resource overlapping `[start, end)`, by start: a page with
    `limit`, else every one."""
    begin, finish = parse_instant(start, "start"), parse_instant(end, "end")

    def fetch(size: int, cursor: str | None) -> Page[ReservationInfo]:
        return backend.resource_reservations_page(
            resource_id, begin, finish, limit=size, after=cursor
        )

    return listing(request, fetch, limit, after)
