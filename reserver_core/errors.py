"""The domain errors every front end maps the same way.

The server turns them into status codes in one exception handler, the CLI into
exit codes in one place and the TUI into notifications in one place. The
remote backend turns HTTP errors back into the same classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any


class ReserverError(Exception):
    """Base of every error a user of reserver can cause or meet."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class NotFoundError(ReserverError):
    """A resource, reservation or user that does not exist; `candidates` are the close
    matches of a name that matched nothing, best first."""

    code = "not_found"

    def __init__(self, message: str, candidates: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.candidates = list(candidates)


class ValidationError(ReserverError):
    """Input that breaks a rule; `field` names the offending input when known."""

    code = "invalid"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class AmbiguousNameError(ValidationError):
    """A name that is the beginning of several resources' names; `candidates` lists them."""

    code = "ambiguous"

    def __init__(self, message: str, candidates: Sequence[str]) -> None:
        super().__init__(message, "resource")
        self.candidates = list(candidates)


class PolicyError(ValidationError):
    """A booking a policy refuses: `rule` names the rule (a `PolicyRule`), `scope` the
    label of the scope it came from, `limit` and `current` its figures in `unit`
    ("minutes", "bookings", "hours"), `figures` any others (ISO times as text).

    The message is written in the policy's time zone; `display.describe_error` writes
    it again in the reader's from these fields.
    """

    code = "policy"

    def __init__(
        self,
        message: str,
        rule: str,
        scope: str,
        field: str | None = None,
        limit: float | None = None,
        current: float | None = None,
        unit: str | None = None,
        resource: str | None = None,
        figures: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, field)
        self.rule = rule
        self.scope = scope
        self.limit = limit
        self.current = current
        self.unit = unit
        self.resource = resource
        self.figures = dict(figures or {})

    def details(self) -> dict[str, Any]:
        """The refusal's machine-readable fields, as `--json` and the HTTP body carry them."""
        return {
            "rule": self.rule,
            "scope": self.scope,
            "limit": self.limit,
            "current": self.current,
            "unit": self.unit,
            "resource": self.resource,
            "figures": self.figures,
        }


@dataclass(frozen=True)
class LineError:
    """One rejected line of an imported CSV file."""

    line: int
    message: str


class ImportRejectedError(ValidationError):
    """A CSV file with bad lines; nothing of it was written."""

    code = "import_rejected"

    def __init__(self, errors: list[LineError]) -> None:
        count = len(errors)
        noun = "line" if count == 1 else "lines"
        super().__init__(f"the file was rejected: {count} bad {noun}, nothing imported", "file")
        self.errors = errors


@dataclass(frozen=True)
class Window:
    """A half-open time window `[start, end)` in UTC, used to name clashes."""

    start: datetime
    end: datetime
    reservation_id: int | None = None


class ConflictError(ReserverError):
    """A booking that overlaps other active reservations of `resource` (its name)."""

    code = "conflict"

    def __init__(
        self, message: str, windows: list[Window] | None = None, resource: str | None = None
    ) -> None:
        super().__init__(message)
        self.windows = windows or []
        self.resource = resource


class SeriesRefusedError(ConflictError):
    """A series that cannot be booked (or retimed) as a whole: nothing was written.

    `occurrences` are the preview's `schemas.Occurrence`s, every date with its state, so
    each bad date can be named."""

    code = "series"

    def __init__(self, message: str, occurrences: Sequence[Any], resource: str | None) -> None:
        super().__init__(message, [], resource)
        self.occurrences = list(occurrences)


class AlreadyExistsError(ReserverError):
    """A name that must be unique is already taken."""

    code = "exists"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnavailableError(ReserverError):
    """The resource is disabled or under maintenance for the requested window.

    Under maintenance, `resource` names it, `since` and `until` are the maintenance
    window and `reason` why it was set ("" when none was given).
    """

    code = "unavailable"

    def __init__(
        self,
        message: str,
        resource: str | None = None,
        until: datetime | None = None,
        since: datetime | None = None,
        reason: str = "",
    ) -> None:
        super().__init__(message)
        self.resource = resource
        self.until = until
        self.since = since
        self.reason = reason


class StateError(ReserverError):
    """An action that the object's current state does not allow (cancel twice)."""

    code = "state"


class ForbiddenError(ReserverError):
    """The acting user may not do this."""

    code = "forbidden"


class AuthError(ReserverError):
    """Missing, wrong or expired credentials."""

    code = "auth"


class ThrottledError(ReserverError):
    """Too many failed logins; `retry_after` is in seconds."""

    code = "throttled"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServerUnreachableError(ReserverError):
    """The server could not be reached or answered with garbage."""

    code = "unreachable"


STORE_UNAVAILABLE = "the database is unavailable"
"""What a store failure says to anyone: it names neither the store nor the driver's reason."""


class StoreError(ReserverError):
    """The database could not be opened or used.

    `details`, when known, names the store (a file path, a URL without its password)
    and the driver's reason: for logs and for the person whose store it is, never
    for a server's clients.
    """

    code = "store"

    def __init__(self, message: str, details: str | None = None) -> None:
        super().__init__(message)
        self.details = details
