"""Over real HTTP: misleading text, loose ids, reversed windows and weak passwords
are refused with 422 and a detail that says why."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator
from datetime import timedelta

import httpx
import pytest
from support.clock import NOW
from support.servers import LiveServer

NFC = unicodedata.normalize("NFC", "Café")
NFD = unicodedata.normalize("NFD", "Café")
START = NOW + timedelta(days=1)
REORDERS = "it changes how the text is shown"
INVISIBLE = "it is invisible"


@pytest.fixture
def admin_token(server: LiveServer) -> str:
    return server.user("alice")


@pytest.fixture
def admin(server: LiveServer, admin_token: str) -> Iterator[httpx.Client]:
    with server.client(admin_token) as client:
        yield client


@pytest.mark.parametrize(
    ("character", "described", "reason"),
    [
        ("\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE", REORDERS),
        ("\u2067", "U+2067 RIGHT-TO-LEFT ISOLATE", REORDERS),
        ("\u200e", "U+200E LEFT-TO-RIGHT MARK", REORDERS),
        ("\u200b", "U+200B ZERO WIDTH SPACE", INVISIBLE),
        ("\ufeff", "U+FEFF ZERO WIDTH NO-BREAK SPACE", INVISIBLE),
        ("\u3164", "U+3164 HANGUL FILLER", INVISIBLE),
        ("\u2061", "U+2061 FUNCTION APPLICATION", INVISIBLE),
    ],
)
def test_misleading_names_and_tags_are_422_naming_the_character(
    server: LiveServer,
    admin: httpx.Client,
    admin_token: str,
    character: str,
    described: str,
    reason: str,
) -> None:
    expected = f"a resource name must not contain {described} (at character 5): {reason}"
    with server.seed_client(admin_token) as seed:
        for client in (admin, seed):
            refused = client.post("/resources", json={"name": f"Room{character}A"})
            assert refused.status_code == 422, refused.text
            assert (refused.json()["detail"], refused.json()["field"]) == (expected, "name")
    tagged = admin.post("/resources", json={"name": "Room A", "tags": f"room,flo{character}or"})
    assert tagged.status_code == 422
    assert f"must not contain {described} (at character 4)" in tagged.json()["detail"]
    room = admin.post("/resources", json={"name": "Room A"}).json()
    renamed = admin.patch(f"/resources/{room['id']}", json={"name": f"A{character}"})
    assert renamed.status_code == 422 and described in renamed.json()["detail"]
    assert [r["name"] for r in admin.get("/resources").json()] == ["Room A"]


def test_names_that_show_nothing_and_bidi_in_free_text_are_422(
    server: LiveServer, admin: httpx.Client
) -> None:
    for blank in ("\u2800\u2800", "\u115f", " \u0301 "):
        refused = admin.post("/resources", json={"name": blank})
        assert refused.status_code == 422, blank
        assert refused.json()["detail"].startswith("a resource name must")
    described = admin.post("/resources", json={"name": "Room", "description": "ok\u202dgnp.exe"})
    assert described.status_code == 422
    assert described.json()["detail"] == (
        "a description must not contain U+202D LEFT-TO-RIGHT OVERRIDE (at character 3): " + REORDERS
    )
    room = admin.post("/resources", json={"name": "Room", "description": "two\nlines"})
    assert room.status_code == 201 and room.json()["description"] == "two\nlines"
    start = START.isoformat()
    end = (START + timedelta(hours=1)).isoformat()
    booked = admin.post(
        "/reservations",
        json={"resource_id": room.json()["id"], "start_time": start, "end_time": end},
    ).json()
    cancel = admin.post(f"/reservations/{booked['id']}/cancel", json={"reason": "\u2066x"})
    assert cancel.status_code == 422
    assert cancel.json()["detail"].startswith(
        "a reason must not contain U+2066 LEFT-TO-RIGHT ISOLATE (at character 1)"
    )


def test_an_upload_names_the_bad_lines(server: LiveServer, admin: httpx.Client) -> None:
    data = f"name,tags\nRoom A,room\nRoom\u2060B,room\n{NFC},x\n{NFD},x\n".encode()
    refused = admin.post("/resources/upload", files={"file": ("r.csv", data, "text/csv")})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {
            "line": 3,
            "message": "a resource name must not contain U+2060 WORD JOINER (at character 5): "
            + INVISIBLE,
        },
        {"line": 5, "message": f"{NFC!r} repeats line 4"},
    ]


def test_nfc_and_nfd_are_one_name_and_accents_make_another_on_every_database(
    live_server_factory: Callable[..., LiveServer], any_url: str
) -> None:
    server = live_server_factory(any_url)
    with server.client(server.user("alice")) as admin:
        first = admin.post("/resources", json={"name": NFD, "tags": [NFD]})
        assert first.status_code == 201, first.text
        assert (first.json()["name"], first.json()["tags"]) == (NFC, [NFC.lower()])
        again = admin.post("/resources", json={"name": NFC})
        assert again.status_code == 400
        assert again.json()["detail"] == f"a resource named {NFC!r} already exists"
        plain = admin.post("/resources", json={"name": "cafe"})
        assert plain.status_code == 201, plain.text
        assert [r["name"] for r in admin.get("/resources").json()] == ["cafe", NFC]
        looked_up = admin.get("/resources/lookup", params={"reference": NFD.upper()})
        assert looked_up.json()["id"] == first.json()["id"]


def test_ids_in_bodies_are_strict_integers(
    server: LiveServer, admin: httpx.Client, admin_token: str
) -> None:
    room = admin.post("/resources", json={"name": "Room 1"}).json()
    assert room["id"] == 1
    start = START.isoformat()
    end = (START + timedelta(hours=1)).isoformat()
    with server.seed_client(admin_token) as seed:
        for client, path in ((admin, "/reservations"), (seed, "/reservations"), (seed, "/reserve")):
            for loose in (True, "1", 1.0, " 1", None, [1]):
                body = {"resource_id": loose, "start_time": start, "end_time": end}
                refused = client.post(path, json=body)
                assert refused.status_code == 422, (path, loose, refused.text)
                assert refused.json()["detail"].startswith("resource_id: ")
                assert refused.json()["field"] == "resource_id"
        # None of them booked: the very same window is still free.
        booked = seed.post(
            "/reservations", json={"resource_id": 1, "start_time": start, "end_time": end}
        )
        assert booked.status_code == 201, booked.text


def test_a_reversed_listing_window_is_422(server: LiveServer, admin: httpx.Client) -> None:
    room = admin.post("/resources", json={"name": "Room"}).json()
    later = START + timedelta(hours=2)
    for start, end in ((later, START), (START, START)):
        refused = admin.get(
            f"/resources/{room['id']}/reservations",
            params={"start": start.isoformat(), "end": end.isoformat()},
        )
        assert refused.status_code == 422
        assert refused.json()["detail"] == (
            f"the window's end ({end.isoformat()}) must be after its start ({start.isoformat()})"
        )
        assert refused.json()["field"] == "end"
    fine = admin.get(
        f"/resources/{room['id']}/reservations",
        params={"start": START.isoformat(), "end": later.isoformat()},
    )
    assert fine.status_code == 200 and fine.json() == []
    window = {"available_from": later.isoformat(), "available_until": START.isoformat()}
    searched = admin.get("/resources/search", params=window)
    assert searched.status_code == 422 and "end must be after" in searched.json()["detail"]
    for days in ("0", "-3"):
        grid = admin.get(f"/resources/{room['id']}/availability", params={"days_ahead": days})
        assert grid.status_code == 422


@pytest.mark.parametrize(
    ("password", "says"),
    [
        (" " * 8, "a password cannot be only spaces or other white space"),
        (" " * 12, "a password cannot be only spaces or other white space"),
        ("\t \u3000 \n  \t  ", "a password cannot be only spaces or other white space"),
        ("password", "this password is among the most common ones, which are guessed first"),
        ("PASSWORD123", "this password is among the most common ones, which are guessed first"),
        ("1234567890", "this password is among the most common ones, which are guessed first"),
        ("qwertyuiop", "this password is among the most common ones, which are guessed first"),
        ("Iloveyou123", "this password is among the most common ones, which are guessed first"),
        ("kq7-vt2-x", "a password has at least 10 characters"),
    ],
)
def test_weak_passwords_are_refused_at_registration(
    server: LiveServer, password: str, says: str
) -> None:
    with server.client() as v1, server.seed_client() as seed:
        for client in (v1, seed):
            refused = client.post("/register", json={"username": "carol", "password": password})
            assert refused.status_code == 422, refused.text
            assert refused.json()["detail"].startswith(says)
            assert refused.json()["field"] == "password"
        made = v1.post("/register", json={"username": "carol", "password": "kq7-vt2-x-m"})
        assert made.status_code == 201, made.text
