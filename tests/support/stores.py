"""What the spawned store processes of the core tests run.

Kept apart from the test modules: a spawned process imports the module of the
function it runs, and this one imports only the core and `support`.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from reserver_core.clock import FixedClock
from reserver_core.db import Database
from reserver_core.errors import ConflictError
from reserver_core.local import LocalBackend
from support.clock import NOW
from support.settings import fast_settings

WORKERS = 8
ROUNDS = 12


def contested_window(round_number: int, worker: int) -> tuple[datetime, datetime]:
    """Every worker's window of a round overlaps every other's: one winner only."""
    start = NOW + timedelta(days=1, hours=2 * round_number, minutes=5 * worker)
    return start, start + timedelta(hours=1)


def shared_window(round_number: int) -> tuple[datetime, datetime]:
    """The very same slot for every worker."""
    start = NOW + timedelta(days=3, hours=2 * round_number)
    return start, start + timedelta(minutes=30)


def contend(
    url: str,
    worker: int,
    rooms: tuple[int, int],
    barrier: Any,
    outcomes: list[tuple[int, int, str]] | Any,
) -> None:
    """One contender: every round, wait for the others, then book both contested slots."""
    backend = LocalBackend.open(url, fast_settings(), FixedClock(NOW), username=f"user{worker}")
    try:
        for round_number in range(ROUNDS):
            barrier.wait(timeout=120)
            for room, (start, end) in (
                (rooms[0], contested_window(round_number, worker)),
                (rooms[1], shared_window(round_number)),
            ):
                try:
                    backend.book(room, start, end)
                    outcome = "won"
                except ConflictError:
                    outcome = "conflict"
                except Exception as exc:  # what must never happen, reported to the test
                    outcome = f"{type(exc).__name__}: {exc}"
                outcomes.append((round_number, room, outcome))
    finally:
        backend.close()


def home_window(worker: int, round_number: int) -> tuple[datetime, datetime]:
    """Where a mover's booking of a round starts out: a slot of its own, far from the
    contested ones."""
    start = NOW + timedelta(days=20, hours=2 * (round_number * WORKERS + worker))
    return start, start + timedelta(hours=1)


def contend_by_moving(
    url: str, worker: int, room: int, barrier: Any, outcomes: list[tuple[int, str]] | Any
) -> None:
    """One contender for one slot a round: even workers book it, odd ones move a booking
    of their own (made for the round at `home_window`) into it."""
    backend = LocalBackend.open(url, fast_settings(), FixedClock(NOW), username=f"user{worker}")
    try:
        for round_number in range(ROUNDS):
            own = backend.book(room, *home_window(worker, round_number)).id if worker % 2 else None
            barrier.wait(timeout=120)
            start, end = shared_window(round_number)
            try:
                if own is None:
                    backend.book(room, start, end)
                    outcome = "booked"
                else:
                    backend.move(own, start, end)
                    outcome = "moved"
            except ConflictError:
                outcome = "conflict"
            except Exception as exc:  # what must never happen, reported to the test
                outcome = f"{type(exc).__name__}: {exc}"
            outcomes.append((round_number, outcome))
    finally:
        backend.close()


def run_expiry(url: str, barrier: Any, results: Any) -> None:
    """One process: open the store without the expiry `open` runs, wait, then expire."""
    settings = fast_settings()
    backend = LocalBackend(Database.open(url, settings), settings, FixedClock(NOW))
    try:
        barrier.wait(timeout=120)
        began = time.perf_counter()
        report = backend.run_expiry()
        results.append((report.expired_count, time.perf_counter() - began))
    finally:
        backend.close()


def open_store(url: str, barrier: Any, results: Any) -> None:
    """One opener of a fresh store: wait for the other, then open (and so migrate) it."""
    barrier.wait(timeout=120)
    try:
        backend = LocalBackend.open(url, fast_settings(), FixedClock(NOW), username="alice")
        results.append(backend.database.current_revision())
        backend.close()
    except Exception as exc:  # reported to the test, which must see none
        results.append(f"{type(exc).__name__}: {exc}")
