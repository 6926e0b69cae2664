"""GET /health: the database and the background expiry timer."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from reserver_core.schemas import Health
from server.deps import BackendDep, on_workers
from server.responses import json_response

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    response_model=Health,
    responses={503: {"model": Health, "description": "The database does not answer"}},
)
@on_workers
def health(backend: BackendDep) -> Response:
    """Whether the database answers and when expiry last ran; 503 when the database is down."""
    report = backend.health()
    return json_response(report, 200 if report.database == "ok" else 503)
