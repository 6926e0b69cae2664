"""How fast the full-screen app shows 10,000 resources, next to a bare Textual DataTable.

    python bench/bench_tui.py [--rounds 3] [--data /tmp/reserver-bench-tui]

Builds (once, then reuses) a SQLite store with 10,000 resources and 200,000
reservations, then measures in fresh processes, alternating:

- reserver: from process start to the home table painted and a key handled
  (the real start-up path: imports, open_backend in a worker, expiry, the list);
- bare: a plain Textual app that reads the same 10,000 rows with sqlite3 and
  shows them in a DataTable, from process start to painted and a key handled.

It then reports each filter keystroke's latency in the app (typing into the
filter box until the table is updated) and the peak memory of each process.
Target: reserver within 1.5x the bare app; every keystroke under 100 ms (from
the key press to the last line of the table repainted).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

RESOURCES = 10_000
RESERVATIONS_PER_RESOURCE = 20
SIZE = (120, 40)
FILTER_TEXT = "lab 7"


def build_store(path: Path) -> None:
    """Create the store with the core (schema, users), then bulk-insert the rows."""
    from sqlalchemy import func, insert, select

    from reserver_core.local import LocalBackend
    from reserver_core.models import Reservation, Resource, ResourceTag
    from reserver_core.settings import Settings

    if path.exists():
        with sqlite3.connect(path) as connection:
            (count,) = connection.execute("SELECT count(*) FROM reservations").fetchone()
        if count == RESOURCES * RESERVATIONS_PER_RESOURCE:
            return
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    backend = LocalBackend.open(
        f"sqlite:///{path}", Settings(sqlite_synchronous="NORMAL"), username="bench"
    )
    user_id = backend.whoami().id
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    kinds = ["room", "projector", "lab", "machine", "vehicle"]

    def fill(session: object) -> None:
        session.execute(  # type: ignore[attr-defined]
            insert(Resource),
            [
                {
                    "name": f"{kinds[i % 5].title()} {i:05d}",
                    "name_key": f"{kinds[i % 5]} {i:05d}",
                    "description": "",
                    "enabled": i % 97 != 0,
                    "auto_reset_hours": 8,
                    "created_at": now,
                }
                for i in range(RESOURCES)
            ],
        )
        ids = list(session.scalars(select(Resource.id).order_by(Resource.id)))  # type: ignore[attr-defined]
        session.execute(  # type: ignore[attr-defined]
            insert(ResourceTag),
            [
                {"resource_id": rid, "tag": tag, "position": position}
                for index, rid in enumerate(ids)
                for position, tag in enumerate([kinds[index % 5], f"floor {index % 7}"])
            ],
        )
        rows = []
        base = now - timedelta(days=2)
        for index, rid in enumerate(ids):
            for k in range(RESERVATIONS_PER_RESOURCE):
                start = base + timedelta(hours=5 * k + index % 5)
                end = start + timedelta(hours=1 + index % 2)
                rows.append(
                    {
                        "resource_id": rid,
                        "user_id": user_id,
                        "start_time": start,
                        "end_time": end,
                        "status": "expired" if end <= now else "active",
                        "created_at": base,
                    }
                )
        for offset in range(0, len(rows), 20_000):
            session.execute(insert(Reservation), rows[offset : offset + 20_000])  # type: ignore[attr-defined]
        total = session.scalar(select(func.count()).select_from(Reservation))  # type: ignore[attr-defined]
        assert total == len(rows)

    backend.database.write(fill)
    backend.close()


# -- the measured processes --------------------------------------------------------------
def peak_memory_mb() -> float:
    """This process's peak resident memory since it started its program.

    Not `getrusage`'s ru_maxrss: Linux carries that over from the parent through
    fork and exec, so every child would report the parent's peak.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def child_reserver(database: str, started: float) -> dict[str, float]:
    """Run the real app headless; report start-to-painted, keystroke latencies, memory."""
    from textual.strip import Strip
    from textual.widgets import Input

    from reserver_core.settings import load_settings
    from reserver_tui.app import ReserverApp
    from reserver_tui.widgets.resource_table import ResourceTable

    settings = load_settings(database_url=f"sqlite:///{database}")
    app = ReserverApp(settings)
    figures: dict[str, float] = {}

    async def drive() -> None:
        async with app.run_test(size=SIZE) as pilot:
            table = app.screen.query_one(ResourceTable)
            while not table.loaded:
                await asyncio.sleep(0.005)
            await pilot.press("j")
            figures["ready_s"] = time.time() - started
            assert table.cursor == 1, "the table did not take the key"
            assert table.total == RESOURCES
            await pilot.press("slash")
            assert isinstance(app.focused, Input)
            painted: list[float] = []
            draw = table.render_line

            def spy(y: int) -> Strip:
                painted.append(time.perf_counter())
                return draw(y)

            table.render_line = spy  # type: ignore[method-assign]
            latencies = []
            for character in FILTER_TEXT:
                painted.clear()
                before = time.perf_counter()
                await pilot.press(character)
                await pilot.pause()
                assert painted, "the table was not repainted"
                latencies.append((max(painted) - before) * 1000)
            figures["filter_ms_median"] = statistics.median(latencies)
            figures["filter_ms_max"] = max(latencies)
            figures["filter_rows_left"] = table.shown

    asyncio.run(drive())
    figures["peak_mb"] = peak_memory_mb()
    return figures


def child_bare(database: str, started: float) -> dict[str, float]:
    """A plain Textual app with a DataTable of the same rows, for comparison."""
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable(cursor_type="row")

        def on_mount(self) -> None:
            with sqlite3.connect(database) as connection:
                tags = {}
                for rid, tag in connection.execute(
                    "SELECT resource_id, tag FROM resource_tags ORDER BY resource_id, position"
                ):
                    tags.setdefault(rid, []).append(tag)
                rows = [
                    (
                        name,
                        ", ".join(tags.get(rid, [])),
                        "available" if enabled else "disabled",
                        "now",
                    )
                    for rid, name, enabled in connection.execute(
                        "SELECT id, name, enabled FROM resources ORDER BY name_key"
                    )
                ]
            table = self.query_one(DataTable)
            table.add_columns("Name", "Tags", "Status", "Next free")
            table.add_rows(rows)
            table.focus()

    app = Bare()
    figures: dict[str, float] = {}

    async def drive() -> None:
        async with app.run_test(size=SIZE) as pilot:
            table = app.query_one(DataTable)
            while table.row_count < RESOURCES:
                await asyncio.sleep(0.005)
            await pilot.press("down")
            figures["ready_s"] = time.time() - started
            assert table.cursor_row == 1

    asyncio.run(drive())
    figures["peak_mb"] = peak_memory_mb()
    return figures


def measure(kind: str, database: Path, data: Path) -> dict[str, float]:
    """Start a fresh process of `kind` and return what it reports."""
    environment = {
        **os.environ,
        "RESERVER_CONFIG_DIR": str(data / "config"),
        "RESERVER_LOG_DIR": str(data / "log"),
        "RESERVER_DATA_DIR": str(data),
    }
    started = time.time()
    output = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(database), repr(started)],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
        timeout=300,
    ).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))


def main() -> None:
    """Build the store if needed, measure both apps in alternation, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data", type=Path, default=Path("/tmp/reserver-bench-tui"))
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        kind, database, started = options.child
        runner = child_reserver if kind == "reserver" else child_bare
        print(json.dumps(runner(database, float(started))))
        return
    database = options.data / "bench.db"
    began = time.perf_counter()
    build_store(database)
    print(
        f"store: {database} ({RESOURCES:,} resources, "
        f"{RESOURCES * RESERVATIONS_PER_RESOURCE:,} reservations; "
        f"ready in {time.perf_counter() - began:.1f} s)"
    )
    results: dict[str, list[dict[str, float]]] = {"bare": [], "reserver": []}
    for _ in range(options.rounds):
        for kind in ("bare", "reserver"):
            results[kind].append(measure(kind, database, options.data))
    bare = statistics.median(r["ready_s"] for r in results["bare"])
    ours = statistics.median(r["ready_s"] for r in results["reserver"])
    for label, kind, value in (
        ("bare DataTable app", "bare", bare),
        ("reserver home screen", "reserver", ours),
    ):
        runs = ", ".join(f"{r['ready_s']:.2f}" for r in results[kind])
        print(f"{label}, start to painted + key: median {value:.2f} s ({runs})")
    ratio = ours / bare
    print(
        f"ratio reserver / bare: {ratio:.2f} (target <= 1.5: {'met' if ratio <= 1.5 else 'MISSED'})"
    )
    worst = max(r["filter_ms_max"] for r in results["reserver"])
    median = statistics.median(r["filter_ms_median"] for r in results["reserver"])
    print(
        f"filter keystroke to table updated: median {median:.1f} ms, worst {worst:.1f} ms "
        f"(target < 100 ms: {'met' if worst < 100 else 'MISSED'})"
    )
    print(
        f"peak memory: reserver {max(r['peak_mb'] for r in results['reserver']):.0f} MB, "
        f"bare {max(r['peak_mb'] for r in results['bare']):.0f} MB"
    )


if __name__ == "__main__":
    main()
