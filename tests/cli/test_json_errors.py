"""With --json, a failed command still writes exactly one JSON document on stdout: its error.

The document names the same exit code the command ends with, which is the code the
same command ends with without --json; stderr keeps the words for people.
"""

from __future__ import annotations

import pytest
from support.cli import Outcome, Reserver
from support.servers import free_port

from reserver_cli.exit_codes import ExitCode

FAILING = {
    "unknown resource": (("resources", "show", "Room Z"), ExitCode.NOT_FOUND, "not_found"),
    "time in the past": (
        ("book", "Room A", "2026-12-01 08:00", "--for", "1h"),
        ExitCode.INVALID_INPUT,
        "invalid",
    ),
    "unreadable time": (
        ("book", "Room A", "half past never", "--for", "1h"),
        ExitCode.INVALID_INPUT,
        "invalid",
    ),
    "members may not create": (
        ("resources", "create", "Room C"),
        ExitCode.DENIED,
        "forbidden",
    ),
    "bad option value": (
        ("resources", "list", "--limit", "abc"),
        ExitCode.INVALID_INPUT,
        "usage",
    ),
    "missing argument": (("book",), ExitCode.INVALID_INPUT, "usage"),
    "unknown command": (("bookk", "Room A"), ExitCode.INVALID_INPUT, "usage"),
    "group without a command": (("resources",), ExitCode.INVALID_INPUT, "usage"),
}


def check_error_document(plain: Outcome, as_json: Outcome, code: str) -> dict[str, object]:
    """`as_json` failed as `plain` did, with its one error document on stdout."""
    assert plain.exit_code != 0 and plain.stdout == "", plain
    assert as_json.exit_code == plain.exit_code, (as_json, plain)
    error = as_json.error()
    assert error["code"] == code, error
    assert as_json.stderr.strip(), "stderr still says the error for people"
    return error


@pytest.mark.parametrize("case", list(FAILING))
def test_a_failed_command_writes_one_error_document(
    reserver: Reserver, rooms: dict[str, int], case: str
) -> None:
    args, exit_code, code = FAILING[case]
    plain = reserver(*args, user="bob")
    assert plain.exit_code == exit_code, plain
    as_json = reserver(*args, "--json", user="bob")
    check_error_document(plain, as_json, code)
    # Before the command, --json means the same.
    assert reserver("--json", *args, user="bob").stdout == as_json.stdout


def test_a_global_option_without_its_value_is_a_usage_error(reserver: Reserver) -> None:
    plain = reserver("upcoming", "--tz")
    error = check_error_document(plain, reserver("--json", "upcoming", "--tz"), "usage")
    assert error["message"] == "Invalid value for '--tz': a value must follow it"


def test_a_usage_error_names_the_option_typed(reserver: Reserver) -> None:
    outcome = reserver("resources", "list", "--limit", "abc", "--json")
    error = outcome.error()
    assert error["parameter"] == "--limit"
    assert error["message"] == "Invalid value for '--limit': 'abc' is not a valid integer."
    assert "Usage: reserver resources list" in outcome.stderr
    assert reserver("book", "--json").error()["parameter"] == "RESOURCE"


def test_a_conflict_document_carries_the_clash_and_the_next_free_slot(
    reserver: Reserver, rooms: dict[str, int]
) -> None:
    first = reserver.data("book", "Room A", "2026-12-01 13:00", "--for", "1h")
    args = ("book", "Room A", "2026-12-01 13:30", "--for", "1h")
    error = check_error_document(
        reserver(*args, user="bob"), reserver(*args, "--json", user="bob"), "conflict"
    )
    assert error["exit_code"] == ExitCode.CONFLICT
    assert error["windows"] == [
        {
            "start": "2026-12-01T13:00:00+00:00",
            "end": "2026-12-01T14:00:00+00:00",
            "reservation_id": first["id"],
        }
    ]
    slot = error["next_free"]
    assert isinstance(slot, dict) and slot["resource"]["id"] == rooms["Room A"]
    assert (slot["start_time"], slot["end_time"]) == (
        "2026-12-01T14:00:00+00:00",
        "2026-12-01T15:00:00+00:00",
    )


def test_not_logged_in_is_an_error_document(reserver: Reserver) -> None:
    if not reserver.remote:
        pytest.skip("local mode has no sign-in")
    args = ("upcoming",)
    error = check_error_document(
        reserver(*args, user="carol"), reserver(*args, "--json", user="carol"), "auth"
    )
    assert "not logged in" in str(error["message"])


def test_an_unreachable_server_is_an_error_document(reserver: Reserver) -> None:
    reserver.env["RESERVER_SERVER"] = f"http://127.0.0.1:{free_port()}"
    reserver.env.pop("RESERVER_DATABASE_URL", None)
    args = ("resources", "list")
    plain = reserver(*args, user="carol")
    assert plain.exit_code == ExitCode.UNREACHABLE
    error = check_error_document(plain, reserver(*args, "--json", user="carol"), "unreachable")
    assert "cannot reach" in str(error["message"])
