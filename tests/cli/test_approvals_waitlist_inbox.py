"""Approvals, waitlists and the inbox from the shell, on a real store with several people
(local SQLite, and a live server once the remote backend speaks them).

alice is the store's admin; carol approves the Microscope, whose policy requires
approval; bob and dave are members. "Now" is frozen at NOW (Tue 1 Dec 2026 10:00 in
Berlin, where times are read and shown).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from support.cli import Outcome, Reserver
from support.clock import NOW
from support.servers import TEST_PASSWORD

from reserver_cli.exit_codes import ExitCode
from reserver_core.remote import RemoteBackend

pytestmark = pytest.mark.parametrize(
    "reserver",
    ["local", "remote"] if hasattr(RemoteBackend, "approve") else ["local"],
    indirect=True,
)

NEXT_THURSDAY = ("2026-12-10 10:00", "--for", "2h")
"""A window far enough ahead that a request's 48 hours to decide end before it starts."""
JOIN = ("waitlist", "join", "Room A", "2026-12-02 14:00", "--for", "1h")
"""Joining the line for Room A's hour that dave books in the bad-input tests."""


@pytest.fixture
def lab(reserver: Reserver, request: pytest.FixtureRequest) -> Reserver:
    """The store with carol and dave, a Microscope that carol approves, and Room A (no
    approval); read and shown in Berlin time, on a wide terminal."""
    if reserver.remote:
        from reserver_core import credentials

        server = request.getfixturevalue("clocked_server")
        for name in ("carol", "dave"):
            server.register(name, TEST_PASSWORD)
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv("RESERVER_CONFIG_DIR", reserver.user_env(name)["RESERVER_CONFIG_DIR"])
                credentials.set_token(server.url, server.token(name, TEST_PASSWORD))
    else:
        for name in ("carol", "dave"):
            reserver.ok("auth", "status", user=name)
    reserver.env["RESERVER_TZ"] = "Europe/Berlin"
    reserver.env["COLUMNS"] = "200"
    reserver.ok("resources", "create", "Microscope", "--tag", "lab")
    reserver.ok("resources", "create", "Room A")
    reserver.ok(
        "policy",
        "set",
        "--resource",
        "Microscope",
        "--approval",
        "required",
        "--approvers",
        "carol",
    )
    return reserver


def rows(outcome: Outcome) -> list[list[str]]:
    """The cells of each row of the table in stdout."""
    return [
        [cell.strip() for cell in line.split("│")]
        for line in outcome.stdout.splitlines()
        if "│" in line
    ]


def one_line_error(outcome: Outcome, code: ExitCode) -> str:
    """The error of a refused command: its exit code, one line on stderr, no traceback."""
    assert outcome.exit_code == code, (outcome.exit_code, outcome.stderr)
    assert outcome.stdout == "", outcome.stdout
    assert "Traceback" not in outcome.stderr
    assert len(outcome.stderr.splitlines()) == 1, outcome.stderr
    assert outcome.stderr.startswith("error: "), outcome.stderr
    return outcome.stderr


def at(instant: str) -> datetime:
    """An instant from JSON."""
    return datetime.fromisoformat(instant)


def test_a_request_holds_its_slot_until_an_approver_says_yes(lab: Reserver) -> None:
    said = lab.ok("book", "Microscope", *NEXT_THURSDAY, "--note", "cell samples", user="bob")
    assert said.stdout.split("\n")[:2] == [
        "Not booked yet: request #1 for Microscope, Thu 10 Dec 10:00-12:00 CET (cell samples) "
        "is pending approval by carol (or an admin), to be decided by Thu 3 Dec 10:00 CET.",
        "The slot is held for you meanwhile; the answer comes to your inbox (reserver inbox).",
    ]
    request = lab.data("reservations", "show", "1", user="bob")
    assert request["status"] == "pending"
    assert at(request["decide_by"]) == NOW + timedelta(hours=48)
    second = lab.data("book", "Microscope", "2026-12-11 10:00", "--for", "1h", user="bob")
    assert (second["status"], second["approvers"]) == ("pending", ["carol"])
    assert at(second["decide_by"]) == NOW + timedelta(hours=48)

    clash = lab("book", "Microscope", "2026-12-10 11:00", "--for", "1h", user="dave")
    assert clash.exit_code == ExitCode.CONFLICT
    assert "clashes with #1: Thu 10 Dec 10:00-12:00 CET" in clash.stderr
    assert (
        "or wait in line for it: reserver waitlist join Microscope 2026-12-10T11:00+01:00 --for 1h"
    ) in clash.stderr
    assert lab("book", "Microscope", *NEXT_THURSDAY, "--json", user="dave").error()["code"] == (
        "conflict"
    )

    listed = rows(lab.ok("upcoming", user="bob"))
    assert [(row[0], row[4]) for row in listed] == [
        ("1", "pending approval"),
        ("2", "pending approval"),
    ]

    assert [r["id"] for r in lab.data("approvals", "list", user="carol")] == [1, 2]
    assert lab.data("approvals", "list", user="dave") == []
    assert "No requests await your decision." in lab.ok("approvals", "list", user="dave").stdout
    table = rows(lab.ok("approvals", "list", user="carol"))
    assert table[0] == [
        "1",
        "bob",
        "Microscope",
        "Thu 10 Dec 10:00-12:00 CET",
        "Thu 3 Dec 10:00 CET",
        "cell samples",
    ]
    told = lab.data("inbox", user="carol")
    assert [(n["kind"], n["reservation_id"]) for n in told] == [("request", 2), ("request", 1)]
    assert at(told[1]["deadline"]) == NOW + timedelta(hours=48)

    refused = one_line_error(lab("approvals", "approve", "1", user="dave"), ExitCode.DENIED)
    assert refused == (
        "error: access denied: requests on Microscope are decided by carol (or an admin)\n"
    )
    assert lab.data("reservations", "show", "1", user="bob")["status"] == "pending"

    approved = lab.ok("approvals", "approve", "1", user="carol")
    assert approved.stdout == (
        "Approved #1: bob's request for Microscope, Thu 10 Dec 10:00-12:00 CET.\n"
    )
    assert lab.data("reservations", "show", "1", user="bob")["status"] == "active"
    heard = lab.data("inbox", user="bob")
    assert [n["kind"] for n in heard] == ["approved"]
    assert "carol approved your request 1" in heard[0]["text"]
    again = one_line_error(lab("approvals", "approve", "1", user="carol"), ExitCode.REFUSED)
    assert "not awaiting approval (active)" in again
    # An admin decides any request; an approver's own booking asks nobody.
    assert lab.data("approvals", "approve", "2")["status"] == "active"
    own = lab.data("book", "Microscope", "2026-12-12 10:00", "--for", "1h", user="carol")
    assert own["status"] == "active"
    assert lab("book", "Microscope", *NEXT_THURSDAY, user="dave").exit_code == ExitCode.CONFLICT


def test_a_rejection_offers_the_slot_to_the_first_in_line(lab: Reserver) -> None:
    lab.ok("book", "Microscope", *NEXT_THURSDAY, user="bob")
    joined = lab.ok(
        "waitlist", "join", "Microscope", "2026-12-10 10:00", "--end", "12:00", user="dave"
    )
    assert joined.stdout.split("\n")[0] == (
        "Waiting for Microscope, Thu 10 Dec 10:00-12:00 CET: you are 1st in line "
        "(waitlist entry #1)."
    )
    second = lab.data(
        "waitlist",
        "join",
        "Microscope",
        "2026-12-10 10:30",
        "--for",
        "1h",
        "--flexible-within",
        "30m",
        "--note",
        "plan B",
        user="alice",
    )
    assert (second["position"], second["flexible_minutes"], second["note"]) == (2, 30, "plan B")
    mine = lab.data("waitlist", "list", user="dave")
    assert [(e["id"], e["status"], e["position"]) for e in mine] == [(1, "waiting", 1)]
    everyone = rows(lab.ok("waitlist", "list", "--all"))
    assert [(row[0], row[4], row[5]) for row in everyone] == [
        ("2", "waiting, 2nd in line", "alice"),
        ("1", "waiting, 1st in line", "dave"),
    ]

    rejected = lab.ok(
        "approvals", "reject", "1", "--reason", "the course needs it", user="carol"
    ).stdout
    assert rejected == (
        "Rejected #1: bob's request for Microscope, Thu 10 Dec 10:00-12:00 CET "
        "(the course needs it); its slot is free.\n"
    )
    assert lab.data("reservations", "show", "1", user="bob")["status"] == "rejected"
    bobs = lab.data("inbox", user="bob")
    assert bobs[0]["kind"] == "rejected" and bobs[0]["text"].endswith(": the course needs it")

    offers = lab.data("inbox", "--unread", user="dave")
    assert [n["kind"] for n in offers] == ["offer"]
    offer_id = offers[0]["reservation_id"]
    assert at(offers[0]["deadline"]) == NOW + timedelta(minutes=30)
    shown = rows(lab.ok("inbox", user="dave"))
    assert shown == [
        [
            "new",
            str(offers[0]["id"]),
            "Tue 1 Dec 10:00 CET",
            "offer",
            f"Microscope is free for you Thu 10 Dec 10:00-12:00 CET: accept reservation {offer_id} "
            "by Tue 1 Dec 10:30 CET, or it goes to the next in line",
            "Tue 1 Dec 10:30 CET",
        ]
    ]
    entry = lab.data("waitlist", "list", user="dave")[0]
    assert (entry["status"], entry["offer"]["id"]) == ("offered", offer_id)
    listed = rows(lab.ok("waitlist", "list", user="dave"))
    assert listed[0][4] == f"offered as #{offer_id} until 10:30 CET"
    assert rows(lab.ok("upcoming", user="dave"))[0][4] == "offered until 10:30 CET"
    clash = lab("book", "Microscope", *NEXT_THURSDAY, user="carol")
    assert clash.exit_code == ExitCode.CONFLICT  # the offer holds the slot

    # The entry's number is not the offer's: the refusal says which number to use.
    mixed_up = lab("waitlist", "accept", "1", user="dave")  # reservation 1 is bob's request
    assert mixed_up.exit_code == ExitCode.DENIED
    assert f"waitlist entry 1 holds the offer #{offer_id}" in mixed_up.stderr
    accepted = lab.ok("waitlist", "accept", str(offer_id), user="dave").stdout
    assert accepted == (
        f"Booked #{offer_id}: Microscope, Thu 10 Dec 10:00-12:00 CET (offer accepted).\n"
    )
    assert lab.data("reservations", "show", str(offer_id), user="dave")["status"] == "active"
    assert lab.data("waitlist", "list", user="dave")[0]["status"] == "booked"
    assert lab.data("waitlist", "list", user="alice")[0]["position"] == 1

    assert lab.data("inbox", "read", "--all", user="dave") == {"marked": 1}
    assert lab.data("inbox", "--unread", user="dave") == []
    assert rows(lab.ok("inbox", user="dave"))[0][0] == ""  # no longer marked new
    assert lab.ok("inbox", "read", "--all", user="dave").stdout == "No unread notices.\n"


def test_a_declined_offer_passes_on_and_an_unanswered_one_lapses(lab: Reserver) -> None:
    booked = lab.data("book", "Room A", "2026-12-02 14:00", "--for", "1h")
    for who in ("dave", "bob"):
        lab.ok("waitlist", "join", "Room A", "2026-12-02 14:00", "--for", "1h", user=who)
    lab.ok("cancel", str(booked["id"]))
    first = lab.data("inbox", user="dave")[0]["reservation_id"]
    declined = lab.ok("waitlist", "decline", str(first), user="dave").stdout
    assert declined == (
        f"Declined the offer #{first}: Room A, Wed 2 Dec 14:00-15:00 CET; "
        "it goes to the next in line.\n"
    )
    assert lab.data("reservations", "show", str(first), user="dave")["status"] == "declined"
    assert lab.data("waitlist", "list", user="dave")[0]["status"] == "declined"
    refused = one_line_error(lab("waitlist", "accept", str(first), user="dave"), ExitCode.REFUSED)
    assert "not an open offer (declined)" in refused
    second = lab.data("inbox", user="bob")[0]
    assert second["kind"] == "offer" and second["reservation_id"] != first

    if lab.remote:
        return  # the lapse itself is the core's and the server's to test
    lab.env["RESERVER_FAKE_NOW"] = (NOW + timedelta(minutes=31)).isoformat()
    told = lab.data("inbox", user="bob")
    assert [n["kind"] for n in told] == ["offer_expired", "offer"]
    assert rows(lab.ok("inbox", user="bob"))[0][3] == "offer lapsed"
    late = one_line_error(
        lab("waitlist", "accept", str(second["reservation_id"]), user="bob"), ExitCode.REFUSED
    )
    assert (
        late == f"error: the offer {second['reservation_id']} lapsed: it was not answered in time\n"
    )
    assert lab.data("waitlist", "list", user="bob")[0]["status"] == "lapsed"
    assert rows(lab.ok("waitlist", "list", user="bob"))[0][4] == "offer not answered in time"


def test_members_may_not_approve_see_who_waits_or_answer_for_others(lab: Reserver) -> None:
    lab.ok("book", "Microscope", *NEXT_THURSDAY, user="bob")
    entry = lab.data("waitlist", "join", "Microscope", *NEXT_THURSDAY, user="dave")["id"]
    for args in (
        ("approvals", "approve", "1"),
        ("approvals", "reject", "1", "--reason", "no"),
        ("waitlist", "list", "--all"),
        ("waitlist", "leave", str(entry)),
        ("policy", "set", "--resource", "Microscope", "--approvers", "bob"),
        ("policy", "clear", "--resource", "Microscope", "--approval"),
    ):
        one_line_error(lab(*args, user="bob"), ExitCode.DENIED)
        assert lab(*args, "--json", user="bob").error()["exit_code"] == ExitCode.DENIED
    assert lab.data("reservations", "show", "1", user="bob")["status"] == "pending"
    lab.ok("approvals", "reject", "1", user="carol")
    offer = lab.data("inbox", user="dave")[0]["reservation_id"]
    one_line_error(lab("waitlist", "accept", str(offer), user="bob"), ExitCode.DENIED)
    one_line_error(lab("waitlist", "decline", str(offer), user="bob"), ExitCode.DENIED)
    assert lab.data("reservations", "show", str(offer), user="dave")["status"] == "offered"
    # The waitlist's own member sees only their entry, never who else waits.
    assert [e["username"] for e in lab.data("waitlist", "list", user="dave")] == ["dave"]


def test_leaving_the_line(lab: Reserver) -> None:
    lab.ok("book", "Room A", "2026-12-02 14:00", "--for", "1h")
    entry = lab.data("waitlist", "join", "Room A", "2026-12-02 14:00", "--for", "1h", user="bob")
    left = lab.ok("waitlist", "leave", str(entry["id"]), user="bob").stdout
    number = entry["id"]
    assert (
        left == f"Left the line for Room A, Wed 2 Dec 14:00-15:00 CET (waitlist entry #{number}).\n"
    )
    assert lab.data("waitlist", "list", user="bob")[0]["status"] == "left"
    again = one_line_error(lab("waitlist", "leave", str(entry["id"]), user="bob"), ExitCode.REFUSED)
    assert "no longer waiting (left)" in again


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (("waitlist", "join", "Room A", "2026-12-02 14:00"), ExitCode.INVALID_INPUT, "--for"),
        (
            ("waitlist", "join", "Room A", "2026-12-02 14:00", "--for", "1h", "--end", "16:00"),
            ExitCode.INVALID_INPUT,
            "--for",
        ),
        (
            (*JOIN, "--flexible-within", "25h"),
            ExitCode.INVALID_INPUT,
            "0 to 24 hours",
        ),
        (
            (*JOIN, "--flexible-within", "soon"),
            ExitCode.INVALID_INPUT,
            "soon",
        ),
        (
            ("waitlist", "join", "Room Z", "2026-12-02 14:00", "--for", "1h"),
            ExitCode.NOT_FOUND,
            "Room Z",
        ),
        (
            ("waitlist", "join", "Room A", "2026-11-30 14:00", "--for", "1h"),
            ExitCode.INVALID_INPUT,
            "future",
        ),
        (("waitlist", "accept", "99"), ExitCode.NOT_FOUND, "99"),
        (("waitlist", "decline", "99"), ExitCode.NOT_FOUND, "99"),
        (("waitlist", "leave", "99"), ExitCode.NOT_FOUND, "99"),
        (("approvals", "approve", "99"), ExitCode.NOT_FOUND, "99"),
        (("approvals", "reject", "99"), ExitCode.NOT_FOUND, "99"),
        (("inbox", "read"), ExitCode.INVALID_INPUT, "--all"),
        (("inbox", "read", "1", "--all"), ExitCode.INVALID_INPUT, "not both"),
        (("inbox", "read", "99"), ExitCode.INVALID_INPUT, "no notice 99"),
        (("inbox", "--unread", "read", "--all"), ExitCode.INVALID_INPUT, "--unread"),
        (
            ("policy", "set", "--resource", "Room A", "--approval", "maybe"),
            ExitCode.INVALID_INPUT,
            "--approval is required or none",
        ),
        (
            ("policy", "set", "--resource", "Room A", "--approvers", "nobody"),
            ExitCode.INVALID_INPUT,
            "no user is called 'nobody'",
        ),
        (
            ("policy", "set", "--resource", "Room A", "--approval-timeout", "0m"),
            ExitCode.INVALID_INPUT,
            "--approval-timeout",
        ),
        (
            ("policy", "set", "--resource", "Room A", "--offer-hold", "forever"),
            ExitCode.INVALID_INPUT,
            "--offer-hold",
        ),
    ],
)
def test_bad_input_is_one_clear_line(
    lab: Reserver, args: tuple[str, ...], code: ExitCode, words: str
) -> None:
    lab.ok("book", "Room A", "2026-12-02 14:00", "--for", "1h", user="dave")
    user = "alice" if args[0] == "policy" else "bob"  # only an admin gets as far
    refused = one_line_error(lab(*args, user=user), code)
    assert words in refused
    assert lab(*args, "--json", user=user).error()["exit_code"] == code


def test_waiting_for_a_free_time_or_twice_is_refused(lab: Reserver) -> None:
    free = lab("waitlist", "join", "Room A", "2026-12-02 14:00", "--for", "1h", user="bob")
    assert free.exit_code == ExitCode.REFUSED
    assert free.stderr.splitlines() == [
        "error: Room A is free Wed 2 Dec 14:00-15:00 CET: book it instead of waiting",
        "  book it with: reserver book 'Room A' 2026-12-02T14:00+01:00 --for 1h",
    ]
    lab.ok("book", "Room A", "2026-12-02 14:00", "--for", "1h", user="dave")
    lab.ok("waitlist", "join", "Room A", "2026-12-02 14:00", "--for", "1h", user="bob")
    twice = one_line_error(
        lab("waitlist", "join", "Room A", "2026-12-02 14:30", "--for", "1h", user="bob"),
        ExitCode.CONFLICT,
    )
    assert "you already wait for Room A at that time (waitlist entry 1)" in twice
    bad_id = lab("approvals", "approve", "one", user="carol")
    assert bad_id.exit_code == ExitCode.INVALID_INPUT and "Traceback" not in bad_id.stderr


def policy_lines(reserver: Reserver, resource: str) -> list[str]:
    """`policy show RESOURCE`'s lines, each with its runs of spaces made one."""
    shown = reserver.ok("policy", "show", resource).stdout
    return [" ".join(line.split()) for line in shown.splitlines()]


def test_approval_rules_are_set_shown_and_cleared(lab: Reserver) -> None:
    lab.ok("policy", "set", "--tag", "lab", "--approval-timeout", "1d", "--offer-hold", "1h")
    # A server's store keeps UTC, whose note on the zone follows in remote mode.
    assert policy_lines(lab, "Microscope")[10:14] == [
        "Approval required from resource 'Microscope'",
        "Approvers carol (and admins) from resource 'Microscope'",
        "Time to decide 1d from tag 'lab'",
        "Offers held for 1h from tag 'lab'",
    ]
    effective = lab.data("policy", "show", "Microscope")["fields"]
    fields = {field["name"]: (field["value"], field["source"]) for field in effective}
    assert fields["approval"] == (True, "resource 'Microscope'")
    assert fields["approvers"] == (["carol"], "resource 'Microscope'")
    assert fields["approval_timeout_minutes"] == (24 * 60, "tag 'lab'")
    assert fields["offer_hold_minutes"] == (60, "tag 'lab'")
    request = lab.data("book", "Microscope", *NEXT_THURSDAY, user="bob")
    assert at(request["decide_by"]) == NOW + timedelta(days=1)

    own = lab.data("policy", "show", "--resource", "Microscope")
    assert (own["approval"], own["approvers"]) == (True, ["carol"])
    cleared = lab.ok("policy", "clear", "--resource", "Microscope", "--approval", "--approvers")
    assert cleared.stdout == (
        "Cleared the approval and approvers of resource 'Microscope'; it sets no rule now.\n"
    )
    assert policy_lines(lab, "Microscope")[10:12] == [
        "Approval not needed",
        "Offers held for 1h from tag 'lab'",
    ]
    booked = lab.data("book", "Microscope", "2026-12-11 10:00", "--for", "1h", user="bob")
    assert booked["status"] == "active"
    # "none" overrides a broader scope's "required".
    lab.ok("policy", "set", "--tag", "lab", "--approval", "required")
    assert policy_lines(lab, "Microscope")[10] == "Approval required from tag 'lab'"
    lab.ok("policy", "set", "--resource", "Microscope", "--approval", "none")
    assert policy_lines(lab, "Microscope")[10] == "Approval not needed"
    booked = lab.data("book", "Microscope", "2026-12-12 10:00", "--for", "1h", user="bob")
    assert booked["status"] == "active"
