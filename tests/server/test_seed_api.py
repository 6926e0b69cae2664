"""The seed's API on the unprefixed paths: the requests its CLI makes, the keys it reads.

Each test replays what the seed's client (Resource-Reserver's `cli/client.py`)
sends, in the same form (JSON, OAuth2 form, multipart, query parameters), and
checks the answer has the keys, words and status codes its CLI reads. Times must
parse as the seed's CLI parses them: `datetime.fromisoformat(text.replace("Z", ""))`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pytest
from support.clock import NOW
from support.servers import LiveServer

HOUR = timedelta(hours=1)
TOMORROW_10 = (NOW + timedelta(days=1)).replace(hour=10)

RESOURCE_KEYS = {"id", "name", "available", "current_availability", "status", "tags"}
RESERVATION_KEYS = {
    "id",
    "user_id",
    "resource_id",
    "resource",
    "start_time",
    "end_time",
    "status",
    "created_at",
    "cancelled_at",
    "cancellation_reason",
}


def seed_time(text: str) -> datetime:
    """A time as the seed's CLI reads it."""
    return datetime.fromisoformat(text.replace("Z", ""))


def login(server: LiveServer, username: str) -> httpx.Client:
    """Register and log in as the seed's CLI does, then a client sending the token."""
    with server.seed_client() as anonymous:
        password = "correct-horse-battery"
        registered = anonymous.post("/register", json={"username": username, "password": password})
        assert registered.status_code == 201, registered.text
        assert set(registered.json()) == {"id", "username"}
        token = anonymous.post("/token", data={"username": username, "password": password})
    assert token.json()["token_type"] == "bearer"
    return server.seed_client(token.json()["access_token"])


@pytest.fixture
def admin(server: LiveServer) -> Iterator[httpx.Client]:
    with login(server, "alice") as client:
        yield client


@pytest.fixture
def member(server: LiveServer, admin: httpx.Client) -> Iterator[httpx.Client]:
    with login(server, "bob") as client:
        yield client


def create(admin: httpx.Client, name: str, tags: list[str] | None = None) -> dict[str, object]:
    answer = admin.post("/resources", json={"name": name, "tags": tags or [], "available": True})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def book(
    client: httpx.Client, resource_id: object, start: datetime, hours: int = 1
) -> httpx.Response:
    body = {
        "resource_id": resource_id,
        "start_time": start.isoformat(),
        "end_time": (start + hours * HOUR).isoformat(),
    }
    return client.post("/reservations", json=body)


def test_accounts_answer_as_the_seed_did(server: LiveServer, admin: httpx.Client) -> None:
    with server.seed_client() as anonymous:
        again = anonymous.post("/register", json={"username": "alice", "password": "another-pw-12"})
        assert again.status_code == 400
        assert "already" in again.json()["detail"].lower()
        wrong = anonymous.post("/token", data={"username": "alice", "password": "wrong-one"})
        assert wrong.status_code == 401
        # The seed's CLI says a name is taken when the answer says "already".
        weak = anonymous.post("/register", json={"username": "carol", "password": "short"})
        assert weak.status_code == 422 and weak.json()["detail"]


def test_resources_have_the_seed_keys_and_status_words(
    server: LiveServer, admin: httpx.Client, member: httpx.Client
) -> None:
    room = create(admin, "Room A", ["meeting", "big"])
    assert room == {
        "id": room["id"],
        "name": "Room A",
        "available": True,
        "current_availability": True,
        "status": "available",
        "tags": ["meeting", "big"],
    }
    taken = admin.post("/resources", json={"name": "room a", "tags": [], "available": True})
    assert taken.status_code == 400 and "already" in taken.json()["detail"]
    # Creating resources stays an admin's work: refused in the seed's error shape.
    refused = member.post("/resources", json={"name": "Mine", "tags": [], "available": True})
    assert refused.status_code == 403 and "access denied" in refused.json()["detail"]
    lab, van = create(admin, "Lab"), create(admin, "Van")
    admin.put(f"/resources/{lab['id']}/status/unavailable", params={"auto_reset_hours": 4})
    admin.put(f"/resources/{van['id']}/availability", json={"available": False})
    assert book(member, room["id"], NOW + HOUR).status_code == 201
    server.set_now(NOW + HOUR + timedelta(minutes=5))
    listed = {r["name"]: r for r in httpx.get(f"{server.url}/resources").json()}
    assert all(set(r) == RESOURCE_KEYS for r in listed.values())
    shown = {
        name: (r["available"], r["status"], r["current_availability"]) for name, r in listed.items()
    }
    assert shown == {
        "Room A": (True, "in_use", False),
        "Lab": (True, "unavailable", False),
        # The seed kept a disabled resource's own status beside `available: false`.
        "Van": (False, "available", False),
    }


def test_status_of_one_resource_is_flat(
    server: LiveServer, admin: httpx.Client, member: httpx.Client
) -> None:
    room, lab = create(admin, "Room A"), create(admin, "Lab")
    booked = book(member, room["id"], NOW + HOUR).json()
    admin.put(f"/resources/{lab['id']}/status/unavailable", params={"auto_reset_hours": 4})
    server.set_now(NOW + HOUR + timedelta(minutes=30))
    busy = httpx.get(f"{server.url}/resources/{room['id']}/status").json()
    assert {k: busy[k] for k in busy if k != "current_time"} == {
        "resource_id": room["id"],
        "resource_name": "Room A",
        "base_available": True,
        "status": "in_use",
        "is_available_for_reservation": True,
        "is_currently_in_use": True,
        "is_unavailable": False,
        "current_reservation": {
            "id": booked["id"],
            "start_time": booked["start_time"],
            "end_time": booked["end_time"],
            "user_id": None,  # asked anonymously: that it is taken, not by whom
        },
    }
    assert seed_time(busy["current_time"]) == NOW + HOUR + timedelta(minutes=30)
    seen = member.get(f"/resources/{room['id']}/status").json()
    assert seen["current_reservation"]["user_id"] == booked["user_id"]
    down = httpx.get(f"{server.url}/resources/{lab['id']}/status").json()
    assert (down["status"], down["is_unavailable"], down["is_available_for_reservation"]) == (
        "unavailable",
        True,
        False,
    )
    assert seed_time(down["unavailable_since"]) == NOW
    assert (down["auto_reset_hours"], down["hours_unavailable"]) == (4, 1.5)
    assert (down["hours_until_auto_reset"], down["will_auto_reset"]) == (2.5, True)
    assert "current_reservation" not in down
    missing = httpx.get(f"{server.url}/resources/999/status")
    assert missing.status_code == 404 and "not found" in missing.json()["detail"]


def test_admin_switches_wrap_the_resource(admin: httpx.Client, member: httpx.Client) -> None:
    room = create(admin, "Room A")
    off = admin.put(f"/resources/{room['id']}/availability", json={"available": False}).json()
    assert off["message"] == "Resource availability updated to unavailable"
    assert (off["resource"]["name"], off["resource"]["available"]) == ("Room A", False)
    on = admin.put(f"/resources/{room['id']}/availability", json={"available": True}).json()
    assert on["message"] == "Resource availability updated to available"
    down = admin.put(f"/resources/{room['id']}/status/unavailable", params={"auto_reset_hours": 6})
    assert down.json()["message"] == (
        "Resource set to unavailable for maintenance (auto-reset in 6 hours)"
    )
    assert (down.json()["resource"]["name"], down.json()["resource"]["status"]) == (
        "Room A",
        "unavailable",
    )
    assert down.json()["resource"]["auto_reset_hours"] == 6
    back = admin.put(f"/resources/{room['id']}/status/available").json()
    assert back["message"] == "Resource reset to available"
    assert (back["resource"]["name"], back["resource"]["status"]) == ("Room A", "available")
    for path in ("/resources/999/availability", "/resources/999/status/available"):
        body = {"available": True} if path.endswith("availability") else None
        missing = admin.put(path, json=body)
        assert missing.status_code == 404 and "not found" in missing.json()["detail"].lower()
    refused = member.put(f"/resources/{room['id']}/status/available")
    assert refused.status_code == 403 and "access denied" in refused.json()["detail"]


def test_availability_has_the_seed_schedule(server: LiveServer, admin: httpx.Client) -> None:
    room = create(admin, "Room A")
    held = book(admin, room["id"], TOMORROW_10, hours=2).json()
    answer = httpx.get(
        f"{server.url}/resources/{room['id']}/availability", params={"days_ahead": 3}
    )
    grid = answer.json()
    assert (grid["resource_id"], grid["resource_name"], grid["base_available"]) == (
        room["id"],
        "Room A",
        True,
    )
    assert grid["is_currently_available"] is True
    assert seed_time(grid["current_time"]) == NOW
    days = grid["schedule"]
    assert [day["date"] for day in days] == ["2026-12-01", "2026-12-02", "2026-12-03"]
    assert [slot["time"] for slot in days[1]["time_slots"]] == [f"{h:02d}:00" for h in range(9, 17)]
    tomorrow = {slot["time"]: slot["available"] for slot in days[1]["time_slots"]}
    assert [t for t, free in tomorrow.items() if not free] == ["10:00", "11:00"]
    assert grid["reservations"] == [
        {
            "id": held["id"],
            "start_time": held["start_time"],
            "end_time": held["end_time"],
            "user_id": None,  # asked anonymously
            "status": "active",
        }
    ]
    # Scripts written against the seed's server read the same under `data`.
    assert grid["success"] is True
    assert grid["data"] == {k: v for k, v in grid.items() if k not in ("success", "data")}
    missing = httpx.get(f"{server.url}/resources/999/availability")
    assert missing.status_code == 404 and "not found" in missing.json()["detail"]


def test_search_speaks_the_seed_parameters(
    server: LiveServer, admin: httpx.Client, member: httpx.Client
) -> None:
    room, lab = create(admin, "Room A", ["meeting"]), create(admin, "Lab")
    create(admin, "Van")
    admin.put(f"/resources/{lab['id']}/status/unavailable", params={"auto_reset_hours": 2})
    url = f"{server.url}/resources/search"

    def names(**params: str) -> list[str]:
        answer = httpx.get(url, params=params)
        assert answer.status_code == 200, answer.text
        assert all(set(r) == RESOURCE_KEYS for r in answer.json())
        return [r["name"] for r in answer.json()]

    assert names() == ["Room A", "Van"]
    assert names(available_only="false") == ["Lab", "Room A", "Van"]
    assert names(available_only="true", q="meet") == ["Room A"]
    assert names(status="unavailable") == ["Lab"]
    # Busy now, free in the window: found, with the window's availability.
    assert book(member, room["id"], NOW + timedelta(minutes=30), hours=2).status_code == 201
    server.set_now(NOW + HOUR)
    window = {
        "available_from": (NOW + 4 * HOUR).isoformat(),
        "available_until": (NOW + 5 * HOUR).isoformat(),
    }
    assert names(**window) == ["Lab", "Room A", "Van"]
    found = httpx.get(url, params=window).json()
    assert all(r["current_availability"] for r in found)
    with server.client() as v1:
        also = v1.get("/resources/search", params=window).json()
        assert [(r["name"], r["status"]) for r in also] == [
            ("Lab", "maintenance"),
            ("Room A", "in_use"),
            ("Van", "available"),
        ]
    assert names(
        available_from=(NOW + 2 * HOUR).isoformat(), available_until=window["available_from"]
    ) == [
        "Lab",
        "Van",
    ]
    bad = httpx.get(url, params={"status": "sleeping"})
    assert bad.status_code == 422 and "sleeping" in bad.json()["detail"]


def test_upload_answers_with_sentences(admin: httpx.Client, member: httpx.Client) -> None:
    good = b'name,tags,available\nRoom A,"meeting,big",true\nLab,,false\n'
    answer = admin.post("/resources/upload", files={"file": ("resources.csv", good, "text/csv")})
    assert answer.json() == {"created_count": 2, "errors": []}
    mixed = b"name,tags\nRoom B,\n,nameless\nRoom C,\n"
    # All or nothing by default: refused with a sentence, nothing created.
    refused = admin.post("/resources/upload", files={"file": ("more.csv", mixed, "text/csv")})
    assert refused.status_code == 422 and isinstance(refused.json()["detail"], str)
    assert len(admin.get("/resources").json()) == 2
    skipped = admin.post(
        "/resources/upload",
        params={"skip_invalid": "true"},
        files={"file": ("more.csv", mixed, "text/csv")},
    ).json()
    assert skipped["created_count"] == 2
    assert len(skipped["errors"]) == 1 and skipped["errors"][0].startswith("Row 3: ")
    other = member.post("/resources/upload", files={"file": ("x.csv", good, "text/csv")})
    assert other.status_code == 403


def test_reservations_as_the_seed_cli_reads_them(
    server: LiveServer, admin: httpx.Client, member: httpx.Client
) -> None:
    room = create(admin, "Room A")
    first = book(member, room["id"], TOMORROW_10)
    assert first.status_code == 201
    made = first.json()
    assert set(made) == RESERVATION_KEYS and set(made["resource"]) == RESOURCE_KEYS
    assert seed_time(made["start_time"]) == TOMORROW_10
    clash = book(admin, room["id"], TOMORROW_10 + HOUR / 2)
    assert clash.status_code == 409 and "conflicts" in clash.json()["detail"].lower()
    nowhere = book(member, 999, TOMORROW_10)
    assert "not found" in nowhere.json()["detail"].lower()
    later = book(member, room["id"], TOMORROW_10 + 3 * HOUR).json()
    legacy = member.post(
        "/reserve",
        json={
            "resource_id": room["id"],
            "start_time": (TOMORROW_10 + 5 * HOUR).isoformat(),
            "end_time": (TOMORROW_10 + 6 * HOUR).isoformat(),
        },
    )
    assert legacy.status_code == 200 and set(legacy.json()) == RESERVATION_KEYS
    cancelled = member.post(f"/reservations/{made['id']}/cancel", json={"reason": "not needed"})
    assert cancelled.json()["message"] == "Reservation cancelled successfully"
    assert cancelled.json()["reservation_id"] == made["id"]
    assert seed_time(cancelled.json()["cancelled_at"]) == NOW
    again = member.post(f"/reservations/{made['id']}/cancel", json={})
    assert again.status_code == 400 and "already cancelled" in again.json()["detail"]
    # Active ones only unless asked, the latest start first, as the seed listed them.
    mine = member.get("/reservations/my", params={"include_cancelled": False}).json()
    assert [r["id"] for r in mine] == [legacy.json()["id"], later["id"]]
    everything = member.get("/reservations/my", params={"include_cancelled": True}).json()
    assert [r["id"] for r in everything] == [legacy.json()["id"], later["id"], made["id"]]
    assert everything[-1]["cancellation_reason"] == "not needed"
    assert member.get("/my_reservations").json() == mine
    history = member.get(f"/reservations/{made['id']}/history").json()
    assert [entry["action"] for entry in history] == ["cancelled", "created"]
    assert all(
        set(entry) == {"id", "reservation_id", "action", "user_id", "timestamp", "details"}
        for entry in history
    )
    assert {entry["user_id"] for entry in history} == {made["user_id"]}
    with login(server, "carol") as carol:
        denied = carol.get(f"/reservations/{made['id']}/history")
        assert denied.status_code == 403 and "access denied" in denied.json()["detail"].lower()
        unknown = carol.get("/reservations/999/history")
        assert unknown.status_code == 404 and "not found" in unknown.json()["detail"].lower()


def test_health_summary_and_cleanup(
    server: LiveServer, admin: httpx.Client, member: httpx.Client
) -> None:
    room = create(admin, "Room A")
    book(member, room["id"], NOW + HOUR)
    health = httpx.get(f"{server.url}/health").json()
    assert {k: health[k] for k in ("status", "database", "api", "resources_count")} == {
        "status": "healthy",
        "database": "healthy",
        "api": "healthy",
        "resources_count": 1,
    }
    assert health["background_tasks"] == {"cleanup_task": "running"}
    assert seed_time(health["timestamp"]) == NOW
    summary = httpx.get(f"{server.url}/resources/availability/summary").json()
    assert {k: summary[k] for k in summary if k != "timestamp"} == {
        "total_resources": 1,
        "available_now": 1,
        "unavailable_now": 0,
        "currently_in_use": 0,
    }
    server.set_now(NOW + 3 * HOUR)
    cleaned = admin.post("/admin/cleanup-expired").json()
    assert cleaned["message"] == "Successfully cleaned up 1 expired reservations"
    assert cleaned["expired_count"] == 1 and seed_time(cleaned["timestamp"]) == NOW + 3 * HOUR
    refused = member.post("/admin/cleanup-expired")
    assert refused.status_code == 403 and "access denied" in refused.json()["detail"]


def test_a_maintenance_window_ahead_keeps_the_seed_status_available_until_it_starts(
    server: LiveServer, admin: httpx.Client, member: httpx.Client
) -> None:
    room = create(admin, "Room A")
    window = {"from": (NOW + 2 * HOUR).isoformat(), "minutes": 120, "overlapped": "keep"}
    assert admin.post(f"/api/v1/resources/{room['id']}/maintenance", json=window).is_success
    ahead = httpx.get(f"{server.url}/resources/{room['id']}/status").json()
    assert (ahead["status"], ahead["is_unavailable"]) == ("available", False)
    assert "unavailable_since" not in ahead
    listed = httpx.get(f"{server.url}/resources").json()
    assert (listed[0]["status"], listed[0]["current_availability"]) == ("available", True)
    assert book(member, room["id"], NOW + HOUR).status_code == 201
    refused = book(member, room["id"], NOW + 3 * HOUR)
    assert refused.status_code == 400 and "under maintenance" in refused.json()["detail"]
    server.set_now(NOW + 2 * HOUR)
    during = httpx.get(f"{server.url}/resources/{room['id']}/status").json()
    assert (during["status"], during["hours_until_auto_reset"]) == ("unavailable", 2.0)
