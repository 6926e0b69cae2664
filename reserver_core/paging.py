"""Keyset paging: how many items a page holds and the cursors that say where the next starts.

A cursor is the sort key of the last item of a page (a resource's folded name and
id, a reservation's start and id), opaque to clients: urlsafe base64 of JSON. The
next page starts after that key rather than after a count of rows, so items added
or removed between two pages never make a later page repeat or skip one.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, TypeVar

from reserver_core.clock import as_utc
from reserver_core.errors import ValidationError
from reserver_core.schemas import Page
from reserver_core.text import check_storable

T = TypeVar("T")

MAX_LIMIT = 1000
"""The most items one page may hold."""

_MAX_CURSOR_LENGTH = 2048
"""Longer than any cursor reserver makes (a 200-character name, escaped and encoded)."""

_RESOURCES = "resources"
_RESERVATIONS = "reservations"

ResourceKey = tuple[str, int]
"""Where a listing of resources by name stands: the folded name and the id."""

ReservationKey = tuple[datetime, int]
"""Where a listing of reservations by start stands: the start and the id."""


def check_limit(limit: int) -> int:
    """A page holds 1 to `MAX_LIMIT` items."""
    if isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit must be between 1 and {MAX_LIMIT} (got {limit})", "limit")
    return limit


def resource_cursor(name_key: str, resource_id: int) -> str:
    """The cursor after a resource in a listing by name."""
    return _encode([_RESOURCES, name_key, resource_id])


def reservation_cursor(start: datetime, reservation_id: int) -> str:
    """The cursor after a reservation in a listing by start."""
    return _encode([_RESERVATIONS, as_utc(start).isoformat(), reservation_id])


def read_resource_cursor(cursor: str | None) -> ResourceKey | None:
    """The key a resource cursor holds; ValidationError for anything reserver did not make."""
    if cursor is None:
        return None
    name_key, resource_id = _decode(cursor, _RESOURCES)
    if not isinstance(name_key, str):
        raise _malformed()
    try:
        check_storable(name_key, "after")
    except ValidationError as exc:
        raise _malformed() from exc
    return name_key, _id(resource_id)


def read_reservation_cursor(cursor: str | None) -> ReservationKey | None:
    """The key a reservation cursor holds; ValidationError for anything reserver did not make."""
    if cursor is None:
        return None
    start, reservation_id = _decode(cursor, _RESERVATIONS)
    # Cursors hold UTC: another offset could even move a time out of the years there are.
    if not isinstance(start, str) or not start.endswith("+00:00"):
        raise _malformed()
    try:
        moment = datetime.fromisoformat(start)
    except ValueError as exc:
        raise _malformed() from exc
    return moment, _id(reservation_id)


def iter_pages(fetch: Callable[[str | None], Page[T]]) -> Iterator[Page[T]]:
    """Every page of a listing, `fetch(after)` giving the page after a cursor."""
    page = fetch(None)
    yield page
    while page.next is not None:
        page = fetch(page.next)
        yield page


def collect(fetch: Callable[[str | None], Page[T]]) -> list[T]:
    """Every item of a listing, read page after page."""
    return [item for page in iter_pages(fetch) for item in page.items]


def _encode(key: list[Any]) -> str:
    data = json.dumps(key, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode(cursor: str, kind: str) -> list[Any]:
    if len(cursor) > _MAX_CURSOR_LENGTH:
        raise _malformed()
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError as exc:  # bad base64 (binascii.Error), bad UTF-8 or bad JSON
        raise _malformed() from exc
    if not isinstance(data, list) or len(data) != 3 or data[0] != kind:
        raise _malformed()
    return data[1:]


def _id(value: Any) -> int:
    # Imported here: only the store's side reads cursors, and a remote client that
    # imported the models would load SQLAlchemy for nothing.
    from reserver_core.models import MAX_ID

    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ID:
        raise _malformed()
    return value


def _malformed() -> ValidationError:
    return ValidationError(
        "after is not a cursor of this listing: pass the `next` cursor of the page before",
        "after",
    )
