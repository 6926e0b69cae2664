"""Maintenance windows over HTTP (issue 13): preview, then set with cancel or keep; admin only;
every bad input a 4xx with `detail`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from support.clock import NOW
from support.servers import LiveServer


@pytest.fixture
def admin(server: LiveServer) -> Iterator[httpx.Client]:
    with server.client(server.user("alice")) as client:
        yield client


@pytest.fixture
def member(server: LiveServer, admin: httpx.Client) -> Iterator[httpx.Client]:
    with server.client(server.user("bob")) as client:
        yield client


def at(hours: float) -> str:
    return (NOW + timedelta(hours=hours)).isoformat()


def book(member: httpx.Client, room: int, start: float, end: float) -> int:
    made = member.post(
        "/reservations", json={"resource_id": room, "start_time": at(start), "end_time": at(end)}
    )
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


@pytest.fixture
def room(admin: httpx.Client) -> int:
    return int(admin.post("/resources", json={"name": "Room A"}).json()["id"])


def test_preview_then_cancel_the_overlapped_bookings(
    admin: httpx.Client, member: httpx.Client, room: int
) -> None:
    inside = book(member, room, 2, 3)
    outside = book(member, room, 6, 7)
    query = {"from": at(1), "minutes": 240, "reason": "new floor"}
    seen = admin.get(f"/resources/{room}/maintenance/preview", params=query)
    assert seen.status_code == 200, seen.text
    body = seen.json()
    assert [r["id"] for r in body["overlapped"]] == [inside]
    assert (body["start_time"], body["end_time"], body["reason"]) == (at(1), at(5), "new floor")
    assert admin.get(f"/resources/{room}").json()["unavailable_since"] is None

    late = book(member, room, 4, 5)  # after the preview: the confirm decides it too
    done = admin.post(
        f"/resources/{room}/maintenance",
        json={"from": at(1), "minutes": 240, "reason": "new floor", "overlapped": "cancel"},
    )
    assert done.status_code == 200, done.text
    assert [r["id"] for r in done.json()["cancelled"]] == [inside, late]
    assert done.json()["kept"] == []
    resource = done.json()["resource"]
    assert (resource["status"], resource["maintenance_reason"]) == ("available", "new floor")
    history = member.get(f"/reservations/{inside}/history").json()
    assert history[0]["action"] == "cancelled"
    assert history[0]["details"].endswith("UTC: new floor")
    assert member.get(f"/reservations/{outside}").json()["status"] == "active"

    refused = member.post(
        "/reservations", json={"resource_id": room, "start_time": at(2), "end_time": at(3)}
    )
    assert refused.status_code == 400
    assert {k: refused.json()[k] for k in ("code", "since", "until", "reason")} == {
        "code": "unavailable",
        "since": at(1),
        "until": at(5),
        "reason": "new floor",
    }
    assert "(new floor)" in refused.json()["detail"]


def test_keep_and_from_now(admin: httpx.Client, member: httpx.Client, room: int) -> None:
    held = book(member, room, 1, 2)
    done = admin.post(
        f"/resources/{room}/maintenance", json={"minutes": 180, "overlapped": "keep"}
    ).json()
    assert [r["id"] for r in done["kept"]] == [held]
    assert (done["start_time"], done["resource"]["status"]) == (at(0), "maintenance")
    assert member.get(f"/reservations/{held}").json()["status"] == "active"
    back = admin.put(f"/resources/{room}/status/available")
    assert back.json()["status"] == "available"


def test_members_are_refused(member: httpx.Client, room: int) -> None:
    preview = member.get(f"/resources/{room}/maintenance/preview", params={"minutes": 60})
    assert preview.status_code == 403
    assert "admin" in preview.json()["detail"]
    setting = member.post(
        f"/resources/{room}/maintenance", json={"minutes": 60, "overlapped": "cancel"}
    )
    assert setting.status_code == 403
    assert isinstance(setting.json()["detail"], str)


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"minutes": 5, "overlapped": "keep"}, 422, "length"),
        ({"minutes": 169 * 60, "overlapped": "keep"}, 422, "length"),
        ({"minutes": 1e300, "overlapped": "keep"}, 422, "minutes"),
        ({"minutes": -1, "overlapped": "keep"}, 422, "minutes"),
        ({"minutes": "lots", "overlapped": "keep"}, 422, "minutes"),
        ({"overlapped": "keep"}, 422, "minutes"),
        ({"minutes": 60}, 422, "overlapped"),
        ({"minutes": 60, "overlapped": "maybe"}, 422, "overlapped"),
        ({"minutes": 60, "overlapped": "keep", "reason": "r" * 501}, 422, "reason"),
        ({"minutes": 60, "overlapped": "keep", "reason": "a\u202eb"}, 422, "reason"),
        ({"minutes": 60, "overlapped": "keep", "reason": "a\x00b"}, 422, "reason"),
        ({"minutes": 60, "overlapped": "keep", "from": "soon"}, 422, "from"),
        ({"minutes": 60, "overlapped": "keep", "from": "2099-01-01T00:00:00Z"}, 422, "from"),
    ],
)
def test_bad_bodies_get_a_4xx_with_detail(
    admin: httpx.Client, room: int, body: dict[str, object], status: int, field: str
) -> None:
    answer = admin.post(f"/resources/{room}/maintenance", json=body)
    assert answer.status_code == status, answer.text
    assert isinstance(answer.json()["detail"], str)
    assert answer.json().get("field") == field
    assert admin.get(f"/resources/{room}").json()["unavailable_since"] is None


def test_bad_previews_and_unknown_resources(admin: httpx.Client, room: int) -> None:
    for params in ({}, {"minutes": "x"}, {"minutes": 10}, {"minutes": 60, "from": "later"}):
        answer = admin.get(f"/resources/{room}/maintenance/preview", params=params)
        assert answer.status_code == 422, params
        assert isinstance(answer.json()["detail"], str)
    missing = admin.get("/resources/4242/maintenance/preview", params={"minutes": 60})
    assert missing.status_code == 404
    gone = admin.post("/resources/4242/maintenance", json={"minutes": 60, "overlapped": "keep"})
    assert gone.status_code == 404
    assert admin.post(f"/resources/{room}/maintenance", content=b"{").status_code == 422
