"""Benchmark the HTTP server on SQLite, beside a bare FastAPI booking endpoint, and print figures.

    python bench/bench_server.py [--bookings 2000] [--per-client 400] [--dir DIR]

One `python -m server` process on a SQLite file (the default kind: WAL,
synchronous=FULL) holding 1,000 resources and 20,000 reservations; the client
runs on the same machine with keep-alive connections (`http.client`, so the
client spends little of the two cores). Measured:

- sequential authenticated bookings (each a real booking with its history event),
  target >= 400 requests/s;
- 8 concurrent clients booking, target >= 500 requests/s, no errors, p99 < 100 ms;
- a refused booking (409) against an accepted one: as fast;
- GET /resources/search with a window (< 20 ms median) and GET /resources (< 20 ms);
- the server's peak memory (VmHWM).

For scale, the same client then drives a bare FastAPI endpoint doing one
SQLAlchemy booking transaction (overlap check, insert, event) on the same
schema and pragmas, without auth or anything else: the floor.
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
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel

SECRET = "bench-secret-key-0123456789-0123456789-abcdef"
PASSWORD = "bench-password-1"
RESOURCES = 1_000
RESERVATIONS = 20_000
CLIENTS = 8
SLOT = timedelta(minutes=30)


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
    """An admin, 1,000 tagged resources and 20,000 reservations around `now`, held by the admin."""
    import bcrypt

    rng = random.Random(11)
    tags = ("room", "projector", "lab", "microscope", "gpu", "vr", "printer", "van")
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    created = stamp(now - timedelta(days=400))
    connection.execute(
        "INSERT INTO users (id, username, password_hash, role, active, created_at) "
        "VALUES (1, 'bench-admin', ?, 'admin', 1, ?)",
        (bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode(), created),
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
            for position, tag in enumerate(dict.fromkeys((tags[rid % 8], tags[rid // 8 % 8])))
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


class Client:
    """A keep-alive HTTP/1.1 client on one connection."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Content-Type": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any, float]:
        """Send one request; returns status, parsed JSON and seconds taken."""
        payload = json.dumps(body).encode() if body is not None else None
        started = time.perf_counter()
        self.connection.request(method, path, payload, self.headers)
        response = self.connection.getresponse()
        data = response.read()
        elapsed = time.perf_counter() - started
        return response.status, json.loads(data) if data else None, elapsed

    def form(self, path: str, fields: str) -> Any:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        self.connection.request("POST", path, fields.encode(), headers)
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

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies) * 1000


def windows(first: datetime, index: Iterator[int]) -> Iterator[tuple[str, str]]:
    for slot in index:
        start = first + slot * SLOT
        yield start.isoformat(), (start + SLOT).isoformat()


def book_sequentially(port: int, token: str | None, resource: int, first: datetime, n: int) -> Run:
    client = Client(port, token)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    started = time.perf_counter()
    for start, end in windows(first, iter(range(n))):
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
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    barrier = threading.Barrier(len(tokens) + 1)

    def worker(number: int, token: str | None) -> None:
        client = Client(port, token)
        client.call("GET", "/health")
        mine: list[float] = []
        codes: dict[int, int] = {}
        slots = iter(range(number, per_client * len(tokens), len(tokens)))
        barrier.wait()
        for start, end in windows(first, slots):
            body = {"resource_id": resource, "start_time": start, "end_time": end}
            status, _, elapsed = client.call("POST", "/reservations", body)
            mine.append(elapsed)
            codes[status] = codes.get(status, 0) + 1
        client.close()
        with lock:
            latencies.extend(mine)
            for code, count in codes.items():
                statuses[code] = statuses.get(code, 0) + count

    threads = [threading.Thread(target=worker, args=pair) for pair in enumerate(tokens)]
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


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def bench_reserver(folder: Path, bookings: int, per_client: int) -> dict[str, Any]:
    now = datetime.now(UTC)
    database = folder / "server.db"
    url = migrated_store(database)
    populate(database, now)
    port = free_port()
    command = [sys.executable, "-m", "server", "--port", str(port), "--database-url", url]
    process = start_process(command, port, folder / "server.log")
    try:
        setup = Client(port)
        tokens: list[str | None] = []
        for name in ["bench-admin", *(f"bench-{n}" for n in range(CLIENTS))]:
            if name != "bench-admin":
                setup.call("POST", "/register", {"username": name, "password": PASSWORD})
            token = setup.form("/token", f"username={name}&password={PASSWORD}")["access_token"]
            tokens.append(token)
        admin = Client(port, tokens[0])
        rooms = [
            admin.call("POST", "/resources", {"name": f"Bench room {n}"})[1]["id"] for n in range(3)
        ]
        first = (now + timedelta(days=60)).replace(minute=0, second=0, microsecond=0)
        sequential = book_sequentially(port, tokens[1], rooms[0], first, bookings)
        concurrent = book_concurrently(port, tokens[1:], rooms[1], first, per_client)
        refused = book_sequentially(port, tokens[2], rooms[0], first, min(bookings, 500))
        accepted = book_sequentially(port, tokens[2], rooms[2], first, min(bookings, 500))
        window_start = (now + timedelta(days=3)).replace(hour=10, minute=0, second=0)
        query = (
            f"/resources/search?available_from={window_start:%Y-%m-%dT%H:%MZ}"
            f"&available_until={window_start + timedelta(hours=1):%Y-%m-%dT%H:%MZ}"
        )
        search = timed_gets(port, query, 50)
        _, found, _ = Client(port).call("GET", query)
        listing = timed_gets(port, "/resources", 50)
        memory = peak_memory_mib(process.pid)
        setup.close()
        admin.close()
    finally:
        stop(process)
    return {
        "sequential": sequential,
        "concurrent": concurrent,
        "refused": refused,
        "accepted": accepted,
        "search": search,
        "search_hits": len(found),
        "listing": listing,
        "memory": memory,
    }


def bench_bare(folder: Path, bookings: int, per_client: int) -> dict[str, Any]:
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
        ((n, f"Room {n}", f"room {n}", created) for n in (1, 2)),
    )
    connection.close()
    port = free_port()
    command = [sys.executable, __file__, "--serve-bare", str(port), str(database)]
    process = start_process(command, port, folder / "bare.log")
    try:
        first = (datetime.now(UTC) + timedelta(days=60)).replace(minute=0, second=0, microsecond=0)
        sequential = book_sequentially(port, None, 1, first, bookings)
        concurrent = book_concurrently(port, [None] * CLIENTS, 2, first, per_client)
    finally:
        stop(process)
    return {"sequential": sequential, "concurrent": concurrent}


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

    @app.post("/reservations", status_code=201)
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

    @app.get("/health")
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
    parser.add_argument(
        "--per-client", type=int, default=400, help="bookings per concurrent client"
    )
    parser.add_argument("--dir", type=Path, default=None, help="where the stores go")
    parser.add_argument("--serve-bare", nargs=2, metavar=("PORT", "DB"), help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve_bare:
        serve_bare(int(options.serve_bare[0]), options.serve_bare[1])
        return
    with tempfile.TemporaryDirectory(dir=options.dir) as raw:
        folder = Path(raw)
        ours = bench_reserver(folder, options.bookings, options.per_client)
        bare = bench_bare(folder, options.bookings, options.per_client)
    print(f"reserver server on SQLite: {RESOURCES:,} resources, {RESERVATIONS:,} reservations")
    print(f"  sequential bookings     {describe(ours['sequential'])}   target >= 400 req/s")
    print(f"  bare FastAPI endpoint   {describe(bare['sequential'])}")
    print(f"  {CLIENTS} clients booking      {describe(ours['concurrent'])}")
    print("    target >= 500 req/s, p99 < 100 ms, no errors")
    print(f"  bare, {CLIENTS} clients        {describe(bare['concurrent'])}")
    print(f"  refused booking (409)   {describe(ours['refused'])}")
    print(f"  accepted booking (201)  {describe(ours['accepted'])}")
    print(
        f"  GET /resources/search   median {ours['search'].median_ms:5.1f} ms"
        f"  p99 {ours['search'].percentile(0.99):5.1f} ms"
        f"  ({ours['search_hits']} free of {RESOURCES + 3})   target < 20 ms"
    )
    print(
        f"  GET /resources          median {ours['listing'].median_ms:5.1f} ms"
        f"  p99 {ours['listing'].percentile(0.99):5.1f} ms   target < 20 ms"
    )
    print(f"  server peak memory      {ours['memory']:.0f} MiB (VmHWM)")
    ratio_seq = ours["sequential"].rate / bare["sequential"].rate
    ratio_con = ours["concurrent"].rate / bare["concurrent"].rate
    print(f"  ours / bare: sequential {ratio_seq:.0%}, {CLIENTS} clients {ratio_con:.0%}")


if __name__ == "__main__":
    main()
