"""Benchmark the HTTP server on SQLite, beside a bare FastAPI booking endpoint, and print figures.

    python bench/bench_server.py [--bookings 2000] [--per-client 400] [--dir DIR]

One `python -m server` process on a SQLite file (the default kind: WAL,
synchronous=FULL) holding 1,000 resources (3 tags each) and 20,000
reservations; the client runs on the same machine with keep-alive connections
(`http.client`, so the client spends little of the two cores). A second one,
"with policies", serves the same store plus a booking policy on each of the 8
tags (opening hours, a closure, lengths, notice, advance, max_active,
max_hours_per_week, all loose enough to let every booking pass) and a default
policy, so every resource is under 3 tag policies and the default. The clients
are members: the per-user allowances bind them and every booking takes the
per-user lock. The bookings are made by 64 members in turn (8 at once when
concurrent), as a team shares a thousand resources, so each holds a share of
them. Measured, on both unless noted:

- sequential authenticated bookings (each a real booking with its history event),
  target >= 400 requests/s;
- 8 concurrent clients booking, target >= 500 requests/s, no errors, p99 < 100 ms;
- a refused booking (409) against an accepted one: as fast (without policies);
- GET /resources/search with a window (< 20 ms median) and GET /resources (< 20 ms);
- the server's peak memory (VmHWM);
- beside each series, the server process's CPU time per request (user + system).

For scale, the same client drives a bare FastAPI endpoint doing one
SQLAlchemy booking transaction (overlap check, insert, event) on the same
schema and pragmas, without auth or anything else: the floor. All three servers
run at once and are measured in alternating blocks, so that on a shared machine
they see the same load and their ratios hold even when the absolute figures
wander; the per-block rates show how much they wander. The CPU time per
request wanders least: it leaves out the waits for a core, the disk's fsync and
the client, which on a busy machine make up most of a request's time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from reserver_core.http_contract import API_PREFIX

SECRET = "bench-secret-key-0123456789-0123456789-abcdef"
PASSWORD = "bench-password-1"
RESOURCES = 1_000
RESERVATIONS = 20_000
CLIENTS = 8
MEMBERS = 64
"""The team booking: a store of a thousand resources serves more people than it has clients
at once, and each holds a share of the bookings, as allowances expect."""
SLOT = timedelta(minutes=30)
STRIDE = timedelta(hours=1)
"""A client's bookings start an hour apart: booked back to back, one user would pass
any weekly allowance (168 hours at most) within a week."""
TAGS = ("room", "projector", "lab", "microscope", "gpu", "vr", "printer", "van")
TAGS_EACH = 3
HOURS = ("always", "daily 00:00-24:00", "mon-fri 00:00-24:00; sat,sun 00:00-24:00")
"""Opening hours of the tag policies, in turn: all open around the clock, as the
bookings need, but each read and checked."""


def stamp(value: datetime) -> str:
    """The text SQLAlchemy stores a UTC instant as in SQLite."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def migrated_store(path: Path) -> str:
    """A SQLite store at `path` with reserver's schema; returns its URL."""
    from reserver_core.db import Database
    from reserver_core.settings import Settings

    url = f"sqlite:///{path}"
    Database.open(url, Settings()).close()
    return url


def populate(path: Path, now: datetime) -> None:
    """An admin, 1,000 resources of 3 tags each and 20,000 reservations around `now`, held
    by the admin."""
    import bcrypt

    rng = random.Random(11)
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    created = stamp(now - timedelta(days=400))
    connection.execute(
        "INSERT INTO users (id, username, password_hash, role, active, created_at) "
        "VALUES (1, 'bench-admin', ?, 'admin', 1, ?)",
        (bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode(), created),
    )
    member_hash = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    connection.executemany(
        "INSERT INTO users (id, username, password_hash, role, active, created_at) "
        "VALUES (?, ?, ?, 'member', 1, ?)",
        ((2 + n, member_name(n), member_hash, created) for n in range(MEMBERS)),
    )
    connection.executemany(
        "INSERT INTO resources (id, name, name_key, description, enabled, auto_reset_hours, "
        "created_at) VALUES (?, ?, ?, '', 1, 8, ?)",
        ((rid, f"Resource {rid:04d}", f"resource {rid:04d}", created) for rid in range(1, 1001)),
    )
    connection.executemany(
        "INSERT INTO resource_tags (resource_id, tag, position) VALUES (?, ?, ?)",
        (
            (rid, tag, position)
            for rid in range(1, RESOURCES + 1)
            for position, tag in enumerate(rng.sample(TAGS, TAGS_EACH))
        ),
    )
    rows = []
    per_resource = RESERVATIONS // RESOURCES
    for rid in range(1, RESOURCES + 1):
        for index in range(per_resource):
            if index < per_resource // 2:
                start = now - timedelta(days=2, hours=index)
                status = "expired"
            else:
                start = now + timedelta(days=rng.randrange(1, 14), hours=rng.randrange(0, 10))
                status = "active"
            rows.append((rid, stamp(start), stamp(start + timedelta(hours=1)), status))
    connection.executemany(
        "INSERT OR IGNORE INTO reservations (resource_id, user_id, start_time, end_time, status, "
        "created_at) VALUES (?, 1, ?, ?, ?, ?)",
        ((rid, start, end, status, created) for rid, start, end, status in rows),
    )
    connection.execute(
        "INSERT INTO reservation_events (reservation_id, action, actor_id, at, details) "
        "SELECT id, 'created', 1, created_at, '' FROM reservations"
    )
    connection.execute("COMMIT")
    connection.execute("ANALYZE")
    connection.close()


def set_policies(url: str, now: datetime) -> None:
    """A policy on every tag and a default one, set by the admin through the core.

    Every rule is on, loose enough that each booking of the bench passes: opening
    hours around the clock, a closure beyond the bookings, 30-minute bookings
    between the lengths, 60 to 200 days ahead inside the notice and the advance,
    and allowances above what a member books (a member holds some 80 bookings,
    a few hours a week on a tag).
    """
    from reserver_core.local import LocalBackend
    from reserver_core.schemas import PolicyChanges, PolicyScope
    from reserver_core.settings import Settings

    holiday = (now + timedelta(days=400)).date()
    admin = LocalBackend.open(url, Settings(), username="bench-admin")
    try:
        for number, tag in enumerate(TAGS):
            admin.set_policy(
                PolicyScope("tag", tag=tag),
                PolicyChanges(
                    hours=HOURS[number % len(HOURS)],
                    add_closed=[f"{holiday}..{holiday + timedelta(days=2)} {tag} holidays"],
                    min_length_minutes=5 + number,
                    max_length_minutes=8 * 60,
                    min_notice_minutes=30,
                    max_advance_minutes=(300 + number) * 24 * 60,
                    max_active=9_000 + number,
                    max_hours_per_week=160.0 + number,
                ),
            )
        admin.set_policy(
            PolicyScope("default"),
            PolicyChanges(
                timezone="Europe/Berlin",
                hours="always",
                min_notice_minutes=15,
                max_advance_minutes=366 * 24 * 60,
                max_active=10_000,
                max_hours_per_week=168.0,
            ),
        )
    finally:
        admin.close()


def request_headers(token: str | None) -> dict[str, str]:
    """The headers of a JSON request, signed with `token` when given."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


class Client:
    """A keep-alive HTTP/1.1 client on one connection, speaking the paths under /api/v1."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = request_headers(token)

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any, float]:
        """Send one request; returns status, parsed JSON and seconds taken."""
        payload = json.dumps(body).encode() if body is not None else None
        started = time.perf_counter()
        self.connection.request(method, API_PREFIX + path, payload, self.headers)
        response = self.connection.getresponse()
        data = response.read()
        elapsed = time.perf_counter() - started
        return response.status, json.loads(data) if data else None, elapsed

    def form(self, path: str, fields: str) -> Any:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        self.connection.request("POST", API_PREFIX + path, fields.encode(), headers)
        response = self.connection.getresponse()
        return json.loads(response.read())

    def close(self) -> None:
        self.connection.close()


@dataclass
class Run:
    """What one measured series did."""

    count: int
    seconds: float
    latencies: list[float]
    statuses: dict[int, int]
    server_cpu: float = 0.0
    """Seconds of CPU the server used during the series."""

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    @property
    def cpu_ms(self) -> float:
        return self.server_cpu / self.count * 1000

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies) * 1000


def windows(first: datetime, index: Iterator[int]) -> Iterator[tuple[str, str]]:
    for slot in index:
        start = first + slot * STRIDE
        yield start.isoformat(), (start + SLOT).isoformat()


def book_sequentially(
    port: int, tokens: list[str | None], resource: int, first: datetime, n: int
) -> Run:
    """`n` bookings one after another on one connection, by each of `tokens` in turn (a team
    sharing a resource: each member holds a share of the bookings, as allowances expect)."""
    client = Client(port)
    headers = [request_headers(token) for token in tokens]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    started = time.perf_counter()
    for number, (start, end) in enumerate(windows(first, iter(range(n)))):
        client.headers = headers[number % len(headers)]
        body = {"resource_id": resource, "start_time": start, "end_time": end}
        status, _, elapsed = client.call("POST", "/reservations", body)
        latencies.append(elapsed)
        statuses[status] = statuses.get(status, 0) + 1
    seconds = time.perf_counter() - started
    client.close()
    return Run(n, seconds, latencies, statuses)


def book_concurrently(
    port: int, tokens: list[str | None], resource: int, first: datetime, per_client: int
) -> Run:
    """`CLIENTS` clients booking at once, each on its connection for its share of `tokens`
    in turn."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    barrier = threading.Barrier(CLIENTS + 1)

    def worker(number: int) -> None:
        client = Client(port)
        client.call("GET", "/health")
        headers = [request_headers(token) for token in tokens[number::CLIENTS]]
        mine: list[float] = []
        codes: dict[int, int] = {}
        slots = iter(range(number, per_client * CLIENTS, CLIENTS))
        barrier.wait()
        for turn, (start, end) in enumerate(windows(first, slots)):
            client.headers = headers[turn % len(headers)]
            body = {"resource_id": resource, "start_time": start, "end_time": end}
            status, _, elapsed = client.call("POST", "/reservations", body)
            mine.append(elapsed)
            codes[status] = codes.get(status, 0) + 1
        client.close()
        with lock:
            latencies.extend(mine)
            for code, count in codes.items():
                statuses[code] = statuses.get(code, 0) + count

    threads = [threading.Thread(target=worker, args=(number,)) for number in range(CLIENTS)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    return Run(len(latencies), seconds, latencies, statuses)


def timed_gets(port: int, path: str, n: int) -> Run:
    client = Client(port)
    client.call("GET", path)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    started = time.perf_counter()
    for _ in range(n):
        status, _, elapsed = client.call("GET", path)
        latencies.append(elapsed)
        statuses[status] = statuses.get(status, 0) + 1
    client.close()
    return Run(n, time.perf_counter() - started, latencies, statuses)


def start_process(command: list[str], port: int, log: Path) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "RESERVER_SECRET_KEY": SECRET,
        "RESERVER_BCRYPT_ROUNDS": "4",
        "RESERVER_REGISTRATION_LIMIT": "0",
        "RESERVER_DATA_DIR": str(log.parent),
        "RESERVER_CONFIG_DIR": str(log.parent / "config"),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=environment)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit(f"server did not start:\n{log.read_text()}")


def peak_memory_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """The user plus system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class Target:
    """A server under measurement: its port, clients' tokens and bookable rooms."""

    process: subprocess.Popen[bytes]
    port: int
    tokens: list[str | None]
    rooms: list[int]


def member_name(number: int) -> str:
    """The username of a bench member."""
    return f"bench-{number}"


def start_reserver(folder: Path, now: datetime, name: str, policies: bool) -> Target:
    """`python -m server` on a populated SQLite store (with `policies`: see `set_policies`),
    with an admin, `MEMBERS` members and 3 rooms of 3 tags each to book."""
    database = folder / f"{name}.db"
    url = migrated_store(database)
    populate(database, now)
    if policies:
        set_policies(url, now)
    port = free_port()
    command = [sys.executable, "-m", "server", "--port", str(port), "--database-url", url]
    process = start_process(command, port, folder / f"{name}.log")
    setup = Client(port)
    tokens: list[str | None] = []
    for user in ["bench-admin", *(member_name(n) for n in range(MEMBERS))]:
        tokens.append(setup.form("/token", f"username={user}&password={PASSWORD}")["access_token"])
    # Admins are exempt from the allowances: the clients must not be.
    role = Client(port, tokens[1]).call("GET", "/me")[1]["role"]
    if role != "member":
        raise SystemExit(f"the bench's clients should be members, not {role}")
    setup.close()
    admin = Client(port, tokens[0])
    rooms = [
        admin.call(
            "POST", "/resources", {"name": f"Bench room {n}", "tags": list(TAGS[n : n + TAGS_EACH])}
        )[1]["id"]
        for n in range(3)
    ]
    admin.close()
    return Target(process, port, tokens[1:], rooms)


def start_bare(folder: Path) -> Target:
    """The bare endpoint on its own store with the same schema and two rooms."""
    database = folder / "bare.db"
    migrated_store(database)
    connection = sqlite3.connect(database, isolation_level=None)
    created = stamp(datetime.now(UTC))
    connection.execute(
        "INSERT INTO users (id, username, password_hash, role, active, created_at) "
        "VALUES (1, 'bare', '', 'admin', 1, ?)",
        (created,),
    )
    connection.executemany(
        "INSERT INTO resources (id, name, name_key, description, enabled, auto_reset_hours, "
        "created_at) VALUES (?, ?, ?, '', 1, 8, ?)",
        ((n, f"Room {n}", f"room {n}", created) for n in (1, 2, 3)),
    )
    connection.close()
    port = free_port()
    command = [sys.executable, __file__, "--serve-bare", str(port), str(database)]
    process = start_process(command, port, folder / "bare.log")
    return Target(process, port, [None] * CLIENTS, [1, 2, 3])


def on_server(target: Target, series: Callable[[], Run]) -> Run:
    """Run a series, noting the CPU time the target's server spent on it."""
    before = cpu_seconds(target.process.pid)
    run = series()
    run.server_cpu = cpu_seconds(target.process.pid) - before
    return run


def merged(runs: list[Run]) -> Run:
    """Several measured blocks as one run."""
    statuses: dict[int, int] = {}
    for run in runs:
        for code, count in run.statuses.items():
            statuses[code] = statuses.get(code, 0) + count
    return Run(
        sum(run.count for run in runs),
        sum(run.seconds for run in runs),
        [latency for run in runs for latency in run.latencies],
        statuses,
        sum(run.server_cpu for run in runs),
    )


def measure(folder: Path, bookings: int, per_client: int, blocks: int) -> dict[str, Any]:
    """Every series, ours and the bare endpoint's alternating block by block.

    The machine may be shared: alternating keeps both sides under the same load,
    so their ratio means something even when the absolute figures wander.
    """
    now = datetime.now(UTC)
    load_before = os.getloadavg()[0]
    ours = start_reserver(folder, now, "server", policies=False)
    policies = start_reserver(folder, now, "policies", policies=True)
    bare = start_bare(folder)
    reservers = (("ours", ours), ("policies", policies))
    first = (now + timedelta(days=60)).replace(minute=0, second=0, microsecond=0)
    series: dict[str, list[Run]] = {}
    try:
        seq_block, con_block = bookings // blocks, per_client // blocks
        for block in range(blocks):
            seq_start = first + block * seq_block * STRIDE
            con_start = first + block * con_block * CLIENTS * STRIDE
            for name, target in (*reservers, ("bare", bare)):
                rooms = target.rooms
                series.setdefault(f"{name} sequential", []).append(
                    on_server(
                        target,
                        partial(
                            book_sequentially,
                            target.port,
                            target.tokens,
                            rooms[0],
                            seq_start,
                            seq_block,
                        ),
                    )
                )
                series.setdefault(f"{name} concurrent", []).append(
                    on_server(
                        target,
                        partial(
                            book_concurrently,
                            target.port,
                            target.tokens,
                            rooms[1],
                            con_start,
                            con_block,
                        ),
                    )
                )
        # Refusals: the slots booked sequentially above, against fresh bookings of the same size.
        for block in range(blocks):
            seq_start = first + block * seq_block * STRIDE
            tokens, rooms = ours.tokens[1:2], ours.rooms
            series.setdefault("refused", []).append(
                on_server(
                    ours,
                    partial(
                        book_sequentially, ours.port, tokens, rooms[0], seq_start, seq_block // 4
                    ),
                )
            )
            series.setdefault("accepted", []).append(
                on_server(
                    ours,
                    partial(
                        book_sequentially, ours.port, tokens, rooms[2], seq_start, seq_block // 4
                    ),
                )
            )
        # Relative to `now`, as the reservations are: the same share of the
        # resources is busy in the window whatever the time of day.
        window_start = now + timedelta(days=3, hours=2)
        query = (
            f"/resources/search?available_from={window_start:%Y-%m-%dT%H:%MZ}"
            f"&available_until={window_start + timedelta(hours=1):%Y-%m-%dT%H:%MZ}"
        )
        hits: dict[str, int] = {}
        memory: dict[str, float] = {}
        for _block in range(blocks):
            for name, target in reservers:
                series.setdefault(f"{name} search", []).append(
                    timed_gets(target.port, query, 100 // blocks)
                )
                series.setdefault(f"{name} listing", []).append(
                    timed_gets(target.port, "/resources", 100 // blocks)
                )
        for name, target in reservers:
            _, found, _ = Client(target.port).call("GET", query)
            hits[name] = len(found)
            memory[name] = peak_memory_mib(target.process.pid)
    finally:
        for target in (ours, policies, bare):
            stop(target.process)
    result: dict[str, Any] = {name: merged(runs) for name, runs in series.items()}
    result["block rates"] = {
        name: [round(run.rate) for run in runs] for name, runs in series.items()
    }
    result.update(hits=hits, memory=memory)
    result["load"] = (
        f"{load_before:.1f} / {os.getloadavg()[0]:.1f} (2 cores; the machine is shared)"
    )
    return result


class BareBooking(BaseModel):
    """The bare endpoint's request body."""

    resource_id: int
    start_time: datetime
    end_time: datetime


def serve_bare(port: int, database: str) -> None:
    """The floor: one FastAPI route, one SQLAlchemy transaction per booking, nothing else."""
    import uvicorn
    from fastapi import FastAPI, HTTPException
    from sqlalchemy import create_engine, event, select
    from sqlalchemy.orm import Session

    from reserver_core.models import Reservation, ReservationEvent

    engine = create_engine(f"sqlite:///{database}", connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def configure(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=30000"):
            dbapi_connection.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine, "begin")
    def begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    writer = threading.Lock()
    app = FastAPI()

    @app.post(f"{API_PREFIX}/reservations", status_code=201)
    def book(body: BareBooking) -> dict[str, Any]:
        now = datetime.now(UTC)
        with writer, Session(engine) as session, session.begin():
            clash = session.scalar(
                select(Reservation.id)
                .where(
                    Reservation.resource_id == body.resource_id,
                    Reservation.status == "active",
                    Reservation.start_time < body.end_time,
                    Reservation.end_time > body.start_time,
                )
                .limit(1)
            )
            if clash is not None:
                raise HTTPException(409, "conflict")
            reservation = Reservation(
                resource_id=body.resource_id,
                user_id=1,
                start_time=body.start_time,
                end_time=body.end_time,
                status="active",
                created_at=now,
            )
            session.add(reservation)
            session.flush()
            session.add(
                ReservationEvent(
                    reservation_id=reservation.id, action="created", actor_id=1, at=now
                )
            )
            return {"id": reservation.id, "start_time": body.start_time.isoformat()}

    @app.get(f"{API_PREFIX}/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def describe(run: Run) -> str:
    codes = ", ".join(f"{code}: {count}" for code, count in sorted(run.statuses.items()))
    return (
        f"{run.rate:7.0f} req/s  median {run.median_ms:5.1f} ms  p99 {run.percentile(0.99):6.1f} ms"
        f"  ({codes})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=2000, help="sequential bookings")
    parser.add_argument("--per-client", type=int, default=400, help="bookings per client")
    parser.add_argument("--blocks", type=int, default=4, help="alternating blocks per series")
    parser.add_argument("--dir", type=Path, default=None, help="where the stores go")
    parser.add_argument("--serve-bare", nargs=2, metavar=("PORT", "DB"), help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve_bare:
        serve_bare(int(options.serve_bare[0]), options.serve_bare[1])
        return
    with tempfile.TemporaryDirectory(dir=options.dir) as raw:
        figures = measure(Path(raw), options.bookings, options.per_client, options.blocks)
    print(
        f"reserver server on SQLite: {RESOURCES:,} resources of {TAGS_EACH} tags each,"
        f" {RESERVATIONS:,} reservations; bookings by members"
    )
    print(
        f"  with policies: a policy on each of the {len(TAGS)} tags and a default one"
        " (every rule set, every booking passes)"
    )
    print(f"load average before / after: {figures['load']}")
    rows = (
        ("sequential bookings", "ours sequential", "target >= 400 req/s"),
        ("  with policies", "policies sequential", "target >= 400 req/s"),
        ("  bare FastAPI endpoint", "bare sequential", ""),
        (f"{CLIENTS} clients booking", "ours concurrent", "target >= 500 req/s, p99 < 100 ms"),
        ("  with policies", "policies concurrent", ""),
        (f"  bare, {CLIENTS} clients", "bare concurrent", ""),
        ("refused booking (409)", "refused", "as fast as accepted"),
        ("accepted booking (201)", "accepted", ""),
    )
    for label, key, target in rows:
        print(f"  {label:24} {describe(figures[key])}  {target}".rstrip())
        print(
            f"  {'':24} per block: {figures['block rates'][key]} req/s;"
            f" server CPU {figures[key].cpu_ms:.2f} ms a request"
        )
    for name, label in (("ours", "GET /resources/search"), ("policies", "  with policies")):
        search = figures[f"{name} search"]
        print(
            f"  {label:24} median {search.median_ms:5.1f} ms"
            f"  p99 {search.percentile(0.99):5.1f} ms"
            f"  ({figures['hits'][name]} free of {RESOURCES + 3})   target < 20 ms"
        )
    for name, label in (("ours", "GET /resources"), ("policies", "  with policies")):
        listing = figures[f"{name} listing"]
        print(
            f"  {label:24} median {listing.median_ms:5.1f} ms"
            f"  p99 {listing.percentile(0.99):5.1f} ms   target < 20 ms"
        )
    memory = figures["memory"]
    print(
        f"  {'server peak memory':24} {memory['ours']:.0f} MiB,"
        f" with policies {memory['policies']:.0f} MiB (VmHWM)"
    )
    sequential = figures["ours sequential"].rate / figures["bare sequential"].rate
    concurrent = figures["ours concurrent"].rate / figures["bare concurrent"].rate
    print(f"  ours / bare: sequential {sequential:.0%}, {CLIENTS} clients {concurrent:.0%}")
    sequential = figures["policies sequential"].rate / figures["ours sequential"].rate
    concurrent = figures["policies concurrent"].rate / figures["ours concurrent"].rate
    print(
        f"  with policies / without: sequential {sequential:.0%}, {CLIENTS} clients"
        f" {concurrent:.0%}"
    )
    refused = [
        key
        for key in ("policies sequential", "policies concurrent")
        if set(figures[key].statuses) != {201}
    ]
    if refused:
        raise SystemExit(f"with policies, some bookings were not accepted: {', '.join(refused)}")


if __name__ == "__main__":
    main()
