"""Recurring series over real HTTP: the status codes and bodies a person or another client
reads, and no input that makes the server fail."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from support.servers import LiveServer

WEEKLY = {
    "start": "2027-03-01T09:00",
    "timezone": "Europe/Berlin",
    "length_minutes": 60,
    "repeat": "weekly",
    "count": 8,
}
OCCURRENCE_KEYS = {
    "index",
    "day",
    "state",
    "start_time",
    "end_time",
    "reason",
    "rule",
    "clashes",
    "dst",
    "remark",
    "reservation_id",
}


@pytest.fixture
def admin(server: LiveServer) -> Iterator[httpx.Client]:
    with server.client(server.user("alice")) as client:
        yield client


@pytest.fixture
def member(server: LiveServer, admin: httpx.Client) -> Iterator[httpx.Client]:
    with server.client(server.user("bob")) as client:
        yield client


@pytest.fixture
def other(server: LiveServer, admin: httpx.Client) -> Iterator[httpx.Client]:
    with server.client(server.user("carol")) as client:
        yield client


@pytest.fixture
def lab(admin: httpx.Client) -> int:
    created = admin.post("/resources", json={"name": "Lab"})
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def _series(resource: int, **changes: Any) -> dict[str, Any]:
    return {"resource_id": resource, **WEEKLY, **changes}


def _book(client: httpx.Client, resource_id: int, **changes: Any) -> dict[str, Any]:
    answer = client.post("/reservations/series", json=_series(resource_id, **changes))
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def test_booking_answers_201_with_the_outcome_and_a_dry_run_200(
    member: httpx.Client, lab: int
) -> None:
    preview = member.post("/reservations/series", json=_series(lab, dry_run=True))
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert (body["series"], body["booked"], body["left_out"], body["dry_run"]) == (
        None,
        8,
        0,
        True,
    )
    assert set(body["occurrences"][0]) == OCCURRENCE_KEYS
    assert body["occurrences"][0] == {
        "index": 1,
        "day": "2027-03-01",
        "state": "free",
        "start_time": "2027-03-01T08:00:00+00:00",
        "end_time": "2027-03-01T09:00:00+00:00",
        "reason": "",
        "rule": None,
        "clashes": [],
        "dst": "",
        "remark": "",
        "reservation_id": None,
    }
    assert [o["start_time"][11:16] for o in body["occurrences"]] == ["08:00"] * 4 + ["07:00"] * 4
    assert member.get("/reservations/my").json() == []

    booked = _book(member, lab, note="lab meeting")
    assert (booked["booked"], booked["dry_run"]) == (8, False)
    assert {o["state"] for o in booked["occurrences"]} == {"booked"}
    series = booked["series"]
    assert {k: series[k] for k in ("username", "timezone", "start", "length_minutes")} == {
        "username": "bob",
        "timezone": "Europe/Berlin",
        "start": "2027-03-01T09:00:00",
        "length_minutes": 60,
    }
    assert series["rule"] == {"repeat": "weekly", "every": 1, "on": "", "count": 8, "until": None}
    assert series["rule_text"] == "every week on Mon at 09:00 Europe/Berlin, 8 times"
    assert [r["id"] for r in series["occurrences"]] == [
        o["reservation_id"] for o in booked["occurrences"]
    ]
    assert {r["series_id"] for r in member.get("/reservations/my").json()} == {series["id"]}
    # An occurrence is an ordinary reservation at its own path.
    first = member.get(f"/reservations/{series['occurrences'][0]['id']}")
    assert (first.status_code, first.json()["series_id"]) == (200, series["id"])
    assert member.get(f"/series/{series['id']}").json() == series


def test_an_until_rule_and_on_days_round_trip(member: httpx.Client, lab: int) -> None:
    booked = _book(member, lab, count=None, until="2027-03-12", on="Mon, Wed,fri")
    assert booked["series"]["rule"] == {
        "repeat": "weekly",
        "every": 1,
        "on": "mon,wed,fri",
        "count": None,
        "until": "2027-03-12",
    }
    assert [o["day"] for o in booked["occurrences"]] == [
        "2027-03-01",
        "2027-03-03",
        "2027-03-05",
        "2027-03-08",
        "2027-03-10",
        "2027-03-12",
    ]


def test_a_refused_series_is_409_with_every_occurrence(
    admin: httpx.Client, member: httpx.Client, lab: int
) -> None:
    held = admin.post(
        "/reservations",
        json={
            "resource_id": lab,
            "start_time": "2027-03-29T07:30:00Z",
            "end_time": "2027-03-29T08:30:00Z",
        },
    )
    assert held.status_code == 201, held.text
    refused = member.post("/reservations/series", json=_series(lab, count=10))
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert set(body) == {"detail", "code", "conflicts", "resource", "occurrences"}
    assert (body["code"], body["resource"]) == ("series", "Lab")
    assert body["detail"] == (
        "nothing was booked: 1 of 10 occurrences cannot be booked: Mon 29 Mar 2027 (#5): "
        "clashes with alice's booking Mon 29 Mar 2027 09:30-10:30 CEST"
    )
    assert [o["state"] for o in body["occurrences"]] == ["free"] * 4 + ["clash"] + ["free"] * 5
    assert body["occurrences"][4]["clashes"] == [
        {
            "reservation_id": held.json()["id"],
            "start_time": "2027-03-29T07:30:00+00:00",
            "end_time": "2027-03-29T08:30:00+00:00",
            "username": "alice",
        }
    ]
    assert member.get("/series").json() == []
    skipped = member.post("/reservations/series", json=_series(lab, count=10, skip_conflicts=True))
    assert skipped.status_code == 201, skipped.text
    assert (skipped.json()["booked"], skipped.json()["left_out"]) == (9, 1)


def test_listing_reading_and_who_may(
    admin: httpx.Client, member: httpx.Client, other: httpx.Client, lab: int
) -> None:
    mine = _book(member, lab)["series"]
    theirs = _book(other, lab, start="2027-03-02T09:00")["series"]
    assert [s["id"] for s in member.get("/series").json()] == [mine["id"]]
    assert [s["id"] for s in admin.get("/series", params={"all": "true"}).json()] == [
        theirs["id"],
        mine["id"],
    ]
    assert admin.get("/series").json() == []
    everyone = member.get("/series", params={"all": "true"})
    assert (everyone.status_code, everyone.json()["code"]) == (403, "forbidden")
    assert admin.get(f"/series/{mine['id']}").json() == mine
    denied = f"access denied: series {mine['id']} belongs to someone else"
    for answer in (
        other.get(f"/series/{mine['id']}"),
        other.post(f"/series/{mine['id']}/cancel", json={"reason": "mine now"}),
        other.patch(f"/series/{mine['id']}", json={"start_time": "12:00"}),
    ):
        assert answer.status_code == 403, answer.text
        assert answer.json() == {"detail": denied, "code": "forbidden"}
    for answer in (
        member.get("/series/4711"),
        member.post("/series/4711/cancel"),
        member.patch("/series/4711", json={"start_time": "12:00"}),
    ):
        assert answer.status_code == 404, answer.text
        assert answer.json() == {"detail": "series 4711 not found", "code": "not_found"}
    unknown = member.post("/reservations/series", json=_series(4711))
    assert (unknown.status_code, unknown.json()["detail"]) == (404, "resource 4711 not found")


def test_without_a_login_every_route_is_401(server: LiveServer, lab: int) -> None:
    with server.client() as anonymous:
        for answer in (
            anonymous.post("/reservations/series", json=_series(lab)),
            anonymous.get("/series"),
            anonymous.get("/series/1"),
            anonymous.post("/series/1/cancel"),
            anonymous.patch("/series/1", json={"start_time": "10:00"}),
        ):
            assert answer.status_code == 401, answer.text
            assert answer.json()["code"] == "auth"


def test_cancelling_later_occurrences_then_the_rest(member: httpx.Client, lab: int) -> None:
    series = _book(member, lab)["series"]
    fourth = series["occurrences"][3]
    later = member.post(
        f"/series/{series['id']}/cancel",
        json={"from": fourth["start_time"], "reason": "room moves"},
    )
    assert later.status_code == 200, later.text
    assert [r["status"] for r in later.json()["occurrences"]] == ["active"] * 3 + ["cancelled"] * 5
    assert later.json()["cancelled_at"] is None
    # No body at all: the whole series.
    rest = member.post(f"/series/{series['id']}/cancel")
    assert rest.status_code == 200, rest.text
    assert {r["status"] for r in rest.json()["occurrences"]} == {"cancelled"}
    assert rest.json()["cancelled_at"] == "2026-12-01T09:00:00+00:00"
    again = member.post(f"/series/{series['id']}/cancel", json={"from": None, "reason": None})
    assert again.status_code == 400
    assert again.json() == {
        "detail": f"series {series['id']} has no upcoming occurrence to cancel",
        "code": "state",
    }


def test_retiming_previews_moves_and_refuses_a_clash(
    admin: httpx.Client, member: httpx.Client, lab: int
) -> None:
    series = _book(member, lab)["series"]
    path = f"/series/{series['id']}"
    preview = member.patch(path, json={"start_time": "10:30", "dry_run": True})
    assert preview.status_code == 200, preview.text
    assert preview.json()["dry_run"] is True
    assert member.get(path).json() == series
    moved = member.patch(path, json={"start_time": "10:30", "length_minutes": 90})
    assert moved.status_code == 200, moved.text
    assert moved.json()["series"]["start"] == "2027-03-01T10:30:00"
    assert moved.json()["series"]["occurrences"][0]["start_time"] == "2027-03-01T09:30:00+00:00"
    # 12:30-13:30 Berlin on the sixth Monday, where a retime to 12:00 would reach.
    held = admin.post(
        "/reservations",
        json={
            "resource_id": lab,
            "start_time": "2027-04-05T10:30:00Z",
            "end_time": "2027-04-05T11:30:00Z",
        },
    )
    assert held.status_code == 201, held.text
    refused = member.patch(path, json={"start_time": "12:00"})
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "series"
    bad = [o for o in refused.json()["occurrences"] if o["state"] != "free"]
    assert [(o["index"], o["state"]) for o in bad] == [(6, "clash")]
    assert member.get(path).json() == moved.json()["series"]


@pytest.mark.parametrize(
    ("changes", "field", "detail"),
    [
        ({"resource_id": "1"}, "resource_id", "resource_id: Input should be a valid integer"),
        ({"resource_id": True}, "resource_id", "resource_id: Input should be a valid integer"),
        ({"length_minutes": 1.5}, "length_minutes", "length_minutes: Input should be a valid"),
        ({"every": "2"}, "every", "every: Input should be a valid integer"),
        ({"count": [8]}, "count", "count: Input should be a valid integer"),
        ({"dry_run": "yes"}, "dry_run", "dry_run: Input should be a valid boolean"),
        ({"on": 3}, "on", "on: Input should be a valid string"),
        ({"note": "a\u0000b"}, "note", "note: Value error, must not contain NUL characters"),
        ({"skip_conflict": True}, "skip_conflict", "skip_conflict: Extra inputs are not"),
        ({"timezone": "Mars/Olympus"}, "timezone", "unknown time zone 'Mars/Olympus'"),
        ({"timezone": ""}, "timezone", "no time zone given"),
        ({"every": 0}, "every", "'every' must be 1-99"),
        ({"length_minutes": 0}, "length_minutes", "the length must be at least a minute"),
        ({"length_minutes": 10**30}, "length_minutes", "an occurrence may last at most 366"),
        ({"on": "31"}, "on", "'31' is not a weekday (mon, tue, ... sun)"),
        ({"repeat": "hourly"}, "repeat", "'hourly' is not a repeat"),
        ({"count": 367}, "count", "the count must be 1-366"),
        ({"count": 10**30}, "count", "the count must be 1-366"),
        ({"count": None}, "count", "a series ends after a count or on a date"),
        ({"until": "2027-04-01"}, "count", "a series ends after a count or on a date"),
        ({"count": None, "until": "2029-01-01"}, "until", "at most 2 years ahead"),
        ({"count": None, "until": "2027-02-30"}, "until", "'2027-02-30' is not a real date"),
        ({"count": None, "until": "1 April"}, "until", "cannot read '1 April' as a date"),
        ({"start": "2027-03-01"}, "start", "cannot read '2027-03-01' as a time"),
        ({"start": "2027-03-01T25:00"}, "start", "hour 25 is out of range"),
        ({"start": "2026-11-30T09:00"}, "start", "is in the past"),
        ({"start": "0001-01-01T00:30", "timezone": "Asia/Tokyo"}, "start", "in the past"),
        ({"start": "0001-01-01T01:00Z", "timezone": "America/New_York"}, "start", "out of"),
        ({"start": "9999-12-31T23:59-23:59"}, "start", "out of the supported range"),
    ],
)
def test_bad_input_is_422_naming_the_field(
    member: httpx.Client, lab: int, changes: dict[str, Any], field: str, detail: str
) -> None:
    answer = member.post("/reservations/series", json=_series(lab, **changes))
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "invalid"
    assert answer.json()["field"] == field
    assert detail in answer.json()["detail"]


def test_bad_bodies_of_every_route_are_4xx_with_a_detail(
    server: LiveServer, member: httpx.Client, lab: int
) -> None:
    series = _book(member, lab)["series"]
    path = f"/series/{series['id']}"
    cases: list[tuple[str, str, Any, int, str | None]] = [
        ("POST", "/reservations/series", "not json", 422, None),
        ("POST", "/reservations/series", [1, 2], 422, None),
        ("POST", "/reservations/series", {}, 422, "resource_id"),
        ("PATCH", path, {}, 422, "start_time"),
        ("PATCH", path, {"start_time": "9"}, 422, "start_time"),
        ("PATCH", path, {"start_time": "10:00+01:00"}, 422, "start_time"),
        ("PATCH", path, {"start_time": "24:00"}, 422, "start_time"),
        ("PATCH", path, {"start_time": 10}, 422, "start_time"),
        ("PATCH", path, {"start_time": "10:00", "length_minutes": -5}, 422, "length_minutes"),
        ("PATCH", path, {"start_time": "10:00", "length_minutes": 10**30}, 422, "length_minutes"),
        ("PATCH", path, {"start_time": "10:00", "length_minutes": 8 * 24 * 60}, 422, None),
        ("PATCH", path, {"start_time": "10:00", "dry_run": "no"}, 422, "dry_run"),
        ("POST", f"{path}/cancel", {"from": "yesterday"}, 422, "from"),
        ("POST", f"{path}/cancel", {"from": 5}, 422, "from"),
        ("POST", f"{path}/cancel", {"form": "2027-03-01T00:00Z"}, 422, "form"),
        ("POST", f"{path}/cancel", {"reason": "x" * 600}, 422, "reason"),
        ("GET", "/series/abc", None, 422, "series_id"),
        ("GET", f"/series/{10**30}", None, 404, None),
        ("DELETE", path, None, 405, None),
    ]
    for method, url, body, status, field in cases:
        if isinstance(body, str):
            answer = member.request(
                method, url, content=body, headers={"Content-Type": "application/json"}
            )
        else:
            answer = member.request(method, url, json=body)
        assert answer.status_code == status, (method, url, body, answer.text)
        assert isinstance(answer.json()["detail"], str)
        assert answer.json().get("field") == field or field is None, answer.text
    # Nothing above changed the series, and nothing failed inside the server.
    assert member.get(path).json() == series
    assert "unexpected error" not in server.log()


def test_the_routes_are_documented(server: LiveServer) -> None:
    schema = httpx.get(f"{server.url}/openapi.json").json()
    paths = schema["paths"]
    assert set(paths["/api/v1/reservations/series"]["post"]["responses"]) >= {
        "200",
        "201",
        "409",
        "422",
    }
    assert set(paths["/api/v1/series"]) == {"get"}
    assert set(paths["/api/v1/series/{series_id}"]) == {"get", "patch"}
    assert set(paths["/api/v1/series/{series_id}/cancel"]) == {"post"}
    assert "409" in paths["/api/v1/series/{series_id}"]["patch"]["responses"]
    cancel = schema["components"]["schemas"]["SeriesCancellation"]
    assert set(cancel["properties"]) == {"from", "reason"}
    assert "occurrences" in schema["components"]["schemas"]["ErrorBody"]["properties"]
    # A series' start is a naive wall time, which RFC 3339's date-time is not.
    start = schema["components"]["schemas"]["SeriesInfo"]["properties"]["start"]
    assert (start["type"], "format" in start) == ("string", False)
