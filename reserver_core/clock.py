"""Where the core takes its notion of "now" from, so tests can freeze it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Something that tells the current instant as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """Return the current instant in UTC."""
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until moved; for tests and snapshots."""

    def __init__(self, instant: datetime) -> None:
        self._instant = as_utc(instant)

    def now(self) -> datetime:
        """Return the frozen instant."""
        return self._instant

    def set(self, instant: datetime) -> None:
        """Move the clock to `instant`."""
        self._instant = as_utc(instant)

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward by `delta`."""
        self._instant += delta


def as_utc(value: datetime) -> datetime:
    """Return `value` as an aware UTC datetime; a naive value is taken as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
