"""The README's pictures of the app: the home screen and a week grid, as SVGs.

    python bench/readme_pictures.py docs/

Loads the bundled sample set (the one the app's `s` key loads) into a
throwaway SQLite store, books a few slots on a frozen clock, and saves what the
app shows at 120x36 the way the snapshot suite (pytest-textual-snapshot) does,
with Textual's `export_screenshot`: `home.svg` and `week.svg` in the folder given.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import tempfile
from datetime import UTC, datetime, timedelta
from importlib import resources as package_files
from pathlib import Path

from textual.widgets import Input

from reserver_core.clock import FixedClock
from reserver_core.local import LocalBackend
from reserver_core.settings import Settings
from reserver_tui.app import ReserverApp
from reserver_tui.screens.admin_forms import SAMPLE_CSV

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
"""Tuesday 1 December 2026, 10:00 in Berlin: the snapshot suite's frozen "now"."""
TZ = "Europe/Berlin"
SIZE = (120, 36)
BOOKINGS = [
    # (who, resource, day of December, UTC hour, hours, note)
    ("bob", "Aurora meeting room", 1, 9, 1, "Sprint planning"),
    ("alice", "Aurora meeting room", 1, 13, 2, "Design review"),
    ("carol", "Aurora meeting room", 2, 8, 1, ""),
    ("alice", "Aurora meeting room", 3, 10, 1, "1:1"),
    ("bob", "Aurora meeting room", 4, 12, 3, "Workshop"),
    ("carol", "Projector Epson EB-L200F", 1, 8, 2, ""),
    ("bob", "Test machine arm64-01", 1, 7, 6, "nightly builds"),
    ("alice", "Oscilloscope Rigol DS1054Z", 2, 9, 1, ""),
]


def seed(url: str, settings: Settings) -> None:
    """The sample set, and the bookings above made before `NOW`."""
    earlier = FixedClock(NOW - timedelta(hours=3))
    backends = {
        name: LocalBackend.open(url, settings, earlier, username=name)
        for name in ("alice", "bob", "carol")
    }
    try:
        sample = package_files.files("reserver_tui").joinpath(SAMPLE_CSV).read_bytes()
        backends["alice"].import_csv(io.BytesIO(sample))
        ids = {r.name: r.id for r in backends["alice"].list_resources()}
        for who, name, day, hour, hours, note in BOOKINGS:
            start = datetime(2026, 12, day, hour, tzinfo=UTC)
            backends[who].book(ids[name], start, start + timedelta(hours=hours), note=note)
    finally:
        for backend in backends.values():
            backend.close()


async def take_pictures(url: str, settings: Settings, folder: Path) -> list[Path]:
    """Open the app as alice; save the home screen and the Aurora room's week grid (second
    by name)."""
    clock = FixedClock(NOW)
    app = ReserverApp(
        settings,
        backend_factory=lambda: LocalBackend.open(url, settings, clock, username="alice"),
        clock=clock,
    )
    saved = []
    async with app.run_test(size=SIZE) as pilot:
        for keys, name in (((), "home.svg"), (("down", "enter"), "week.svg")):
            for key in keys:
                await pilot.press(key)
            for _ in range(3):
                await app.workers.wait_for_complete()
                await pilot.pause()
            target = folder / name
            target.write_text(app.export_screenshot(title="reserver"), encoding="utf-8")
            saved.append(target)
    return saved


def main() -> None:
    """Parse the folder and write the pictures into it."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="where to write home.svg and week.svg")
    folder = parser.parse_args().folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    # A steady cursor, so the pictures do not change from run to run.
    Input.cursor_blink = False  # type: ignore[assignment]
    with tempfile.TemporaryDirectory(prefix="reserver-pictures-") as scratch:
        # A relative store path, so the header reads the same wherever this runs.
        os.chdir(scratch)
        url = "sqlite:///reserver.db"
        settings = Settings(bcrypt_rounds=4, tz=TZ)
        seed(url, settings)
        for path in asyncio.run(take_pictures(url, settings, folder)):
            print(path)


if __name__ == "__main__":
    main()
