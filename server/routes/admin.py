"""Admin upkeep: POST /admin/cleanup-expired."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from reserver_core.schemas import ExpiryReport
from server.deps import AdminBackend, on_workers
from server.responses import json_response

router = APIRouter(prefix="/admin", tags=["admin"])


@router.post("/cleanup-expired", response_model=ExpiryReport)
@on_workers
def cleanup_expired(backend: AdminBackend) -> Response:
    """Mark finished reservations expired and end elapsed maintenance now."""
    return json_response(backend.expire())
