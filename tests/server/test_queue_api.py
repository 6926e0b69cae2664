"""Approvals, waitlists and the inbox over real HTTP: the status codes and bodies a person or
another client reads, and no input that makes the server fail."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from support.clock import NOW
from support.servers import LiveServer

START = NOW + timedelta(days=1, hours=1)
END = START + timedelta(hours=1)
WINDOW = {"start_time": START.isoformat(), "end_time": END.isoformat()}
WAITLIST_KEYS = {
    "id",
    "resource",
    "user_id",
    "username",
    "start_time",
    "end_time",
    "flexible_minutes",
    "status",
    "created_at",
    "position",
    "offer",
    "note",
}
NOTICE_KEYS = {
    "id",
    "kind",
    "text",
    "created_at",
    "reservation_id",
    "series_id",
    "deadline",
    "read_at",
}


@pytest.fixture
def admin(server: LiveServer) -> Iterator[httpx.Client]:
    with server.client(server.user("alice")) as client:
        yield client


@pytest.fixture
def approver(server: LiveServer, admin: httpx.Client) -> Iterator[httpx.Client]:
    with server.client(server.user("carol")) as client:
        yield client


@pytest.fixture
def member(server: LiveServer, approver: httpx.Client) -> Iterator[httpx.Client]:
    with server.client(server.user("bob")) as client:
        yield client


@pytest.fixture
def waiter(server: LiveServer, member: httpx.Client) -> Iterator[httpx.Client]:
    with server.client(server.user("dave")) as client:
        yield client


@pytest.fixture
def anonymous(server: LiveServer) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


@pytest.fixture
def room(admin: httpx.Client, approver: httpx.Client) -> int:
    """A resource whose members' bookings wait for carol's approval."""
    created = admin.post("/resources", json={"name": "Microscope"})
    assert created.status_code == 201, created.text
    room = int(created.json()["id"])
    policy = admin.patch(
        f"/policies/resources/{room}",
        json={"approval": True, "approvers": ["carol"], "offer_hold_minutes": 30},
    )
    assert policy.status_code == 200, policy.text
    return room


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _refused(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = dict(response.json())
    assert body["code"] == code, body
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def _request(member: httpx.Client, room: int) -> dict[str, Any]:
    return dict(_ok(member.post("/reservations", json={"resource_id": room, **WINDOW}), 201))


# -- policies --------------------------------------------------------------------------------
def test_the_policy_routes_take_the_approval_fields(admin: httpx.Client, room: int) -> None:
    path = f"/policies/resources/{room}"
    policy = _ok(admin.patch(path, json={"approval_timeout_minutes": 90}))
    assert (
        policy["approval"],
        policy["approvers"],
        policy["approval_timeout_minutes"],
        policy["offer_hold_minutes"],
    ) == (True, ["carol"], 90, 30)
    effective = {
        f["name"]: f["value"] for f in _ok(admin.get(f"/resources/{room}/policy"))["fields"]
    }
    assert (effective["approval"], effective["approvers"]) == (True, ["carol"])
    for bad, field in (
        ({"approval": "yes"}, "approval"),
        ({"approval": 1}, "approval"),
        ({"approvers": "carol"}, "approvers"),
        ({"approvers": [7]}, "0"),
        ({"approval_timeout_minutes": "60"}, "approval_timeout_minutes"),
        ({"offer_hold_minutes": 1.5}, "offer_hold_minutes"),
        ({"offer_hold_minutes": 0}, "offer_hold_minutes"),
        ({"approval_timeout_minutes": 10**20}, "approval_timeout_minutes"),
        ({"approvers": ["nobody"]}, "approvers"),
        ({"approver": ["carol"]}, "approver"),
    ):
        body = _refused(admin.patch(path, json=bad), 422, "invalid")
        assert body["field"] == field, (bad, body)
    cleared = _ok(admin.delete(path, params={"fields": ["approvers", "offer_hold_minutes"]}))
    assert (cleared["approval"], cleared["approvers"], cleared["offer_hold_minutes"]) == (
        True,
        None,
        None,
    )


def test_a_member_cannot_change_who_approves(member: httpx.Client, room: int) -> None:
    path = f"/policies/resources/{room}"
    body = _refused(member.patch(path, json={"approvers": ["bob"]}), 403, "forbidden")
    assert body["detail"] == "access denied: only an admin may change booking policies"
    _refused(member.delete(path, params={"fields": ["approval"]}), 403, "forbidden")
    _refused(member.patch("/policies/default", json={"approval": False}), 403, "forbidden")


# -- approvals -------------------------------------------------------------------------------
def test_a_request_is_201_pending_and_holds_its_slot(
    member: httpx.Client, waiter: httpx.Client, approver: httpx.Client, room: int
) -> None:
    request = _request(member, room)
    assert (request["status"], request["approvers"]) == ("pending", ["carol"])
    assert request["decide_by"] == START.isoformat()
    clash = _refused(
        waiter.post("/reservations", json={"resource_id": room, **WINDOW}), 409, "conflict"
    )
    assert [c["reservation_id"] for c in clash["conflicts"]] == [request["id"]]
    assert clash["resource"] == "Microscope"
    assert [r["id"] for r in _ok(approver.get("/approvals"))] == [request["id"]]
    assert _ok(member.get("/approvals")) == []


def test_approve_and_reject_answer_with_the_reservation(
    member: httpx.Client, approver: httpx.Client, admin: httpx.Client, room: int
) -> None:
    request = _request(member, room)
    approved = _ok(approver.post(f"/reservations/{request['id']}/approve"))
    assert (approved["id"], approved["status"], approved["decide_by"]) == (
        request["id"],
        "active",
        None,
    )
    again = _refused(approver.post(f"/reservations/{request['id']}/approve"), 400, "state")
    assert again["detail"] == f"reservation {request['id']} is not awaiting approval (active)"
    _ok(member.post(f"/reservations/{request['id']}/cancel"))
    second = _request(member, room)
    rejected = _ok(admin.post(f"/reservations/{second['id']}/reject", json={"reason": "no"}))
    assert (rejected["status"], rejected["cancellation_reason"]) == ("rejected", "no")
    third = _request(member, room)
    assert _ok(approver.post(f"/reservations/{third['id']}/reject"))["status"] == "rejected"


def test_a_member_cannot_decide_a_request(member: httpx.Client, room: int) -> None:
    request = _request(member, room)
    for action in ("approve", "reject"):
        body = _refused(member.post(f"/reservations/{request['id']}/{action}"), 403, "forbidden")
        assert body["detail"] == (
            "access denied: requests on Microscope are decided by carol (or an admin)"
        )


def test_deciding_refuses_unknown_ids_and_bad_bodies(
    approver: httpx.Client, member: httpx.Client, room: int
) -> None:
    for reservation in (999, 10**30):
        for action in ("approve", "reject", "accept", "decline"):
            _refused(approver.post(f"/reservations/{reservation}/{action}"), 404, "not_found")
    _refused(approver.post("/reservations/abc/approve"), 422, "invalid")
    request = _request(member, room)
    path = f"/reservations/{request['id']}/reject"
    for bad in ({"reason": 5}, {"why": "x"}, ["no"], {"reason": "\x00"}):
        _refused(approver.post(path, json=bad), 422, "invalid")
    _refused(approver.post(path, content=b"{not json", headers=_json()), 422, "invalid")
    _refused(approver.post(path, json={"reason": "x" * 501}), 422, "invalid")
    assert _ok(member.get(f"/reservations/{request['id']}"))["status"] == "pending"


def _json() -> dict[str, str]:
    return {"Content-Type": "application/json"}


# -- waitlist --------------------------------------------------------------------------------
def test_joining_answers_201_with_the_place_in_line(
    member: httpx.Client, waiter: httpx.Client, room: int
) -> None:
    _request(member, room)
    body = {"resource_id": room, **WINDOW, "flexible_minutes": 30, "note": "calibration"}
    entry = _ok(waiter.post("/waitlist", json=body), 201)
    assert set(entry) == WAITLIST_KEYS
    assert (entry["status"], entry["position"], entry["username"], entry["offer"]) == (
        "waiting",
        1,
        "dave",
        None,
    )
    assert (entry["flexible_minutes"], entry["note"], entry["resource"]["name"]) == (
        30,
        "calibration",
        "Microscope",
    )
    twice = _refused(waiter.post("/waitlist", json=body), 400, "exists")
    assert twice["field"] == "start_time"
    assert _ok(waiter.get(f"/waitlist/{entry['id']}")) == entry
    assert _ok(waiter.get("/waitlist")) == [entry]
    assert _ok(waiter.get("/waitlist", params={"resource_id": room})) == [entry]
    assert _ok(waiter.get("/waitlist", params={"resource_id": room + 1})) == []


def test_a_free_window_is_booked_not_waited_for(waiter: httpx.Client, room: int) -> None:
    body = _refused(waiter.post("/waitlist", json={"resource_id": room, **WINDOW}), 400, "state")
    assert body["detail"] == (
        "Microscope is free 2026-12-02 10:00-11:00 UTC: book it instead of waiting"
    )


def test_joining_refuses_bad_bodies(member: httpx.Client, waiter: httpx.Client, room: int) -> None:
    _request(member, room)
    good = {"resource_id": room, **WINDOW}
    for bad, field in (
        ({**WINDOW}, "resource_id"),
        ({**good, "resource_id": str(room)}, "resource_id"),
        ({**good, "resource_id": True}, "resource_id"),
        ({**good, "flexible_minutes": "30"}, "flexible_minutes"),
        ({**good, "flexible_minutes": 1.5}, "flexible_minutes"),
        ({**good, "flexible_minutes": -1}, "flexible_minutes"),
        ({**good, "flexible_minutes": 1441}, "flexible_minutes"),
        ({**good, "flexible_minutes": 10**17}, "flexible_minutes"),
        ({**good, "flexible_minutes": 10**30}, "flexible_minutes"),
        ({**good, "flexible": 30}, "flexible"),
        ({**good, "start_time": "tomorrow"}, "start_time"),
        ({**good, "end_time": START.isoformat()}, "end_time"),
        ({**good, "note": "two\nlines"}, "note"),
        ({**good, "start_time": None}, "start_time"),
    ):
        body = _refused(waiter.post("/waitlist", json=bad), 422, "invalid")
        assert body.get("field") == field, (bad, body)
    _refused(waiter.post("/waitlist", content=b"\xff\xfe", headers=_json()), 422, "invalid")
    _refused(waiter.post("/waitlist", json=[good]), 422, "invalid")
    for resource in (999, 10**30):
        _refused(waiter.post("/waitlist", json={**good, "resource_id": resource}), 404, "not_found")
    assert _ok(waiter.get("/waitlist")) == []


def test_nobody_sees_who_else_waits_but_an_admin(
    admin: httpx.Client, member: httpx.Client, waiter: httpx.Client, room: int
) -> None:
    _request(member, room)
    entry = _ok(waiter.post("/waitlist", json={"resource_id": room, **WINDOW}), 201)
    body = _refused(member.get("/waitlist", params={"all": True}), 403, "forbidden")
    assert body["detail"] == "access denied: only an admin may see who else waits"
    body = _refused(member.get(f"/waitlist/{entry['id']}"), 403, "forbidden")
    assert body["detail"] == f"access denied: waitlist entry {entry['id']} is someone else's"
    _refused(member.delete(f"/waitlist/{entry['id']}"), 403, "forbidden")
    assert _ok(member.get("/waitlist")) == []
    everyone = _ok(admin.get("/waitlist", params={"all": True}))
    assert [(e["id"], e["username"]) for e in everyone] == [(entry["id"], "dave")]
    assert _ok(admin.get(f"/waitlist/{entry['id']}")) == entry


def test_leaving_answers_the_entry_left(
    member: httpx.Client, waiter: httpx.Client, room: int
) -> None:
    _request(member, room)
    entry = _ok(waiter.post("/waitlist", json={"resource_id": room, **WINDOW}), 201)
    left = _ok(waiter.delete(f"/waitlist/{entry['id']}"))
    assert (left["status"], left["position"]) == ("left", None)
    _refused(waiter.delete(f"/waitlist/{entry['id']}"), 400, "state")


def test_waitlist_ids_and_filters_out_of_range(waiter: httpx.Client) -> None:
    for entry in (999, 10**30):
        _refused(waiter.get(f"/waitlist/{entry}"), 404, "not_found")
        _refused(waiter.delete(f"/waitlist/{entry}"), 404, "not_found")
    _refused(waiter.get("/waitlist/abc"), 422, "invalid")
    _refused(waiter.get("/waitlist", params={"resource_id": "abc"}), 422, "invalid")
    _refused(waiter.get("/waitlist", params={"all": "maybe"}), 422, "invalid")
    for resource in (2**63, 10**30):
        _refused(waiter.get("/waitlist", params={"resource_id": resource}), 404, "not_found")


def test_an_offer_is_accepted_or_declined(
    server: LiveServer,
    approver: httpx.Client,
    member: httpx.Client,
    waiter: httpx.Client,
    admin: httpx.Client,
    room: int,
) -> None:
    request = _request(member, room)
    entry = _ok(waiter.post("/waitlist", json={"resource_id": room, **WINDOW}), 201)
    with server.client(server.user("erin")) as erin:
        _ok(erin.post("/waitlist", json={"resource_id": room, **WINDOW}), 201)
        _ok(approver.post(f"/reservations/{request['id']}/reject"))
        offer = _ok(waiter.get(f"/waitlist/{entry['id']}"))["offer"]
        assert (offer["status"], offer["username"]) == ("offered", "dave")
        assert offer["decide_by"] == (NOW + timedelta(minutes=30)).isoformat()
        _refused(erin.post(f"/reservations/{offer['id']}/accept"), 403, "forbidden")
        _refused(member.post(f"/reservations/{offer['id']}/cancel"), 403, "forbidden")
        declined = _ok(waiter.post(f"/reservations/{offer['id']}/decline"))
        assert declined["status"] == "declined"
        gone = _refused(waiter.post(f"/reservations/{offer['id']}/accept"), 400, "state")
        assert gone["detail"] == f"reservation {offer['id']} is not an open offer (declined)"
        (next_entry,) = _ok(erin.get("/waitlist"))
        second = next_entry["offer"]
        # Lapsed once the clock passes its deadline, even before the upkeep has run.
        server.set_now(NOW + timedelta(minutes=31))
        late = _refused(erin.post(f"/reservations/{second['id']}/accept"), 400, "state")
        assert late["detail"] == f"the offer {second['id']} lapsed at 2026-12-01 09:30 UTC"
        report = _ok(admin.post("/admin/cleanup-expired"))
        assert (report["lapsed_count"], report["offers_made"]) == (1, 0)
    assert _ok(admin.get(f"/reservations/{second['id']}"))["status"] == "expired"


def test_accepting_an_offer_answers_the_active_reservation(
    approver: httpx.Client, member: httpx.Client, waiter: httpx.Client, room: int
) -> None:
    request = _request(member, room)
    entry = _ok(waiter.post("/waitlist", json={"resource_id": room, **WINDOW}), 201)
    _ok(member.post(f"/reservations/{request['id']}/cancel"))
    offer = _ok(waiter.get(f"/waitlist/{entry['id']}"))["offer"]
    taken = _ok(waiter.post(f"/reservations/{offer['id']}/accept"))
    assert (taken["id"], taken["status"], taken["decide_by"]) == (offer["id"], "active", None)
    assert _ok(waiter.get(f"/waitlist/{entry['id']}"))["status"] == "booked"
    _refused(approver.post(f"/reservations/{offer['id']}/approve"), 400, "state")


# -- inbox -----------------------------------------------------------------------------------
def test_the_inbox_lists_counts_and_marks_notices(
    approver: httpx.Client, member: httpx.Client, room: int
) -> None:
    assert _ok(member.get("/inbox")) == []
    assert _ok(member.get("/inbox/unread")) == {"unread": 0}
    for _ in range(2):
        request = _request(member, room)
        _ok(approver.post(f"/reservations/{request['id']}/reject", json={"reason": "full"}))
    notices = _ok(member.get("/inbox"))
    assert [n["kind"] for n in notices] == ["rejected", "rejected"]
    assert set(notices[0]) == NOTICE_KEYS
    assert notices[0]["text"].endswith(": full")
    assert _ok(member.get("/inbox/unread")) == {"unread": 2}
    assert _ok(member.post("/inbox/read", json={"ids": [notices[1]["id"]]})) == {"marked": 1}
    assert [n["id"] for n in _ok(member.get("/inbox", params={"unread": True}))] == [
        notices[0]["id"]
    ]
    assert _ok(member.get("/inbox/unread")) == {"unread": 1}
    assert _ok(member.post("/inbox/read", json={"ids": None})) == {"marked": 1}
    assert _ok(member.post("/inbox/read")) == {"marked": 0}
    assert _ok(member.get("/inbox/unread")) == {"unread": 0}
    assert _ok(member.get("/inbox"))[0]["read_at"] == NOW.isoformat()
    # The approver's "request" notices are theirs alone.
    theirs = _ok(approver.get("/inbox"))
    assert {n["kind"] for n in theirs} == {"request"}
    foreign = _refused(member.post("/inbox/read", json={"ids": [theirs[0]["id"]]}), 422, "invalid")
    assert (foreign["detail"], foreign["field"]) == (
        f"your inbox has no notice {theirs[0]['id']}",
        "id",
    )


def test_marking_read_refuses_bad_bodies(member: httpx.Client) -> None:
    for bad in (
        {"ids": ["1"]},
        {"ids": [True]},
        {"ids": 1},
        {"ids": [1.5]},
        {"id": [1]},
        {"ids": [10**30]},
        {"ids": [0]},
        [1],
    ):
        _refused(member.post("/inbox/read", json=bad), 422, "invalid")
    _refused(member.get("/inbox", params={"unread": "perhaps"}), 422, "invalid")


# -- every route -------------------------------------------------------------------------
ROUTES = (
    ("GET", "/approvals"),
    ("POST", "/reservations/1/approve"),
    ("POST", "/reservations/1/reject"),
    ("POST", "/reservations/1/accept"),
    ("POST", "/reservations/1/decline"),
    ("POST", "/waitlist"),
    ("GET", "/waitlist"),
    ("GET", "/waitlist/1"),
    ("DELETE", "/waitlist/1"),
    ("GET", "/inbox"),
    ("GET", "/inbox/unread"),
    ("POST", "/inbox/read"),
)


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_route_asks_for_a_login(anonymous: httpx.Client, method: str, path: str) -> None:
    response = anonymous.request(method, path)
    _refused(response, 401, "auth")
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_every_route_is_documented(server: LiveServer) -> None:
    with server.seed_client() as client:
        schema = _ok(client.get("/openapi.json"))
    paths = schema["paths"]
    for method, path in ROUTES:
        templated = path.replace(
            "/1", "/{reservation_id}" if "reservations" in path else "/{entry_id}"
        )
        assert method.lower() in paths[f"/api/v1{templated}"], path
    components = schema["components"]["schemas"]
    for model in ("NewWaitlistEntry", "Rejection", "ReadRequest", "PolicyPatch"):
        assert components[model]["additionalProperties"] is False, model
    for model in ("WaitlistInfo", "Notice", "Unread", "Marked"):
        assert model in components
    patch = components["PolicyPatch"]["properties"]
    assert {"approval", "approvers", "approval_timeout_minutes", "offer_hold_minutes"} <= set(patch)
    # 201 for a new place in line, as for a booking.
    assert "201" in paths["/api/v1/waitlist"]["post"]["responses"]
