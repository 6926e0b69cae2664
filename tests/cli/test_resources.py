"""`reserver resources ...` end to end, on a local store and on a live server."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import Reserver

from reserver_cli.exit_codes import ExitCode


def test_create_list_show_and_edit(reserver: Reserver, rooms: dict[str, int]) -> None:
    listed = reserver.data("resources", "list")
    assert [r["name"] for r in listed] == ["Beamer", "Room A", "Room B"]
    assert {r["status"] for r in listed} == {"available"}
    assert listed[1]["tags"] == ["room", "floor-1"]

    by_name = reserver.data("resources", "show", "room a")
    assert by_name["id"] == rooms["Room A"]
    assert reserver.data("resources", "show", str(rooms["Beamer"]))["name"] == "Beamer"

    edited = reserver.data(
        "resources", "edit", "Beamer", "--name", "Beamer 2", "-t", "projector,hdmi", "-d", "4K"
    )
    assert (edited["name"], edited["tags"], edited["description"]) == (
        "Beamer 2",
        ["projector", "hdmi"],
        "4K",
    )
    human = reserver.ok("resources", "list").stdout
    assert "Beamer 2" in human and "available" in human and "projector, hdmi" in human
    assert "\x1b[" not in human  # no colour codes when stdout is not a terminal


def test_global_options_work_before_and_after_the_command(
    reserver: Reserver, rooms: dict[str, int]
) -> None:
    before = reserver.ok("--json", "resources", "list").json()
    after = reserver.ok("resources", "list", "--json").json()
    assert before == after and len(after) == 3
    zoned = reserver.ok("resources", "show", "Room A", "--tz=Asia/Tokyo").stdout
    assert "JST" in zoned
    dangling = reserver("resources", "list", "--tz")
    assert dangling.exit_code == 2 and "a value must follow" in dangling.stderr
    literal = reserver.ok("resources", "create", "--", "--json")
    assert "Created resource" in literal.stdout and "--json" in literal.stdout


def test_search_by_text_tag_status_and_free_window(
    reserver: Reserver, rooms: dict[str, int]
) -> None:
    assert [r["name"] for r in reserver.data("resources", "search", "room")] == ["Room A", "Room B"]
    assert [r["name"] for r in reserver.data("resources", "search", "-t", "floor-1")] == ["Room A"]
    reserver.ok("book", "Room A", "2026-12-01 14:00", "--for", "1h")
    free = reserver.data(
        "resources", "search", "--tag", "room", "--free-from", "14:30", "--for", "30m"
    )
    assert [r["name"] for r in free] == ["Room B"]
    free = reserver.data(
        "resources", "search", "--free-from", "15:00", "--free-until", "16:00", "-t", "room"
    )
    assert [r["name"] for r in free] == ["Room A", "Room B"]
    reserver.ok("resources", "disable", "Room B")
    assert [r["name"] for r in reserver.data("resources", "search", "-s", "disabled")] == ["Room B"]

    lone = reserver("resources", "search", "--for", "1h")
    assert lone.exit_code == ExitCode.INVALID_INPUT
    assert "--free-from" in lone.stderr
    bad_status = reserver("resources", "search", "--status", "sleeping")
    assert bad_status.exit_code == 2 and bad_status.stdout == ""


def test_an_over_long_search_term_is_invalid_input(
    reserver: Reserver, rooms: dict[str, int]
) -> None:
    refused = reserver("resources", "search", "x" * 50_000)
    assert refused.exit_code == ExitCode.INVALID_INPUT and refused.stdout == ""
    assert "a search term is at most 200 characters (got 50000)" in refused.stderr
    assert reserver.data("resources", "search", "x" * 200) == []


def test_admin_switches_and_status(reserver: Reserver, rooms: dict[str, int]) -> None:
    disabled = reserver.data("resources", "disable", "Room A")
    assert (disabled["available"], disabled["status"]) == (False, "disabled")
    assert reserver.data("resources", "enable", "Room A")["status"] == "available"

    under = reserver.data("resources", "maintenance", "Room A", "--hours", "3")["resource"]
    assert under["status"] == "maintenance"
    assert under["maintenance_until"].startswith("2026-12-01T12:00")
    status = reserver.data("resources", "status", "Room A")
    assert status["status"] == "maintenance"
    assert status["maintenance_reset_at"].startswith("2026-12-01T12:00")
    shown = reserver.ok("--tz", "Europe/Berlin", "resources", "status", "Room A").stdout
    assert "Tue 1 Dec 13:00 CET" in shown  # 12:00 UTC, in Berlin
    booked = reserver("book", "Room A", "2026-12-01 10:00", "--for", "1h")
    assert booked.exit_code == ExitCode.REFUSED
    assert "maintenance" in booked.stderr
    assert reserver.data("resources", "reset", "Room A")["status"] == "available"

    out_of_range = reserver("resources", "maintenance", "Room A", "--hours", "500")
    assert out_of_range.exit_code == ExitCode.INVALID_INPUT
    assert "--hours" in out_of_range.stderr  # the option typed, not the API's field name


def test_members_may_look_but_not_administer(reserver: Reserver, rooms: dict[str, int]) -> None:
    assert len(reserver.data("resources", "list", user="bob")) == 3
    for args in (
        ("resources", "create", "Room C"),
        ("resources", "disable", "Room A"),
        ("resources", "maintenance", "Room A"),
        ("system", "expire"),
    ):
        denied = reserver(*args, "--json", user="bob")
        assert denied.exit_code == ExitCode.DENIED, args
        assert denied.error()["code"] == "forbidden"


def test_unknown_resource_and_duplicate_name(reserver: Reserver, rooms: dict[str, int]) -> None:
    missing = reserver("resources", "show", "Room Z")
    assert missing.exit_code == ExitCode.NOT_FOUND
    assert "Room Z" in missing.stderr and missing.stdout == ""
    assert reserver("resources", "status", "999").exit_code == ExitCode.NOT_FOUND

    taken = reserver("resources", "create", "ROOM A", "--json")
    assert taken.exit_code == ExitCode.CONFLICT
    assert taken.error()["code"] == "exists"
    blank = reserver("resources", "create", "   ")
    assert blank.exit_code == ExitCode.INVALID_INPUT


def test_availability_grid_in_the_local_zone(reserver: Reserver, rooms: dict[str, int]) -> None:
    reserver.ok("book", "Room A", "2026-12-02 09:00", "--end", "10:30", "--tz", "Europe/Berlin")
    reserver.ok("book", "Room A", "2026-12-03 13:00", "--for", "1h", user="bob")
    grid = reserver.data(
        "resources", "availability", "Room A", "--from", "2026-12-01", "--days", "3",
        "--tz", "Europe/Berlin",
    )  # fmt: skip
    assert grid["timezone"] == "Europe/Berlin"
    assert [day["day"] for day in grid["days"]] == ["2026-12-01", "2026-12-02", "2026-12-03"]
    first_slot = grid["days"][1]["slots"][0]
    assert first_slot["start"].startswith("2026-12-02T07:00")  # 08:00 in Berlin
    states = [slot["state"] for slot in grid["days"][1]["slots"]]
    assert states[2:5] == ["mine", "mine", "mine"]  # 09:00-10:30 Berlin
    assert "booked" in [slot["state"] for slot in grid["days"][2]["slots"]]
    assert grid["days"][0]["slots"][0]["state"] == "past"  # 08:00 Berlin is before NOW

    human = reserver.ok(
        "resources", "availability", "Room A", "--from", "today", "--days", "2",
        "--tz", "Europe/Berlin",
    ).stdout  # fmt: skip
    assert "Europe/Berlin" in human
    assert "Tue 1 Dec" in human and "Wed 2 Dec" in human and "Thu 3 Dec" not in human
    assert "Wed 2 Dec 09:00-10:30 CET by alice" in human
    bad_day = reserver("resources", "availability", "Room A", "--from", "someday")
    assert bad_day.exit_code == ExitCode.INVALID_INPUT and "2026-12-07" in bad_day.stderr


def test_availability_shows_the_hours_asked_for(reserver: Reserver, rooms: dict[str, int]) -> None:
    reserver.ok("book", "Room A", "2026-12-01 23:00", "--end", "01:00")
    night = reserver.data(
        "resources", "availability", "Room A", "--from", "today", "--days", "2",
        "--from-hour", "20", "--to-hour", "24",
    )  # fmt: skip
    first, second = night["days"]
    assert [slot["start"][11:16] for slot in first["slots"]][::2] == [
        "20:00",
        "21:00",
        "22:00",
        "23:00",
    ]
    assert first["slots"][-1]["end"].startswith("2026-12-02T00:00")
    assert [slot["state"] for slot in first["slots"]][-2:] == ["mine", "mine"]
    assert second["slots"][0]["start"].startswith("2026-12-02T20:00")
    early = reserver.data(
        "resources", "availability", "Room A", "--from", "tomorrow", "--days", "1",
        "--from-hour", "0", "--to-hour", "2",
    )  # fmt: skip
    assert [slot["state"] for slot in early["days"][0]["slots"]] == ["mine", "mine", "free", "free"]
    whole = reserver.data(
        "resources", "availability", "Room A", "--days", "1", "--from-hour", "0", "--to-hour", "24"
    )
    assert len(whole["days"][0]["slots"]) == 48
    # Without --to-hour the settings' end (18:00) applies.
    evening = reserver("resources", "availability", "Room A", "--days", "1", "--from-hour", "18")
    assert evening.exit_code == ExitCode.INVALID_INPUT
    assert "18:00 is not before 18:00" in evening.stderr
    for options, words in (
        (("--from-hour", "24"), "--from-hour must be 0 to 23, not 24"),
        (("--from-hour", "-1"), "--from-hour must be 0 to 23, not -1"),
        (("--to-hour", "25"), "--to-hour must be 1 to 24"),
        (("--to-hour", "0"), "--to-hour must be 1 to 24"),
        (("--from-hour", "10", "--to-hour", "9"), "10:00 is not before 09:00"),
        (("--from-hour", "10", "--to-hour", "10"), "--from-hour must be less than --to-hour"),
    ):
        refused = reserver("resources", "availability", "Room A", *options, "--json")
        assert refused.exit_code == ExitCode.INVALID_INPUT, (options, refused.stderr)
        assert words in refused.error()["message"], (options, refused.error())
        assert "Traceback" not in refused.stderr


def test_import_reports_every_bad_line_and_imports_nothing(
    reserver: Reserver, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        'name,tags,available\nLab 1,"lab,scope",true\n,lab,true\nLab 2,lab,perhaps\n'
        "Lab 1,lab,true\n",
        encoding="utf-8",
    )
    rejected = reserver("resources", "import", str(bad))
    assert rejected.exit_code == ExitCode.INVALID_INPUT
    for line in ("line 3", "line 4", "line 5"):
        assert line in rejected.stderr
    assert "line 2:" not in rejected.stderr
    assert reserver.data("resources", "list") == []

    as_json = reserver("resources", "import", str(bad), "--json")
    assert [e["line"] for e in as_json.error()["errors"]] == [3, 4, 5]

    skipped = reserver.ok("resources", "import", str(bad), "--skip-invalid", "--json")
    report = skipped.json()
    assert (report["created_count"], report["skipped_count"]) == (1, 3)
    assert [e["line"] for e in report["errors"]] == [3, 4, 5]
    assert skipped.stdout.count("{") == 1 + 3, "one document: the report and its errors"
    assert "skipped line 4" in skipped.stderr
    assert [r["name"] for r in reserver.data("resources", "list")] == ["Lab 1"]

    from_stdin = reserver.data("resources", "import", "-", stdin="name,tags\nLab 3,lab\n")
    assert from_stdin == {
        "created_count": 1,
        "updated_count": 0,
        "unchanged_count": 0,
        "skipped_count": 0,
        "errors": [],
    }

    not_utf8 = tmp_path / "latin1.csv"
    not_utf8.write_bytes("name,tags\nSalle \xe9t\xe9,room\n".encode("latin-1"))
    assert reserver("resources", "import", str(not_utf8)).exit_code == ExitCode.INVALID_INPUT
    missing = reserver("resources", "import", str(tmp_path / "nope.csv"))
    assert missing.exit_code == ExitCode.INVALID_INPUT and "nope.csv" in missing.stderr


def test_export_then_import_into_a_fresh_store_round_trips(
    reserver: Reserver, rooms: dict[str, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reserver.ok("resources", "create", "Scope, 4 channels", "-t", "lab", "--disabled")
    reserver.ok(
        "resources", "edit", "Beamer", "--description", 'Ceiling, "left"\nremote in drawer ü'
    )
    before = reserver.data("resources", "list")
    to_stdout = reserver.ok("resources", "export").stdout
    assert to_stdout.splitlines()[0] == "name,tags,available,description"
    monkeypatch.chdir(tmp_path)
    assert reserver.ok("resources", "export", "-o", "-").stdout == to_stdout
    assert not (tmp_path / "-").exists()
    exported = tmp_path / "out" / "resources.csv"
    exported.parent.mkdir()
    summary = reserver.data("resources", "export", "-o", str(exported))
    assert summary == {"exported_count": 4, "file": str(exported)}
    assert exported.read_text(encoding="utf-8") == to_stdout
    assert reserver("resources", "export", "--json").exit_code == ExitCode.INVALID_INPUT

    reserver.empty_store()
    assert reserver.data("resources", "list") == []
    report = reserver.data("resources", "import", str(exported))
    assert (report["created_count"], report["errors"]) == (4, [])
    after = reserver.data("resources", "list")

    def essence(found: list[dict[str, object]]) -> list[tuple[object, ...]]:
        return [(r["name"], r["tags"], r["available"], r["description"]) for r in found]

    assert essence(after) == essence(before)


def test_import_update_takes_an_edited_export(
    reserver: Reserver, rooms: dict[str, int], tmp_path: Path
) -> None:
    exported = tmp_path / "resources.csv"
    reserver.ok("resources", "export", "-o", str(exported))
    again = reserver("resources", "import", str(exported))
    assert again.exit_code == ExitCode.INVALID_INPUT
    assert "import again with --update" in again.stderr
    text = exported.read_text(encoding="utf-8")
    exported.write_text(
        text.replace("Room B,room,true,", 'Room B,room,true,"Quiet, no ""calls"""')
        + "Room C,room,false,New\n",
        encoding="utf-8",
    )
    updated = reserver.ok("resources", "import", str(exported), "--update")
    assert updated.stdout == "Imported 4 resources: 1 new, 1 updated, 2 unchanged.\n"
    shown = reserver.data("resources", "show", "Room B")
    assert shown["description"] == 'Quiet, no "calls"'
    report = reserver.data("resources", "import", str(exported), "--update", "--skip-invalid")
    assert (report["created_count"], report["updated_count"], report["unchanged_count"]) == (
        0,
        0,
        4,
    )
    exported.write_text(text + ",nameless,true,\n", encoding="utf-8")
    refused = reserver("resources", "import", str(exported), "--update", "--json")
    assert refused.error()["errors"] == [{"line": 5, "message": "a resource name cannot be empty"}]
    assert "--update" not in refused.stderr, "no hint to use what was used"
    assert reserver.data("resources", "show", "Room B")["description"] == 'Quiet, no "calls"'


def test_a_long_list_prints_every_row_quickly(reserver: Reserver, tmp_path: Path) -> None:
    many = tmp_path / "many.csv"
    rows = [f"Machine {n:04d},test,{'true' if n % 10 else 'false'}" for n in range(1, 801)]
    many.write_text("name,tags,available\n" + "\n".join(rows) + "\n", encoding="utf-8")
    assert reserver.data("resources", "import", str(many))["created_count"] == 800
    lines = reserver.ok("resources", "list").stdout.splitlines()
    assert len(lines) == 2 + 800
    assert lines[0].split() == ["ID", "┃", "Name", "┃", "Status", "┃", "Tags", "┃", "Note"]
    assert lines[2].split("│")[1:4] == [" Machine 0001 ", " available ", " test "]
    assert "disabled" in lines[11] and "Machine 0010" in lines[11]


def test_names_with_brackets_print_as_typed(reserver: Reserver) -> None:
    made = reserver.ok("resources", "create", "Lab [/] 2")
    assert made.stdout.strip() == "Created resource #1: Lab [/] 2"
    reserver.ok("resources", "create", "[bold]Scope[/bold]")
    free = reserver.ok("next-free", "[bold]Scope[/bold]").stdout
    assert "[bold]Scope[/bold] is free" in free
    assert "reserver book '[bold]Scope[/bold]'" in free  # a command that books it


def test_a_near_miss_names_close_matches_and_a_unique_beginning_is_enough(
    reserver: Reserver, rooms: dict[str, int]
) -> None:
    shown = reserver.data("resources", "show", "Beam")
    assert shown["id"] == rooms["Beamer"]
    booked = reserver.data("book", "beam", "2026-12-01 14:00", "--for", "1h")
    assert booked["resource"]["name"] == "Beamer"

    missed = reserver("resources", "show", "Beemer")
    assert missed.exit_code == ExitCode.NOT_FOUND
    assert "no resource named 'Beemer'; did you mean 'Beamer'?" in missed.stderr
    missed_json = reserver("resources", "show", "Beemer", "--json").error()
    assert (missed_json["code"], missed_json["candidates"]) == ("not_found", ["Beamer"])

    ambiguous = reserver("book", "Room", "2026-12-01 15:00", "--for", "1h")
    assert ambiguous.exit_code == ExitCode.INVALID_INPUT
    assert "'Room' could be any of 2 resources: 'Room A' and 'Room B'" in ambiguous.stderr
    assert reserver.data("upcoming") == [booked]
