"""The fixed data of the TUI suites and the steps a test takes through the app.

Every app runs on a frozen clock (Tuesday 1 Dec 2026, 10:00 in Europe/Berlin)
and a store in the test's own folder, opened by a relative path so the header
reads the same on every machine.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from support.clock import NOW
from textual.pilot import Pilot
from textual.widgets import Static

from reserver_core.clock import FixedClock
from reserver_core.local import LocalBackend
from reserver_core.schemas import PolicyChanges, PolicyScope
from reserver_core.settings import Settings
from reserver_tui.app import ReserverApp
from reserver_tui.screens.book import BookModal

TZ = "Europe/Berlin"
SCREEN_SIZE = (120, 36)
"""The terminal, in columns and rows, that the screen suites run in unless they test a small one."""

AppFactory = Callable[..., ReserverApp]
"""The `make_app` fixture: build the app on a store URL, acting as a username."""
RESOURCES = [
    ("Aurora room", ["room", "meeting", "screen"], "Corner room, 8 seats, wall screen"),
    ("Borealis room", ["room", "meeting"], ""),
    ("Cedar booth", ["room", "focus"], ""),
    ("Projector One", ["projector", "portable"], ""),
    ("Oscilloscope", ["lab", "instrument"], ""),
    ("Old van", ["vehicle"], ""),
]


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant in December 2026, UTC."""
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


def seed(url: str) -> dict[str, int]:
    """Fill a store: alice (admin) and bob, six resources, bookings around NOW."""
    earlier = FixedClock(NOW - timedelta(hours=2))
    settings = quick_settings()
    alice = LocalBackend.open(url, settings, earlier, username="alice")
    bob = LocalBackend.open(url, settings, earlier, username="bob")
    try:
        ids = {
            name: alice.create_resource(name, tags, description).id
            for name, tags, description in RESOURCES
        }
        bob.book(ids["Projector One"], at(1, 8, 30), at(1, 10))
        bob.book(ids["Aurora room"], at(1, 10), at(1, 11))
        alice.book(ids["Borealis room"], at(2, 13), at(2, 14), note="Design review")
        alice.book(ids["Aurora room"], at(1, 7, 30), at(1, 8))
        alice.book(ids["Cedar booth"], at(3, 9), at(3, 10))
        alice.start_maintenance(ids["Oscilloscope"], 4)
        alice.set_available(ids["Old van"], False)
    finally:
        alice.close()
        bob.close()
    return ids


ROOM_HOURS = "mon-fri 08:00-18:00"
AURORA_CLOSURE = "2026-12-04 14:00..18:00 deep clean"


def set_policies(url: str) -> None:
    """Booking policies on the seeded store: rooms open on weekdays 08:00-18:00 in Berlin
    and two active bookings each on rooms, the Aurora room closed on Friday afternoon,
    20 hours a week each store-wide."""
    alice = LocalBackend.open(url, quick_settings(), FixedClock(NOW), username="alice")
    try:
        alice.set_policy(
            PolicyScope("tag", tag="room"),
            PolicyChanges(timezone=TZ, hours=ROOM_HOURS, max_active=2),
        )
        aurora = alice.find_resource("Aurora room").id
        alice.set_policy(
            PolicyScope("resource", resource_id=aurora), PolicyChanges(add_closed=[AURORA_CLOSURE])
        )
        alice.set_policy(PolicyScope("default"), PolicyChanges(max_hours_per_week=20))
    finally:
        alice.close()


def quick_settings(**overrides: object) -> Settings:
    """Settings for tests: bcrypt at its lowest cost."""
    return Settings(bcrypt_rounds=4, **overrides)  # type: ignore[arg-type]


def text_of(widget: Static) -> str:
    """The plain text a Static shows."""
    return str(widget.render())


async def settle(pilot: Pilot[object]) -> None:
    """Wait until every worker finished and the messages they sent were handled."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


@asynccontextmanager
async def opened(
    app: ReserverApp, *keys: str, size: tuple[int, int] = SCREEN_SIZE
) -> AsyncIterator[Pilot[object]]:
    """Run `app` at `size` with its first reads done, then press `keys` and wait again."""
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        if keys:
            await pilot.press(*keys)
            await settle(pilot)
        yield pilot


async def type_into(pilot: Pilot[object], selector: str, text: str) -> None:
    """Replace the text of an input by typing, as a person would."""
    await pilot.click(selector)
    await pilot.press("home", "ctrl+k", *list(text))


async def fill_booking(pilot: Pilot[object], day: str, start: str, end: str) -> None:
    """Open the booking form on the selected resource and type a window into it."""
    await pilot.press("b")
    await settle(pilot)
    assert isinstance(pilot.app.screen, BookModal)
    await type_into(pilot, "#day", day)
    await type_into(pilot, "#start", start)
    await type_into(pilot, "#end", end)


async def log_in(pilot: Pilot[object], username: str, password: str) -> None:
    """Type a username and password into the login screen and send them."""
    await type_into(pilot, "#username", username)
    await type_into(pilot, "#password", password)
    await pilot.press("enter")
    await settle(pilot)
