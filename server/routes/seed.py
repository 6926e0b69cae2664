"""The seed's paths (unprefixed), answering in the seed's shapes for its clients.

Each route calls the very backend method its `/api/v1` twin calls and reshapes
the answer with `server.seed_shapes`; refusals are reserver's own, in the
error body every route shares (its `detail` is what the seed's clients read).
"""

from __future__ import annotations

from datetime import time
from typing import Annotated, Any, cast

from fastapi import APIRouter, Body, Query, UploadFile
from starlette.responses import Response

from reserver_core.schemas import Page, ResourceInfo, StatusFilter
from reserver_core.timeparse import parse_instant
from server import seed_shapes as shapes
from server.deps import (
    AdminBackend,
    AnonymousBackend,
    BackendDep,
    ClientAddress,
    Id,
    Instant,
    MemberBackend,
    Text,
    on_workers,
)
from server.paging import stream
from server.responses import json_response
from server.routes import auth, health, reservations, resources

TAG = "seed compatibility"
"""The OpenAPI tag of these routes."""

TAG_DESCRIPTION = (
    "The paths and answer shapes of the seed's API (Resource-Reserver), for the clients "
    "and scripts written for it. reserver's own API is under `/api/v1`."
)

router = APIRouter(tags=[TAG])

UPLOAD_PATH = "/resources/upload"

# Answers identical in both APIs are the v1 handlers themselves.
router.add_api_route("/token", auth.token, methods=["POST"], summary="Log in (seed)")
router.add_api_route(
    "/resources/availability/summary",
    resources.summary,
    methods=["GET"],
    summary="Resource counts (seed)",
)


@router.get("/health")
async def seed_health(backend: AnonymousBackend) -> Response:
    """`healthy` or `unhealthy`, the resource count and the cleanup task's state."""
    report = await health.check_health(backend)
    return json_response(shapes.seed_health(report), 200 if report.database == "ok" else 503)


@router.post("/register", status_code=201)
@on_workers
def seed_register(
    body: auth.Registration, backend: AnonymousBackend, address: ClientAddress
) -> Response:
    """Create an account: `{id, username}`."""
    user = backend.register(body.username, body.password, address)
    return json_response({"id": user.id, "username": user.username}, 201)


@router.get("/resources")
@on_workers
def seed_resources(backend: BackendDep) -> Response:
    """Every resource, by name (streamed, read a page at a time)."""
    now = backend.now()
    return stream(
        backend.resources_page, shape=lambda page: [shapes.seed_resource(r, now) for r in page]
    )


@router.post("/resources", status_code=201)
@on_workers
def seed_create_resource(body: resources.NewResource, backend: AdminBackend) -> Response:
    """Admin: add a resource."""
    created = backend.create_resource(
        body.name, resources.tag_list(body.tags), body.description, body.available
    )
    return json_response(shapes.seed_resource(created, backend.now()), 201)


@router.get("/resources/search")
@on_workers
def seed_search(
    backend: BackendDep,
    q: Annotated[Text | None, Query()] = None,
    status: Annotated[Text | None, Query(description="available (default), in_use, ...")] = None,
    available_only: Annotated[bool | None, Query(description="The seed's older filter")] = None,
    available_from: Annotated[Instant | None, Query()] = None,
    available_until: Annotated[Instant | None, Query()] = None,
) -> Response:
    """Resources matching `q`, a status and, given a window, free for all of it (streamed,
    read a page at a time)."""
    if status is None:
        status = "all" if available_only is False else "available"
    wanted = cast(StatusFilter, status)  # the core refuses an unknown one
    start = parse_instant(available_from, "available_from") if available_from else None
    end = parse_instant(available_until, "available_until") if available_until else None
    now, windowed = backend.now(), start is not None and status == "available"

    def fetch(size: int, cursor: str | None) -> Page[ResourceInfo]:
        return backend.search_resources_page(q, None, wanted, start, end, limit=size, after=cursor)

    return stream(fetch, shape=lambda page: [shapes.seed_resource(r, now, windowed) for r in page])


@router.post(UPLOAD_PATH)
@on_workers
def seed_upload(file: UploadFile, backend: AdminBackend, skip_invalid: bool = False) -> Response:
    """Admin: import `name,tags[,available][,description]`; all or nothing unless
    `skip_invalid`."""
    return json_response(shapes.seed_import(backend.import_csv(file.file, skip_invalid)))


@router.get("/resources/{resource_id}/availability")
@on_workers
def seed_availability(
    resource_id: Id, backend: BackendDep, days_ahead: Annotated[int, Query()] = 7
) -> Response:
    """Hourly slots, 09:00 to 17:00 UTC, for `days_ahead` days from today."""
    grid = backend.schedule(resource_id, None, days_ahead, "UTC", 60, time(9), time(17))
    return json_response(shapes.seed_schedule(grid, backend.now()))


@router.put("/resources/{resource_id}/availability")
@on_workers
def seed_switch(
    resource_id: Id,
    body: Annotated[resources.Availability, Body()],
    backend: AdminBackend,
) -> Response:
    """Admin: enable or disable a resource."""
    changed = backend.set_available(resource_id, body.available)
    return json_response(shapes.seed_switched(changed, backend.now()))


@router.get("/resources/{resource_id}/status")
@on_workers
def seed_status(resource_id: Id, backend: BackendDep) -> Response:
    """The flat status of a resource."""
    detail = backend.resource_status(resource_id)
    return json_response(shapes.seed_status_detail(detail, detail.timestamp))


@router.put("/resources/{resource_id}/status/unavailable")
@on_workers
def seed_start_maintenance(
    resource_id: Id, backend: AdminBackend, auto_reset_hours: int = 8
) -> Response:
    """Admin: maintenance for `auto_reset_hours` (1-168)."""
    changed = backend.start_maintenance(resource_id, auto_reset_hours)
    return json_response(shapes.seed_maintenance(changed, backend.now(), auto_reset_hours))


@router.put("/resources/{resource_id}/status/available")
@on_workers
def seed_end_maintenance(resource_id: Id, backend: AdminBackend) -> Response:
    """Admin: back in service."""
    changed = backend.end_maintenance(resource_id)
    return json_response(shapes.seed_back_in_service(changed, backend.now()))


def _book(
    body: reservations.NewReservation, backend: MemberBackend, key: str | None
) -> dict[str, Any]:
    start = parse_instant(body.start_time, "start_time")
    end = parse_instant(body.end_time, "end_time")
    booked = backend.book(body.resource_id, start, end, key)
    return shapes.seed_reservation(booked, backend.now())


@router.post("/reservations", status_code=201, responses=reservations.CONFLICT)
@on_workers
def seed_book(
    body: reservations.NewReservation,
    backend: MemberBackend,
    idempotency_key: reservations.IdempotencyKeyHeader = None,
) -> Response:
    """Book `[start_time, end_time)`; 409 names the clashing windows."""
    return json_response(_book(body, backend, idempotency_key), 201)


@router.post("/reserve", include_in_schema=False)
@on_workers
def seed_reserve(
    body: reservations.NewReservation,
    backend: MemberBackend,
    idempotency_key: reservations.IdempotencyKeyHeader = None,
) -> Response:
    """The seed's older booking path."""
    return json_response(_book(body, backend, idempotency_key))


def _mine(backend: MemberBackend, include_cancelled: bool) -> Response:
    found = backend.my_reservations(include_cancelled)
    return json_response(shapes.seed_my_reservations(found, include_cancelled, backend.now()))


@router.get("/reservations/my")
@on_workers
def seed_my_reservations(backend: MemberBackend, include_cancelled: bool = False) -> Response:
    """The caller's active reservations (and cancelled and expired ones if asked)."""
    return _mine(backend, include_cancelled)


@router.get("/my_reservations", include_in_schema=False)
@on_workers
def seed_my_reservations_older(backend: MemberBackend, include_cancelled: bool = False) -> Response:
    """The seed's older path for the caller's reservations."""
    return _mine(backend, include_cancelled)


@router.post("/reservations/{reservation_id}/cancel")
@on_workers
def seed_cancel(
    reservation_id: Id,
    backend: MemberBackend,
    body: Annotated[reservations.Cancellation | None, Body()] = None,
) -> Response:
    """Cancel an active reservation of yours."""
    cancelled = backend.cancel(reservation_id, body.reason if body else None)
    return json_response(shapes.seed_cancellation(cancelled))


@router.get("/reservations/{reservation_id}/history")
@on_workers
def seed_history(reservation_id: Id, backend: MemberBackend) -> Response:
    """The reservation's events, newest first."""
    return json_response([shapes.seed_event(e) for e in backend.history(reservation_id)])


@router.post("/admin/cleanup-expired")
@on_workers
def seed_cleanup(backend: AdminBackend) -> Response:
    """Admin: expire finished reservations now."""
    return json_response(shapes.seed_expiry(backend.expire()))
