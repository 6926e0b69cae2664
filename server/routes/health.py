"""GET /health: the database and the background expiry timer."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from starlette.responses import Response

from reserver_core.local import LocalBackend
from reserver_core.schemas import Health
from server.deps import AnonymousBackend, in_thread
from server.responses import json_response

router = APIRouter(tags=["health"])

HEALTH_TIMEOUT_SECONDS = 2.0
"""How long /health waits for the database before reporting it unreachable."""


async def check_health(backend: LocalBackend) -> Health:
    """The store's health report; `degraded` when the check outlasts HEALTH_TIMEOUT_SECONDS.

    A frozen database may hold the check for up to the statement timeout; a health
    probe must hear sooner.
    """
    try:
        return await asyncio.wait_for(in_thread(backend.health), HEALTH_TIMEOUT_SECONDS)
    except TimeoutError:
        return backend.health_report(backend.now(), None)


@router.get(
    "/health",
    response_model=Health,
    responses={503: {"model": Health, "description": "The database does not answer"}},
)
async def health(backend: AnonymousBackend) -> Response:
    """Whether the database answers and when expiry last ran; 503 when the database is down.

    The caller's token, if any, is not checked: that would need the database too.
    """
    report = await check_health(backend)
    return json_response(report, 200 if report.database == "ok" else 503)
