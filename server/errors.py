"""The one place where domain errors become HTTP status codes and JSON bodies.

Every error body carries `detail` (a sentence for people), `code` (the
domain error's kind, so the remote backend can raise the very same class) and,
where known, `field`; a conflict adds `conflicts` and `resource`, a refused series
`occurrences` too, a refusal for maintenance `resource` and `until`, a rejected import
`errors`.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.responses import Response

from reserver_core.errors import (
    STORE_UNAVAILABLE,
    AlreadyExistsError,
    AmbiguousNameError,
    AuthError,
    ConflictError,
    ForbiddenError,
    ImportRejectedError,
    NotFoundError,
    PolicyError,
    ReserverError,
    SeriesRefusedError,
    ServerUnreachableError,
    StateError,
    StoreError,
    ThrottledError,
    UnavailableError,
    ValidationError,
)
from reserver_core.schemas import Occurrence, to_json
from server.responses import json_response

log = logging.getLogger("reserver.server")

STATUS_BY_ERROR: tuple[tuple[type[ReserverError], int], ...] = (
    (ImportRejectedError, 422),
    (ValidationError, 422),
    (NotFoundError, 404),
    (ConflictError, 409),
    (AlreadyExistsError, 400),
    (UnavailableError, 400),
    (StateError, 400),
    (ForbiddenError, 403),
    (AuthError, 401),
    (ThrottledError, 429),
    (StoreError, 503),
    (ServerUnreachableError, 503),
)
"""The status code of each domain error; the first matching class wins."""


class ClashBody(BaseModel):
    """One active reservation a refused booking overlaps."""

    start_time: datetime
    end_time: datetime
    reservation_id: int | None = None


class LineErrorBody(BaseModel):
    """One rejected line of an uploaded CSV file."""

    line: int
    message: str


class ErrorBody(BaseModel):
    """The JSON body of every refusal (documentation: answers are built by `error_body`)."""

    detail: str = Field(description="What went wrong, as a sentence for people.")
    code: str = Field(
        description="The kind of error: invalid, policy (refused by a booking policy), "
        "import_rejected, not_found, ambiguous, conflict, series (a recurring series refused "
        "as a whole), exists, unavailable, state, forbidden, auth, throttled, store or "
        "http_error (refused by the HTTP layer: unknown route, wrong method, body too large)."
    )
    field: str | None = Field(None, description="The input at fault, when one is.")
    conflicts: list[ClashBody] | None = Field(None, description="A conflict's clashing windows.")
    resource: str | None = Field(
        None, description="The resource a conflict, maintenance or policy refusal is on."
    )
    until: datetime | None = Field(None, description="When a resource's maintenance ends.")
    since: datetime | None = Field(None, description="When a resource's maintenance starts.")
    reason: str | None = Field(None, description="Why the resource is under maintenance.")
    errors: list[LineErrorBody] | None = Field(None, description="A rejected file's bad lines.")
    candidates: list[str] | None = Field(
        None, description="The names an unknown or ambiguous resource name could mean."
    )
    rule: str | None = Field(
        None,
        description="The policy rule that refused: hours, closed, min_length, max_length, "
        "min_notice, max_advance, max_active or max_hours_per_week.",
    )
    scope: str | None = Field(
        None, description='Where that rule is set, e.g. "tag \'gpu\'" or "the default policy".'
    )
    limit: float | None = Field(None, description="The policy's limit, in `unit`.")
    current: float | None = Field(
        None, description="Where the booking would bring you (or stands), in `unit`."
    )
    unit: str | None = Field(None, description="The unit: minutes, bookings or hours.")
    figures: dict[str, Any] | None = Field(
        None, description="The refusal's other figures, e.g. times as ISO 8601 text."
    )
    occurrences: list[Occurrence] | None = Field(
        None,
        description="A refused series' dates, each with its state (free, clash, refused, "
        "skipped) and, for a bad one, the `reason` (and the `clashes` or policy `rule`).",
    )


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": ErrorBody, "description": "Refused: `code` says why, `detail` in words."},
    503: {"model": ErrorBody, "description": "The database does not answer."},
}
"""The error answers every route documents."""


def status_for(error: ReserverError) -> int:
    """The HTTP status code a domain error is answered with."""
    for kind, status in STATUS_BY_ERROR:
        if isinstance(error, kind):
            return status
    return 400


def error_body(error: ReserverError) -> dict[str, Any]:
    """The JSON body describing a domain error; a store's failure never names the store
    (its details are in the server's log, see `server.outage`)."""
    detail = STORE_UNAVAILABLE if isinstance(error, StoreError) else error.message
    body: dict[str, Any] = {"detail": detail, "code": error.code}
    field = getattr(error, "field", None)
    if field is not None:
        body["field"] = field
    if isinstance(error, ConflictError):
        body["conflicts"] = [
            {
                "start_time": window.start.isoformat(),
                "end_time": window.end.isoformat(),
                "reservation_id": window.reservation_id,
            }
            for window in error.windows
        ]
    if isinstance(error, ConflictError | UnavailableError) and error.resource is not None:
        body["resource"] = error.resource
    if isinstance(error, PolicyError):
        # Every key, null or not: a client reads one fixed shape for every rule.
        body |= {"field": error.field, **error.details()}
    if isinstance(error, UnavailableError) and error.until is not None:
        body["until"] = error.until.isoformat()
        if error.since is not None:
            body["since"] = error.since.isoformat()
            body["reason"] = error.reason
    if isinstance(error, NotFoundError | AmbiguousNameError) and error.candidates:
        body["candidates"] = error.candidates
    if isinstance(error, SeriesRefusedError):
        body["occurrences"] = to_json(error.occurrences)
    if isinstance(error, ImportRejectedError):
        body["errors"] = [{"line": e.line, "message": e.message} for e in error.errors]
    return body


def error_response(error: ReserverError) -> Response:
    """The response for a domain error, with the headers its status asks for."""
    headers: dict[str, str] = {}
    if isinstance(error, AuthError):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(error, ThrottledError):
        headers["Retry-After"] = str(error.retry_after)
    return json_response(error_body(error), status_for(error), headers)


def _describe_validation(exc: RequestValidationError) -> tuple[str, str | None]:
    problems = []
    field = None
    for item in exc.errors():
        if item.get("type") == "json_invalid":
            problems.append("the body is not valid JSON")
            continue
        sources = ("body", "query", "path", "header", "cookie")
        raw_location = item.get("loc", ())
        location = [str(part) for part in raw_location if part not in sources]
        name = ".".join(location) or ("body" if "body" in raw_location else "request")
        field = field or (location[-1] if location else None)
        problems.append(f"{name}: {item.get('msg', 'invalid')}")
    return "; ".join(problems) or "the request is invalid", field


def install_error_handlers(app: FastAPI) -> None:
    """Answer domain errors, malformed requests and surprises with JSON bodies."""

    async def domain_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ReserverError)
        return error_response(exc)

    async def invalid_request(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        message, field = _describe_validation(exc)
        return error_response(ValidationError(message, field))

    async def http_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        # Raised by the framework (unknown route, wrong method, unreadable body):
        # no domain error, so one code the remote backend knows is not one.
        body = {"detail": detail, "code": "http_error"}
        return json_response(body, exc.status_code, dict(exc.headers or {}))

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        body = {"detail": "internal error; the server log has the details", "code": "internal"}
        return json_response(body, 500)

    app.add_exception_handler(ReserverError, domain_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
