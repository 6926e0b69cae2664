"""`RemoteBackend`: the `Backend` interface over HTTP, against a reserver server.

Every HTTP error becomes the domain error the local backend would have raised
(the server sends the error's `code`; a 409 carries the clashing windows, a
rejected import every bad line), and every network failure one
`ServerUnreachableError`. The httpx transport can be injected, so the same
code runs over a socket or in-process.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, BinaryIO, TextIO, TypeVar
from urllib.parse import quote

import httpx

from reserver_core import credentials, paging
from reserver_core.backend import ProgressCallback
from reserver_core.clock import as_utc
from reserver_core.errors import (
    AlreadyExistsError,
    AmbiguousNameError,
    AuthError,
    ConflictError,
    ForbiddenError,
    ImportRejectedError,
    LineError,
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
    Window,
)
from reserver_core.http_contract import API_PREFIX, IDEMPOTENCY_HEADER, NEXT_CURSOR_HEADER
from reserver_core.schemas import (
    Closure,
    EffectiveField,
    EffectivePolicy,
    EventInfo,
    ExpiryReport,
    FreeSlot,
    Health,
    ImportReport,
    MaintenanceOutcome,
    MaintenancePreview,
    Notice,
    Occurrence,
    OverlapChoice,
    Page,
    PolicyChanges,
    PolicyInfo,
    PolicyScope,
    ReservationInfo,
    ResourceInfo,
    ResourceStatusDetail,
    Schedule,
    SeriesInfo,
    SeriesOutcome,
    SeriesRequest,
    StatusFilter,
    Summary,
    Token,
    UserInfo,
    WaitlistInfo,
    from_json,
    to_json,
)
from reserver_core.settings import Settings, check_server_url
from reserver_core.text import clean_idempotency_key

T = TypeVar("T")

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)

_LOST = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
"""Failures after which the request may or may not have reached the server."""

PAGE_SIZE = 500
"""Items a list method asks the server for at a time: it never sends one giant answer."""

_SIMPLE_ERRORS: dict[str, type[ReserverError]] = {
    "not_found": NotFoundError,
    "state": StateError,
    "forbidden": ForbiddenError,
    "auth": AuthError,
    "store": StoreError,
    "unreachable": ServerUnreachableError,
}
_ERRORS_BY_STATUS: dict[int, type[ReserverError]] = {
    400: ValidationError,
    401: AuthError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    413: ValidationError,
    422: ValidationError,
}


def _instant(value: datetime) -> str:
    return as_utc(value).isoformat()


def _maintenance_fields(length: timedelta, start: datetime | None, reason: str) -> dict[str, Any]:
    fields: dict[str, Any] = {"minutes": length / timedelta(minutes=1), "reason": reason}
    if start is not None:
        fields["from"] = _instant(start)
    return fields


def _window(item: dict[str, Any]) -> Window:
    return Window(
        datetime.fromisoformat(item["start_time"]),
        datetime.fromisoformat(item["end_time"]),
        item.get("reservation_id"),
    )


def _number(value: Any) -> float | None:
    """A figure as the server sent it: 60 stays 60, as the local backend has it, not 60.0."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def _scope_path(scope: PolicyScope) -> str:
    if scope.kind == "default":
        return "/policies/default"
    if scope.kind == "tag":
        # "." too: a tag ".." must not be read as a step up the path.
        return "/policies/tags/" + quote(scope.tag or "", safe="").replace(".", "%2E")
    if scope.kind == "resource" and scope.resource_id is not None:
        return f"/policies/resources/{scope.resource_id}"
    # No path names such a scope: refused here as the core refuses it.
    raise ValidationError("name a resource, a tag or the default policy", "scope")


def _effective_field(item: EffectiveField) -> EffectiveField:
    """The field as the local backend gives it: closures as `Closure`, not JSON."""
    if item.name != "closed" or not isinstance(item.value, list):
        return item
    return EffectiveField(item.name, from_json(list[Closure], item.value), item.source)


class RemoteBackend:
    """The `Backend` on a reserver server at `url`, acting as the holder of `token`."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        self.url = check_server_url(url)
        self.token = token
        try:
            self._client = httpx.Client(
                base_url=self.url.rstrip("/") + API_PREFIX,
                transport=transport,
                timeout=timeout,
                headers={"User-Agent": "reserver", "Accept": "application/json"},
                # Loading the CA bundle costs ~80 ms; a plain-HTTP server never uses it.
                verify=not self.url.lower().startswith("http://"),
            )
        except (httpx.InvalidURL, ValueError) as exc:
            raise ValidationError(f"{url!r} is not a server URL: {exc}", "server") from exc

    @classmethod
    def connect(cls, url: str, settings: Settings | None = None) -> RemoteBackend:
        """A backend on the server at `url` with the token stored for it (if any)."""
        return cls(url, credentials.get_token(url))

    # -- HTTP ----------------------------------------------------------------------
    def _send(
        self,
        method: str,
        path: str,
        anonymous: bool = False,
        headers: dict[str, str] | None = None,
        resend_if_lost: bool = False,
        **options: Any,
    ) -> httpx.Response:
        send_token = self.token and not anonymous
        sent = {"Authorization": f"Bearer {self.token}"} if send_token else {}
        sent |= headers or {}
        try:
            try:
                response = self._client.request(method, path, headers=sent, **options)
            except _LOST:
                if not resend_if_lost:
                    raise
                # Served or not, a request the server recognises when it comes again
                # (by its idempotency key) is safe to send once more.
                response = self._client.request(method, path, headers=sent, **options)
        except (httpx.TransportError, httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise ServerUnreachableError(f"cannot reach server at {self.url}: {exc}") from exc
        if response.status_code >= 400:
            raise self._error(response)
        return response

    def _call(
        self, kind: type[T], method: str, path: str, anonymous: bool = False, **options: Any
    ) -> T:
        return self._decode(kind, self._send(method, path, anonymous, **options))

    def _decode(self, kind: type[T], response: httpx.Response) -> T:
        """The body as a `kind`; ServerUnreachableError when it is not reserver's JSON."""
        try:
            return from_json(kind, response.json())
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise ServerUnreachableError(
                f"the server at {self.url} answered {response.request.url.path} with "
                "something that is not reserver's JSON"
            ) from exc

    def _error(self, response: httpx.Response) -> ReserverError:
        try:
            body = response.json()
        except ValueError:
            body = {}
        status = response.status_code
        foreign = ServerUnreachableError(
            f"the server at {self.url} answered {response.request.url.path} with HTTP "
            f"{status} and no reserver error: is it a reserver server?"
        )
        if not isinstance(body, dict) or "detail" not in body:
            return foreign
        try:
            return self._domain_error(response, body)
        except (ValueError, TypeError, KeyError, AttributeError):
            return foreign

    def _domain_error(self, response: httpx.Response, body: dict[str, Any]) -> ReserverError:
        status = response.status_code
        detail = body.get("detail")
        message = detail if isinstance(detail, str) else f"the server answered HTTP {status}"
        code = body.get("code")
        field = body.get("field")
        resource = body.get("resource")
        if code == "series":
            occurrences = from_json(list[Occurrence], body.get("occurrences") or [])
            return SeriesRefusedError(message, occurrences, resource)
        if code == "conflict" or (code is None and status == 409):
            windows = [_window(item) for item in body.get("conflicts", [])]
            return ConflictError(message, windows, resource)
        if code == "unavailable":
            until, since = body.get("until"), body.get("since")
            return UnavailableError(
                message,
                resource,
                datetime.fromisoformat(until) if until else None,
                datetime.fromisoformat(since) if since else None,
                str(body.get("reason") or ""),
            )
        if code == "policy":
            figures = body.get("figures")
            return PolicyError(
                message,
                str(body["rule"]),
                str(body["scope"]),
                field,
                _number(body.get("limit")),
                _number(body.get("current")),
                body.get("unit"),
                resource,
                figures if isinstance(figures, dict) else None,
            )
        if code == "import_rejected":
            return ImportRejectedError(
                [LineError(int(e["line"]), str(e["message"])) for e in body.get("errors", [])]
            )
        if code == "throttled" or status == 429:
            retry_after = response.headers.get("Retry-After", "60")
            return ThrottledError(message, int(retry_after) if retry_after.isdigit() else 60)
        if code == "invalid":
            return ValidationError(message, field)
        if code == "ambiguous":
            return AmbiguousNameError(message, [str(c) for c in body.get("candidates") or []])
        if code == "not_found" and body.get("candidates"):
            return NotFoundError(message, [str(c) for c in body["candidates"]])
        if code == "exists":
            return AlreadyExistsError(message, field)
        if (
            status == 401
            and self.token is None
            and not response.request.url.path.endswith("/token")
        ):
            return AuthError(f"not logged in to {self.url}: log in first (reserver auth login)")
        if code in (None, "http_error") and status == 404:
            path = response.request.url.path
            return NotFoundError(
                f"the server at {self.url} has no {path}: is it an older reserver?"
            )
        if code in _SIMPLE_ERRORS:
            return _SIMPLE_ERRORS[code](message)
        if status >= 500:
            return ServerUnreachableError(f"the server at {self.url} failed: {message}")
        return _ERRORS_BY_STATUS.get(status, ValidationError)(message)

    # -- identity --------------------------------------------------------------------
    def describe_store(self) -> str:
        """The server's URL."""
        return self.url

    def whoami(self) -> UserInfo:
        """The account the token belongs to; AuthError without a valid one."""
        return self._call(UserInfo, "GET", "/me")

    def health(self) -> Health:
        """The server's health report, also when it says the database is down."""
        try:
            response = self._client.get("/health")
        except httpx.TransportError as exc:
            raise ServerUnreachableError(f"cannot reach server at {self.url}: {exc}") from exc
        if response.status_code not in (200, 503):
            raise self._error(response)
        return self._decode(Health, response)

    def register(self, username: str, password: str) -> UserInfo:
        """Create an account on the server; the first one there is an admin."""
        body = {"username": username, "password": password}
        # Without the token held so far: an expired one must not stop a new account.
        return self._call(UserInfo, "POST", "/register", anonymous=True, json=body)

    def login(self, username: str, password: str) -> Token:
        """Get a token for these credentials and act with it from now on."""
        form = {"username": username, "password": password}
        # Without the token held so far: logging in again is how an expired one is replaced.
        token = self._call(Token, "POST", "/token", anonymous=True, data=form)
        self.token = token.access_token
        return token

    # -- resources ---------------------------------------------------------------------
    def _page(
        self, kind: type[list[T]], path: str, params: dict[str, Any], limit: int, after: str | None
    ) -> Page[T]:
        """One page of a listing: the body's items and the `X-Next-Cursor` header."""
        paged = {**params, "limit": limit} | ({"after": after} if after is not None else {})
        response = self._send("GET", path, params=paged)
        return Page(self._decode(kind, response), response.headers.get(NEXT_CURSOR_HEADER))

    def list_resources(self) -> list[ResourceInfo]:
        """Every resource with its derived status, by name (read a page at a time)."""
        return paging.collect(lambda after: self.resources_page(PAGE_SIZE, after))

    def resources_page(self, limit: int, after: str | None = None) -> Page[ResourceInfo]:
        """At most `limit` resources by name, after the cursor `after`."""
        return self._page(list[ResourceInfo], "/resources", {}, limit, after)

    def get_resource(self, resource_id: int) -> ResourceInfo:
        """One resource."""
        return self._call(ResourceInfo, "GET", f"/resources/{resource_id}")

    def find_resource(self, reference: str) -> ResourceInfo:
        """A resource by id, name, or the one name it equals without accents or begins."""
        params = {"reference": reference}
        return self._call(ResourceInfo, "GET", "/resources/lookup", params=params)

    def search_resources(
        self,
        text: str | None = None,
        tags: list[str] | None = None,
        status: StatusFilter = "all",
        available_from: datetime | None = None,
        available_until: datetime | None = None,
    ) -> list[ResourceInfo]:
        """Resources by text, tags, derived status and a window they are free for."""
        return paging.collect(
            lambda after: self.search_resources_page(
                text, tags, status, available_from, available_until, limit=PAGE_SIZE, after=after
            )
        )

    def search_resources_page(
        self,
        text: str | None = None,
        tags: list[str] | None = None,
        status: StatusFilter = "all",
        available_from: datetime | None = None,
        available_until: datetime | None = None,
        *,
        limit: int,
        after: str | None = None,
    ) -> Page[ResourceInfo]:
        """At most `limit` resources of a search by name, after the cursor `after`."""
        params: dict[str, Any] = {"status": status}
        if text is not None:
            params["q"] = text
        if tags:
            params["tags"] = tags
        if available_from is not None:
            params["available_from"] = _instant(available_from)
        if available_until is not None:
            params["available_until"] = _instant(available_until)
        return self._page(list[ResourceInfo], "/resources/search", params, limit, after)

    def create_resource(
        self,
        name: str,
        tags: list[str] | None = None,
        description: str = "",
        available: bool = True,
    ) -> ResourceInfo:
        """Admin: add a resource with a unique name."""
        body = {
            "name": name,
            "tags": tags or [],
            "description": description,
            "available": available,
        }
        return self._call(ResourceInfo, "POST", "/resources", json=body)

    def update_resource(
        self,
        resource_id: int,
        name: str | None = None,
        tags: list[str] | None = None,
        description: str | None = None,
    ) -> ResourceInfo:
        """Admin: rename, retag or redescribe a resource."""
        changes = {"name": name, "tags": tags, "description": description}
        body = {key: value for key, value in changes.items() if value is not None}
        return self._call(ResourceInfo, "PATCH", f"/resources/{resource_id}", json=body)

    def set_available(self, resource_id: int, available: bool) -> ResourceInfo:
        """Admin: enable or disable a resource."""
        path = f"/resources/{resource_id}/availability"
        return self._call(ResourceInfo, "PUT", path, json={"available": available})

    def start_maintenance(self, resource_id: int, auto_reset_hours: int = 8) -> ResourceInfo:
        """Admin: maintenance from now for 1-168 hours, keeping the bookings in it."""
        path = f"/resources/{resource_id}/status/unavailable"
        params = {"auto_reset_hours": auto_reset_hours}
        return self._call(ResourceInfo, "PUT", path, params=params)

    def preview_maintenance(
        self,
        resource_id: int,
        length: timedelta,
        start: datetime | None = None,
        reason: str = "",
    ) -> MaintenancePreview:
        """Admin: the active bookings a maintenance window would overlap; changes nothing."""
        path = f"/resources/{resource_id}/maintenance/preview"
        params = _maintenance_fields(length, start, reason)
        return self._call(MaintenancePreview, "GET", path, params=params)

    def schedule_maintenance(
        self,
        resource_id: int,
        length: timedelta,
        start: datetime | None = None,
        reason: str = "",
        overlapped: OverlapChoice = "keep",
    ) -> MaintenanceOutcome:
        """Admin: set a maintenance window, cancelling or keeping the bookings in it."""
        body = {**_maintenance_fields(length, start, reason), "overlapped": overlapped}
        path = f"/resources/{resource_id}/maintenance"
        return self._call(MaintenanceOutcome, "POST", path, json=body)

    def end_maintenance(self, resource_id: int) -> ResourceInfo:
        """Admin: back in service now."""
        return self._call(ResourceInfo, "PUT", f"/resources/{resource_id}/status/available")

    def resource_status(self, resource_id: int) -> ResourceStatusDetail:
        """Status with the current and next reservation and maintenance timing."""
        return self._call(ResourceStatusDetail, "GET", f"/resources/{resource_id}/status")

    def schedule(
        self,
        resource_id: int,
        start_day: date | None = None,
        days: int = 7,
        tz: str = "UTC",
        slot_minutes: int = 30,
        day_start: time = time(8, 0),
        day_end: time = time(18, 0),
    ) -> Schedule:
        """The slot grid of a resource for `days` local days from `start_day`."""
        params: dict[str, Any] = {
            "days_ahead": days,
            "tz": tz,
            "slot_minutes": slot_minutes,
            "day_start": day_start.isoformat(),
            "day_end": day_end.isoformat(),
        }
        if start_day is not None:
            params["start_day"] = start_day.isoformat()
        path = f"/resources/{resource_id}/availability"
        return self._call(Schedule, "GET", path, params=params)

    def summary(self) -> Summary:
        """Counts of resources by derived status now."""
        return self._call(Summary, "GET", "/resources/availability/summary")

    # -- reservations ------------------------------------------------------------------
    def book(
        self,
        resource_id: int,
        start: datetime,
        end: datetime,
        idempotency_key: str | None = None,
        note: str = "",
    ) -> ReservationInfo:
        """Book `[start, end)` with a `note`; ConflictError names the clashing windows.

        The request carries `idempotency_key`, or a new key, and is sent once more
        with it when the answer is lost, so a booking made is never made twice.
        """
        if idempotency_key is None:
            key = uuid.uuid4().hex
        else:
            key = clean_idempotency_key(idempotency_key)
        body = {
            "resource_id": resource_id,
            "start_time": _instant(start),
            "end_time": _instant(end),
            "note": note,
        }
        return self._call(
            ReservationInfo,
            "POST",
            "/reservations",
            headers={IDEMPOTENCY_HEADER: key},
            resend_if_lost=True,
            json=body,
        )

    def cancel(self, reservation_id: int, reason: str | None = None) -> ReservationInfo:
        """Cancel an active reservation (owner or admin), keeping the reason."""
        path = f"/reservations/{reservation_id}/cancel"
        return self._call(ReservationInfo, "POST", path, json={"reason": reason})

    def move(
        self, reservation_id: int, start: datetime, end: datetime, note: str | None = None
    ) -> ReservationInfo:
        """Move a reservation to `[start, end)` (and set its note, when given) in one step."""
        body: dict[str, Any] = {"start_time": _instant(start), "end_time": _instant(end)}
        if note is not None:
            body["note"] = note
        return self._change(reservation_id, body)

    def set_note(self, reservation_id: int, note: str) -> ReservationInfo:
        """Set a reservation's note ("" clears it); owner or admin only."""
        return self._change(reservation_id, {"note": note})

    def _change(self, reservation_id: int, body: dict[str, Any]) -> ReservationInfo:
        # The change names the state wanted, not a step: sent twice, it changes once.
        path = f"/reservations/{reservation_id}"
        return self._call(ReservationInfo, "PATCH", path, resend_if_lost=True, json=body)

    def get_reservation(self, reservation_id: int) -> ReservationInfo:
        """One reservation; owner or admin only."""
        return self._call(ReservationInfo, "GET", f"/reservations/{reservation_id}")

    def my_reservations(self, include_cancelled: bool = False) -> list[ReservationInfo]:
        """The acting user's reservations, newest first (read a page at a time)."""
        return paging.collect(
            lambda after: self.my_reservations_page(include_cancelled, limit=PAGE_SIZE, after=after)
        )

    def my_reservations_page(
        self, include_cancelled: bool = False, *, limit: int, after: str | None = None
    ) -> Page[ReservationInfo]:
        """At most `limit` of the acting user's reservations, newest first, after `after`."""
        params = {"include_cancelled": include_cancelled}
        return self._page(list[ReservationInfo], "/reservations/my", params, limit, after)

    def all_reservations(self, include_cancelled: bool = False) -> list[ReservationInfo]:
        """Admin: every reservation, newest first (read a page at a time)."""
        return paging.collect(
            lambda after: self.all_reservations_page(
                include_cancelled, limit=PAGE_SIZE, after=after
            )
        )

    def all_reservations_page(
        self, include_cancelled: bool = False, *, limit: int, after: str | None = None
    ) -> Page[ReservationInfo]:
        """Admin: at most `limit` of every reservation, newest first, after `after`."""
        params = {"include_cancelled": include_cancelled}
        return self._page(list[ReservationInfo], "/reservations", params, limit, after)

    def resource_reservations(
        self, resource_id: int, start: datetime, end: datetime
    ) -> list[ReservationInfo]:
        """Active reservations of a resource overlapping `[start, end)`, by start (read a
        page at a time)."""
        return paging.collect(
            lambda after: self.resource_reservations_page(
                resource_id, start, end, limit=PAGE_SIZE, after=after
            )
        )

    def resource_reservations_page(
        self,
        resource_id: int,
        start: datetime,
        end: datetime,
        *,
        limit: int,
        after: str | None = None,
    ) -> Page[ReservationInfo]:
        """At most `limit` active reservations of a resource overlapping `[start, end)`,
        by start, after the cursor `after`."""
        params = {"start": _instant(start), "end": _instant(end)}
        path = f"/resources/{resource_id}/reservations"
        return self._page(list[ReservationInfo], path, params, limit, after)

    def history(self, reservation_id: int) -> list[EventInfo]:
        """The reservation's events, newest first; owner or admin only."""
        return self._call(list[EventInfo], "GET", f"/reservations/{reservation_id}/history")

    def next_free_slot(
        self,
        duration: timedelta,
        after: datetime | None = None,
        resource_id: int | None = None,
        tag: str | None = None,
        excluding: int | None = None,
    ) -> FreeSlot:
        """The earliest window of `duration` after `after` on a resource or any with `tag`;
        the reservation `excluding` counts as free."""
        params: dict[str, Any] = {"duration_seconds": max(1, round(duration.total_seconds()))}
        if after is not None:
            params["after"] = _instant(after)
        if resource_id is not None:
            params["resource_id"] = resource_id
        if tag is not None:
            params["tag"] = tag
        if excluding is not None:
            params["excluding"] = excluding
        return self._call(FreeSlot, "GET", "/resources/next-free-slot", params=params)

    # -- approvals, waitlists, inbox -----------------------------------------------------
    def pending_requests(self) -> list[ReservationInfo]:
        """The requests awaiting approval that the acting user may decide, soonest first."""
        return self._call(list[ReservationInfo], "GET", "/approvals")

    def approve(self, reservation_id: int) -> ReservationInfo:
        """Approver or admin: make a pending request active."""
        path = f"/reservations/{reservation_id}/approve"
        return self._call(ReservationInfo, "POST", path)

    def reject(self, reservation_id: int, reason: str | None = None) -> ReservationInfo:
        """Approver or admin: refuse a pending request; its slot goes to the waitlist."""
        path = f"/reservations/{reservation_id}/reject"
        return self._call(ReservationInfo, "POST", path, json={"reason": reason})

    def join_waitlist(
        self,
        resource_id: int,
        start: datetime,
        end: datetime,
        flexible_minutes: int = 0,
        note: str = "",
    ) -> WaitlistInfo:
        """Wait in line for a taken window (or one as long starting up to
        `flexible_minutes` earlier or later); the answer holds the place in line."""
        body = {
            "resource_id": resource_id,
            "start_time": _instant(start),
            "end_time": _instant(end),
            "flexible_minutes": flexible_minutes,
            "note": note,
        }
        # Not resent when the answer is lost: a second place in line is refused, so the
        # caller would hear AlreadyExistsError for the place it holds.
        return self._call(WaitlistInfo, "POST", "/waitlist", json=body)

    def waitlist(
        self, everyone: bool = False, resource_id: int | None = None
    ) -> list[WaitlistInfo]:
        """The acting user's waitlist entries (admin with `everyone`: all), newest first."""
        params: dict[str, Any] = {"all": everyone}
        if resource_id is not None:
            params["resource_id"] = resource_id
        return self._call(list[WaitlistInfo], "GET", "/waitlist", params=params)

    def get_waitlist_entry(self, entry_id: int) -> WaitlistInfo:
        """One waitlist entry with its place in line; its owner or an admin only."""
        return self._call(WaitlistInfo, "GET", f"/waitlist/{entry_id}")

    def leave_waitlist(self, entry_id: int) -> WaitlistInfo:
        """Take a waiting entry out of line; its owner or an admin only."""
        return self._call(WaitlistInfo, "DELETE", f"/waitlist/{entry_id}")

    def accept_offer(self, reservation_id: int) -> ReservationInfo:
        """Take an offered slot before its time to answer passes: it becomes active."""
        path = f"/reservations/{reservation_id}/accept"
        return self._call(ReservationInfo, "POST", path)

    def decline_offer(self, reservation_id: int) -> ReservationInfo:
        """Turn an offer down: the slot goes to the next in line."""
        path = f"/reservations/{reservation_id}/decline"
        return self._call(ReservationInfo, "POST", path)

    def inbox(self, unread_only: bool = False) -> list[Notice]:
        """The acting user's notices, newest first."""
        return self._call(list[Notice], "GET", "/inbox", params={"unread": unread_only})

    def unread_count(self) -> int:
        """How many of the acting user's notices are unread."""
        return self._count("GET", "/inbox/unread", "unread")

    def mark_read(self, notice_ids: Sequence[int] | None = None) -> int:
        """Mark notices read (all when none are named); returns how many changed."""
        ids = None if notice_ids is None else list(notice_ids)
        return self._count("POST", "/inbox/read", "marked", json={"ids": ids})

    def _count(self, method: str, path: str, key: str, **options: Any) -> int:
        """The whole number under `key` of an answer's JSON object."""
        response = self._send(method, path, **options)
        try:
            value = response.json()[key]
        except (ValueError, TypeError, KeyError):
            value = None
        if isinstance(value, bool) or not isinstance(value, int):
            raise ServerUnreachableError(
                f"the server at {self.url} answered {path} with something that is not "
                "reserver's JSON"
            )
        return value

    # -- recurring series ----------------------------------------------------------------
    def book_series(
        self, request: SeriesRequest, *, skip_conflicts: bool = False, dry_run: bool = False
    ) -> SeriesOutcome:
        """Book a recurring series all or nothing (`skip_conflicts`: the rest), or preview
        it (`dry_run`); SeriesRefusedError names every bad date."""
        rule = request.rule
        body = {
            "resource_id": request.resource_id,
            # Naive stays naive: the wall time in the series' zone, placed by the server.
            "start": request.start.isoformat(),
            "timezone": request.timezone,
            "length_minutes": request.length_minutes,
            "repeat": rule.repeat,
            "every": rule.every,
            "on": rule.on,
            "count": rule.count,
            "until": None if rule.until is None else rule.until.isoformat(),
            "note": request.note,
            "skip_conflicts": skip_conflicts,
            "dry_run": dry_run,
        }
        # Not resent when the answer is lost: no key tells the server it is the same series.
        return self._call(SeriesOutcome, "POST", "/reservations/series", json=body)

    def list_series(self, everyone: bool = False) -> list[SeriesInfo]:
        """The acting user's series (admin with `everyone`: all), newest first."""
        return self._call(list[SeriesInfo], "GET", "/series", params={"all": everyone})

    def get_series(self, series_id: int) -> SeriesInfo:
        """One series with its occurrences; owner or admin only."""
        return self._call(SeriesInfo, "GET", f"/series/{series_id}")

    def cancel_series(
        self, series_id: int, from_time: datetime | None = None, reason: str | None = None
    ) -> SeriesInfo:
        """Cancel the series' upcoming occurrences (from `from_time` on, when given)."""
        body = {"from": None if from_time is None else _instant(from_time), "reason": reason}
        return self._call(SeriesInfo, "POST", f"/series/{series_id}/cancel", json=body)

    def retime_series(
        self,
        series_id: int,
        start: time,
        length_minutes: int | None = None,
        *,
        dry_run: bool = False,
    ) -> SeriesOutcome:
        """Move the series' future occurrences to a new local time (and length), all or
        nothing, or preview that (`dry_run`)."""
        body = {
            "start_time": start.strftime("%H:%M"),
            "length_minutes": length_minutes,
            "dry_run": dry_run,
        }
        return self._call(SeriesOutcome, "PATCH", f"/series/{series_id}", json=body)

    # -- booking policies ----------------------------------------------------------------
    def resource_policy(self, resource_id: int) -> EffectivePolicy:
        """A resource's effective policy with each field's scope, and the allowances the
        acting user holds on it (none when anonymous)."""
        found = self._call(EffectivePolicy, "GET", f"/resources/{resource_id}/policy")
        fields = [_effective_field(item) for item in found.fields]
        return EffectivePolicy(found.resource, found.timezone, fields, found.allowances)

    def list_policies(self) -> list[PolicyInfo]:
        """Every scope's own policy that sets anything: the default, tags, resources."""
        return self._call(list[PolicyInfo], "GET", "/policies")

    def get_policy(self, scope: PolicyScope) -> PolicyInfo:
        """One scope's own policy (every field unset when nothing is set there)."""
        return self._call(PolicyInfo, "GET", _scope_path(scope))

    def set_policy(self, scope: PolicyScope, changes: PolicyChanges) -> PolicyInfo:
        """Admin: set the given fields of a scope's policy, all checked before any is saved."""
        # Not resent when the answer is lost: the closures it adds would be added twice.
        return self._call(PolicyInfo, "PATCH", _scope_path(scope), json=to_json(changes))

    def clear_policy(self, scope: PolicyScope, fields: Sequence[str] = ()) -> PolicyInfo:
        """Admin: unset the named fields of a scope's policy, or all of them."""
        params = {"fields": list(fields)} if fields else None
        return self._call(PolicyInfo, "DELETE", _scope_path(scope), params=params)

    # -- import, export, upkeep ----------------------------------------------------------
    def import_csv(
        self,
        data: BinaryIO,
        skip_invalid: bool = False,
        progress: ProgressCallback | None = None,
        update_existing: bool = False,
    ) -> ImportReport:
        """Admin: upload a CSV file; the server validates all of it before writing."""
        files = {"file": ("resources.csv", data, "text/csv")}
        params = {"skip_invalid": skip_invalid, "update": update_existing}
        report = self._call(ImportReport, "POST", "/resources/upload", files=files, params=params)
        if progress:
            written = report.created_count + report.updated_count
            progress(written, written)
        return report

    def export_csv(self, out: TextIO, progress: ProgressCallback | None = None) -> int:
        """Write every resource in the import format; returns the row count."""
        text = self._send("GET", "/resources/export").text
        out.write(text)
        count = max(0, sum(1 for _ in csv.reader(io.StringIO(text))) - 1)
        if progress:
            progress(count, count)
        return count

    def expire(self) -> ExpiryReport:
        """Admin: expire finished reservations and end elapsed maintenance now."""
        return self._call(ExpiryReport, "POST", "/admin/cleanup-expired")

    def background_upkeep(self) -> ExpiryReport | None:
        """Nothing: the server runs expiry itself."""
        return None

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()
