"""The one place that turns reserver's domain errors into exit codes.

Scripts can rely on these numbers; `reserver --help` lists them.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from reserver_core.errors import (
    AlreadyExistsError,
    AuthError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    PolicyError,
    ReserverError,
    ServerUnreachableError,
    StateError,
    StoreError,
    ThrottledError,
    UnavailableError,
    ValidationError,
)


class ExitCode(IntEnum):
    """How a `reserver` command ended."""

    OK = 0
    UNEXPECTED = 1
    INVALID_INPUT = 2
    NOT_FOUND = 3
    CONFLICT = 4
    REFUSED = 5
    DENIED = 6
    UNREACHABLE = 7
    STORE = 8
    POLICY = 9
    INTERRUPTED = 130


EXIT_CODES_HELP = """\b
Exit codes:
  0  success
  1  unexpected error (details in the log file named on stderr)
  2  invalid input: a bad option, time, duration, name or CSV file
  3  not found: no such resource, reservation, waitlist entry or user
  4  conflict: the time is already booked (or held), the name is taken,
     or you already wait for that time; a series with dates that clash
     or are refused (nothing booked)
  5  refused: the resource is disabled or under maintenance, the
     reservation is already cancelled or expired, the request or offer
     is no longer open, or the time to wait for is free (book it)
  6  permission denied: not allowed (such as deciding a request you do
     not approve), not logged in, wrong password, or too many failed
     logins
  7  cannot reach the server
  8  the database cannot be opened or used
  9  refused by a booking policy (opening hours, closures, lead times,
     length or allowance limits)
  130 interrupted (Ctrl-C), or a prompt cancelled"""

_BY_ERROR: tuple[tuple[type[ReserverError], ExitCode], ...] = (
    # Before ValidationError, which it is a kind of.
    (PolicyError, ExitCode.POLICY),
    (ValidationError, ExitCode.INVALID_INPUT),
    (NotFoundError, ExitCode.NOT_FOUND),
    (ConflictError, ExitCode.CONFLICT),
    (AlreadyExistsError, ExitCode.CONFLICT),
    (UnavailableError, ExitCode.REFUSED),
    (StateError, ExitCode.REFUSED),
    (ForbiddenError, ExitCode.DENIED),
    (AuthError, ExitCode.DENIED),
    (ThrottledError, ExitCode.DENIED),
    (ServerUnreachableError, ExitCode.UNREACHABLE),
    (StoreError, ExitCode.STORE),
)


def exit_code_for(error: ReserverError) -> ExitCode:
    """The exit code a domain error ends the command with."""
    for kind, code in _BY_ERROR:
        if isinstance(error, kind):
            return code
    return ExitCode.UNEXPECTED


class ExplainedError(Exception):
    """A domain error a command enriched: a message and lines for people, fields for --json."""

    def __init__(
        self,
        error: ReserverError,
        lines: list[str] | None = None,
        fields: dict[str, Any] | None = None,
        message: str | None = None,
    ) -> None:
        super().__init__(str(error))
        self.error = error
        self.lines = lines or []
        self.fields = fields or {}
        self.message = message or error.message
