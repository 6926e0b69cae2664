"""Listing commands a page at a time: `--limit` and `--after`, locally and on a server."""

from __future__ import annotations

from support.cli import Reserver

from reserver_cli.exit_codes import ExitCode


def test_resources_page_by_page(reserver: Reserver, rooms: dict[str, int]) -> None:
    first = reserver.data("resources", "list", "--limit", "2")
    assert [r["name"] for r in first["items"]] == ["Beamer", "Room A"]
    last = reserver.data("resources", "list", "--limit", "2", "--after", first["next"])
    assert ([r["name"] for r in last["items"]], last["next"]) == (["Room B"], None)
    human = reserver.ok("resources", "list", "--limit", "2")
    assert "Beamer" in human.stdout and "Room B" not in human.stdout
    assert human.stderr.split() == ["more", "follow:", "add", "--after", first["next"]]
    final = reserver.ok("resources", "list", "--limit", "2", "--after", first["next"])
    assert "Room B" in final.stdout and final.stderr == ""
    found = reserver.data("resources", "search", "room", "--limit", "1")
    rest = reserver.data("resources", "search", "room", "--limit", "1", "--after", found["next"])
    assert [r["name"] for r in found["items"] + rest["items"]] == ["Room A", "Room B"]
    assert reserver.data("resources", "list") == first["items"] + last["items"]


def test_reservations_page_by_page(reserver: Reserver, rooms: dict[str, int]) -> None:
    early = reserver.data("book", "Room A", "2026-12-01 14:00", "--for", "1h")["id"]
    late = reserver.data("book", "Room A", "2026-12-02 14:00", "--for", "1h")["id"]
    first = reserver.data("reservations", "list", "--limit", "1")
    rest = reserver.data("reservations", "list", "--all", "--limit", "5", "--after", first["next"])
    assert [r["id"] for r in first["items"] + rest["items"]] == [late, early]
    assert rest["next"] is None


def test_bad_pages_are_refused(reserver: Reserver, rooms: dict[str, int]) -> None:
    for args, field, message in (
        (["resources", "list", "--limit", "0"], "limit", "--limit must be between 1 and 1000"),
        (["resources", "list", "--after", "abc"], "after", "--after needs --limit"),
        (["resources", "list", "--limit", "5", "--after", "abc"], "after", "not a cursor"),
        (["reservations", "list", "--limit", "5", "--upcoming"], "upcoming", "--upcoming"),
    ):
        refused = reserver(*args, "--json")
        assert refused.exit_code == ExitCode.INVALID_INPUT, args
        assert refused.error()["field"] == field
        assert message in refused.error()["message"]
