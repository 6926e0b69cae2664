"""Listings over real HTTP: pages with `limit` and `after`, whole lists streamed, refusals."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from support.clock import NOW
from support.servers import LiveServer

HOUR = timedelta(hours=1)
START = (NOW + timedelta(days=1)).replace(hour=10)


@pytest.fixture
def admin(server: LiveServer) -> Iterator[httpx.Client]:
    with server.client(server.user("alice")) as client:
        yield client


@pytest.fixture
def anonymous(server: LiveServer) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


def import_rooms(admin: httpx.Client, count: int) -> list[str]:
    """Upload `count` rooms, every third disabled; their names in name order."""
    names = [f"Room {n:05d}" for n in range(count)]
    rows = "".join(f"{name},room,{'no' if n % 3 == 0 else 'yes'}\n" for n, name in enumerate(names))
    csv = ("name,tags,available\n" + rows).encode()
    uploaded = admin.post("/resources/upload", files={"file": ("rooms.csv", csv, "text/csv")})
    assert uploaded.json()["created_count"] == count, uploaded.text
    return names


def every_page(client: httpx.Client, path: str, limit: int, **params: Any) -> list[list[Any]]:
    """The pages of a listing, following each `X-Next-Cursor`."""
    pages = []
    after = None
    while True:
        query = {**params, "limit": limit} | ({"after": after} if after else {})
        response = client.get(path, params=query)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        after = response.headers.get("X-Next-Cursor")
        if after is None:
            return pages


def streamed(client: httpx.Client, path: str, **params: Any) -> list[Any]:
    """A whole listing, read as it streams; asserts it came in chunks of unknown length."""
    with client.stream("GET", path, params=params) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert "content-length" not in response.headers
        assert response.headers["transfer-encoding"] == "chunked"
        body = b"".join(response.iter_bytes())
    return list(json.loads(body))


def test_a_page_names_the_next_in_its_headers(admin: httpx.Client, anonymous: httpx.Client) -> None:
    names = import_rooms(admin, 25)
    first = anonymous.get("/resources", params={"limit": 10})
    assert [r["name"] for r in first.json()] == names[:10]
    cursor = first.headers["X-Next-Cursor"]
    assert (
        first.headers["Link"] == f'<{first.url.copy_merge_params({"after": cursor})}>; rel="next"'
    )
    second = anonymous.get(first.links["next"]["url"])
    third = anonymous.get(
        "/resources", params={"limit": 10, "after": second.headers["x-next-cursor"]}
    )
    assert [r["name"] for r in second.json() + third.json()] == names[10:]
    assert "X-Next-Cursor" not in third.headers and "Link" not in third.headers
    assert [len(page) for page in every_page(anonymous, "/resources", 10)] == [10, 10, 5]


def test_without_limit_a_whole_list_streams_and_equals_its_pages(
    server: LiveServer, admin: httpx.Client, anonymous: httpx.Client
) -> None:
    assert streamed(anonymous, "/resources") == []
    # Past two of the server's internal pages of 1,000.
    names = import_rooms(admin, 2345)
    whole = streamed(anonymous, "/resources")
    assert [r["name"] for r in whole] == names
    assert whole == [r for page in every_page(anonymous, "/resources", 1000) for r in page]
    found = streamed(anonymous, "/resources/search", status="available", q="room")
    assert len(found) == 2345 - 782
    paged = every_page(anonymous, "/resources/search", 700, status="available", q="room")
    assert found == [r for page in paged for r in page]
    cursor = anonymous.get("/resources", params={"limit": 1000}).headers["X-Next-Cursor"]
    assert streamed(anonymous, "/resources", after=cursor) == whole[1000:]
    with server.seed_client() as seed:
        seed_list = streamed(seed, "/resources")
        seed_search = streamed(seed, "/resources/search", status="all")
    assert [r["name"] for r in seed_list] == names
    assert seed_list[:2] == [
        {
            "id": whole[0]["id"],
            "name": "Room 00000",
            "available": False,
            "current_availability": False,
            "status": "available",
            "tags": ["room"],
        },
        {
            "id": whole[1]["id"],
            "name": "Room 00001",
            "available": True,
            "current_availability": True,
            "status": "available",
            "tags": ["room"],
        },
    ]
    assert seed_search == seed_list


def test_reservation_listings_page_by_start(server: LiveServer, admin: httpx.Client) -> None:
    room = admin.post("/resources", json={"name": "Room A"}).json()["id"]
    ids = []
    for n in range(5):
        start, end = START + n * HOUR, START + (n + 1) * HOUR
        body = {"resource_id": room, "start_time": start.isoformat(), "end_time": end.isoformat()}
        ids.append(admin.post("/reservations", json=body).json()["id"])
    mine = every_page(admin, "/reservations/my", 2)
    assert [[r["id"] for r in page] for page in mine] == [ids[:2:-1], ids[2:0:-1], ids[:1]]
    assert streamed(admin, "/reservations/my") == [r for page in mine for r in page]
    assert streamed(admin, "/reservations") == [r for page in mine for r in page]
    window = {"start": START.isoformat(), "end": (START + 3 * HOUR).isoformat()}
    held = every_page(admin, f"/resources/{room}/reservations", 2, **window)
    assert [[r["id"] for r in page] for page in held] == [ids[:2], ids[2:3]]
    assert streamed(admin, f"/resources/{room}/reservations", **window) == held[0] + held[1]
    unknown = admin.get("/resources/999/reservations", params=window)
    assert unknown.status_code == 404


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": 10, "after": "junk"}, "after"),
        ({"after": "junk"}, "after"),
        ({"limit": 10, "after": ""}, "after"),
    ],
)
def test_bad_limits_and_cursors_are_refused_with_422(
    admin: httpx.Client, params: dict[str, Any], field: str
) -> None:
    room = admin.post("/resources", json={"name": "Room A"}).json()["id"]
    window = {"start": START.isoformat(), "end": (START + HOUR).isoformat()}
    for path, extra in (
        ("/resources", {}),
        ("/resources/search", {"status": "all"}),
        ("/reservations", {}),
        ("/reservations/my", {}),
        (f"/resources/{room}/reservations", window),
    ):
        refused = admin.get(path, params={**extra, **params})
        assert refused.status_code == 422, (path, refused.text)
        assert (refused.json()["code"], refused.json()["field"]) == ("invalid", field)


def test_the_api_documents_pages_and_their_headers(server: LiveServer) -> None:
    with server.seed_client() as client:
        spec = client.get("/openapi.json").json()
    for path in (
        "/api/v1/resources",
        "/api/v1/resources/search",
        "/api/v1/reservations",
        "/api/v1/reservations/my",
        "/api/v1/resources/{resource_id}/reservations",
    ):
        operation = spec["paths"][path]["get"]
        assert {"limit", "after"} <= {p["name"] for p in operation["parameters"]}
        assert {"X-Next-Cursor", "Link"} == set(operation["responses"]["200"]["headers"])
