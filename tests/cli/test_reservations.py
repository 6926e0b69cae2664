"""Booking from the shell: `book`, `cancel`, `upcoming`, `next-free`, `reservations ...`."""

from __future__ import annotations

import shlex

from support.cli import Reserver

from reserver_cli.exit_codes import ExitCode


def test_book_list_show_cancel_and_history(reserver: Reserver, rooms: dict[str, int]) -> None:
    booked = reserver.data("book", "Room A", "tomorrow 14:00", "--for", "1h30m")
    assert booked["resource"]["name"] == "Room A"
    assert (booked["start_time"], booked["end_time"]) == (
        "2026-12-02T14:00:00+00:00",
        "2026-12-02T15:30:00+00:00",
    )
    assert booked["status"] == "active" and booked["username"] == "alice"
    shown = reserver.ok(
        "--tz", "Europe/Berlin", "book", str(rooms["Beamer"]), "2026-12-01 16:00", "--end", "17:15"
    ).stdout
    assert "Beamer, Tue 1 Dec 16:00-17:15 CET" in shown
    reserver.ok("book", "Room B", "+2h", "--for", "45m", user="bob")

    mine = reserver.data("reservations", "list")
    assert [r["resource"]["name"] for r in mine] == ["Room A", "Beamer"]  # newest start first
    upcoming = reserver.data("upcoming")
    assert [r["resource"]["name"] for r in upcoming] == ["Beamer", "Room A"]  # soonest first
    assert reserver.data("reservations", "list", "--upcoming") == upcoming
    everyone = reserver.data("reservations", "list", "--all")
    assert sorted(r["username"] for r in everyone) == ["alice", "alice", "bob"]
    assert reserver("reservations", "list", "--all", user="bob").exit_code == ExitCode.DENIED

    table = reserver.ok("--tz", "Europe/Berlin", "upcoming").stdout
    assert "Wed 2 Dec 15:00-16:30 CET" in table and "1h30m" in table

    number = str(booked["id"])
    assert reserver.data("reservations", "show", number)["id"] == booked["id"]
    not_yours = reserver("reservations", "show", number, user="bob")
    assert not_yours.exit_code == ExitCode.DENIED
    assert reserver("cancel", number, user="bob").exit_code == ExitCode.DENIED

    cancelled = reserver.data("cancel", number, "--reason", "meeting moved")
    assert cancelled["status"] == "cancelled"
    assert cancelled["cancellation_reason"] == "meeting moved"
    again = reserver("cancel", number)
    assert again.exit_code == ExitCode.REFUSED and "already cancelled" in again.stderr
    assert [r["id"] for r in reserver.data("reservations", "list")] == [r["id"] for r in mine][1:]
    with_cancelled = reserver.data("reservations", "list", "--include-cancelled")
    assert booked["id"] in [r["id"] for r in with_cancelled]

    events = reserver.data("reservations", "history", number)
    assert [e["action"] for e in events] == ["cancelled", "created"]
    assert events[0]["actor"] == "alice" and "meeting moved" in events[0]["details"]
    history = reserver.ok("--tz", "Europe/Berlin", "reservations", "history", number).stdout
    assert "Room A, Wed 2 Dec 15:00-16:30 CET, cancelled, held by alice" in history
    assert "meeting moved" in history
    assert "UTC" not in history  # the booked window of "created", too, in local time

    assert reserver("cancel", "999").exit_code == ExitCode.NOT_FOUND
    assert reserver("reservations", "history", "999").exit_code == ExitCode.NOT_FOUND
    assert reserver("cancel", "twelve").exit_code == ExitCode.INVALID_INPUT


def test_conflict_names_the_clash_and_the_next_free_slot(
    reserver: Reserver, rooms: dict[str, int]
) -> None:
    first = reserver.data("book", "Room A", "2026-12-01 13:00", "--for", "1h")
    clash = reserver(
        "--tz", "Europe/Berlin", "book", "Room A", "2026-12-01 14:30", "--for", "1h", user="bob"
    )
    assert clash.exit_code == ExitCode.CONFLICT
    assert clash.stdout == ""
    assert "Room A is already booked" in clash.stderr
    assert f"#{first['id']}: Tue 1 Dec 14:00-15:00 CET" in clash.stderr  # 13:00 UTC in Berlin
    assert "next free 1h slot: Tue 1 Dec 15:00-16:00 CET" in clash.stderr
    assert "reserver book 'Room A' 2026-12-01T15:00+01:00 --for 1h" in clash.stderr

    as_json = reserver("book", "Room A", "2026-12-01 13:30", "--for", "1h", "--json", user="bob")
    assert as_json.exit_code == ExitCode.CONFLICT
    error = as_json.error()
    assert error["code"] == "conflict" and error["exit_code"] == 4
    assert error["windows"] == [
        {
            "start": "2026-12-01T13:00:00+00:00",
            "end": "2026-12-01T14:00:00+00:00",
            "reservation_id": first["id"],
        }
    ]
    assert error["next_free"]["start_time"] == "2026-12-01T14:00:00+00:00"

    back_to_back = reserver.data("book", "Room A", "2026-12-01 14:00", "--for", "30m", user="bob")
    assert back_to_back["start_time"] == "2026-12-01T14:00:00+00:00"


def test_a_resource_under_maintenance_is_refused_in_local_time(
    reserver: Reserver, rooms: dict[str, int]
) -> None:
    reserver.ok("resources", "maintenance", "Room A", "--hours", "3")
    refused = reserver(
        "--tz", "Europe/Berlin", "book", "Room A", "2026-12-01 12:30", "--for", "1h", user="bob"
    )
    assert refused.exit_code == ExitCode.REFUSED and refused.stdout == ""
    # 09:00-12:00 UTC
    assert "Room A is under maintenance Tue 1 Dec 10:00-13:00 CET, which" in refused.stderr

    as_json = reserver("book", "Room A", "2026-12-01T11:30Z", "--for", "1h", "--json", user="bob")
    error = as_json.error()
    assert (error["code"], error["until"]) == ("unavailable", "2026-12-01T12:00:00+00:00")


def test_a_bare_end_is_the_first_such_time_after_the_start(
    reserver: Reserver, rooms: dict[str, int]
) -> None:
    late = reserver.data("book", "Room A", "2026-12-01 23:00", "--end", "01:00")
    assert (late["start_time"], late["end_time"]) == (
        "2026-12-01T23:00:00+00:00",
        "2026-12-02T01:00:00+00:00",
    )
    shown = reserver.ok("book", "Room B", "2026-12-01 22:00", "--end", "0:30").stdout
    assert "Room B, Tue 1 Dec 22:00 UTC - Wed 2 Dec 00:30 UTC." in shown
    free = reserver.data(
        "resources", "search", "-t", "room", "--free-from", "22:30", "--free-until", "00:15"
    )
    assert [r["name"] for r in free] == []
    free = reserver.data(
        "resources",
        "search",
        "-t",
        "room",
        "--free-from",
        "tomorrow 00:30",
        "--free-until",
        "01:00",
    )
    assert [r["name"] for r in free] == ["Room B"]
    dated = reserver("book", "Room A", "2026-12-01 23:00", "--end", "2026-12-01 01:00")
    assert dated.exit_code == ExitCode.INVALID_INPUT
    assert "the end '2026-12-01 01:00' is not after the start (2026-12-01 23:00)" in dated.stderr


def test_a_date_in_another_year_is_shown_with_its_year(
    reserver: Reserver, rooms: dict[str, int]
) -> None:
    shown = reserver.ok("book", "Room A", "2030-01-01 14:00", "--for", "1h").stdout
    assert "Room A, Tue 1 Jan 2030 14:00-15:00 UTC." in shown
    reserver.ok("book", "Room A", "2026-12-31 23:00", "--end", "01:00")
    upcoming = reserver.ok("upcoming").stdout
    assert "Tue 1 Jan 2030 14:00-15:00 UTC" in upcoming
    assert "Thu 31 Dec 23:00 UTC - Fri 1 Jan 2027 01:00" in upcoming  # wrapped at 80 columns
    number = str(reserver.data("upcoming")[-1]["id"])
    history = reserver.ok("reservations", "history", number).stdout
    assert "Room A, Tue 1 Jan 2030 14:00-15:00 UTC, active" in history
    clash = reserver("book", "Room A", "2030-01-01 14:30", "--for", "1h")
    assert clash.exit_code == ExitCode.CONFLICT, clash.stderr
    assert "Tue 1 Jan 2030 14:00-15:00 UTC" in clash.stderr
    assert "next free 1h slot: Tue 1 Jan 2030 15:00-16:00 UTC" in clash.stderr


def test_bad_times_are_clear_errors(reserver: Reserver, rooms: dict[str, int]) -> None:
    past = reserver("book", "Room A", "2026-12-01 08:00", "--for", "1h")
    assert past.exit_code == ExitCode.INVALID_INPUT and "future" in past.stderr

    gap = reserver(
        "--tz", "Europe/Berlin", "book", "Room A", "2027-03-28 02:30", "--for", "1h", "--json"
    )
    assert gap.exit_code == ExitCode.INVALID_INPUT
    assert "does not exist in Europe/Berlin" in gap.error()["message"]
    assert gap.error()["field"] == "start"
    fold = reserver("--tz", "Europe/Berlin", "book", "Room A", "2027-10-31 02:30", "--for", "1h")
    assert fold.exit_code == ExitCode.INVALID_INPUT and "ambiguous" in fold.stderr
    chosen = reserver.data(
        "--tz", "Europe/Berlin", "book", "Room A", "2027-10-31 02:30+01:00", "--for", "1h"
    )
    assert chosen["start_time"] == "2027-10-31T01:30:00+00:00"

    for args, words in (
        (("book", "Room A", "someday", "--for", "1h"), "cannot read"),
        (("book", "Room A", "tomorrow 10:00", "--for", "ages"), "duration"),
        (("book", "Room A", "tomorrow 10:00"), "--end"),
        (("book", "Room A", "tomorrow 10:00", "--for", "1h", "--end", "12:00"), "--end"),
        (("book", "Room A", "tomorrow 10:00", "--end", "tomorrow 09:00"), "after the start"),
        (("book", "Room A", "tomorrow 10:00", "--end", "2026-12-02 10:00"), "after the start"),
        (("--tz", "Mars/Olympus", "book", "Room A", "tomorrow 10:00", "--for", "1h"), "zone"),
        (("book", "Room A", "9997-12-31 23:00", "--for", "99999d"), "supported range"),
        (("book", "Room A", "+99999999d", "--for", "1h"), "supported range"),
        (("next-free", "Room A", "--for", "1h", "--after", "9999-12-31 23:30"), "supported"),
        (("resources", "search", "--free-from", "9997-12-31", "--for", "1h"), "time of day"),
        (("resources", "search", "--free-from", "9997-12-31 23:00", "--for", "9e9d"), "duration"),
        (("resources", "search", "--free-from", "9997-12-31 23:00", "--for", "99999d"), "range"),
    ):
        outcome = reserver(*args)
        assert outcome.exit_code == ExitCode.INVALID_INPUT, (args, outcome.stderr)
        assert words in outcome.stderr, (args, outcome.stderr)
        assert "Traceback" not in outcome.stderr

    # The store's length limits are the last scope of every booking policy.
    short = reserver("book", "Room A", "tomorrow 10:00", "--for", "5m")
    assert short.exit_code == ExitCode.POLICY and "at least 15 minutes" in short.stderr
    assert (
        reserver("book", "Room A", "tomorrow 10:00", "--for", "5m", "--json").error()["scope"]
        == "store settings"
    )

    unknown = reserver("book", "Room Z", "tomorrow 10:00", "--for", "1h")
    assert unknown.exit_code == ExitCode.NOT_FOUND and "Room Z" in unknown.stderr
    reserver.ok("resources", "disable", "Beamer")
    disabled = reserver("book", "Beamer", "tomorrow 10:00", "--for", "1h")
    assert disabled.exit_code == ExitCode.REFUSED and "disabled" in disabled.stderr


def test_next_free_on_a_resource_or_a_tag(reserver: Reserver, rooms: dict[str, int]) -> None:
    reserver.ok("book", "Room A", "2026-12-01 10:00", "--for", "2h")
    slot = reserver.data("next-free", "Room A", "--for", "1h", "--after", "2026-12-01 10:30")
    assert (slot["resource"]["name"], slot["start_time"]) == (
        "Room A",
        "2026-12-01T12:00:00+00:00",
    )
    reserver.ok("book", "Room B", "2026-12-01 10:00", "--for", "3h")
    by_tag = reserver.data("next-free", "--tag", "room", "--for", "1h", "--after", "10:00")
    assert (by_tag["resource"]["name"], by_tag["start_time"]) == (
        "Room A",
        "2026-12-01T12:00:00+00:00",
    )
    now_free = reserver.ok("--tz", "Europe/Berlin", "next-free", "Beamer", "--for", "30m").stdout
    assert "Beamer is free Tue 1 Dec 10:01-10:31 CET" in now_free

    assert reserver("next-free", "--for", "1h").exit_code == ExitCode.INVALID_INPUT
    assert reserver("next-free", "Room A", "--tag", "room").exit_code == ExitCode.INVALID_INPUT
    assert reserver("next-free", "--tag", "sofa", "--for", "1h").exit_code == ExitCode.NOT_FOUND


def test_after_a_window_ending_between_minutes_the_suggestion_is_the_next_minute(
    reserver: Reserver, rooms: dict[str, int]
) -> None:
    reserver.ok("book", "Room A", "2026-12-01T10:00:00Z", "--end", "2026-12-01T10:30:30.5Z")
    clash = reserver("--tz", "Europe/Berlin", "book", "Room A", "11:00", "--for", "1h")
    assert clash.exit_code == ExitCode.CONFLICT
    suggested = clash.stderr.split("book it with: ", 1)[1].splitlines()[0]
    assert suggested == "reserver book 'Room A' 2026-12-01T11:31+01:00 --for 1h"

    free = reserver.ok("--tz", "Europe/Berlin", "next-free", "Room A", "--after", "10:00").stdout
    assert suggested in free
    booked = reserver.data("--tz", "Europe/Berlin", *shlex.split(suggested)[1:])
    assert booked["start_time"] == "2026-12-01T10:31:00+00:00"


def test_a_booking_run_again_with_its_idempotency_key_books_once(
    reserver: Reserver, rooms: dict[str, int]
) -> None:
    command = ("book", "Room A", "2026-12-01 13:00", "--for", "1h")
    keyed = (*command, "--idempotency-key", "job-4711")
    first = reserver.data(*keyed)
    assert reserver.data(*keyed) == first
    assert f"Booked #{first['id']}: Room A, " in reserver.ok(*keyed).stdout
    assert [r["id"] for r in reserver.data("reservations", "list")] == [first["id"]]
    # Without the key, running it again is a second booking, which clashes with the first.
    assert reserver(*command).exit_code == ExitCode.CONFLICT
    moved = reserver(
        "book",
        "Room A",
        "2026-12-01 15:00",
        "--for",
        "1h",
        "--idempotency-key",
        "job-4711",
        "--json",
    )
    assert moved.exit_code == ExitCode.INVALID_INPUT
    assert moved.error()["message"] == (
        f"the idempotency key 'job-4711' was already used for a different booking "
        f"(#{first['id']}): use a new key for a new booking"
    )
    assert moved.error()["field"] == "idempotency_key"
    # Keys are per user: bob's job-4711 is his own.
    bobs = reserver(
        "book",
        "Room B",
        "2026-12-01 13:00",
        "--for",
        "1h",
        "--idempotency-key",
        "job-4711",
        "--json",
        user="bob",
    )
    assert bobs.exit_code == 0 and bobs.json()["username"] == "bob"
    bad = reserver(*command, "--idempotency-key", "naïve", "--json")
    assert bad.exit_code == ExitCode.INVALID_INPUT
    assert "printable ASCII" in bad.error()["message"]


def test_move_keeps_the_length_and_a_clash_changes_nothing(
    reserver: Reserver, rooms: dict[str, int]
) -> None:
    booked = reserver.data("book", "Room A", "2026-12-02 10:00", "--for", "1h", "--note", "demo")
    number = str(booked["id"])
    theirs = reserver.data("book", "Room A", "2026-12-02 11:00", "--for", "1h", user="bob")
    # Overlapping its own old window is fine; the length stays without --for or --end.
    moved = reserver.data("move", number, "2026-12-02 10:30", "--end", "11:00")
    assert (moved["start_time"], moved["end_time"]) == (
        "2026-12-02T10:30:00+00:00",
        "2026-12-02T11:00:00+00:00",
    )
    kept = reserver.data("move", number, "2026-12-02 09:00")
    assert (kept["start_time"], kept["end_time"], kept["note"]) == (
        "2026-12-02T09:00:00+00:00",
        "2026-12-02T09:30:00+00:00",
        "demo",
    )
    longer = reserver.ok("--tz", "Europe/Berlin", "move", number, "2026-12-02 11:00", "--for", "1h")
    assert "Moved #" in longer.stdout
    assert "Wed 2 Dec 10:00-10:30 CET → Wed 2 Dec 11:00-12:00 CET" in longer.stdout

    clash = reserver("--tz", "Europe/Berlin", "move", number, "2026-12-02 11:30")
    assert clash.exit_code == ExitCode.CONFLICT and clash.stdout == ""
    assert "Room A is already booked" in clash.stderr
    assert f"#{theirs['id']}: Wed 2 Dec 12:00-13:00 CET" in clash.stderr
    # The booking's own hour counts as free for the next slot of the same length.
    assert "next free 1h slot: Wed 2 Dec 13:00-14:00 CET" in clash.stderr
    assert f"reserver move {number} 2026-12-02T13:00+01:00 --for 1h" in clash.stderr
    assert reserver.data("reservations", "show", number)["start_time"] == (
        "2026-12-02T10:00:00+00:00"
    )
    before = reserver("move", number, "2026-12-02 09:00", "--json")
    earlier = reserver.data("move", number, "2026-12-02 08:00")
    assert before.exit_code == 0 and earlier["end_time"] == "2026-12-02T09:00:00+00:00"

    history = reserver.ok("--tz", "Europe/Berlin", "reservations", "history", number).stdout
    assert "moved" in history and "UTC" not in history
    # The old and the new window of the last move (the table wraps the second).
    assert "Wed 2 Dec 10:00-11:00 CET → Wed 2 Dec" in history and "09:00-10:00 CET" in history
    events = reserver.data("reservations", "history", number)
    assert [e["action"] for e in events] == ["moved"] * 5 + ["created"]

    assert reserver("move", number, "2026-12-02 15:00", user="bob").exit_code == ExitCode.DENIED
    both = reserver("move", number, "2026-12-02 15:00", "--for", "1h", "--end", "17:00")
    assert both.exit_code == ExitCode.INVALID_INPUT and "not both" in both.stderr
    past = reserver("move", number, "2026-12-01 08:00")
    assert past.exit_code == ExitCode.INVALID_INPUT and "future" in past.stderr
    assert reserver("move", "999", "2026-12-02 15:00").exit_code == ExitCode.NOT_FOUND
    reserver.ok("cancel", number)
    cancelled = reserver("move", number, "2026-12-02 15:00")
    assert cancelled.exit_code == ExitCode.REFUSED and "cannot be moved" in cancelled.stderr


def test_a_note_is_set_at_booking_shown_edited_and_cleared(
    reserver: Reserver, rooms: dict[str, int]
) -> None:
    booked = reserver.data("book", "Room A", "tomorrow 14:00", "--for", "1h", "--note", "retro")
    assert booked["note"] == "retro"
    number = str(booked["id"])
    said = reserver.ok("book", "Room B", "tomorrow 14:00", "--for", "1h", "-n", "1:1 with bob")
    assert "(1:1 with bob)." in said.stdout
    table = reserver.ok("reservations", "list").stdout
    assert "Note" in table and "retro" in table and "1:1 with bob" in table
    plain = reserver.ok("book", "Beamer", "tomorrow 16:00", "--for", "1h", user="bob").stdout
    assert "(" not in plain
    assert "Note" not in reserver.ok("upcoming", user="bob").stdout  # no notes: no column

    edited = reserver.data("note", number, "retro, bring cake")
    assert edited["note"] == "retro, bring cake"
    assert "Note         retro, bring cake" in reserver.ok("reservations", "show", number).stdout
    history = reserver.ok("reservations", "history", number).stdout
    assert "note: retro, bring cake" in history and "noted" in history
    assert "note cleared" in reserver.ok("note", number, "").stdout
    assert reserver.data("reservations", "show", number)["note"] == ""
    events = reserver.data("reservations", "history", number)
    assert [(e["action"], e["details"]) for e in events][:2] == [
        ("noted", "(note cleared)"),
        ("noted", "retro, bring cake"),
    ]

    assert reserver("note", number, "mine", user="bob").exit_code == ExitCode.DENIED
    too_long = reserver("note", number, "x" * 501)
    assert too_long.exit_code == ExitCode.INVALID_INPUT and "at most 500" in too_long.stderr
    escape = reserver("book", "Room A", "tomorrow 18:00", "--for", "1h", "--note", "\x1b[2J")
    assert escape.exit_code == ExitCode.INVALID_INPUT and "control characters" in escape.stderr
    assert reserver("note", "999", "x").exit_code == ExitCode.NOT_FOUND
