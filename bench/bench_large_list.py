"""Benchmark listing a very large store over HTTP: streamed lists and pages, and server memory.

    python bench/bench_large_list.py [--count 1500000] [--dir DIR]

Builds a SQLite store of `--count` resources (two tags each, a few thousand
reservations around now so that some are in use) with bulk inserts, starts the
real server on it (`python -m server`) and, anonymously:

- streams `GET /api/v1/resources` (no `limit`: the whole list), reading the body
  in chunks and counting the items;
- streams the seed's `GET /resources` the same way;
- reads pages of 1,000 with `limit` and `after`, at the start and deep into the
  list (keyset paging: a page deep in the list costs what the first does).

It prints items, bytes, seconds and throughput of each, and the server's peak
memory (VmHWM from /proc/PID/status) after start-up and after each request.
Target: peak RSS under 250 MB at 1.5 million resources (before streaming, one
`GET /resources` answered 362 MB in one piece and took the server to 1.49 GB).
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench_server import free_port, migrated_store, peak_memory_mib, stamp, start_process, stop

from reserver_core.http_contract import API_PREFIX, NEXT_CURSOR_HEADER
from reserver_core.paging import resource_cursor

TAGS = ("room", "projector", "lab", "microscope", "gpu", "vr", "printer", "van")
RESERVATIONS = 5_000
CHUNK_BYTES = 64 * 1024
ITEM_START = b'{"id":'
"""How every item of both lists begins (a resource's first key is its id)."""


def resource_names(count: int) -> Iterator[tuple[int, str, str]]:
    """(id, name, name_key) of each resource; ids follow the names' order."""
    for rid in range(1, count + 1):
        name = f"Resource {rid:07d}"
        yield rid, name, name.casefold()


def populate(path: Path, count: int, now: datetime) -> None:
    """An admin, `count` tagged resources and reservations around `now`, in one transaction."""
    rng = random.Random(17)
    connection = sqlite3.connect(path, isolation_level=None)
    # A throwaway store: nothing need survive a crash while it is built.
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("BEGIN IMMEDIATE")
    created = stamp(now - timedelta(days=400))
    connection.execute(
        "INSERT INTO users (id, username, password_hash, role, active, created_at) "
        "VALUES (1, 'bench-admin', '', 'admin', 1, ?)",
        (created,),
    )
    connection.executemany(
        "INSERT INTO resources (id, name, name_key, description, enabled, auto_reset_hours, "
        "created_at) VALUES (?, ?, ?, '', ?, 8, ?)",
        (
            (rid, name, key, 0 if rid % 97 == 0 else 1, created)
            for rid, name, key in resource_names(count)
        ),
    )
    connection.executemany(
        "INSERT INTO resource_tags (resource_id, tag, position) VALUES (?, ?, ?)",
        (
            (rid, tag, position)
            for rid in range(1, count + 1)
            for position, tag in enumerate(dict.fromkeys((TAGS[rid % 8], TAGS[rid // 8 % 8])))
        ),
    )
    held = rng.sample(range(1, count + 1), min(RESERVATIONS, count))
    connection.executemany(
        "INSERT INTO reservations (resource_id, user_id, start_time, end_time, status, "
        "created_at) VALUES (?, 1, ?, ?, 'active', ?)",
        (
            (
                rid,
                stamp(now + timedelta(minutes=rng.randrange(-90, 600))),
                stamp(now + timedelta(minutes=rng.randrange(600, 900))),
                created,
            )
            for rid in held
        ),
    )
    connection.execute("COMMIT")
    connection.execute("ANALYZE")
    connection.close()


def stream_list(port: int, path: str) -> tuple[int, int, float, bool]:
    """GET `path`, reading the body in chunks: (items, bytes, seconds, well formed)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    connection.request("GET", path)
    response = connection.getresponse()
    if response.status != 200:
        raise SystemExit(f"GET {path}: HTTP {response.status} {response.read()[:200]!r}")
    items = size = 0
    first = last = b""
    tail = b""
    while chunk := response.read(CHUNK_BYTES):
        first = first or chunk[:1]
        size += len(chunk)
        # The item marker may straddle two chunks: look at the end of the one before too.
        window = tail + chunk
        items += window.count(ITEM_START)
        tail = window[-(len(ITEM_START) - 1) :]
        last = chunk[-1:]
    seconds = time.perf_counter() - started
    connection.close()
    return items, size, seconds, first == b"[" and last == b"]"


def timed_page(port: int, after: str | None) -> tuple[int, float, str | None]:
    """One page of 1,000 after `after`: (items, seconds, the next cursor)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    query = "limit=1000" + (f"&after={after}" if after else "")
    started = time.perf_counter()
    connection.request("GET", f"{API_PREFIX}/resources?{query}")
    response = connection.getresponse()
    body = response.read()
    seconds = time.perf_counter() - started
    connection.close()
    if response.status != 200:
        raise SystemExit(f"page: HTTP {response.status} {body[:200]!r}")
    return len(json.loads(body)), seconds, response.getheader(NEXT_CURSOR_HEADER)


def wait_for_health(port: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", f"{API_PREFIX}/health")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("the server never answered /health")


def report_stream(label: str, figures: tuple[int, int, float, bool], memory: float) -> None:
    items, size, seconds, well_formed = figures
    print(
        f"  {label:26} {items:>10,} items  {size / 2**20:8.1f} MiB  {seconds:6.1f} s"
        f"  {items / seconds:>9,.0f} items/s  {'valid' if well_formed else 'BROKEN'} JSON array"
        f"  peak RSS now {memory:.0f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_500_000, help="resources in the store")
    parser.add_argument("--dir", type=Path, default=None, help="where the store goes")
    options = parser.parse_args()
    count = options.count
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(dir=options.dir) as raw:
        folder = Path(raw)
        database = folder / "large.db"
        started = time.perf_counter()
        url = migrated_store(database)
        populate(database, count, now)
        built = time.perf_counter() - started
        size = database.stat().st_size / 2**20
        print(f"store: {count:,} resources built in {built:.1f} s ({size:.0f} MiB)")
        port = free_port()
        command = [sys.executable, "-m", "server", "--port", str(port), "--database-url", url]
        process = start_process(command, port, folder / "server.log")
        try:
            wait_for_health(port)
            pid = process.pid
            print(f"server: pid {pid}, peak RSS after start-up {peak_memory_mib(pid):.0f} MiB")
            v1 = stream_list(port, f"{API_PREFIX}/resources")
            report_stream(f"GET {API_PREFIX}/resources", v1, peak_memory_mib(pid))
            seed = stream_list(port, "/resources")
            report_stream("GET /resources (seed)", seed, peak_memory_mib(pid))
            items, first_seconds, cursor = timed_page(port, None)
            middle = resource_cursor(f"resource {count // 2:07d}", count // 2)
            deep_items, deep_seconds, _ = timed_page(port, middle)
            second_items, second_seconds, _ = timed_page(port, cursor)
            print(
                f"  {'pages of 1,000 (limit)':26} first {first_seconds * 1000:.0f} ms,"
                f" second {second_seconds * 1000:.0f} ms,"
                f" after item {count // 2:,} {deep_seconds * 1000:.0f} ms"
                f" ({items}, {second_items}, {deep_items} items)"
            )
            peak = peak_memory_mib(pid)
            verdict = "under" if peak < 250 else "OVER"
            print(f"server peak RSS (VmHWM): {peak:.0f} MiB, {verdict} the 250 MB target")
            if (v1[0], seed[0]) != (count, count):
                raise SystemExit(
                    f"expected {count:,} items in each list, got {v1[0]:,}, {seed[0]:,}"
                )
        finally:
            stop(process)


if __name__ == "__main__":
    main()
