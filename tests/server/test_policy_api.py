"""Booking policies over real HTTP: the bodies a person or another client reads.

A refusal by a policy is 422 with code `policy` and every figure; changes are an
admin's (403 for a member, 401 without a login); an unknown resource is 404.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from support.servers import LiveServer

SATURDAY = "2026-12-05T10:00:00Z"
DENIED = {
    "detail": "access denied: only an admin may change booking policies",
    "code": "forbidden",
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
def anonymous(server: LiveServer) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


@pytest.fixture
def gpu(admin: httpx.Client) -> int:
    created = admin.post("/resources", json={"name": "GPU-3", "tags": ["gpu", "lab"]})
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def _booking(resource_id: int, start: str, end: str) -> dict[str, object]:
    return {"resource_id": resource_id, "start_time": start, "end_time": end}


def test_a_policy_is_set_read_and_cleared_as_json(admin: httpx.Client, gpu: int) -> None:
    body = {
        "timezone": "Europe/Berlin",
        "hours": "mon-fri 08:00-20:00",
        "add_closed": ["2026-12-24..2026-12-26 holidays"],
        "max_hours_per_week": 7.5,
    }
    answer = admin.patch("/policies/tags/gpu", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "scope": {"kind": "tag", "resource_id": None, "tag": "gpu"},
        "label": "tag 'gpu'",
        "timezone": "Europe/Berlin",
        "hours": "mon-fri 08:00-20:00",
        "closed": [
            {
                "start": "2026-12-24T00:00:00",
                "end": "2026-12-27T00:00:00",
                "reason": "holidays",
                "whole_days": True,
            }
        ],
        "min_length_minutes": None,
        "max_length_minutes": None,
        "min_notice_minutes": None,
        "max_advance_minutes": None,
        "max_active": None,
        "max_hours_per_week": 7.5,
        "approval": None,
        "approvers": None,
        "approval_timeout_minutes": None,
        "offer_hold_minutes": None,
        "updated_at": "2026-12-01T09:00:00+00:00",
    }
    assert admin.get("/policies/tags/gpu").json() == answer.json()
    assert [p["label"] for p in admin.get("/policies").json()] == ["tag 'gpu'"]
    effective = admin.get(f"/resources/{gpu}/policy").json()
    assert effective["timezone"] == "Europe/Berlin"
    assert {f["name"]: f["source"] for f in effective["fields"]}["hours"] == "tag 'gpu'"
    cleared = admin.delete("/policies/tags/gpu", params={"fields": ["hours", "closed"]})
    assert (cleared.json()["hours"], cleared.json()["closed"]) == (None, [])
    assert cleared.json()["timezone"] == "Europe/Berlin"
    emptied = admin.delete("/policies/tags/gpu")
    assert emptied.json()["timezone"] is None
    assert admin.get("/policies").json() == []


def test_a_refusal_is_422_with_the_rule_its_scope_and_figures(
    admin: httpx.Client, member: httpx.Client, gpu: int
) -> None:
    admin.patch(
        "/policies/tags/gpu",
        json={"timezone": "Europe/Berlin", "hours": "mon-fri 08:00-20:00", "max_active": 1},
    )
    closed = member.post("/reservations", json=_booking(gpu, SATURDAY, "2026-12-05T11:00:00Z"))
    assert closed.status_code == 422
    assert closed.json() == {
        "detail": "GPU-3 is closed on Saturdays (opening hours of tag 'gpu': Mon-Fri "
        "08:00-20:00 Europe/Berlin)",
        "code": "policy",
        "field": "start_time",
        "rule": "hours",
        "scope": "tag 'gpu'",
        "limit": None,
        "current": None,
        "unit": None,
        "resource": "GPU-3",
        "figures": {
            "hours": "mon-fri 08:00-20:00",
            "timezone": "Europe/Berlin",
            "closed_at": "2026-12-05T10:00:00+00:00",
        },
    }
    first = member.post(
        "/reservations", json=_booking(gpu, "2026-12-02T10:00:00Z", "2026-12-02T11:00:00Z")
    )
    assert first.status_code == 201, first.text
    second = member.post(
        "/reservations", json=_booking(gpu, "2026-12-02T12:00:00Z", "2026-12-02T13:00:00Z")
    )
    assert second.status_code == 422
    assert {k: v for k, v in second.json().items() if k != "detail"} == {
        "code": "policy",
        "field": None,
        "rule": "max_active",
        "scope": "tag 'gpu'",
        "limit": 1,
        "current": 1,
        "unit": "bookings",
        "resource": "GPU-3",
        "figures": {},
    }
    allowance = member.get(f"/resources/{gpu}/policy").json()["allowances"]
    assert allowance == [
        {
            "rule": "max_active",
            "scope": "tag 'gpu'",
            "limit": 1,
            "used": 1,
            "exempt": False,
            "window_start": None,
            "window_end": None,
        }
    ]


def test_only_an_admin_changes_policies_and_anyone_reads_them(
    admin: httpx.Client, member: httpx.Client, anonymous: httpx.Client, gpu: int
) -> None:
    admin.patch("/policies/default", json={"max_active": 3})
    for path in ("/policies/default", "/policies/tags/gpu", f"/policies/resources/{gpu}"):
        patched = member.patch(path, json={"max_active": 30})
        assert (patched.status_code, patched.json()) == (403, DENIED)
        deleted = member.delete(path, params={"fields": "max_active"})
        assert (deleted.status_code, deleted.json()) == (403, DENIED)
        unknown = anonymous.patch(path, json={"max_active": 30})
        assert unknown.status_code == 401
        assert unknown.headers["WWW-Authenticate"] == "Bearer"
        assert anonymous.delete(path).status_code == 401
    assert admin.get("/policies/default").json()["max_active"] == 3
    assert anonymous.get("/policies").json() == member.get("/policies").json()
    effective = anonymous.get(f"/resources/{gpu}/policy")
    assert effective.status_code == 200
    assert effective.json()["allowances"] == []
    assert member.get(f"/resources/{gpu}/policy").json()["allowances"][0]["used"] == 0


def test_an_unknown_resource_is_404(admin: httpx.Client, anonymous: httpx.Client) -> None:
    missing = {"detail": "resource 999 not found", "code": "not_found"}
    for answer in (
        anonymous.get("/resources/999/policy"),
        anonymous.get("/policies/resources/999"),
        admin.patch("/policies/resources/999", json={"max_active": 2}),
        admin.delete("/policies/resources/999"),
    ):
        assert (answer.status_code, answer.json()) == (404, missing)
    not_an_id = anonymous.get("/policies/resources/GPU-3")
    assert (not_an_id.status_code, not_an_id.json()["field"]) == (422, "resource_id")


@pytest.mark.parametrize(
    ("body", "field", "detail"),
    [
        ({"max_actvie": 2}, "max_actvie", "max_actvie: Extra inputs are not permitted"),
        ({"max_active": "many"}, "max_active", "max_active: Input should be a valid integer"),
        ({"add_closed": "2026-12-24"}, "add_closed", "add_closed: Input should be a valid list"),
        ({"hours": "mon 08:00-25:00"}, "hours", "25:00 in '08:00-25:00' is not a time of day"),
        ({"max_hours_per_week": 0}, "max_hours_per_week", "above 0"),
        ({"min_notice_minutes": 10**30}, "min_notice_minutes", "at most 366 days"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "Mars/Olympus_Mons"),
    ],
)
def test_a_bad_change_is_422_naming_the_field_and_saves_nothing(
    admin: httpx.Client, body: dict[str, object], field: str, detail: str
) -> None:
    refused = admin.patch("/policies/default", json={"max_active": 4, **body})
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "invalid"
    assert refused.json()["field"] == field
    assert detail in refused.json()["detail"]
    assert admin.get("/policies").json() == []


def test_clearing_an_unknown_field_is_422_naming_fields(admin: httpx.Client) -> None:
    admin.patch("/policies/default", json={"max_active": 4})
    refused = admin.delete("/policies/default", params={"fields": ["max_active", "colour"]})
    assert refused.status_code == 422
    assert refused.json()["field"] == "fields"
    assert "'colour'" in refused.json()["detail"]
    assert admin.get("/policies/default").json()["max_active"] == 4


def test_a_tag_with_a_slash_is_sent_encoded(admin: httpx.Client) -> None:
    encoded = admin.patch("/policies/tags/ml%2Fgpu", json={"max_active": 2})
    assert encoded.status_code == 200, encoded.text
    assert encoded.json()["scope"]["tag"] == "ml/gpu"
    assert admin.get("/policies/tags/ml/gpu").json() == encoded.json()
    assert admin.get("/policies/tags/ML%2FGPU").json() == encoded.json()
    bad = admin.get("/policies/tags/gpu%21")
    assert (bad.status_code, bad.json()["field"]) == (422, "tags")


def test_the_policy_routes_are_documented_under_the_api_prefix(server: LiveServer) -> None:
    paths = httpx.get(f"{server.url}/openapi.json").json()["paths"]
    for path, methods in (
        ("/resources/{resource_id}/policy", {"get"}),
        ("/policies", {"get"}),
        ("/policies/default", {"get", "patch", "delete"}),
        ("/policies/tags/{tag}", {"get", "patch", "delete"}),
        ("/policies/resources/{resource_id}", {"get", "patch", "delete"}),
    ):
        assert set(paths[f"/api/v1{path}"]) == methods
        assert path not in paths
