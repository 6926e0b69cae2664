"""Races of one user against a per-user allowance: what the tests share and what the
spawned store processes run.

RACERS bookings a round, of one member user, on as many resources carrying one tag
whose policy allows LIMIT (bookings held at once, or hours a week): exactly LIMIT
may pass each round, whatever the interleaving. Kept apart from the test modules,
like `support.stores`: a spawned process imports the module of the function it runs.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime, timedelta
from typing import Any, Literal

from reserver_core.clock import FixedClock
from reserver_core.errors import PolicyError
from reserver_core.local import LocalBackend
from reserver_core.schemas import PolicyChanges
from support.clock import NOW
from support.settings import fast_settings

RACERS = 16
ROUNDS = 30
LIMIT = 3
TAG = "gpu"
RACER = "racer"
"""The one member user every racer books as."""

AllowanceRule = Literal["max_active", "max_hours_per_week"]
Outcome = tuple[int, int, str, float, float]
"""Round, racer, what happened ("booked" or the refusal), and when the attempt began and
ended (monotonic seconds, comparable across the processes of one machine)."""


def allowance(rule: AllowanceRule) -> PolicyChanges:
    """The tag's policy of a race: LIMIT bookings held at once, or LIMIT hours a week."""
    if rule == "max_active":
        return PolicyChanges(max_active=LIMIT)
    return PolicyChanges(max_hours_per_week=float(LIMIT))


def slot(
    rule: AllowanceRule, round_number: int, racer: int, first: datetime = NOW
) -> tuple[datetime, datetime]:
    """A racer's one-hour slot of a round, disjoint from every other slot of the race.

    The winners of a max_active round cancel before the next; max_hours_per_week rounds
    lie 15 days apart instead, so no 7-day window around a booking reaches another round.
    """
    if rule == "max_active":
        start = first + timedelta(days=1, hours=round_number * RACERS + racer)
    else:
        start = first + timedelta(days=1 + 15 * round_number, hours=racer)
    return start, start + timedelta(hours=1)


def refusal(rule: str, scope: str, limit: float | None, current: float | None) -> str:
    """A policy refusal as the outcomes record it, the same from either backend (whose
    JSON turns 3 into 3.0)."""
    return f"refused: {rule} of {scope}, limit {_figure(limit)}, current {_figure(current)}"


def _figure(value: float | None) -> str:
    return "none" if value is None else f"{value:g}"


def expected_refusal(rule: AllowanceRule) -> str:
    """The refusal every loser of a round must get: the tag's limit, reached by LIMIT."""
    return refusal(rule, f"tag '{TAG}'", LIMIT, LIMIT)


def check_rounds(outcomes: list[Outcome], rule: AllowanceRule) -> None:
    """Every racer tried once a round; in every round exactly LIMIT won and the rest were
    refused by the tag's allowance, naming its figures."""
    assert len(outcomes) == RACERS * ROUNDS
    assert sorted((o[0], o[1]) for o in outcomes) == [
        (r, n) for r in range(ROUNDS) for n in range(RACERS)
    ]
    by_round = {r: Counter(o[2] for o in outcomes if o[0] == r) for r in range(ROUNDS)}
    wrong = {
        r: dict(counts)
        for r, counts in by_round.items()
        if counts != {"booked": LIMIT, expected_refusal(rule): RACERS - LIMIT}
    }
    assert wrong == {}, f"rounds without exactly {LIMIT} winners: {wrong}"


def fewest_in_flight(outcomes: list[Outcome]) -> int:
    """The fewest attempts of any round in flight at one instant: a real race has many."""
    rounds = {o[0] for o in outcomes}
    return min(_most_at_once([o for o in outcomes if o[0] == r]) for r in rounds)


def _most_at_once(attempts: list[Outcome]) -> int:
    # Sweep the starts and ends in time order; an end at the same instant goes first.
    edges = sorted([(o[3], 1) for o in attempts] + [(o[4], -1) for o in attempts])
    most = running = 0
    for _, step in edges:
        running += step
        most = max(most, running)
    return most


def race_locally(
    url: str, rule: AllowanceRule, racer: int, resource_id: int, barrier: Any, outcomes: Any
) -> None:
    """One racing process: every round, wait for the others, book this racer's slot, wait
    until every attempt of the round is over, then cancel a max_active win."""
    backend = LocalBackend.open(url, fast_settings(), FixedClock(NOW), username=RACER)
    try:
        for round_number in range(ROUNDS):
            start, end = slot(rule, round_number, racer)
            barrier.wait(timeout=120)
            began = time.monotonic()
            booked = None
            try:
                booked = backend.book(resource_id, start, end).id
                outcome = "booked"
            except PolicyError as exc:
                outcome = refusal(exc.rule, exc.scope, exc.limit, exc.current)
            except Exception as exc:  # what must never happen, reported to the test
                outcome = f"{type(exc).__name__}: {exc}"
            outcomes.append((round_number, racer, outcome, began, time.monotonic()))
            barrier.wait(timeout=120)
            if booked is not None and rule == "max_active":
                backend.cancel(booked)
    finally:
        backend.close()
