"""Listings over HTTP: one page with `limit` and `after`, or everything, streamed.

With `limit` the answer is a JSON array of at most that many items; when more
follow, the `X-Next-Cursor` header holds the cursor to send as `after` for the
next page and `Link` the next page's URL (`rel="next"`). The body stays an
array either way, so clients that know nothing of pages keep working. Without
`limit` the whole list is streamed as one JSON array, read from the store a page
at a time (each page its own short read), so the server's memory stays flat
however large the store.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, TypeVar

import orjson
from fastapi import Query, Request
from starlette.responses import Response, StreamingResponse

from reserver_core.http_contract import NEXT_CURSOR_HEADER
from reserver_core.paging import MAX_LIMIT
from reserver_core.schemas import Page
from server.deps import Text, in_thread
from server.responses import json_response

T = TypeVar("T")

STREAM_PAGE = MAX_LIMIT
"""Items read from the store per page while a whole list is streamed."""

Fetch = Callable[[int, str | None], Page[T]]
"""Reads the page of at most `limit` items after a cursor: `fetch(limit, after)`."""

Shape = Callable[[list[T]], list[Any]]
"""Turns a page's items into what the answer carries (the seed's shapes)."""

Limit = Annotated[
    int | None,
    Query(
        description=f"Answer one page of at most this many items (1-{MAX_LIMIT}); the "
        f"`{NEXT_CURSOR_HEADER}` header then holds the cursor of the next page, if any. "
        "Without it, the whole list is streamed."
    ),
]
After = Annotated[
    Text | None,
    Query(description=f"Start after this cursor: the `{NEXT_CURSOR_HEADER}` of the page before."),
]

PAGED: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A JSON array: one page with `limit`, else the whole list, streamed.",
        "headers": {
            NEXT_CURSOR_HEADER: {
                "description": "With `limit`, when more items follow: the `after` of the "
                "next page.",
                "schema": {"type": "string"},
            },
            "Link": {
                "description": 'With `limit`, when more items follow: `<url>; rel="next"`.',
                "schema": {"type": "string"},
            },
        },
    }
}
"""The documentation of a listing's answer, for `responses=` of its route."""


def listing(
    request: Request,
    fetch: Fetch[T],
    limit: int | None,
    after: str | None,
    shape: Shape[T] | None = None,
) -> Response:
    """The page `limit` and `after` ask for, with its next cursor in the headers; without
    `limit`, every item after `after`, streamed.

    The first page is read before answering, so that a refusal (a bad cursor, an
    unknown resource) still gets its status code.
    """
    if limit is None:
        return stream(fetch, after, shape)
    page = fetch(limit, after)
    headers = {}
    if page.next is not None:
        next_url = request.url.include_query_params(after=page.next)
        headers = {NEXT_CURSOR_HEADER: page.next, "Link": f'<{next_url}>; rel="next"'}
    return json_response(shape(page.items) if shape else page.items, headers=headers)


def stream(fetch: Fetch[T], after: str | None = None, shape: Shape[T] | None = None) -> Response:
    """Every item after `after` as one JSON array, read and written a page at a time."""
    return StreamingResponse(
        _chunks(fetch(STREAM_PAGE, after), fetch, shape), media_type="application/json"
    )


async def _chunks(first: Page[T], fetch: Fetch[T], shape: Shape[T] | None) -> AsyncIterator[bytes]:
    page, opening = first, b"["
    while True:
        if page.items:
            # orjson writes the page as an array; its items join the one being streamed.
            yield opening + orjson.dumps(shape(page.items) if shape else page.items)[1:-1]
            opening = b","
        if page.next is None:
            break
        page = await in_thread(fetch, STREAM_PAGE, page.next)
    yield b"]" if opening == b"," else b"[]"
