"""The FastAPI application: one shared backend, the expiry timer, logs and routes."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, suppress
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reserver_core.clock import Clock, SystemClock
from reserver_core.db import Database
from reserver_core.http_contract import API_PREFIX
from reserver_core.local import LocalBackend
from reserver_core.settings import Settings, data_dir
from server.deps import CallerCache, in_thread
from server.errors import ERROR_RESPONSES, install_error_handlers
from server.outage import OutageLog
from server.responses import json_response
from server.routes import (
    admin,
    approvals,
    auth,
    health,
    inbox,
    policies,
    reservations,
    resources,
    seed,
    series,
    waitlist,
)
from server.secret import load_secret

log = logging.getLogger("reserver.server")
access_log = logging.getLogger("reserver.server.access")

BODY_LIMIT_BYTES = 1024 * 1024
"""The largest request body outside CSV uploads."""

WORKER_THREADS = 40
"""Threads for `in_thread`, which every route and the expiry timer run on."""


def server_database_url(settings: Settings, database_url: str | None = None) -> str:
    """The store: the URL given, else the settings (environment), else data-dir server.db."""
    return database_url or settings.database_url or f"sqlite:///{data_dir() / 'server.db'}"


def open_shared_backend(settings: Settings, database_url: str | None, clock: Clock) -> LocalBackend:
    """Open (and migrate) the store and return the anonymous backend every request builds on."""
    # A weak key is refused before the store is touched.
    secret = load_secret(settings)
    database = Database.open(server_database_url(settings, database_url), settings)
    return LocalBackend(database, settings, clock, token_secret=secret)


async def run_expiry_timer(backend: LocalBackend, interval: float) -> None:
    """Run expiry every `interval` seconds until cancelled; a failure is recorded, not fatal."""
    backend.upkeep.running = True
    try:
        while True:
            await asyncio.sleep(interval)
            try:
                await in_thread(backend.background_upkeep)
            except Exception as exc:
                log.exception("background expiry failed")
                backend.upkeep.last_error = str(exc)
    finally:
        backend.upkeep.running = False


class BodyLimit:
    """Refuse request bodies over a size limit with 413, before or while they arrive."""

    def __init__(self, app: ASGIApp, limit: int, limits_by_path: dict[str, int]) -> None:
        self.app = app
        self.limit = limit
        self.limits_by_path = limits_by_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits_by_path.get(scope["path"], self.limit)
        detail = f"the request body is over the limit of {limit // 1024} KiB"
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            body = {"detail": detail, "code": "http_error"}
            await json_response(body, 413)(scope, receive, send)
            return
        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                # Raised inside the route's body parsing, so the error handlers answer.
                raise HTTPException(413, detail)
            return message

        await self.app(scope, receive_within_limit, send)


class RequestLog:
    """Write one JSON line per request: method, path, status and duration."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                record = {
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                }
                access_log.info(json.dumps(record))


WALL_TIMES: dict[str, tuple[str, ...]] = {"SeriesInfo": ("start",), "Closure": ("start", "end")}
"""Fields of the answers' schemas holding a naive wall time (ISO 8601 without an offset),
which JSON Schema's `date-time` (RFC 3339) would require."""


def document_wall_times(app: FastAPI) -> None:
    """Document the `WALL_TIMES` fields in /openapi.json as the naive times they are."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()
        components = schema.get("components", {}).get("schemas", {})
        for name, fields in WALL_TIMES.items():
            properties = components.get(name, {}).get("properties", {})
            for field in fields:
                if properties.get(field, {}).pop("format", None) is not None:
                    properties[field]["description"] = (
                        "A wall time in the zone given, ISO 8601 without an offset "
                        "(2027-03-01T09:00:00)"
                    )
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(
    settings: Settings, database_url: str | None = None, clock: Clock | None = None
) -> FastAPI:
    """The server application on `database_url` (default: see `server_database_url`)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        backend = open_shared_backend(settings, database_url, clock or SystemClock())
        backend.database.observer = OutageLog()
        app.state.backend = backend
        app.state.callers = CallerCache()
        workers = ThreadPoolExecutor(WORKER_THREADS, thread_name_prefix="reserver-worker")
        asyncio.get_running_loop().set_default_executor(workers)
        backend.background_upkeep()
        timer = asyncio.create_task(run_expiry_timer(backend, settings.expiry_interval))
        log.info("serving %s", backend.describe_store())
        try:
            yield
        finally:
            timer.cancel()
            with suppress(asyncio.CancelledError):
                await timer
            workers.shutdown()
            backend.close()

    app = FastAPI(
        title="reserver",
        summary="Book shared resources: rooms, instruments, machines.",
        version="0.1.0",
        openapi_tags=[
            *(
                {"name": name}
                for name in (
                    "health",
                    "auth",
                    "resources",
                    "reservations",
                    "series",
                    "approvals",
                    "waitlist",
                    "inbox",
                    "policies",
                    "admin",
                )
            ),
            {"name": seed.TAG, "description": seed.TAG_DESCRIPTION},
        ],
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
    )
    install_error_handlers(app)
    document_wall_times(app)
    # Requests are matched against the routes in order, ~2 microseconds a route:
    # bookings, the busiest, come first; series before them, as `/reservations/series`
    # would otherwise be read as a reservation's id. `openapi_tags` keeps the
    # documented order.
    for router in (
        series.router,
        reservations.router,
        approvals.router,
        waitlist.router,
        inbox.router,
        health.router,
        auth.router,
        resources.router,
        policies.router,
        admin.router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(seed.router)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["*"],
            allow_headers=["*"],
        )
    app.add_middleware(
        BodyLimit,
        limit=BODY_LIMIT_BYTES,
        limits_by_path={
            path: resources.UPLOAD_LIMIT_BYTES
            for path in (seed.UPLOAD_PATH, API_PREFIX + seed.UPLOAD_PATH)
        },
    )
    app.add_middleware(RequestLog)
    return app
