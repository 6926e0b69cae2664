"""Recurring series from the shell: `book --repeat ...` and `series list|show|cancel|retime`,
on a real store (local SQLite, and a live server once the remote backend speaks series).

Times are read in Berlin unless a test says otherwise; "now" is frozen at NOW
(Tue 1 Dec 2026), so every series below starts in 2027.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from support.cli import Outcome, Reserver

from reserver_cli.exit_codes import ExitCode
from reserver_core.remote import RemoteBackend

pytestmark = pytest.mark.parametrize(
    "reserver",
    ["local", "remote"] if hasattr(RemoteBackend, "book_series") else ["local"],
    indirect=True,
)

BERLIN = ZoneInfo("Europe/Berlin")
WEEKLY_FROM_MARCH = ("2027-03-01 09:00", "--for", "1h", "--repeat", "weekly")
"""Mondays at 09:00 from 1 March 2027: Berlin's clocks go forward on Sunday 28 March."""


@pytest.fixture
def berlin(reserver: Reserver, rooms: dict[str, int]) -> Reserver:
    """The store with its rooms, read and shown in Berlin time, on a wide terminal (so
    that no table cell wraps)."""
    reserver.env["RESERVER_TZ"] = "Europe/Berlin"
    reserver.env["COLUMNS"] = "200"
    return reserver


def local(instant: str, zone: ZoneInfo = BERLIN) -> datetime:
    """An ISO instant from JSON as wall time in `zone`."""
    return datetime.fromisoformat(instant).astimezone(zone)


def rows(outcome: Outcome) -> list[list[str]]:
    """The cells of each row of the table in stdout."""
    return [
        [cell.strip() for cell in line.split("│")]
        for line in outcome.stdout.splitlines()
        if "│" in line
    ]


def one_line_error(outcome: Outcome) -> str:
    """The error of a command refused for bad input: one line on stderr, no traceback."""
    assert outcome.exit_code != 0, outcome
    assert outcome.stdout == "", outcome.stdout
    assert "Traceback" not in outcome.stderr
    assert len(outcome.stderr.splitlines()) == 1, outcome.stderr
    assert outcome.stderr.startswith("error: "), outcome.stderr
    return outcome.stderr


def test_a_weekly_series_keeps_its_wall_time_across_the_change_to_summer_time(
    berlin: Reserver,
) -> None:
    done = berlin.data("book", "Room A", *WEEKLY_FROM_MARCH, "--count", "8")
    occurrences = done["occurrences"]
    assert [o["state"] for o in occurrences] == ["booked"] * 8
    assert [local(o["start_time"]).strftime("%a %H:%M") for o in occurrences] == ["Mon 09:00"] * 8
    utc = [datetime.fromisoformat(o["start_time"]).strftime("%H:%M") for o in occurrences]
    assert utc == ["08:00"] * 4 + ["07:00"] * 4
    series = done["series"]
    assert (series["timezone"], series["start"], series["length_minutes"]) == (
        "Europe/Berlin",
        "2027-03-01T09:00:00",
        60,
    )
    assert series["rule_text"] == "every week on Mon at 09:00 Europe/Berlin, 8 times"
    assert (done["booked"], done["left_out"], done["dry_run"]) == (8, 0, False)

    upcoming = berlin.data("upcoming")
    assert [r["series_id"] for r in upcoming] == [series["id"]] * 8
    assert [r["id"] for r in upcoming] == [o["reservation_id"] for o in occurrences]
    listed = berlin.ok("upcoming").stdout
    assert listed.count("09:00-10:00 CET") == 4 and listed.count("09:00-10:00 CEST") == 4
    assert listed.count(f"↻ {series['id']}") == 8

    shown = berlin.ok("book", "Room B", *WEEKLY_FROM_MARCH, "--count", "8")
    table = rows(shown)
    assert [row[2] for row in table] == ["09:00-10:00 CET"] * 4 + ["09:00-10:00 CEST"] * 4
    assert [row[1] for row in table][3:5] == ["Mon 22 Mar 2027", "Mon 29 Mar 2027"]
    assert "Room B: every week on Mon at 09:00 Europe/Berlin, 8 times, 1h each" in shown.stdout
    assert "Booked series #" in shown.stdout and ": 8 occurrences." in shown.stdout


def test_new_york_keeps_its_own_wall_time_across_its_own_change(berlin: Reserver) -> None:
    # New York goes to summer time on 14 March 2027, two weeks before Berlin.
    done = berlin.data(
        "--tz", "America/New_York", "book", "Room A", *WEEKLY_FROM_MARCH, "--count", "4"
    )
    york = ZoneInfo("America/New_York")
    starts = [o["start_time"] for o in done["occurrences"]]
    assert [local(s, york).strftime("%d %H:%M") for s in starts] == [
        "01 09:00",
        "08 09:00",
        "15 09:00",
        "22 09:00",
    ]
    assert [datetime.fromisoformat(s).hour for s in starts] == [14, 14, 13, 13]
    assert done["series"]["timezone"] == "America/New_York"


def test_the_preview_says_where_a_daily_time_meets_the_clock_changes(berlin: Reserver) -> None:
    spring = berlin.ok(
        "book", "Room A", "2027-03-27 02:30", "--for", "1h", "--repeat", "daily", "--count", "3"
    )
    gap = next(row for row in rows(spring) if row[0] == "2")
    assert gap[1:4] == ["Sun 28 Mar 2027", "03:30-04:30 CEST", "booked"]
    assert "02:30 does not exist that day (the clocks go forward): starts at 03:30 CEST" in gap[-1]

    autumn = berlin.data(
        "book", "Room B", "2027-10-30 02:30", "--for", "30m", "--repeat", "daily", "--count", "3"
    )
    fold = autumn["occurrences"][1]
    assert (fold["dst"], fold["day"]) == ("fold", "2027-10-31")
    assert (
        fold["remark"]
        == "02:30 happens twice that day (the clocks go back): takes the first, 02:30 CEST"
    )
    assert local(fold["start_time"]).tzname() == "CEST"  # the first of the two 02:30s
    assert [local(o["start_time"]).strftime("%H:%M") for o in autumn["occurrences"]] == [
        "02:30"
    ] * 3


def test_a_dry_run_lists_every_date_and_books_nothing(berlin: Reserver) -> None:
    preview = berlin.data("book", "Room A", *WEEKLY_FROM_MARCH, "--count", "3", "--dry-run")
    assert (preview["dry_run"], preview["series"], preview["booked"]) == (True, None, 3)
    assert [o["state"] for o in preview["occurrences"]] == ["free"] * 3
    assert [o["reservation_id"] for o in preview["occurrences"]] == [None] * 3
    shown = berlin.ok("book", "Room A", *WEEKLY_FROM_MARCH, "--count", "3", "--dry-run")
    assert "Dry run, nothing booked: 3 of 3 occurrences free." in shown.stdout
    assert berlin.data("reservations", "list") == []
    assert berlin.data("series", "list") == []


def test_a_clash_on_the_fifth_of_ten_books_nothing_and_names_it(berlin: Reserver) -> None:
    bob = berlin.data("book", "Room A", "2027-03-29 09:30", "--for", "1h", user="bob")
    refused = berlin("book", "Room A", *WEEKLY_FROM_MARCH, "--count", "10")
    assert refused.exit_code == ExitCode.CONFLICT
    assert refused.stdout == ""
    said = refused.stderr.splitlines()
    assert said[0] == "error: Room A: nothing was booked: 1 of 10 occurrences cannot be booked"
    assert said[1] == (
        "  #5 Mon 29 Mar 2027: clashes with bob's booking Mon 29 Mar 2027 09:30-10:30 CEST"
    )
    assert "  --skip-conflicts books the other 9" in said
    assert [r["id"] for r in berlin.data("reservations", "list", "--all")] == [bob["id"]]

    as_json = berlin("book", "Room A", *WEEKLY_FROM_MARCH, "--count", "10", "--json")
    error = as_json.error()
    assert (error["code"], error["exit_code"], error["resource"]) == ("series", 4, "Room A")
    states = [o["state"] for o in error["occurrences"]]
    assert states == ["free"] * 4 + ["clash"] + ["free"] * 5
    fifth = error["occurrences"][4]
    assert (fifth["index"], fifth["day"]) == (5, "2027-03-29")
    assert [(c["reservation_id"], c["username"]) for c in fifth["clashes"]] == [(bob["id"], "bob")]
    assert berlin.data("series", "list") == []

    preview = berlin.ok("book", "Room A", *WEEKLY_FROM_MARCH, "--count", "10", "--dry-run")
    assert "1 cannot be booked (#5)" in preview.stdout
    assert "--skip-conflicts books the 9 free" in preview.stdout

    skipping = berlin.data(
        "book", "Room A", *WEEKLY_FROM_MARCH, "--count", "10", "--skip-conflicts"
    )
    assert (skipping["booked"], skipping["left_out"]) == (9, 1)
    assert [o["state"] for o in skipping["occurrences"]] == ["booked"] * 4 + ["clash"] + [
        "booked"
    ] * 5
    assert len(skipping["series"]["occurrences"]) == 9
    mine = berlin.data("reservations", "list")
    assert len(mine) == 9 and {r["series_id"] for r in mine} == {skipping["series"]["id"]}


def test_skip_conflicts_still_says_so_when_every_date_is_taken(berlin: Reserver) -> None:
    berlin.ok("book", "Room A", *WEEKLY_FROM_MARCH, "--count", "2", user="bob")
    refused = berlin("book", "Room A", *WEEKLY_FROM_MARCH, "--count", "2", "--skip-conflicts")
    assert refused.exit_code == ExitCode.CONFLICT
    assert refused.stderr.startswith(
        "error: Room A: nothing can be booked: 2 of 2 occurrences cannot be booked\n"
    )


def test_monthly_on_the_31st_skips_the_months_without_one(berlin: Reserver) -> None:
    args = ("2027-01-31 10:00", "--for", "1h", "--repeat", "monthly", "--count", "12")
    done = berlin.data("book", "Room A", *args)
    states = [o["state"] for o in done["occurrences"]]
    assert states.count("booked") == 7 and states.count("skipped") == 5
    skipped = [o for o in done["occurrences"] if o["state"] == "skipped"]
    assert [o["index"] for o in skipped] == [2, 4, 6, 9, 11]
    assert skipped[0]["reason"] == "February 2027 has no 31st: skipped"
    assert all(o["start_time"] is None for o in skipped)
    booked = [local(o["start_time"]) for o in done["occurrences"] if o["state"] == "booked"]
    assert {(d.day, d.hour) for d in booked} == {(31, 10)}

    shown = berlin.ok("book", "Room B", *args)
    february = next(row for row in rows(shown) if row[0] == "2")
    assert february[1:4] == ["Feb 2027", "-", "skipped"]
    assert "5 months without that day (#2, #4, #6, #9, #11)" in shown.stdout


def test_monthly_on_the_last_friday(berlin: Reserver) -> None:
    done = berlin.data(
        "book", "Room A", "2027-01-29 16:00", "--for", "1h", "--repeat", "monthly", "--on",
        "last-fri", "--count", "12",
    )  # fmt: skip
    days = [local(o["start_time"]) for o in done["occurrences"]]
    assert len(days) == 12 and [d.month for d in days] == list(range(1, 13))
    for day in days:
        assert day.weekday() == 4 and (day + timedelta(days=7)).month != day.month
        assert day.strftime("%H:%M") == "16:00"
    assert done["series"]["rule_text"] == (
        "every month on the last Friday at 16:00 Europe/Berlin, 12 times"
    )
    second = berlin.data(
        "book", "Room B", "2027-01-01 08:00", "--for", "1h", "--repeat", "monthly", "--on",
        "2nd tue", "--until", "2027-03-31",
    )  # fmt: skip
    assert [o["day"] for o in second["occurrences"]] == ["2027-01-12", "2027-02-09", "2027-03-09"]


def test_series_list_show_and_cancel_from_a_day_then_whole(berlin: Reserver) -> None:
    done = berlin.data(
        "book", "Room A", *WEEKLY_FROM_MARCH, "--count", "6", "--note", "lab meeting"
    )
    number = str(done["series"]["id"])
    berlin.ok(
        "book",
        "Room B",
        "2027-02-01 14:00",
        "--for",
        "2h",
        "--repeat",
        "daily",
        "--count",
        "2",
        user="bob",
    )

    listed = berlin.data("series", "list")
    assert [s["id"] for s in listed] == [done["series"]["id"]]
    assert len(berlin.data("series", "list", "--all")) == 2
    assert berlin("series", "list", "--all", user="bob").exit_code == ExitCode.DENIED
    table = berlin.ok("series", "list").stdout
    assert "every week on Mon at 09:00 Europe/Berlin, 6 times" in table
    assert "Mon 1 Mar 2027 09:00 CET" in table and "6 of 6" in table and "active" in table

    shown = berlin.ok("series", "show", number).stdout
    for said in (
        f"#{number}",
        "Room A (#",
        "every week on Mon at 09:00 Europe/Berlin, 6 times",
        "Europe/Berlin",
        "lab meeting",
        "Mon 5 Apr 2027 09:00-10:00 CEST",
    ):
        assert said in shown, said
    assert berlin("series", "show", number, user="bob").exit_code == ExitCode.DENIED
    assert berlin("series", "show", "999").exit_code == ExitCode.NOT_FOUND

    later = berlin.data(
        "series", "cancel", number, "--from", "2027-03-29", "--reason", "room moves"
    )
    statuses = [(r["start_time"][:10], r["status"]) for r in later["occurrences"]]
    assert [s for _, s in statuses] == ["active"] * 4 + ["cancelled"] * 2
    assert later["cancelled_at"] is None  # the series goes on until its 4th date
    last = later["occurrences"][-1]
    assert last["cancellation_reason"] == "room moves"
    history = berlin.ok("reservations", "history", str(last["id"])).stdout
    assert f"series {number} cancelled from Mon 29 Mar 2027 09:00 CEST on: room moves" in history
    assert "UTC" not in history

    again = berlin("series", "cancel", number, "--from", "2027-03-29")
    assert again.exit_code == ExitCode.REFUSED
    assert "from Mon 29 Mar 2027 00:00 CEST on" in again.stderr  # not in UTC

    whole = berlin.ok("series", "cancel", number, "--reason", "course over")
    assert f"Cancelled 4 occurrences of series #{number} (Room A)" in whole.stdout
    assert "course over" in whole.stdout
    ended = berlin.data("series", "show", number)
    assert {r["status"] for r in ended["occurrences"]} == {"cancelled"}
    assert ended["cancellation_reason"] == "course over" and ended["cancelled_at"] is not None
    first = str(ended["occurrences"][0]["id"])
    assert "course over" in berlin.ok("reservations", "history", first).stdout
    assert "cancelled" in berlin.ok("series", "list").stdout
    assert berlin("series", "cancel", number).exit_code == ExitCode.REFUSED
    assert berlin("series", "cancel", "999").exit_code == ExitCode.NOT_FOUND


def test_retime_previews_then_moves_all_or_nothing(berlin: Reserver) -> None:
    done = berlin.data("book", "Room A", *WEEKLY_FROM_MARCH, "--count", "4")
    number = str(done["series"]["id"])
    ids = [o["reservation_id"] for o in done["occurrences"]]

    preview = berlin.data("series", "retime", number, "10:30", "--dry-run")
    assert (preview["dry_run"], preview["booked"]) == (True, 4)
    assert [o["reservation_id"] for o in preview["occurrences"]] == ids
    assert [local(o["start_time"]).strftime("%H:%M") for o in preview["occurrences"]] == [
        "10:30"
    ] * 4
    unchanged = berlin.data("series", "show", number)["occurrences"]
    assert [local(r["start_time"]).strftime("%H:%M") for r in unchanged] == ["09:00"] * 4

    berlin.ok("book", "Room A", "2027-03-15 11:00", "--for", "1h", user="bob")
    said = berlin.ok("series", "retime", number, "10:30", "--dry-run").stdout
    assert "1 cannot be moved (#3)" in said and "bob's booking" in said
    refused = berlin("series", "retime", number, "10:30")
    assert refused.exit_code == ExitCode.CONFLICT
    assert "nothing was moved: 1 of 4 occurrences cannot be booked" in refused.stderr
    assert "#3 Mon 15 Mar 2027: clashes with bob's booking" in refused.stderr
    as_json = berlin("series", "retime", number, "10:30", "--json").error()
    assert [o["state"] for o in as_json["occurrences"]] == ["free", "free", "clash", "free"]
    kept = berlin.data("series", "show", number)["occurrences"]
    assert [local(r["start_time"]).strftime("%H:%M") for r in kept] == ["09:00"] * 4

    moved = berlin.data("series", "retime", number, "08:00", "--for", "90m")
    assert [o["state"] for o in moved["occurrences"]] == ["booked"] * 4
    assert moved["series"]["rule_text"].startswith("every week on Mon at 08:00")
    assert moved["series"]["length_minutes"] == 90
    now = berlin.data("series", "show", number)["occurrences"]
    windows = [(local(r["start_time"]), local(r["end_time"])) for r in now]
    assert [(s.strftime("%H:%M"), e.strftime("%H:%M")) for s, e in windows] == [
        ("08:00", "09:30")
    ] * 4
    history = berlin.ok("reservations", "history", str(ids[0])).stdout
    assert "Mon 1 Mar 2027 09:00-10:00 CET → Mon 1 Mar 2027 08:00-09:30 CET" in history
    assert f"(series {number} retimed)" in history
    human = berlin.ok("series", "retime", number, "08:30", "--for", "1h")
    assert "Moved 4 occurrences to 08:30 Europe/Berlin, 1h each." in human.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ("--repeat", "daily", "--on", "mon", "--count", "3"),
            "a daily series repeats every day: it takes no --on",
        ),
        (("--repeat", "weekly", "--count", "3", "--until", "2027-04-01"), "give one of them"),
        (("--repeat", "weekly"), "--count N occurrences or on --until DAY"),
        (("--repeat", "weekly", "--every", "0", "--count", "3"), "--every must be 1-99"),
        (("--repeat", "weekly", "--count", "367"), "--count: the count must be 1-366"),
        (("--repeat", "daily", "--until", "2028-06-01"), "at most 366 dates"),
        (("--repeat", "weekly", "--until", "2029-06-01"), "at most 2 years ahead"),
        (("--repeat", "yearly", "--count", "3"), "'yearly' is not a repeat"),
        (("--repeat", "weekly", "--on", "funday", "--count", "3"), "'funday' is not a weekday"),
        (("--repeat", "monthly", "--on", "32", "--count", "3"), "a month has no day 32"),
        (("--repeat", "weekly", "--until", "soon"), "cannot read the day 'soon'"),
        (("--count", "3"), "--count goes only with --repeat"),
        (("--on", "mon", "--dry-run"), "--on, --dry-run go only with --repeat"),
        (("--repeat", "daily", "--count", "2", "--idempotency-key", "k"), "takes none"),
    ],
)
def test_bad_series_input_is_one_clear_line(
    berlin: Reserver, args: tuple[str, ...], says: str
) -> None:
    outcome = berlin("book", "Room A", "2027-03-01 09:00", "--for", "1h", *args)
    assert outcome.exit_code == ExitCode.INVALID_INPUT
    assert says in one_line_error(outcome)
    error = berlin("book", "Room A", "2027-03-01 09:00", "--for", "1h", *args, "--json").error()
    assert error["code"] == "invalid"
    assert berlin.data("reservations", "list") == []


def test_other_bad_input_is_refused_in_one_line(berlin: Reserver) -> None:
    repeat = ("--for", "1h", "--repeat", "daily", "--count", "2")
    missing = berlin("book", "Room Z", "2027-03-01 09:00", *repeat)
    assert missing.exit_code == ExitCode.NOT_FOUND and "Room Z" in one_line_error(missing)
    past = berlin("book", "Room A", "2026-11-30 09:00", *repeat)
    assert past.exit_code == ExitCode.INVALID_INPUT and "in the past" in one_line_error(past)
    berlin.env["RESERVER_TZ"] = "Mars/Olympus"
    zone = berlin("book", "Room A", "2027-03-01 09:00", *repeat)
    assert zone.exit_code == ExitCode.INVALID_INPUT
    assert "unknown time zone 'Mars/Olympus'" in one_line_error(zone)
    berlin.env["RESERVER_TZ"] = "Europe/Berlin"
    number = str(berlin.data("book", "Room A", "2027-03-01 09:00", *repeat)["series"]["id"])
    for args, says in (
        (("retime", number, "25:00"), "hour 25 is out of range"),
        (("retime", number, "noon"), "give HH:MM"),
        (("retime", number, "10:00", "--for", "0m"), "longer than zero"),
        (("retime", number, "09:00", "--for", "2d"), "--for: each occurrence lasts 2d"),
        (("cancel", number, "--from", "someday"), "cannot read the day 'someday'"),
    ):
        outcome = berlin("series", *args)
        assert outcome.exit_code == ExitCode.INVALID_INPUT, args
        assert says in one_line_error(outcome), args
    assert berlin("series", "retime", "999", "10:00").exit_code == ExitCode.NOT_FOUND
    assert berlin("series", "show", "three").exit_code == ExitCode.INVALID_INPUT


def test_occurrences_are_marked_in_the_lists(berlin: Reserver) -> None:
    single = berlin.data("book", "Room B", "2027-03-02 09:00", "--for", "1h")
    done = berlin.data("book", "Room A", *WEEKLY_FROM_MARCH, "--count", "2")
    series = done["series"]["id"]
    listed = berlin.data("reservations", "list")
    assert {r["id"]: r["series_id"] for r in listed} == {
        single["id"]: None,
        **{o["reservation_id"]: series for o in done["occurrences"]},
    }
    marked = [row for row in rows(berlin.ok("reservations", "list")) if f"↻ {series}" in row]
    assert len(marked) == 2
    first = str(done["occurrences"][0]["reservation_id"])
    shown = berlin.ok("reservations", "show", first).stdout
    assert f"#{series} (its dates: reserver series show {series})" in shown
    assert "Series" not in berlin.ok("reservations", "show", str(single["id"])).stdout
    grid = berlin.ok("resources", "availability", "Room A", "--from", "2027-03-01").stdout
    assert f"↻ {series}" in grid


def test_json_shapes(berlin: Reserver) -> None:
    done = berlin.data("book", "Room A", *WEEKLY_FROM_MARCH, "--count", "2")
    assert set(done) == {
        "occurrences",
        "series",
        "booked",
        "left_out",
        "dry_run",
    }
    occurrence = done["occurrences"][0]
    assert set(occurrence) == {
        "index", "day", "state", "start_time", "end_time", "reason", "rule", "clashes", "dst",
        "remark", "reservation_id",
    }  # fmt: skip
    assert (occurrence["start_time"], occurrence["end_time"]) == (
        "2027-03-01T08:00:00+00:00",
        "2027-03-01T09:00:00+00:00",
    )
    series = done["series"]
    assert series["rule"] == {"repeat": "weekly", "every": 1, "on": "", "count": 2, "until": None}
    assert [r["series_id"] for r in series["occurrences"]] == [series["id"]] * 2
    number = str(series["id"])
    assert berlin.data("series", "show", number) == series
    assert berlin.data("series", "list") == [series]
    cancelled = berlin.data("series", "cancel", number)
    assert cancelled["id"] == series["id"] and cancelled["cancelled_at"] is not None
    until = berlin.data(
        "book", "Room B", "2027-03-01 09:00", "--for", "1h", "--repeat", "daily", "--every",
        "2", "--until", "2027-03-05", "--dry-run",
    )  # fmt: skip
    assert [o["day"] for o in until["occurrences"]] == ["2027-03-01", "2027-03-03", "2027-03-05"]
    assert date.fromisoformat(until["occurrences"][-1]["day"]) == date(2027, 3, 5)
