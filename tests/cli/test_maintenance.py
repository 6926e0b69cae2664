"""`reserver resources maintenance` (issue 13): ahead or from now, with a reason; the
overlapped bookings listed, then cancelled or kept, never guessed; local and remote."""

from __future__ import annotations

import pytest
from support.cli import Reserver

from reserver_cli.exit_codes import ExitCode

WINDOW = ("--from", "2026-12-02 09:00", "--for", "4h", "--reason", "new projector")


@pytest.fixture
def booked(reserver: Reserver, rooms: dict[str, int]) -> dict[str, int]:
    """bob's bookings of Room A on 2 December: two inside WINDOW, one after."""
    made = {}
    for label, user, start in (
        ("first", "bob", "2026-12-02 10:00"),
        ("second", "bob", "2026-12-02 12:00"),
        ("after", "bob", "2026-12-02 13:00"),
    ):
        made[label] = reserver.data("book", "Room A", start, "--for", "1h", user=user)["id"]
    return made


def test_dry_run_lists_the_overlapped_bookings(reserver: Reserver, booked: dict[str, int]) -> None:
    listed = reserver.ok("resources", "maintenance", "Room A", *WINDOW, "--dry-run").stdout
    assert "overlaps 2 active bookings" in listed
    assert listed.count("bob") == 2 and "(new projector)" in listed
    seen = reserver.data("resources", "maintenance", "Room A", *WINDOW, "--dry-run")
    assert [r["id"] for r in seen["overlapped"]] == [booked["first"], booked["second"]]
    assert seen["reason"] == "new projector"
    assert reserver.data("resources", "show", "Room A")["unavailable_since"] is None


def test_without_a_terminal_or_a_choice_it_refuses(
    reserver: Reserver, booked: dict[str, int]
) -> None:
    refused = reserver("resources", "maintenance", "Room A", *WINDOW)
    assert refused.exit_code == ExitCode.INVALID_INPUT
    assert "--cancel-overlapped or --keep-overlapped" in refused.stderr
    assert refused.stderr.count("bob") == 2  # the listing, on stderr
    as_json = reserver("resources", "maintenance", "Room A", *WINDOW, "--json")
    assert as_json.exit_code == ExitCode.INVALID_INPUT
    assert f"#{booked['first']}" in as_json.error()["message"]
    assert len(as_json.error()["overlapped"]) == 2
    assert reserver.data("resources", "show", "Room A")["unavailable_since"] is None


def test_cancel_overlapped_and_the_owner_sees_why(
    reserver: Reserver, booked: dict[str, int]
) -> None:
    done = reserver.data("resources", "maintenance", "Room A", *WINDOW, "--cancel-overlapped")
    assert [r["id"] for r in done["cancelled"]] == [booked["first"], booked["second"]]
    assert done["resource"]["status"] == "available"  # until the window starts
    history = reserver.ok("reservations", "history", str(booked["first"]), user="bob").stdout
    assert "cancelled for maintenance" in history and "new projector" in history
    mine = reserver.data("reservations", "show", str(booked["after"]), user="bob")
    assert mine["status"] == "active"
    shown = " ".join(reserver.ok("resources", "show", "Room A").stdout.split())
    assert "from Wed 2 Dec 09:00 UTC until Wed 2 Dec 13:00 UTC (new projector)" in shown
    refused = reserver("book", "Room A", "2026-12-02 11:00", "--for", "1h", user="bob")
    assert refused.exit_code == ExitCode.REFUSED
    assert "(new projector)" in refused.stderr


def test_keep_overlapped_and_a_human_summary(reserver: Reserver, booked: dict[str, int]) -> None:
    said = reserver.ok("resources", "maintenance", "Room A", *WINDOW, "--keep-overlapped").stdout
    assert "Room A is under maintenance Wed 2 Dec 09:00-13:00 UTC (new projector)." in said
    assert f"Kept #{booked['first']}" in said
    assert reserver.data("reservations", "show", str(booked["first"]), user="bob")["status"] == (
        "active"
    )


def test_nothing_overlapped_needs_no_choice(reserver: Reserver, rooms: dict[str, int]) -> None:
    done = reserver.data("resources", "maintenance", "Room B", "--for", "90m")
    assert (done["cancelled"], done["kept"]) == ([], [])
    assert done["resource"]["status"] == "maintenance"
    assert reserver.data("resources", "reset", "Room B")["status"] == "available"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--for", "10m"), "--for: maintenance lasts 15 minutes to 168 hours"),
        (("--for", "1h", "--hours", "2"), "either --for LENGTH or --hours N"),
        (("--hours", "0"), "--hours"),
        (("--for", "soon"), "for"),
        (("--from", "someday", "--for", "1h"), "from"),
        (("--from", "2028-01-01 09:00", "--for", "1h"), "--from: maintenance starts at most"),
        (("--for", "1h", "--reason", "x" * 501), "--reason: a maintenance reason is at most"),
        (("--for", "1h", "--cancel-overlapped", "--keep-overlapped"), "not both"),
    ],
)
def test_bad_inputs(
    reserver: Reserver, rooms: dict[str, int], args: tuple[str, ...], message: str
) -> None:
    refused = reserver("resources", "maintenance", "Room A", *args)
    assert refused.exit_code == ExitCode.INVALID_INPUT, refused.stderr
    assert message in refused.stderr
    assert "Traceback" not in refused.stderr


def test_members_may_not(reserver: Reserver, booked: dict[str, int]) -> None:
    denied = reserver(
        "resources", "maintenance", "Room A", *WINDOW, "--dry-run", "--json", user="bob"
    )
    assert denied.exit_code == ExitCode.DENIED
    assert denied.error()["code"] == "forbidden"
