"""Benchmark booking and previewing a 366-occurrence series, locally and over HTTP, and print
the figures.

    python bench/bench_series.py [--repeat 5] [--dir DIR] [--no-http]

A daily series of 366 one-hour occurrences at 09:00 Europe/Berlin from tomorrow on, on a
durable SQLite file (WAL, synchronous=FULL, as `LocalBackend.open` makes it), booked by a
member (so the allowances are counted and checked):

- booked through `LocalBackend.book_series`, target < 1 s;
- previewed (`dry_run`), target < 0.5 s;
- booked through `POST /api/v1/reservations/series` of a real `python -m server` on
  loopback, target < 2 s (the preview over HTTP is printed beside it).

Each on two stores: "empty" (a store holding nothing else) and "busy": the server bench's
store (1,000 resources, 20,000 reservations, 64 members; see bench_server.py) plus a
policy on the bench rooms' tag that sets every rule (opening hours, closures on some of
the series' evenings, lengths, notice, advance, max_active, max_hours_per_week) and a
default policy with allowances, each bench room holding another booking every day of
the series' year at 13:00, and the member holding 366 bookings of its own on a sibling
room of the tag: every date is checked against real neighbours, rules and counts, and
passes. Each booking goes to a room of its own and its series is cancelled after (not
timed), so every repetition meets the same store. One unmeasured preview warms each
face up first; the median and the worst of the repetitions are printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from bench_server import (
    PASSWORD,
    Client,
    cpu_seconds,
    free_port,
    member_name,
    migrated_store,
    populate,
    start_process,
    stop,
)

from reserver_core.db import Database
from reserver_core.local import LocalBackend
from reserver_core.schemas import PolicyChanges, PolicyScope, SeriesRequest, SeriesRule
from reserver_core.settings import Settings

Done = TypeVar("Done")
OCCURRENCES = 366
ZONE = "Europe/Berlin"
TAG = "bench-series"
ADMIN = "bench-admin"
MEMBER = member_name(0)
"""The member who books: one of the server bench's members, whose password is known."""
DAYS_AFTER = OCCURRENCES - 1
"""The neighbours' and the member's own series start a day after the measured one's first
date: as many days as it has after it."""
TARGETS = {"book": 1.0, "preview": 0.5, "http book": 2.0}
DESCRIBED = {
    "empty": "nothing else",
    "busy": "20,000 other reservations, policies with allowances, a neighbour every day,"
    f" the member's own {DAYS_AFTER}",
}


@dataclass
class Store:
    """A store to measure on: its URL, the rooms each face books in turn, and the room the
    previews look at."""

    name: str
    path: Path
    url: str
    local_rooms: list[int] = field(default_factory=list)
    http_rooms: list[int] = field(default_factory=list)
    preview_room: int = 0


def first_start() -> datetime:
    """The measured series' first occurrence, as naive wall time in its zone: the whole
    hour two to three hours from now, so that all 366 start within a policy's longest
    advance (366 days) and past its notice."""
    soon = datetime.now(ZoneInfo(ZONE)).replace(tzinfo=None) + timedelta(hours=3)
    return soon.replace(minute=0, second=0, microsecond=0)


def series(
    resource_id: int,
    first: datetime,
    later: timedelta = timedelta(0),
    count: int = OCCURRENCES,
    note: str = "bench",
) -> SeriesRequest:
    """The measured series (or, `later` and shorter, a neighbour of it)."""
    return SeriesRequest(
        resource_id, first + later, ZONE, 60, SeriesRule("daily", count=count), note=note
    )


def series_body(resource_id: int, first: datetime, dry_run: bool) -> dict[str, Any]:
    """The measured series as the body of POST /reservations/series."""
    return {
        "resource_id": resource_id,
        "start": first.isoformat(timespec="minutes"),
        "timezone": ZONE,
        "length_minutes": 60,
        "repeat": "daily",
        "every": 1,
        "on": "",
        "count": OCCURRENCES,
        "until": None,
        "note": "bench",
        "skip_conflicts": False,
        "dry_run": dry_run,
    }


def empty_store(folder: Path, settings: Settings, rooms: int) -> Store:
    """A fresh store with an admin, the member and the bench rooms, nothing else."""
    path = folder / "empty.db"
    store = Store("empty", path, migrated_store(path))
    accounts = LocalBackend(Database.open(store.url, settings), settings)
    try:
        for name in (ADMIN, MEMBER):  # the first account is the admin
            accounts.register(name, PASSWORD)
    finally:
        accounts.close()
    admin = LocalBackend.open(store.url, settings, username=ADMIN)
    try:
        made = [admin.create_resource(f"Bench room {n}").id for n in range(rooms + 1)]
    finally:
        admin.close()
    store.preview_room, store.local_rooms, store.http_rooms = made[0], *halves(made[1:])
    return store


def halves(rooms: list[int]) -> tuple[list[int], list[int]]:
    """The rooms split between the local and the HTTP bookings."""
    middle = len(rooms) // 2
    return rooms[:middle], rooms[middle:]


def busy_store(folder: Path, settings: Settings, rooms: int, first: datetime) -> Store:
    """The server bench's populated store, with policies, neighbours and the member's own
    bookings around the bench rooms (see the module's docstring)."""
    path = folder / "busy.db"
    store = Store("busy", path, migrated_store(path))
    populate(path, datetime.now(UTC))
    admin = LocalBackend.open(store.url, settings, username=ADMIN)
    try:
        # Closed half an hour on three days of the series, at a time none of it books.
        closed_at = (first + timedelta(hours=8)).hour
        closures = [
            f"{(first + timedelta(days=day)).date()} {closed_at:02d}:00..{closed_at:02d}:30 upkeep"
            for day in (30, 120, 300)
        ]
        admin.set_policy(
            PolicyScope("tag", tag=TAG),
            PolicyChanges(
                # Open at every hour the bench may pick, yet spans to read and check.
                hours="mon-fri 00:00-24:00; sat,sun 00:00-24:00",
                add_closed=closures,
                min_length_minutes=15,
                max_length_minutes=4 * 60,
                min_notice_minutes=60,
                max_advance_minutes=366 * 24 * 60,
                max_active=1_000,
                max_hours_per_week=30.0,
            ),
        )
        admin.set_policy(
            PolicyScope("default"),
            PolicyChanges(
                timezone=ZONE,
                hours="always",
                max_advance_minutes=366 * 24 * 60,
                max_active=5_000,
                max_hours_per_week=100.0,
            ),
        )
        made = [
            admin.create_resource(f"Bench room {n}", tags=[TAG, "room"]).id
            for n in range(rooms + 2)
        ]
        # Neighbours three hours before the series' time from its second day on.
        for room in made[1:]:
            admin.book_series(series(room, first, timedelta(hours=21), DAYS_AFTER, "neighbour"))
    finally:
        admin.close()
    member = LocalBackend.open(store.url, settings, username=MEMBER)
    try:
        assert not member.whoami().is_admin
        own = series(made[0], first, timedelta(hours=19), DAYS_AFTER, "the member's own")
        member.book_series(own)
    finally:
        member.close()
    store.preview_room, store.local_rooms, store.http_rooms = made[1], *halves(made[2:])
    return store


def timed(work: Callable[[], Done]) -> tuple[float, Done]:
    """Seconds `work` took, and what it returned."""
    began = time.perf_counter()
    result = work()
    return time.perf_counter() - began, result


def measure_locally(
    store: Store, settings: Settings, first: datetime, repeat: int
) -> dict[str, list[float]]:
    """Preview the series and book it `repeat` times (a room each, cancelled after)."""
    member = LocalBackend.open(store.url, settings, username=MEMBER)
    figures: dict[str, list[float]] = {"book": [], "preview": []}
    try:
        member.book_series(series(store.preview_room, first), dry_run=True)
        for room in store.local_rooms[:repeat]:
            seconds, preview = timed(
                partial(member.book_series, series(store.preview_room, first), dry_run=True)
            )
            check(preview.booked, "previewed", store)
            figures["preview"].append(seconds)
            seconds, done = timed(partial(member.book_series, series(room, first)))
            check(done.booked, "booked", store)
            figures["book"].append(seconds)
            assert done.series is not None
            member.cancel_series(done.series.id, reason="bench")
    finally:
        member.close()
    return figures


def measure_over_http(
    store: Store, folder: Path, first: datetime, repeat: int
) -> dict[str, list[float]]:
    """The same through a server on the store; also the server's CPU time per booking."""
    port = free_port()
    command = [sys.executable, "-m", "server", "--port", str(port), "--database-url", store.url]
    process = start_process(command, port, folder / f"{store.name}-server.log")
    figures: dict[str, list[float]] = {"http book": [], "http preview": [], "server cpu": []}
    path = "/reservations/series"
    try:
        login = Client(port).form("/token", f"username={MEMBER}&password={PASSWORD}")
        client = Client(port, login["access_token"])
        answer(client, path, series_body(store.preview_room, first, True), 200)
        for room in store.http_rooms[:repeat]:
            body = series_body(store.preview_room, first, True)
            seconds, preview = timed(partial(answer, client, path, body, 200))
            check(preview["booked"], "previewed over HTTP", store)
            figures["http preview"].append(seconds)
            body = series_body(room, first, False)
            before = cpu_seconds(process.pid)
            seconds, done = timed(partial(answer, client, path, body, 201))
            figures["server cpu"].append(cpu_seconds(process.pid) - before)
            check(done["booked"], "booked over HTTP", store)
            figures["http book"].append(seconds)
            answer(client, f"/series/{done['series']['id']}/cancel", {"reason": "bench"}, 200)
        client.close()
    finally:
        stop(process)
    return figures


def answer(client: Client, path: str, body: Any, expected: int) -> Any:
    """The JSON answer of a POST; stop the bench on any other status."""
    status, data, _ = client.call("POST", path, body)
    if status != expected:
        raise SystemExit(f"POST {path} answered {status}, not {expected}: {data}")
    return data


def check(booked: int, what: str, store: Store) -> None:
    """Every measured run must book (or preview as free) all of the series' dates."""
    if booked != OCCURRENCES:
        raise SystemExit(f"on the {store.name} store, {what} {booked} of {OCCURRENCES} dates")


def line(label: str, seconds: list[float], target: float | None) -> str:
    """One figure: median and worst of the repetitions, beside the target."""
    median, worst = statistics.median(seconds), max(seconds)
    verdict = ""
    if target is not None:
        verdict = f"target < {target:g} s: " + ("met" if worst < target else "MISSED")
    return (
        f"  {label:34} median {median * 1000:7.1f} ms  worst {worst * 1000:7.1f} ms"
        f"  ({len(seconds)} runs)  {verdict}".rstrip()
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each figure")
    parser.add_argument("--dir", type=Path, default=None, help="where the stores go")
    parser.add_argument("--no-http", action="store_true", help="measure the local backend only")
    options = parser.parse_args()
    settings = Settings(bcrypt_rounds=4)
    first = first_start()
    rooms = 2 * options.repeat
    with tempfile.TemporaryDirectory(dir=options.dir) as raw:
        folder = Path(raw)
        began = time.perf_counter()
        stores = [
            empty_store(folder, settings, rooms),
            busy_store(folder, settings, rooms, first),
        ]
        print(
            f"a daily series of {OCCURRENCES} one-hour occurrences from {first:%Y-%m-%d %H:%M}"
            f" {ZONE}, booked by a member on a durable SQLite file"
            f" (synchronous={settings.sqlite_synchronous}, WAL)"
        )
        print(
            f"stores built in {time.perf_counter() - began:.1f} s; load average"
            f" {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other work slows every figure)"
        )
        for store in stores:
            figures = measure_locally(store, settings, first, options.repeat)
            if not options.no_http:
                figures.update(measure_over_http(store, folder, first, options.repeat))
            print(f"{store.name} store ({DESCRIBED[store.name]}):")
            print(line("book locally", figures["book"], TARGETS["book"]))
            print(line("preview locally (dry run)", figures["preview"], TARGETS["preview"]))
            if not options.no_http:
                print(line("book over HTTP", figures["http book"], TARGETS["http book"]))
                print(line("preview over HTTP (dry run)", figures["http preview"], None))
                cpu = statistics.median(figures["server cpu"]) * 1000
                print(f"  {'':34} server CPU {cpu:.0f} ms a booking (median)")
        print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
