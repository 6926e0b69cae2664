"""Races of several users booking overlapping series on one resource: what the tests share
and what the spawned store processes run.

Every round, RACERS members each book a daily series of DATES dates on the same resource,
racer n's starting n days after racer 0's and 15 minutes later in the day: any two of a
round share some dates, and on a shared date their windows overlap. Rounds lie on dates
of their own. A round is booked all or nothing by everyone ("all"), with skip_conflicts
by everyone ("skip"), or half and half ("mixed"). Whatever the interleaving, the store
must end with no two active reservations overlapping, every series whole or absent
(no series row without its reservations) unless it skipped, and every date left out
taken by another racer. Kept apart from the test modules, like `support.stores`: a
spawned process imports the module of the function it runs.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from typing import Any, Literal
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import func, select

from reserver_core.clock import FixedClock
from reserver_core.db import Database
from reserver_core.errors import SeriesRefusedError
from reserver_core.local import LocalBackend
from reserver_core.models import Reservation, ReservationEvent, Series, User
from reserver_core.schemas import Occurrence, SeriesOutcome, SeriesRequest, SeriesRule
from support.clock import NOW
from support.settings import fast_settings

RACERS = 4
ROUNDS = 9
DATES = 6
"""Each series' dates: with RACERS racers a day apart, any two of a round share some."""
ROUND_DAYS = DATES + RACERS
"""Days between the first dates of two rounds: no round reaches the next."""
LENGTH_MINUTES = 60
ZONE = "Europe/Berlin"
LOCAL_FIRST = date(2026, 12, 3)
"""The first date of round 0 against the frozen NOW (Tue 1 Dec 2026)."""

Mode = Literal["all", "skip", "mixed"]
MODES: tuple[Mode, ...] = ("all", "skip", "mixed")

Dated = tuple[int, str, datetime | None, datetime | None, int | None]
"""One date of an attempt: its index, state, window (UTC) and the reservation booked."""


@dataclass(frozen=True)
class Attempt:
    """What one racer's booking of a round did: `outcome` is "booked", "refused" or the
    unexpected error; `dates` every date of its rule; `began` and `ended` monotonic
    seconds, comparable across the processes of one machine."""

    round_number: int
    racer: int
    skip: bool
    outcome: str
    series_id: int | None
    dates: tuple[Dated, ...]
    began: float
    ended: float

    def in_state(self, *states: str) -> list[Dated]:
        """The dates in one of `states`."""
        return [d for d in self.dates if d[1] in states]


def racer_name(racer: int) -> str:
    """The member user racer `racer` books as."""
    return f"racer{racer}"


def mode(round_number: int) -> Mode:
    """How a round books: every mode comes round in turn."""
    return MODES[round_number % len(MODES)]


def skips(round_number: int, racer: int) -> bool:
    """Whether the racer asks for skip_conflicts in the round."""
    kind = mode(round_number)
    return kind == "skip" or (kind == "mixed" and racer % 2 == 1)


def first_day(first: date, round_number: int, racer: int) -> date:
    """The racer's first local date in the round."""
    return first + timedelta(days=round_number * ROUND_DAYS + racer)


def start_of(first: date, round_number: int, racer: int) -> datetime:
    """The naive wall time of the racer's first occurrence in the round."""
    return datetime.combine(first_day(first, round_number, racer), clock_time(10, 15 * racer % 60))


def series_request(resource_id: int, first: date, round_number: int, racer: int) -> SeriesRequest:
    """The racer's series of the round, for a backend."""
    return SeriesRequest(
        resource_id,
        start_of(first, round_number, racer),
        ZONE,
        LENGTH_MINUTES,
        SeriesRule("daily", count=DATES),
        note=f"round {round_number}",
    )


def series_body(resource_id: int, first: date, round_number: int, racer: int) -> dict[str, Any]:
    """The racer's series of the round, as the body of POST /reservations/series."""
    return {
        "resource_id": resource_id,
        "start": start_of(first, round_number, racer).isoformat(timespec="minutes"),
        "timezone": ZONE,
        "length_minutes": LENGTH_MINUTES,
        "repeat": "daily",
        "every": 1,
        "on": "",
        "count": DATES,
        "until": None,
        "note": f"round {round_number}",
        "skip_conflicts": skips(round_number, racer),
        "dry_run": False,
    }


def _dated(occurrences: list[Occurrence]) -> tuple[Dated, ...]:
    return tuple(
        (o.index, o.state, o.start_time, o.end_time, o.reservation_id) for o in occurrences
    )


def _instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _dated_json(occurrences: list[dict[str, Any]]) -> tuple[Dated, ...]:
    return tuple(
        (
            int(o["index"]),
            str(o["state"]),
            _instant(o.get("start_time")),
            _instant(o.get("end_time")),
            o.get("reservation_id"),
        )
        for o in occurrences
    )


def attempt_locally(
    backend: LocalBackend, resource_id: int, first: date, round_number: int, racer: int
) -> tuple[str, int | None, tuple[Dated, ...]]:
    """Book the racer's series of the round: the outcome, series id and dates."""
    request = series_request(resource_id, first, round_number, racer)
    try:
        done: SeriesOutcome = backend.book_series(
            request, skip_conflicts=skips(round_number, racer)
        )
    except SeriesRefusedError as exc:
        return "refused", None, _dated(exc.occurrences)
    except Exception as exc:  # what must never happen, reported to the test
        return f"{type(exc).__name__}: {exc}", None, ()
    series_id = done.series.id if done.series is not None else None
    return "booked", series_id, _dated(done.occurrences)


def attempt_over_http(
    client: httpx.Client, resource_id: int, first: date, round_number: int, racer: int
) -> tuple[str, int | None, tuple[Dated, ...]]:
    """The same over HTTP: 201 booked, 409 `code: series` refused, anything else reported."""
    body = series_body(resource_id, first, round_number, racer)
    try:
        response = client.post("/reservations/series", json=body)
    except httpx.HTTPError as exc:  # what must never happen, reported to the test
        return f"{type(exc).__name__}: {exc}", None, ()
    is_json = response.headers.get("content-type", "").startswith("application/json")
    answer = response.json() if is_json else {}
    if response.status_code == 201 and answer.get("series"):
        return "booked", int(answer["series"]["id"]), _dated_json(answer["occurrences"])
    if response.status_code == 409 and answer.get("code") == "series":
        return "refused", None, _dated_json(answer["occurrences"])
    return f"{response.status_code}: {response.text}", None, ()


def race_locally(url: str, racer: int, resource_id: int, barrier: Any, attempts: Any) -> None:
    """One racing process: every round, wait for the others, then book its series."""
    backend = LocalBackend.open(url, fast_settings(), FixedClock(NOW), username=racer_name(racer))
    try:
        for round_number in range(ROUNDS):
            barrier.wait(timeout=120)
            began = time.monotonic()
            outcome, series_id, dates = attempt_locally(
                backend, resource_id, LOCAL_FIRST, round_number, racer
            )
            attempts.append(
                Attempt(
                    round_number,
                    racer,
                    skips(round_number, racer),
                    outcome,
                    series_id,
                    dates,
                    began,
                    time.monotonic(),
                )
            )
    finally:
        backend.close()


# -- what the store holds -------------------------------------------------------------------
@dataclass(frozen=True)
class Held:
    """A reservation as the store holds it."""

    id: int
    resource_id: int
    username: str
    start_time: datetime
    end_time: datetime
    status: str
    series_id: int | None


@dataclass(frozen=True)
class Stored:
    """Everything a race left in the store: reservations, series rows (id: owner) and how
    many history events each reservation has."""

    reservations: list[Held]
    series: dict[int, str]
    events: dict[int, int]


def read_store(url: str) -> Stored:
    """Read back the reservations, series and events straight from the database."""
    database = Database.open(url, fast_settings())
    try:
        with database.write_engine.connect() as connection:
            held = [
                Held(*row)
                for row in connection.execute(
                    select(
                        Reservation.id,
                        Reservation.resource_id,
                        User.username,
                        Reservation.start_time,
                        Reservation.end_time,
                        Reservation.status,
                        Reservation.series_id,
                    ).join(User, User.id == Reservation.user_id)
                )
            ]
            series = {
                row.id: row.username
                for row in connection.execute(
                    select(Series.id, User.username).join(User, User.id == Series.user_id)
                )
            }
            events = {
                row.reservation_id: row.events
                for row in connection.execute(
                    select(ReservationEvent.reservation_id, func.count().label("events")).group_by(
                        ReservationEvent.reservation_id
                    )
                )
            }
    finally:
        database.close()
    return Stored(held, series, events)


# -- the verdict ------------------------------------------------------------------------------
def check_race(attempts: list[Attempt], stored: Stored, resource_id: int, first: date) -> None:
    """Everything a race of series must leave true; see the module's docstring."""
    assert sorted((a.round_number, a.racer) for a in attempts) == [
        (r, n) for r in range(ROUNDS) for n in range(RACERS)
    ]
    unexpected = [a for a in attempts if a.outcome not in ("booked", "refused")]
    assert unexpected == []
    _check_no_double_booking(stored, resource_id)
    _check_series_whole_or_absent(attempts, stored)
    _check_left_out_dates_are_taken(attempts, stored)
    _check_rounds(attempts, stored, first)


def _check_no_double_booking(stored: Stored, resource_id: int) -> None:
    assert {r.resource_id for r in stored.reservations} == {resource_id}
    active = sorted(
        (r for r in stored.reservations if r.status == "active"), key=lambda r: r.start_time
    )
    overlapping = [(a.id, b.id) for a, b in itertools.pairwise(active) if a.end_time > b.start_time]
    assert overlapping == [], "double bookings"


def _check_series_whole_or_absent(attempts: list[Attempt], stored: Stored) -> None:
    """A booked series holds exactly its booked dates (all of them unless it skipped); a
    refused one wrote nothing: no series row, no reservation, no event."""
    booked = [a for a in attempts if a.outcome == "booked"]
    assert {a.series_id: racer_name(a.racer) for a in booked} == stored.series
    assert len(booked) == len(stored.series), "one series row per booked series"
    by_series: dict[int | None, list[Held]] = {}
    for reservation in stored.reservations:
        by_series.setdefault(reservation.series_id, []).append(reservation)
    assert None not in by_series, "only series were booked"
    for attempt in booked:
        mine = by_series.get(attempt.series_id, [])
        dates = attempt.in_state("booked")
        assert sorted((r.id, r.start_time, r.end_time) for r in mine) == sorted(
            (d[4], d[2], d[3]) for d in dates
        )
        assert {(r.username, r.status) for r in mine} == {(racer_name(attempt.racer), "active")}
        if attempt.skip:
            assert len(dates) + len(attempt.in_state("clash")) == DATES, attempt
        else:
            assert len(dates) == DATES, f"a series booked in part: {attempt}"
    for attempt in attempts:
        if attempt.outcome == "refused":
            assert attempt.in_state("clash"), f"refused without a clash: {attempt}"
            assert attempt.in_state("free", "clash") == list(attempt.dates), attempt
            if attempt.skip:
                assert not attempt.in_state("free"), f"skipped but booked nothing: {attempt}"
    assert stored.events == dict.fromkeys((r.id for r in stored.reservations), 1)


def _check_left_out_dates_are_taken(attempts: list[Attempt], stored: Stored) -> None:
    """Every date a racer lost clashes with what another racer of its round holds."""
    round_of: dict[int | None, int] = {
        a.series_id: a.round_number for a in attempts if a.series_id is not None
    }
    active = [r for r in stored.reservations if r.status == "active"]
    for attempt in attempts:
        for index, _, start, end, _ in attempt.in_state("clash"):
            assert start is not None and end is not None
            takers = [
                r
                for r in active
                if r.start_time < end
                and r.end_time > start
                and r.username != racer_name(attempt.racer)
                and round_of.get(r.series_id) == attempt.round_number
            ]
            assert takers, f"date {index} was left out, yet nobody holds it: {attempt}"


def _check_rounds(attempts: list[Attempt], stored: Stored, first: date) -> None:
    """A round always has a winner; all or nothing, any two racers clash, so exactly one
    wins; with everyone skipping, every date anyone asked for is held exactly once."""
    winners = Counter(a.round_number for a in attempts if a.outcome == "booked")
    assert set(winners) == set(range(ROUNDS)), f"rounds without a winner: {winners}"
    round_of: dict[int | None, int] = {
        a.series_id: a.round_number for a in attempts if a.series_id is not None
    }
    zone_days: dict[int, list[date]] = {}
    for reservation in stored.reservations:
        day = reservation.start_time.astimezone(ZoneInfo(ZONE)).date()
        zone_days.setdefault(round_of[reservation.series_id], []).append(day)
    for round_number in range(ROUNDS):
        if mode(round_number) == "all":
            assert winners[round_number] == 1, f"round {round_number}: {winners[round_number]}"
        if mode(round_number) == "skip":
            asked = {
                first_day(first, round_number, racer) + timedelta(days=n)
                for racer in range(RACERS)
                for n in range(DATES)
            }
            assert sorted(zone_days[round_number]) == sorted(asked), f"round {round_number}"


def fewest_in_flight(attempts: list[Attempt]) -> int:
    """The fewest attempts of any round in flight at one instant: a real race has several."""
    return min(_most_at_once([a for a in attempts if a.round_number == r]) for r in range(ROUNDS))


def _most_at_once(attempts: list[Attempt]) -> int:
    # Sweep the starts and ends in time order; an end at the same instant goes first.
    edges = sorted([(a.began, 1) for a in attempts] + [(a.ended, -1) for a in attempts])
    most = running = 0
    for _, step in edges:
        running += step
        most = max(most, running)
    return most
