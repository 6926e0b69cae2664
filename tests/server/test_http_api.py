"""Every endpoint over real HTTP: success, error codes, permissions, tokens, throttling."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import jwt
import pytest
from support.clock import NOW
from support.servers import TEST_SECRET_KEY, LiveServer

HOUR = timedelta(hours=1)
START = (NOW + timedelta(days=1)).replace(hour=10)


@pytest.fixture
def admin(server: LiveServer) -> Iterator[httpx.Client]:
    with server.client(server.user("alice")) as client:
        yield client


@pytest.fixture
def member(server: LiveServer, admin: httpx.Client) -> Iterator[httpx.Client]:
    with server.client(server.user("bob")) as client:
        yield client


def booking(resource_id: int, start: str, end: str) -> dict[str, object]:
    return {"resource_id": resource_id, "start_time": start, "end_time": end}


def iso(moment: object) -> str:
    return moment.isoformat()  # type: ignore[attr-defined]


def test_register_and_token(server: LiveServer) -> None:
    first = httpx.post(
        f"{server.url}/api/v1/register", json={"username": "Alice", "password": "pw-2468-kite"}
    )
    assert first.status_code == 201
    assert {k: first.json()[k] for k in ("username", "role")} == {
        "username": "alice",
        "role": "admin",
    }
    assert first.json()["created_at"] == "2026-12-01T09:00:00+00:00"
    second = httpx.post(
        f"{server.url}/api/v1/register", json={"username": "bob", "password": "pw-2468-kite"}
    )
    assert second.json()["role"] == "member"
    taken = httpx.post(
        f"{server.url}/api/v1/register", json={"username": "ALICE", "password": "pw-2468-kite"}
    )
    assert taken.status_code == 400
    assert "taken" in taken.json()["detail"]
    for body in (
        {"username": "al", "password": "pw-2468-kite"},
        {"username": "carol", "password": "short"},
        {"username": "carol", "password": "p" * 73},
        {"username": "carol"},
        {"username": "ca\u0000rol", "password": "pw-2468-kite"},
    ):
        invalid = httpx.post(f"{server.url}/api/v1/register", json=body)
        assert invalid.status_code == 422, body
        assert isinstance(invalid.json()["detail"], str)
    token = httpx.post(
        f"{server.url}/api/v1/token", data={"username": "alice", "password": "pw-2468-kite"}
    )
    assert token.status_code == 200
    assert token.json()["token_type"] == "bearer"
    me = httpx.get(
        f"{server.url}/api/v1/me",
        headers={"Authorization": f"Bearer {token.json()['access_token']}"},
    )
    assert me.json()["username"] == "alice"
    wrong = httpx.post(
        f"{server.url}/api/v1/token", data={"username": "alice", "password": "x" * 8}
    )
    assert wrong.status_code == 401
    assert wrong.headers["WWW-Authenticate"] == "Bearer"
    assert wrong.json()["detail"] == "wrong username or password"
    unknown = httpx.post(
        f"{server.url}/api/v1/token", data={"username": "nobody", "password": "x" * 8}
    )
    assert unknown.json()["detail"] == "wrong username or password"
    missing = httpx.post(f"{server.url}/api/v1/token", data={"username": "alice"})
    assert missing.status_code == 422


def test_failed_logins_are_throttled(server: LiveServer) -> None:
    server.register("alice")
    for _ in range(5):
        response = httpx.post(
            f"{server.url}/api/v1/token", data={"username": "alice", "password": "nope" * 2}
        )
        assert response.status_code == 401
    throttled = httpx.post(
        f"{server.url}/api/v1/token", data={"username": "alice", "password": "nope" * 2}
    )
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) > 0
    assert "too many failed logins" in throttled.json()["detail"]
    # The right password does not get through while throttled ...
    blocked = httpx.post(
        f"{server.url}/api/v1/token",
        data={"username": "alice", "password": "correct-horse-battery"},
    )
    assert blocked.status_code == 429
    # ... and does once the window has passed (the server's clock moves).
    server.set_now(NOW + timedelta(minutes=16))
    assert server.token("alice")


def test_tokens_absent_tampered_expired_or_foreign(server: LiveServer) -> None:
    token = server.user("alice")
    booking_url = f"{server.url}/api/v1/reservations/my"
    absent = httpx.get(booking_url)
    assert absent.status_code == 401
    assert absent.headers["WWW-Authenticate"] == "Bearer"
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}AAAA"
    forged_claims = {"sub": "alice", "exp": int((NOW + HOUR).timestamp())}
    foreign = jwt.encode(forged_claims, "another-secret-key-0123456789abcdef", algorithm="HS256")
    expired = jwt.encode(
        {
            "sub": "alice",
            "iat": int((NOW - 2 * HOUR).timestamp()),
            "exp": int((NOW - HOUR).timestamp()),
        },
        TEST_SECRET_KEY,
        algorithm="HS256",
    )
    ghost = jwt.encode({"sub": "ghost", "exp": int((NOW + HOUR).timestamp())}, TEST_SECRET_KEY)
    for bad, message in (
        (tampered, "invalid token"),
        (foreign, "invalid token"),
        ("not-a-jwt", "invalid token"),
        (expired, "expired: log in again"),
        (ghost, "no longer exists"),
    ):
        response = httpx.get(booking_url, headers={"Authorization": f"Bearer {bad}"})
        assert response.status_code == 401, bad
        assert message in response.json()["detail"]
        assert response.headers["WWW-Authenticate"] == "Bearer"
    # A bad token is refused even where a token is optional.
    public = httpx.get(
        f"{server.url}/api/v1/resources", headers={"Authorization": f"Bearer {tampered}"}
    )
    assert public.status_code == 401
    assert httpx.get(f"{server.url}/api/v1/resources").status_code == 200
    # The token itself expires on the server's clock, even one the server has just accepted.
    accepted = httpx.get(booking_url, headers={"Authorization": f"Bearer {token}"})
    assert accepted.status_code == 200
    server.set_now(NOW + timedelta(days=2))
    late = httpx.get(booking_url, headers={"Authorization": f"Bearer {token}"})
    assert late.status_code == 401
    assert "expired" in late.json()["detail"]


def test_resource_endpoints_and_admin_permissions(
    server: LiveServer, admin: httpx.Client, member: httpx.Client
) -> None:
    created = admin.post(
        "/resources", json={"name": "Room A", "tags": "meeting, big", "available": True}
    )
    assert created.status_code == 201
    room = created.json()
    assert (room["tags"], room["status"]) == (["meeting", "big"], "available")
    assert admin.post("/resources", json={"name": "room a"}).status_code == 400
    assert admin.post("/resources", json={"name": ""}).status_code == 422
    assert admin.post("/resources", json={"tags": ["x"]}).status_code == 422
    assert member.post("/resources", json={"name": "Mine"}).status_code == 403
    assert httpx.post(f"{server.url}/api/v1/resources", json={"name": "Anon"}).status_code == 401
    rid = room["id"]
    assert [r["name"] for r in httpx.get(f"{server.url}/api/v1/resources").json()] == ["Room A"]
    assert member.get(f"/resources/{rid}").json() == room
    assert member.get("/resources/lookup", params={"reference": "ROOM A"}).json()["id"] == rid
    assert member.get("/resources/999").status_code == 404
    assert member.get("/resources/abc").status_code == 422
    assert member.get("/resources/0").status_code == 404
    assert member.get(f"/resources/{10**30}").status_code == 404
    for reference in ("²", str(10**30)):
        missing = member.get("/resources/lookup", params={"reference": reference})
        assert (missing.status_code, "no resource" in missing.json()["detail"]) == (404, True)
    near = member.get("/resources/lookup", params={"reference": "Rom A"})
    assert (near.status_code, near.json()["candidates"]) == (404, ["Room A"])
    assert near.json()["detail"] == "no resource named 'Rom A'; did you mean 'Room A'?"
    assert member.get("/resources/lookup", params={"reference": "room"}).json()["id"] == rid
    assert member.patch(f"/resources/{rid}", json={"name": "X"}).status_code == 403
    renamed = admin.patch(f"/resources/{rid}", json={"description": "by the window"})
    assert renamed.json()["description"] == "by the window"

    assert (
        member.put(f"/resources/{rid}/availability", json={"available": False}).status_code == 403
    )
    off = admin.put(f"/resources/{rid}/availability", json={"available": False})
    assert (off.status_code, off.json()["status"]) == (200, "disabled")
    assert admin.put(f"/resources/{rid}/availability", json={}).status_code == 422
    admin.put(f"/resources/{rid}/availability", json={"available": True})

    assert member.put(f"/resources/{rid}/status/unavailable").status_code == 403
    down = admin.put(f"/resources/{rid}/status/unavailable", params={"auto_reset_hours": 2})
    assert down.json()["status"] == "maintenance"
    assert down.json()["maintenance_until"] == "2026-12-01T11:00:00+00:00"
    refused = member.post(
        "/reservations", json=booking(rid, "2026-12-01T10:00:00Z", "2026-12-01T12:00:00Z")
    )
    assert refused.status_code == 400
    assert {key: refused.json()[key] for key in ("code", "resource", "until")} == {
        "code": "unavailable",
        "resource": "Room A",
        "until": "2026-12-01T11:00:00+00:00",
    }
    status = member.get(f"/resources/{rid}/status").json()
    assert (status["status"], status["maintenance_reset_at"]) == (
        "maintenance",
        "2026-12-01T11:00:00+00:00",
    )
    bad_hours = admin.put(f"/resources/{rid}/status/unavailable", params={"auto_reset_hours": 200})
    assert bad_hours.status_code == 422
    assert member.put(f"/resources/{rid}/status/available").status_code == 403
    assert admin.put(f"/resources/{rid}/status/available").json()["status"] == "available"
    assert admin.put("/resources/4242/status/available").status_code == 404

    summary = httpx.get(f"{server.url}/api/v1/resources/availability/summary").json()
    assert summary == {
        "total_resources": 1,
        "available_now": 1,
        "unavailable_now": 0,
        "currently_in_use": 0,
        "timestamp": "2026-12-01T09:00:00+00:00",
    }
    grid = httpx.get(f"{server.url}/api/v1/resources/{rid}/availability", params={"days_ahead": 3})
    assert grid.status_code == 200
    assert len(grid.json()["days"]) == 3
    assert grid.json()["days"][0]["slots"][0]["state"] == "past"
    assert (
        httpx.get(
            f"{server.url}/api/v1/resources/{rid}/availability", params={"days_ahead": 0}
        ).status_code
        == 422
    )
    for edge in ({"start_day": "9999-12-31"}, {"start_day": "0001-01-01", "tz": "Asia/Tokyo"}):
        beyond = httpx.get(f"{server.url}/api/v1/resources/{rid}/availability", params=edge)
        assert (beyond.status_code, beyond.json()["field"]) == (422, "start_day")
    far = {"start_time": "9997-12-31T23:00:00Z", "end_time": "9998-01-01T00:00:00Z"}
    assert member.post("/reservations", json={"resource_id": rid, **far}).status_code == 422
    assert (
        httpx.get(
            f"{server.url}/api/v1/resources/{rid}/availability", params={"tz": "No/Where"}
        ).status_code
        == 422
    )
    assert httpx.get(f"{server.url}/api/v1/resources/99/availability").status_code == 404

    export = admin.get("/resources/export")
    assert export.headers["content-type"].startswith("text/csv")
    assert export.text.splitlines() == [
        "name,tags,available,description",
        'Room A,"meeting,big",true,by the window',
    ]


def test_search(server: LiveServer, admin: httpx.Client, member: httpx.Client) -> None:
    scope = admin.post("/resources", json={"name": "Scope", "tags": ["lab"]}).json()
    admin.post("/resources", json={"name": "Room", "tags": ["meeting"]})
    admin.post("/resources", json={"name": "Spare scope", "tags": ["lab"], "available": False})
    member.post("/reservations", json=booking(scope["id"], iso(START), iso(START + HOUR)))

    def names(**params: object) -> list[str]:
        response = httpx.get(f"{server.url}/api/v1/resources/search", params=params)
        assert response.status_code == 200, response.text
        return [r["name"] for r in response.json()]

    assert names() == ["Room", "Scope"]
    assert names(status="all") == ["Room", "Scope", "Spare scope"]
    assert names(q="SCOPE", status="unavailable") == ["Spare scope"]
    assert names(tags="lab", status="all") == ["Scope", "Spare scope"]
    window = {"available_from": iso(START + HOUR / 2), "available_until": iso(START + 2 * HOUR)}
    assert names(**window) == ["Room"]
    # Offsets are honoured; a naive time is UTC.
    assert names(
        available_from="2026-12-02T11:00:00+01:00", available_until="2026-12-02T10:30"
    ) == ["Room"]
    for params in (
        {"status": "bogus"},
        {"available_from": "tomorrow"},
        {"available_from": iso(START)},
        {"available_from": iso(START), "available_until": iso(START - HOUR)},
        {"available_from": "2026-13-01T10:00", "available_until": iso(START)},
    ):
        response = httpx.get(f"{server.url}/api/v1/resources/search", params=params)
        assert response.status_code == 422, params
        assert response.json()["detail"]


def test_search_terms_are_bounded_and_match_literally(
    server: LiveServer, admin: httpx.Client
) -> None:
    for name in ("100% cotton", "100 cotton", "a_b", "axb", "slash/ed"):
        assert admin.post("/resources", json={"name": name}).status_code == 201

    def names(q: str, root: str = "/api/v1") -> list[str]:
        response = httpx.get(f"{server.url}{root}/resources/search", params={"q": q})
        assert response.status_code == 200, response.text
        return [r["name"] for r in response.json()]

    assert names("100%") == ["100% cotton"]
    assert names("%") == ["100% cotton"]
    assert names("a_b") == ["a_b"]
    assert names("_", root="") == ["a_b"]
    assert names("h/e") == ["slash/ed"]
    assert len(names("x" * 200)) == 0
    # SQLite refuses a LIKE pattern over 50,000 bytes; the term is refused first.
    for root in ("/api/v1", ""):
        response = httpx.get(f"{server.url}{root}/resources/search", params={"q": "x" * 50_000})
        assert response.status_code == 422, response.text
        detail = response.json()["detail"]
        assert detail == "a search term is at most 200 characters (got 50000)"
    assert httpx.get(f"{server.url}/health").status_code == 200


def test_reservation_lifecycle(
    server: LiveServer, admin: httpx.Client, member: httpx.Client
) -> None:
    rid = admin.post("/resources", json={"name": "Room A"}).json()["id"]
    made = member.post(
        "/reservations", json=booking(rid, "2026-12-02T11:00:00+01:00", "2026-12-02T11:00:00Z")
    )
    assert made.status_code == 201, made.text
    reservation = made.json()
    assert (reservation["start_time"], reservation["end_time"]) == (
        "2026-12-02T10:00:00+00:00",
        "2026-12-02T11:00:00+00:00",
    )
    assert reservation["resource"]["name"] == "Room A"
    assert reservation["username"] == "bob"
    naive = member.post(
        "/reservations", json=booking(rid, "2026-12-02T12:00:00", "2026-12-02T13:00:00")
    )
    assert naive.json()["start_time"] == "2026-12-02T12:00:00+00:00"

    clash = admin.post("/reservations", json=booking(rid, "2026-12-02T10:30", "2026-12-02T12:30"))
    assert clash.status_code == 409
    assert clash.json()["conflicts"] == [
        {
            "start_time": "2026-12-02T10:00:00+00:00",
            "end_time": "2026-12-02T11:00:00+00:00",
            "reservation_id": reservation["id"],
        },
        {
            "start_time": "2026-12-02T12:00:00+00:00",
            "end_time": "2026-12-02T13:00:00+00:00",
            "reservation_id": naive.json()["id"],
        },
    ]
    assert "already booked" in clash.json()["detail"]
    assert clash.json()["resource"] == "Room A"
    for body, status in (
        (booking(rid, "2026-11-30T10:00", "2026-11-30T11:00"), 422),
        (booking(rid, "2026-12-02T15:00", "2026-12-02T14:00"), 422),
        (booking(rid, "2026-12-02T15:00", "2026-12-02T15:05"), 422),
        (booking(rid, "not a time", "2026-12-02T15:00"), 422),
        (booking(rid, "2026-12-02T25:00", "2026-12-02T26:00"), 422),
        (booking(rid, "", ""), 422),
        (booking(4242, "2026-12-02T15:00", "2026-12-02T16:00"), 404),
        ({"resource_id": rid}, 422),
        ({"resource_id": "x", "start_time": 1, "end_time": None}, 422),
    ):
        response = member.post("/reservations", json=body)
        assert response.status_code == status, (body, response.text)
        assert isinstance(response.json()["detail"], str)
    admin.put(f"/resources/{rid}/availability", json={"available": False})
    disabled = member.post(
        "/reservations", json=booking(rid, "2026-12-03T10:00", "2026-12-03T11:00")
    )
    assert (disabled.status_code, disabled.json()["code"]) == (400, "unavailable")
    admin.put(f"/resources/{rid}/availability", json={"available": True})
    assert (
        httpx.post(
            f"{server.url}/api/v1/reservations",
            json=booking(rid, "2026-12-03T10:00", "2026-12-03T11:00"),
        ).status_code
        == 401
    )

    mine = member.get("/reservations/my").json()
    assert [r["id"] for r in mine] == [naive.json()["id"], reservation["id"]]
    assert member.get(f"/reservations/{reservation['id']}").status_code == 200
    assert member.get("/reservations").status_code == 403
    assert len(admin.get("/reservations").json()) == 2
    in_range = httpx.get(
        f"{server.url}/api/v1/resources/{rid}/reservations",
        params={"start": "2026-12-02T00:00Z", "end": "2026-12-02T11:30Z"},
    )
    assert [r["id"] for r in in_range.json()] == [reservation["id"]]

    with server.client(server.user("carol")) as carol:
        assert carol.post(f"/reservations/{reservation['id']}/cancel").status_code == 403
        assert carol.get(f"/reservations/{reservation['id']}/history").status_code == 403
        assert carol.get(f"/reservations/{reservation['id']}").status_code == 403
    cancelled = member.post(f"/reservations/{reservation['id']}/cancel", json={"reason": "ill"})
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    assert cancelled.json()["cancellation_reason"] == "ill"
    again = member.post(f"/reservations/{reservation['id']}/cancel")
    assert (again.status_code, again.json()["code"]) == (400, "state")
    assert member.post("/reservations/4242/cancel").status_code == 404
    assert (
        member.post(
            "/reservations/4242/cancel",
            content=b"{oops",
            headers={"content-type": "application/json"},
        ).status_code
        == 422
    )
    # Errors the framework raises carry a code too, like every other error.
    unreadable = member.post(
        "/reservations",
        content=b'{"resource_id": "\xff\xfe"}',
        headers={"content-type": "application/json"},
    )
    assert unreadable.status_code == 400
    assert set(unreadable.json()) >= {"detail", "code"}
    nowhere = member.get("/no/such/route")
    assert (nowhere.status_code, nowhere.json()["code"]) == (404, "http_error")
    history = member.get(f"/reservations/{reservation['id']}/history").json()
    assert [(e["action"], e["actor"], e["details"]) for e in history] == [
        ("cancelled", "bob", "ill"),
        ("created", "bob", "2026-12-02 10:00-11:00 UTC"),
    ]
    assert admin.get(f"/reservations/{reservation['id']}/history").status_code == 200
    assert member.get("/reservations/4242/history").status_code == 404
    assert len(member.get("/reservations/my", params={"include_cancelled": "true"}).json()) == 2

    slot = member.get(
        "/resources/next-free-slot", params={"duration_seconds": 3600, "resource_id": rid}
    )
    assert slot.json()["start_time"] == "2026-12-01T09:01:00+00:00"
    assert (
        member.get("/resources/next-free-slot", params={"duration_seconds": 3600}).status_code
        == 422
    )

    assert member.post("/admin/cleanup-expired").status_code == 403
    server.set_now(NOW + timedelta(days=2))
    with server.client(server.token("alice")) as fresh_admin:
        cleanup = fresh_admin.post("/admin/cleanup-expired")
    assert cleanup.status_code == 200
    assert cleanup.json()["expired_count"] == 1


def test_an_upload_may_update_the_resources_it_names(
    server: LiveServer, admin: httpx.Client
) -> None:
    first = b"name,tags,description\nScope 1,lab,Old\nScope 2,lab,Same\n"
    admin.post("/resources/upload", files={"file": ("r.csv", first, "text/csv")})
    again = b"name,tags,description\nScope 1,lab,New\nScope 2,lab,Same\nScope 3,,\n"
    refused = admin.post("/resources/upload", files={"file": ("r.csv", again, "text/csv")})
    assert refused.status_code == 422 and [e["line"] for e in refused.json()["errors"]] == [2, 3]
    updated = admin.post(
        "/resources/upload", params={"update": "true"}, files={"file": ("r.csv", again, "text/csv")}
    )
    assert updated.status_code == 200, updated.text
    assert updated.json() == {
        "created_count": 1,
        "updated_count": 1,
        "unchanged_count": 1,
        "skipped_count": 0,
        "errors": [],
    }
    described = {r["name"]: r["description"] for r in admin.get("/resources").json()}
    assert described == {"Scope 1": "New", "Scope 2": "Same", "Scope 3": ""}


def test_two_updating_uploads_of_one_file_at_once_neither_fail_nor_duplicate(
    server: LiveServer, admin: httpx.Client
) -> None:
    for round_number in range(3):
        rows = "".join(
            f"Rack {round_number}-{index},lab,true,Shelf {index}\n" for index in range(300)
        )
        data = ("name,tags,available,description\n" + rows).encode()
        barrier = threading.Barrier(2)

        def upload(data: bytes = data, barrier: threading.Barrier = barrier) -> httpx.Response:
            with server.client(server.token("alice")) as client:
                barrier.wait()
                return client.post(
                    "/resources/upload",
                    params={"update": "true"},
                    files={"file": ("racks.csv", data, "text/csv")},
                )

        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(lambda _: upload(), range(2)))
        assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
        reports = sorted((a.json() for a in answers), key=lambda r: -r["created_count"])
        assert [(r["created_count"], r["unchanged_count"]) for r in reports] == [(300, 0), (0, 300)]
    names = [r["name"] for r in admin.get("/resources").json()]
    assert len(names) == len(set(names)) == 900


def test_csv_upload(server: LiveServer, admin: httpx.Client, member: httpx.Client) -> None:
    good = b'name,tags,available\nScope 1,"lab,scope",true\nScope 2,lab,no\n'
    uploaded = admin.post("/resources/upload", files={"file": ("r.csv", good, "text/csv")})
    assert uploaded.status_code == 200
    assert uploaded.json() == {
        "created_count": 2,
        "updated_count": 0,
        "unchanged_count": 0,
        "skipped_count": 0,
        "errors": [],
    }
    assert (
        member.post("/resources/upload", files={"file": ("r.csv", good, "text/csv")}).status_code
        == 403
    )
    bad = b"name,tags\nScope 3,lab\n,x\nScope 1,dup\n\xff\xfe\xfa,x\n"
    rejected = admin.post("/resources/upload", files={"file": ("r.csv", bad, "text/csv")})
    assert rejected.status_code == 422
    body = rejected.json()
    assert body["detail"] == "the file was rejected: 3 bad lines, nothing imported"
    assert [e["line"] for e in body["errors"]] == [3, 4, 5]
    assert "UTF-8" in body["errors"][2]["message"]
    skipped = admin.post(
        "/resources/upload",
        params={"skip_invalid": "true"},
        files={"file": ("r.csv", bad, "text/csv")},
    )
    assert (skipped.status_code, skipped.json()["created_count"]) == (200, 1)
    binary = admin.post("/resources/upload", files={"file": ("x.bin", bytes(range(256)) * 64)})
    assert binary.status_code == 422
    assert admin.post("/resources/upload").status_code == 422
    assert admin.post(
        "/resources/upload",
        content=b"garbage",
        headers={"content-type": "multipart/form-data; boundary=zz"},
    ).status_code in (400, 422)
    huge = b"name,tags\n" + b"x" * (20 * 1024 * 1024)
    too_big = admin.post("/resources/upload", files={"file": ("big.csv", huge, "text/csv")})
    assert too_big.status_code == 413
    assert too_big.json()["detail"]

    def chunked_upload() -> Iterator[bytes]:
        yield b'--zz\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
        for _ in range(20):
            yield b"x" * 1024 * 1024
        yield b"\r\n--zz--\r\n"

    streamed = admin.post(
        "/resources/upload",
        content=chunked_upload(),
        headers={"content-type": "multipart/form-data; boundary=zz"},
    )
    assert streamed.status_code == 413
    assert "over the limit" in streamed.json()["detail"]
    big_json = admin.post(
        "/resources",
        content=b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}',
        headers={"content-type": "application/json"},
    )
    assert big_json.status_code == 413
    assert len(admin.get("/resources").json()) == 3


def test_openapi_and_docs(server: LiveServer) -> None:
    schema = httpx.get(f"{server.url}/openapi.json").json()
    paths = schema["paths"]
    seed_paths = (
        ("/health", "get"),
        ("/register", "post"),
        ("/token", "post"),
        ("/resources", "get"),
        ("/resources", "post"),
        ("/resources/search", "get"),
        ("/resources/upload", "post"),
        ("/resources/{resource_id}/availability", "get"),
        ("/resources/{resource_id}/availability", "put"),
        ("/resources/{resource_id}/status", "get"),
        ("/resources/{resource_id}/status/unavailable", "put"),
        ("/resources/{resource_id}/status/available", "put"),
        ("/resources/availability/summary", "get"),
        ("/reservations", "post"),
        ("/reservations/my", "get"),
        ("/reservations/{reservation_id}/cancel", "post"),
        ("/reservations/{reservation_id}/history", "get"),
        ("/admin/cleanup-expired", "post"),
    )
    # The seed's paths, unprefixed, are the compatibility surface; reserver's own
    # API has each of them under /api/v1, and its own additions there only.
    for path, method in seed_paths:
        assert "seed compatibility" in paths[path][method]["tags"], (path, method)
        assert "seed compatibility" not in paths[f"/api/v1{path}"][method]["tags"]
    for path in ("/me", "/resources/lookup", "/resources/export", "/resources/{resource_id}"):
        assert f"/api/v1{path}" in paths
        assert path not in paths
    assert "/reserve" not in paths
    assert "/_test/reset" not in paths
    assert httpx.get(f"{server.url}/docs").status_code == 200
    nowhere = httpx.get(f"{server.url}/api/v1/nowhere").json()
    assert nowhere == {"detail": "Not Found", "code": "http_error"}
    assert httpx.delete(f"{server.url}/api/v1/resources").status_code == 405


def test_a_reservation_moves_and_takes_a_note_over_patch(
    server: LiveServer, admin: httpx.Client, member: httpx.Client
) -> None:
    rid = admin.post("/resources", json={"name": "Room A"}).json()["id"]
    made = member.post(
        "/reservations",
        json={**booking(rid, "2026-12-02T10:00Z", "2026-12-02T11:00Z"), "note": "planning"},
    )
    assert (made.status_code, made.json()["note"]) == (201, "planning")
    path = f"/reservations/{made.json()['id']}"
    other = admin.post("/reservations", json=booking(rid, "2026-12-02T11:00Z", "2026-12-02T12:00Z"))

    moved = member.patch(
        path, json={"start_time": "2026-12-02T10:30:00+01:00", "end_time": "2026-12-02T10:30Z"}
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["start_time"], moved.json()["end_time"]) == (
        "2026-12-02T09:30:00+00:00",
        "2026-12-02T10:30:00+00:00",
    )
    clash = member.patch(
        path,
        json={"start_time": "2026-12-02T10:30Z", "end_time": "2026-12-02T11:30Z", "note": "x"},
    )
    assert (clash.status_code, clash.json()["code"]) == (409, "conflict")
    assert clash.json()["conflicts"] == [
        {
            "start_time": "2026-12-02T11:00:00+00:00",
            "end_time": "2026-12-02T12:00:00+00:00",
            "reservation_id": other.json()["id"],
        }
    ]
    assert member.get(path).json()["note"] == "planning"
    noted = member.patch(path, json={"note": " retro "})
    assert (noted.status_code, noted.json()["note"]) == (200, "retro")
    assert member.patch(path, json={"note": ""}).json()["note"] == ""
    for body, status in (
        ({"start_time": "2026-12-02T15:00Z"}, 422),
        ({"end_time": "2026-12-02T15:00Z"}, 422),
        ({}, 422),
        ({"note": None}, 422),
        ({"note": "nul\u0000"}, 422),
        ({"note": "x" * 501}, 422),
        ({"start_time": "soon", "end_time": "later"}, 422),
        ({"start_time": "2026-11-30T10:00Z", "end_time": "2026-11-30T11:00Z"}, 422),
    ):
        response = member.patch(path, json=body)
        assert response.status_code == status, (body, response.text)
        assert isinstance(response.json()["detail"], str)
    assert member.patch("/reservations/4242", json={"note": "x"}).status_code == 404
    with server.client(server.user("carol")) as carol:
        refused = carol.patch(path, json={"note": "mine"})
        assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    assert httpx.patch(f"{server.url}/api/v1{path}", json={"note": "x"}).status_code == 401
    history = member.get(f"{path}/history").json()
    assert [(e["action"], e["details"]) for e in history] == [
        ("noted", "(note cleared)"),
        ("noted", "retro"),
        ("moved", "2026-12-02 10:00-11:00 UTC -> 2026-12-02 09:30-10:30 UTC"),
        ("created", "2026-12-02 10:00-11:00 UTC"),
    ]
    member.post(f"{path}/cancel")
    cancelled = member.patch(
        path, json={"start_time": "2026-12-03T10:00Z", "end_time": "2026-12-03T11:00Z"}
    )
    assert (cancelled.status_code, cancelled.json()["code"]) == (400, "state")
