"""Anonymous reads of a resource show when it is busy, never who holds it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from support.servers import LiveServer

SOON = (datetime.now(UTC) + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)


def book_as_bob(server: LiveServer) -> int:
    """An admin's resource with one booking of bob's tomorrow; returns the resource id."""
    with server.client(server.user("admin")) as admin:
        room = admin.post("/resources", json={"name": "Room A"}).json()["id"]
    with server.client(server.user("bob")) as bob:
        booked = bob.post(
            "/reservations",
            json={
                "resource_id": room,
                "start_time": SOON.isoformat(),
                "end_time": (SOON + timedelta(hours=1)).isoformat(),
            },
        )
        assert booked.status_code == 201, booked.text
    return int(room)


def reads(client: httpx.Client, room: int, seed: bool) -> dict[str, httpx.Response]:
    window = {"start": SOON.isoformat(), "end": (SOON + timedelta(hours=2)).isoformat()}
    answers = {
        "availability": client.get(f"/resources/{room}/availability", params={"days_ahead": 2}),
        "status": client.get(f"/resources/{room}/status"),
    }
    if not seed:
        answers["reservations"] = client.get(f"/resources/{room}/reservations", params=window)
    return answers


def test_anonymous_reads_show_busy_windows_but_not_who(live_server: LiveServer) -> None:
    room = book_as_bob(live_server)
    for client, seed in ((live_server.client(), False), (live_server.seed_client(), True)):
        with client:
            for name, answer in reads(client, room, seed).items():
                assert answer.status_code == 200, (name, answer.text)
                assert "bob" not in answer.text, (name, seed, answer.text)
                assert f'"user_id":{2}' not in answer.text.replace(" ", ""), (name, seed)
    with live_server.client() as anonymous:
        held = reads(anonymous, room, seed=False)["reservations"].json()
        assert [(r["start_time"][:16], r["username"], r["user_id"]) for r in held] == [
            (SOON.isoformat()[:16], None, None)
        ]
        slots = [
            slot
            for day in reads(anonymous, room, seed=False)["availability"].json()["days"]
            for slot in day["slots"]
        ]
        assert "booked" in {slot["state"] for slot in slots}
        assert "mine" not in {slot["state"] for slot in slots}
        assert all(slot["holder"] is None for slot in slots)


def test_a_logged_in_member_sees_who_holds_what(live_server: LiveServer) -> None:
    room = book_as_bob(live_server)
    with live_server.client(live_server.user("carol")) as carol:
        answers = reads(carol, room, seed=False)
        assert [r["username"] for r in answers["reservations"].json()] == ["bob"]
        assert answers["status"].json()["next_reservation"]["username"] == "bob"
        holders = {
            slot["holder"]
            for day in answers["availability"].json()["days"]
            for slot in day["slots"]
        }
        assert holders == {None, "bob"}
