"""Screenshots of every screen and modal on fixed data, a frozen clock and a fixed size.

Create or refresh them with `pytest tests/tui --snapshot-update` and commit the SVGs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from .scenario import AppFactory, fill_booking, settle, type_into

SIZE = (120, 36)
Steps = Callable[[Pilot[object]], Awaitable[None]]


def keys(*pressed: str) -> Steps:
    """Steps that press keys, waiting for the store after each group."""

    async def run(pilot: Pilot[object]) -> None:
        await settle(pilot)
        for key in pressed:
            await pilot.press(key)
            await settle(pilot)

    return run


async def conflict(pilot: Pilot[object]) -> None:
    await settle(pilot)
    await fill_booking(pilot, "today", "11:30", "1h")
    await pilot.press("enter")
    await settle(pilot)


async def invalid_booking(pilot: Pilot[object]) -> None:
    await settle(pilot)
    await pilot.press("b")
    await settle(pilot)
    await type_into(pilot, "#start", "25:00")


async def find_results(pilot: Pilot[object]) -> None:
    await settle(pilot)
    await pilot.press("f2")
    await settle(pilot)
    await type_into(pilot, "#text", "room")
    await pilot.press("enter")
    await settle(pilot)


async def rejected_import(pilot: Pilot[object]) -> None:
    Path("bad.csv").write_text("name,tags\nLab bench,lab\n,empty\nAurora room,dup\n")
    await settle(pilot)
    await pilot.press("f4")
    await settle(pilot)
    await pilot.press("i")
    await settle(pilot)
    await type_into(pilot, "#path", "bad.csv")
    await pilot.press("enter")
    await settle(pilot)


async def login(pilot: Pilot[object]) -> None:
    from reserver_tui.screens.login import LoginScreen

    await settle(pilot)
    await pilot.app.push_screen(LoginScreen())
    await settle(pilot)


async def command_palette(pilot: Pilot[object]) -> None:
    await settle(pilot)
    await pilot.press("ctrl+p")
    await settle(pilot)
    await pilot.press(*"book")
    await settle(pilot)


SCREENS: dict[str, Steps] = {
    "home_dark": keys(),
    "home_light": keys("ctrl+t"),
    "home_filtered": keys("slash", "r", "o", "o", "m"),
    "detail_week": keys("enter"),
    "book_modal": keys("enter", "j", "j", "j", "j", "enter"),
    "book_invalid": invalid_booking,
    "book_conflict": conflict,
    "find_slot": find_results,
    "my_reservations": keys("f3"),
    "cancel_confirm": keys("f3", "c"),
    "disable_confirm": keys("f4", "d"),
    "history_modal": keys("f3", "h"),
    "admin": keys("f4"),
    "admin_new_resource": keys("f4", "n"),
    "admin_maintenance": keys("f4", "j", "m"),
    "admin_import_rejected": rejected_import,
    "admin_export": keys("f4", "x"),
    "status": keys("f5"),
    "help": keys("question_mark"),
    "login": login,
    "command_palette": command_palette,
}


@pytest.mark.parametrize("name", list(SCREENS))
def test_screen(name: str, seeded_url: str, make_app: AppFactory, snap_compare: object) -> None:
    assert snap_compare(  # type: ignore[operator]
        make_app(seeded_url), terminal_size=SIZE, run_before=SCREENS[name]
    )


def test_first_run(store_url: str, make_app: AppFactory, snap_compare: object) -> None:
    assert snap_compare(make_app(store_url), terminal_size=SIZE, run_before=keys())  # type: ignore[operator]


SMALL = (80, 24)
"""The smallest terminal we promise: every dialog's buttons stay in sight."""
SMALL_SCREENS = [
    "book_modal",
    "book_conflict",
    "my_reservations",
    "cancel_confirm",
    "disable_confirm",
    "admin_new_resource",
    "admin_maintenance",
    "admin_import_rejected",
    "admin_export",
    "login",
]


@pytest.mark.parametrize("name", SMALL_SCREENS)
def test_small_screen(
    name: str, seeded_url: str, make_app: AppFactory, snap_compare: object
) -> None:
    assert snap_compare(  # type: ignore[operator]
        make_app(seeded_url), terminal_size=SMALL, run_before=SCREENS[name]
    )
