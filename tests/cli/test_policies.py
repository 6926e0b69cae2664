"""`reserver policy ...` on a real store, local and through a server: rules set, shown,
listed and cleared; refused for members and for bad input, with nothing saved; and a
booking a rule refuses, which ends with exit 9 and says why (its figures with --json)."""

from __future__ import annotations

import pytest
from support.cli import Outcome, Reserver
from typer.testing import CliRunner

from reserver_cli.exit_codes import ExitCode
from reserver_cli.root import app

GPU_RULES = (
    "policy",
    "set",
    "--tag",
    "gpu",
    "--timezone",
    "Europe/Berlin",
    "--hours",
    "mon-fri 08:00-12:00,13:00-20:00",
    "--max-active",
    "2",
    "--max-hours-per-week",
    "8",
)
"""The rules of every GPU: weekday hours with a lunch break, two bookings, 8h a week."""


@pytest.fixture
def gpus(reserver: Reserver) -> dict[str, int]:
    """Two GPUs (tag gpu, the first also lab) and a room, read in Berlin time."""
    reserver.env["RESERVER_TZ"] = "Europe/Berlin"
    made = {}
    for name, tags in (("GPU-1", "gpu,lab"), ("GPU-2", "gpu"), ("Room A", "room")):
        made[name] = reserver.data("resources", "create", name, "--tag", tags)["id"]
    return made


def lines(outcome: Outcome) -> list[str]:
    """stdout's lines, each with its runs of spaces made one."""
    return [" ".join(line.split()) for line in outcome.stdout.splitlines()]


def nothing_set(reserver: Reserver, *scope: str) -> bool:
    own = reserver.data("policy", "show", *scope)
    return all(
        own[name] in (None, [])
        for name in (
            "timezone",
            "hours",
            "closed",
            "min_length_minutes",
            "max_length_minutes",
            "min_notice_minutes",
            "max_advance_minutes",
            "max_active",
            "max_hours_per_week",
        )
    )


def test_rules_set_on_each_scope_and_where_each_comes_from(
    reserver: Reserver, gpus: dict[str, int]
) -> None:
    tag = reserver.data(*GPU_RULES)
    assert tag["scope"] == {"kind": "tag", "resource_id": None, "tag": "gpu"}
    assert tag["label"] == "tag 'gpu'"
    assert (tag["hours"], tag["max_active"], tag["max_hours_per_week"]) == (
        "mon-fri 08:00-12:00,13:00-20:00",
        2,
        8.0,
    )
    own = reserver.data(
        "policy", "set", "--resource", "gpu-1", "--min-notice", "2h", "--max-advance", "30d"
    )
    assert own["scope"]["resource_id"] == gpus["GPU-1"]
    assert (own["min_notice_minutes"], own["max_advance_minutes"]) == (120, 30 * 24 * 60)
    said = reserver.ok(
        "policy",
        "set",
        "--default",
        "--closed",
        "2026-12-24..2026-12-26 holidays",
        "--closed",
        "2026-12-31 14:00..18:00 early close",
        "--min-length",
        "30m",
    )
    assert lines(said) == [
        "The default policy now sets:",
        "Closures Thu 24 Dec - Sat 26 Dec 2026 (holidays)",
        "Thu 31 Dec 2026 14:00-18:00 (early close)",
        "Shortest booking 30m",
    ]
    reserver.ok("book", "GPU-2", "2026-12-02 13:00", "--for", "2h", user="bob")

    shown = reserver.ok("policy", "show", "GPU-1", user="bob")
    assert lines(shown) == [
        "Booking policy of GPU-1",
        "Time zone Europe/Berlin from tag 'gpu'",
        "Opening hours Mon-Fri 08:00-12:00, 13:00-20:00 from tag 'gpu'",
        "Closures 2 coming, listed below from the default policy",
        "Shortest booking 30m from the default policy",
        "Longest booking 1d from store settings",
        "Notice needed 2h from resource 'GPU-1'",
        "Furthest ahead 30d from resource 'GPU-1'",
        "Active bookings 2 at once from tag 'gpu'",
        "Hours per week 8h in any 7 days from tag 'gpu'",
        "Approval not needed",
        "Offers held for 30m",
        "",
        "Closures (Europe/Berlin time)",
        "Thu 24 Dec - Sat 26 Dec 2026 (holidays)",
        "Thu 31 Dec 2026 14:00-18:00 (early close)",
        "",
        "Your allowances",
        "max 2 active bookings (tag 'gpu'): you hold 1, 1 left",
        "max 8h per week (tag 'gpu'): 2h booked in the 7 days from Tue 1 Dec, 6h left",
    ]
    admin = lines(reserver.ok("policy", "show", "GPU-1"))
    assert admin[-2:] == [
        "max 2 active bookings (tag 'gpu'): exempt (admin)",
        "max 8h per week (tag 'gpu'): exempt (admin)",
    ]
    plain = lines(reserver.ok("policy", "show", "Room A"))
    assert "Opening hours always open" in plain and "Active bookings no limit" in plain
    assert "Your allowances" not in plain

    effective = reserver.data("policy", "show", "GPU-1", user="bob")
    assert effective["resource"]["name"] == "GPU-1"
    assert effective["timezone"] == "Europe/Berlin"
    fields = {field["name"]: (field["value"], field["source"]) for field in effective["fields"]}
    assert fields["hours"] == ("mon-fri 08:00-12:00,13:00-20:00", "tag 'gpu'")
    assert fields["min_notice_minutes"] == (120, "resource 'GPU-1'")
    assert fields["min_length_minutes"] == (30, "the default policy")
    assert [c["reason"] for c in fields["closed"][0]] == ["holidays", "early close"]
    allowances = {a["rule"]: a for a in effective["allowances"]}
    assert (allowances["max_active"]["limit"], allowances["max_active"]["used"]) == (2, 1)
    week = allowances["max_hours_per_week"]
    assert (week["limit"], week["used"], week["exempt"]) == (8, 2, False)


def test_a_reader_in_another_zone_is_told_which_zone_the_hours_are_in(
    reserver: Reserver, gpus: dict[str, int]
) -> None:
    reserver.ok(*GPU_RULES)
    shown = lines(reserver.ok("policy", "show", "GPU-2", "--tz", "America/New_York"))
    assert (
        "Opening hours and closures are in Europe/Berlin time, not in yours (America/New_York)."
        in shown
    )
    assert not any("not in yours" in line for line in lines(reserver.ok("policy", "show", "2")))


def test_a_scope_shows_what_it_sets_itself(reserver: Reserver, gpus: dict[str, int]) -> None:
    reserver.ok(*GPU_RULES)
    shown = lines(reserver.ok("policy", "show", "--tag", "gpu", user="bob"))
    assert shown[0] == "Tag 'gpu' sets:"
    assert "Opening hours Mon-Fri 08:00-12:00, 13:00-20:00" in shown
    assert "Notice needed not set" in shown
    assert lines(reserver.ok("policy", "show", "--default")) == ["The default policy sets no rule."]
    assert reserver.data("policy", "show", "--tag", "GPU")["max_active"] == 2
    assert nothing_set(reserver, "--resource", "GPU-2")


def test_list_and_clear(reserver: Reserver, gpus: dict[str, int]) -> None:
    assert lines(reserver.ok("policy", "list")) == [
        "No policies: every resource is open at all times, and only the store's booking "
        "length limits apply."
    ]
    reserver.ok(*GPU_RULES)
    reserver.ok("policy", "set", "--resource", "GPU-1", "--min-notice", "2h")
    reserver.ok("policy", "set", "--default", "--max-length", "4h")
    assert [p["label"] for p in reserver.data("policy", "list", user="bob")] == [
        "the default policy",
        "tag 'gpu'",
        "resource 'GPU-1'",
    ]
    assert lines(reserver.ok("policy", "list")) == [
        "The default policy",
        "Longest booking 4h",
        "",
        "Tag 'gpu'",
        "Time zone Europe/Berlin",
        "Opening hours Mon-Fri 08:00-12:00, 13:00-20:00",
        "Active bookings 2 at once",
        "Hours per week 8h in any 7 days",
        "",
        "Resource 'GPU-1'",
        "Notice needed 2h",
    ]

    cleared = reserver.ok("policy", "clear", "--tag", "gpu", "--hours", "--max-active")
    assert lines(cleared) == [
        "Cleared the opening hours and active bookings of tag 'gpu'; it still sets:",
        "Time zone Europe/Berlin",
        "Hours per week 8h in any 7 days",
    ]
    left = reserver.data("policy", "show", "--tag", "gpu")
    assert (left["hours"], left["max_active"], left["timezone"]) == (None, None, "Europe/Berlin")
    whole = reserver.ok("policy", "clear", "--resource", "GPU-1")
    assert lines(whole) == ["Cleared every rule of resource 'GPU-1'; it sets no rule now."]
    assert [p["label"] for p in reserver.data("policy", "list")] == [
        "the default policy",
        "tag 'gpu'",
    ]
    assert (
        reserver.data("policy", "clear", "--default", "--max-length")["max_length_minutes"] is None
    )


def test_members_read_the_rules_but_only_admins_change_them(
    reserver: Reserver, gpus: dict[str, int]
) -> None:
    reserver.ok(*GPU_RULES)
    for args in (
        ("policy", "set", "--tag", "gpu", "--max-active", "9"),
        ("policy", "clear", "--tag", "gpu"),
        ("policy", "clear", "--default", "--hours"),
    ):
        refused = reserver(*args, user="bob")
        assert refused.exit_code == ExitCode.DENIED, refused
        assert refused.stderr == "error: access denied: only an admin may change booking policies\n"
        assert reserver(*args, "--json", user="bob").error()["code"] == "forbidden"
    assert reserver.data("policy", "show", "--tag", "gpu", user="bob")["max_active"] == 2
    assert len(reserver.data("policy", "list", user="bob")) == 1


BAD_INPUT = {
    "unknown zone": (("--timezone", "Mars/Olympus"), "--timezone", "unknown time zone"),
    "hour 25": (("--hours", "mon 25:00-26:00"), "--hours", "not a time of day"),
    "inverted span": (("--hours", "mon 12:00-10:00"), "--hours", "end before they start"),
    "overlapping spans": (("--hours", "mon 08:00-12:00,11:00-13:00"), "--hours", "overlap"),
    "unreadable days": (("--hours", "sometimes 08:00-12:00"), "--hours", "cannot read"),
    "closure ends first": (
        ("--closed", "2026-12-26..2026-12-24 oops"),
        "--closed",
        "ends before it starts",
    ),
    "timed closure ends first": (
        ("--closed", "2026-12-31 18:00..14:00"),
        "--closed",
        "ends before it starts",
    ),
    "zero length": (("--min-length", "0m"), "--min-length", "zero"),
    "negative length": (("--max-length", "-1h"), "--max-length", "negative"),
    "unreadable notice": (("--min-notice", "soon"), "--min-notice", "cannot read 'soon'"),
    "zero bookings": (("--max-active", "0"), "--max-active", "from 1"),
    "negative bookings": (("--max-active", "-2"), "--max-active", "from 1"),
    "zero hours": (("--max-hours-per-week", "0"), "--max-hours-per-week", "above 0"),
    "negative hours": (("--max-hours-per-week", "-3"), "--max-hours-per-week", "above 0"),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_names_its_option_and_saves_nothing(
    reserver: Reserver, gpus: dict[str, int], case: str
) -> None:
    args, option, words = BAD_INPUT[case]
    command = ("policy", "set", "--tag", "gpu", "--max-advance", "30d", *args)
    refused = reserver(*command)
    assert refused.exit_code == ExitCode.INVALID_INPUT, refused
    assert refused.stdout == ""
    assert refused.stderr.startswith(f"error: {option}"), refused.stderr
    assert words in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr
    error = reserver(*command, "--json").error()
    assert error["code"] == "invalid" and error["field"], error
    assert nothing_set(reserver, "--tag", "gpu")


def test_mistakes_in_naming_the_scope_or_the_rules(
    reserver: Reserver, gpus: dict[str, int]
) -> None:
    for args, words in (
        (("policy", "set", "--max-active", "1"), "name whose policy"),
        (("policy", "set", "--tag", "gpu", "--default", "--max-active", "1"), "one of them"),
        (("policy", "clear"), "name whose policy"),
        (("policy", "set", "--tag", "gpu"), "nothing to set: give one or more of --timezone"),
        (("policy", "show"), "a RESOURCE, --resource RESOURCE, --tag TAG or --default"),
        (("policy", "show", "GPU-1", "--tag", "gpu"), "not both"),
        (("policy", "set", "--max-active", "x", "--default"), "'x' is not a valid integer"),
    ):
        refused = reserver(*args)
        assert refused.exit_code == ExitCode.INVALID_INPUT, (args, refused)
        assert words in refused.stderr, (args, refused.stderr)
    missing = reserver("policy", "set", "--resource", "GPU-9", "--max-active", "1")
    assert missing.exit_code == ExitCode.NOT_FOUND
    assert missing.stderr.startswith("error: no resource named 'GPU-9'")
    assert reserver("policy", "show", "GPU-9").exit_code == ExitCode.NOT_FOUND
    assert reserver.data("policy", "list") == []


def test_a_tag_no_resource_has_is_warned_about(reserver: Reserver, gpus: dict[str, int]) -> None:
    typo = reserver("policy", "set", "--tag", "gpus", "--max-active", "1")
    assert typo.exit_code == 0
    assert typo.stderr == (
        "warning: no resource has the tag 'gpus' yet: the policy applies to those that will\n"
    )
    assert reserver("policy", "set", "--tag", "gpu", "--max-active", "1").stderr == ""


def test_a_booking_a_rule_refuses_says_why_and_exits_9(
    reserver: Reserver, gpus: dict[str, int]
) -> None:
    reserver.ok(*GPU_RULES)
    saturday = reserver("book", "GPU-2", "sat 10:00", "--for", "1h", user="bob")
    assert saturday.exit_code == ExitCode.POLICY == 9, saturday
    assert saturday.stderr.splitlines()[0] == (
        "error: GPU-2 is closed on Saturdays (opening hours of tag 'gpu': "
        "Mon-Fri 08:00-12:00, 13:00-20:00 Europe/Berlin)"
    )
    assert saturday.stderr.splitlines()[1:] == [
        "  next free 1h slot: Mon 7 Dec 08:00-09:00 CET",
        "  book it with: reserver book GPU-2 2026-12-07T08:00+01:00 --for 1h",
        "  its rules: reserver policy show GPU-2",
    ]
    error = reserver("book", "GPU-2", "sat 10:00", "--for", "1h", "--json", user="bob").error()
    assert error["next_free"]["start_time"] == "2026-12-07T07:00:00+00:00"
    assert (error["code"], error["rule"], error["scope"], error["resource"]) == (
        "policy",
        "hours",
        "tag 'gpu'",
        "GPU-2",
    )
    assert error["figures"]["timezone"] == "Europe/Berlin"

    reserver.ok("book", "GPU-1", "2026-12-02 13:00", "--for", "1h", user="bob")
    reserver.ok("book", "GPU-2", "2026-12-03 13:00", "--for", "1h", user="bob")
    third = reserver("book", "GPU-2", "2026-12-04 13:00", "--for", "1h", "--json", user="bob")
    assert third.exit_code == ExitCode.POLICY
    error = third.error()
    assert (error["rule"], error["limit"], error["current"], error["unit"]) == (
        "max_active",
        2,
        2,
        "bookings",
    )
    assert "2 active bookings on tag 'gpu'" in third.stderr
    # No other time passes an allowance, so none is offered.
    assert "next free" not in third.stderr and "next_free" not in error
    # An admin booking for themselves is exempt from the allowances, not from the hours.
    for day in ("2026-12-02", "2026-12-03", "2026-12-04"):
        reserver.ok("book", "GPU-2", f"{day} 15:00", "--for", "1h")
    assert reserver("book", "GPU-2", "sat 10:00", "--for", "1h").exit_code == ExitCode.POLICY


def test_a_weekly_allowance_refusal_carries_its_figures(
    reserver: Reserver, gpus: dict[str, int]
) -> None:
    reserver.ok("policy", "set", "--tag", "gpu", "--max-hours-per-week", "8")
    mine = reserver.data("book", "GPU-1", "2026-12-02 13:00", "--for", "5h", user="bob")
    refused = reserver("book", "GPU-2", "2026-12-03 13:00", "--for", "4h", "--json", user="bob")
    assert refused.exit_code == ExitCode.POLICY
    error = refused.error()
    assert (error["rule"], error["scope"], error["limit"], error["current"], error["unit"]) == (
        "max_hours_per_week",
        "tag 'gpu'",
        8,
        5,
        "hours",
    )
    assert refused.stderr.startswith(
        "error: this 4h booking would bring you to 9h of your 8h per week on tag 'gpu'"
    )
    moved = reserver("move", str(mine["id"]), "2026-12-02 13:00", "--for", "9h", user="bob")
    assert moved.exit_code == ExitCode.POLICY, moved
    assert "would bring you to 9h of your 8h" in moved.stderr


def test_exit_code_9_is_documented() -> None:
    shown = CliRunner().invoke(app, ["--help"])
    assert "9  refused by a booking policy (opening hours, closures, lead times," in shown.stdout


def test_a_reader_not_logged_in_sees_the_rules_but_no_allowances(
    reserver: Reserver, gpus: dict[str, int]
) -> None:
    if not reserver.remote:
        pytest.skip("local mode always acts as a user")
    reserver.ok(*GPU_RULES)
    anonymous = lines(reserver.ok("policy", "show", "GPU-1", user="carol"))
    assert "Active bookings 2 at once from tag 'gpu'" in anonymous
    assert anonymous[-1] == "Log in to see how much of these allowances you hold."
    assert reserver.data("policy", "show", "GPU-1", user="carol")["allowances"] == []


def test_the_week_grid_shows_closed_time(reserver: Reserver, gpus: dict[str, int]) -> None:
    reserver.ok(*GPU_RULES)
    args = ("resources", "availability", "GPU-2", "--from", "fri", "--days", "2")
    grid = reserver.ok(*args, "--from-hour", "7", "--to-hour", "9").stdout.splitlines()
    assert grid[3:5] == ["Fri 4 Dec ░░░░····", "Sat 5 Dec ░░░░░░░░"]
    assert "░░ closed" in grid[-1]
    slots = reserver.data(*args)["days"][1]["slots"]
    assert {slot["state"] for slot in slots} == {"closed"}
