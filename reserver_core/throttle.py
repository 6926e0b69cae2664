"""Counting attempts per key in the database: login and registration throttling.

Each key (a username at an address, a username anywhere, registrations from an
address) has one counter row, locked while it is read and bumped, so that a
burst of parallel attempts is counted one by one and never all against a stale
count. The rows live in the database so that every server replica shares them.
"""

from __future__ import annotations

import ipaddress
import math
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, insert
from sqlalchemy.orm import Session

from reserver_core.display import wait_text
from reserver_core.errors import ThrottledError
from reserver_core.models import RateCounter

REGISTRATION_WINDOW = timedelta(hours=1)
MAX_SLOWDOWN_SECONDS = 60
LOCAL_ADDRESS = "local"
"""The address of attempts made in-process, not over the network."""


def clean_address(address: str) -> str:
    """An IP address in its canonical form; anything else stands for one unknown client."""
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return "unknown" if address != LOCAL_ADDRESS else LOCAL_ADDRESS


def locked_counter(session: Session, key: str, now: datetime, window: timedelta) -> RateCounter:
    """The counter of `key`, created if new, locked until the transaction ends, and
    restarted when its window has passed."""
    dialect = session.get_bind().dialect.name
    row = {"key": key, "count": 0, "window_start": now, "last_at": now}
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        session.execute(sqlite_insert(RateCounter).values(row).on_conflict_do_nothing())
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgres_insert

        session.execute(postgres_insert(RateCounter).values(row).on_conflict_do_nothing())
    else:
        session.execute(insert(RateCounter).values(row).prefix_with("IGNORE"))
    counter = session.get(RateCounter, key, with_for_update=True, populate_existing=True)
    assert counter is not None  # inserted above or already there, and locked
    if counter.window_start <= now - window:
        counter.count = 0
        counter.window_start = now
    return counter


def bump(counter: RateCounter, now: datetime) -> None:
    """Count one attempt on a locked counter."""
    counter.count += 1
    counter.last_at = now


def retry_seconds(until: datetime, now: datetime) -> int:
    """Whole seconds from `now` until `until`, at least one (trying then must work)."""
    return max(1, math.ceil((until - now).total_seconds()))


def refuse(message: str, retry_after: int) -> ThrottledError:
    """A throttling refusal saying when to try again."""
    return ThrottledError(f"{message}; try again in {wait_text(retry_after)}", retry_after)


def admit(
    session: Session, key: str, now: datetime, limit: int, window: timedelta, message: str
) -> RateCounter:
    """Count one attempt under `key`, refused once the window already holds `limit`."""
    counter = locked_counter(session, key, now, window)
    if counter.count >= limit:
        raise refuse(message, retry_seconds(counter.window_start + window, now))
    bump(counter, now)
    return counter


def slowdown_seconds(failures: int, free_failures: int) -> int:
    """The wait after `failures` failures: none up to `free_failures`, then doubling to a cap."""
    if failures < free_failures:
        return 0
    return min(MAX_SLOWDOWN_SECONDS, 1 << min(failures - free_failures, 16))


def forget(session: Session, *keys: str) -> None:
    """Drop the counters of `keys` (after a successful login)."""
    session.execute(delete(RateCounter).where(RateCounter.key.in_(keys)))


def purge(session: Session, now: datetime, longest_window: timedelta) -> int:
    """Drop counters whose last attempt is older than every window; returns how many."""
    keep = max(longest_window, REGISTRATION_WINDOW, timedelta(seconds=MAX_SLOWDOWN_SECONDS))
    result = session.execute(
        delete(RateCounter)
        .where(RateCounter.last_at < now - keep)
        .execution_options(synchronize_session=False)
    )
    return int(cast(CursorResult[Any], result).rowcount)
