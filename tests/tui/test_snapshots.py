"""Screenshots of every screen and modal on fixed data, a frozen clock and a fixed size.

Create or refresh them with `pytest tests/tui --snapshot-update` and commit the SVGs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from support.clock import NOW
from textual.pilot import Pilot

from reserver_core.clock import FixedClock
from reserver_core.local import LocalBackend
from reserver_tui.widgets.week_grid import WeekGrid

from .scenario import AppFactory, at, fill_booking, quick_settings, settle, type_into

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


async def updated_import(pilot: Pilot[object]) -> None:
    Path("edited.csv").write_text(
        "name,tags,available,description\n"
        'Aurora room,"room,meeting,screen",true,"Corner room, 8 seats, new screen"\n'
        "Lab bench,lab,true,\n"
    )
    await settle(pilot)
    await pilot.press("f4")
    await settle(pilot)
    await pilot.press("i")
    await settle(pilot)
    await type_into(pilot, "#path", "edited.csv")
    await pilot.click("#update")
    await pilot.click("#import")
    await settle(pilot)


async def maintenance_overlapping(pilot: Pilot[object]) -> None:
    await settle(pilot)
    await pilot.press("f4")
    await settle(pilot)
    await pilot.press("slash", *"aurora", "enter", "m")
    await settle(pilot)
    await type_into(pilot, "#from", "today 10:30")
    await type_into(pilot, "#length", "3h")
    await type_into(pilot, "#reason", "new screen")
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


async def move_conflict(pilot: Pilot[object]) -> None:
    from support.clock import NOW

    from reserver_core.clock import FixedClock
    from reserver_core.local import LocalBackend

    from .scenario import at, quick_settings

    bob = LocalBackend.open("sqlite:///reserver.db", quick_settings(), FixedClock(NOW), "bob")
    bob.book(bob.find_resource("Borealis room").id, at(2, 15), at(2, 16))
    bob.close()
    await settle(pilot)
    await pilot.press("f3", "r")
    await settle(pilot)
    await pilot.press("m")
    await settle(pilot)
    await type_into(pilot, "#start", "16:30")
    await pilot.press("enter")
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
    "move_modal": keys("f3", "m"),
    "move_conflict": move_conflict,
    "note_modal": keys("f3", "e"),
    "admin": keys("f4"),
    "admin_new_resource": keys("f4", "n"),
    "admin_maintenance": keys("f4", "j", "m"),
    "admin_maintenance_overlapping": maintenance_overlapping,
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


def test_maintenance_dialog_at_80x24(
    seeded_url: str, make_app: AppFactory, snap_compare: object
) -> None:
    assert snap_compare(  # type: ignore[operator]
        make_app(seeded_url), terminal_size=(80, 24), run_before=maintenance_overlapping
    )


def test_first_run(store_url: str, make_app: AppFactory, snap_compare: object) -> None:
    assert snap_compare(make_app(store_url), terminal_size=SIZE, run_before=keys())  # type: ignore[operator]


def test_import_dialog_at_80x24(
    seeded_url: str, make_app: AppFactory, snap_compare: object
) -> None:
    """Both options and the buttons fit a small terminal, the result said beside them."""
    assert snap_compare(  # type: ignore[operator]
        make_app(seeded_url), terminal_size=(80, 24), run_before=updated_import
    )


async def week_at_night(pilot: Pilot[object]) -> None:
    """The week with a booking across midnight, scrolled down to the last row, 23:30."""
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    grid = pilot.app.screen.query_one(WeekGrid)
    await pilot.press(*["j"] * (grid.times.index("23:30") - grid.row))
    await settle(pilot)


@pytest.mark.parametrize("size", [(120, 36), (80, 24)], ids=["120x36", "80x24"])
def test_week_at_night(
    size: tuple[int, int], seeded_url: str, make_app: AppFactory, snap_compare: object
) -> None:
    store = LocalBackend.open(seeded_url, quick_settings(), FixedClock(NOW), username="alice")
    try:
        store.book(store.find_resource("Aurora room").id, at(1, 22), at(2, 0))
    finally:
        store.close()
    assert snap_compare(  # type: ignore[operator]
        make_app(seeded_url), terminal_size=size, run_before=week_at_night
    )


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
    "move_modal",
    "note_modal",
]


@pytest.mark.parametrize("name", SMALL_SCREENS)
def test_small_screen(
    name: str, seeded_url: str, make_app: AppFactory, snap_compare: object
) -> None:
    assert snap_compare(  # type: ignore[operator]
        make_app(seeded_url), terminal_size=SMALL, run_before=SCREENS[name]
    )


async def policy_editor(pilot: Pilot[object]) -> None:
    """The Aurora room's policy in the editor, one field typed wrong."""
    await settle(pilot)
    await pilot.press("f4")
    await settle(pilot)
    await pilot.press("slash", *"aurora", "enter", "p")
    await settle(pilot)
    await type_into(pilot, "#hours", "mon-fri 08:00-12:00,11:00-18:00")
    await settle(pilot)


@pytest.mark.parametrize("size", [(120, 36), (80, 24)], ids=["120x36", "80x24"])
def test_policy_editor(
    size: tuple[int, int], policy_url: str, make_app: AppFactory, snap_compare: object
) -> None:
    assert snap_compare(  # type: ignore[operator]
        make_app(policy_url), terminal_size=size, run_before=policy_editor
    )


@pytest.mark.parametrize("size", [(120, 36), (80, 24)], ids=["120x36", "80x24"])
def test_detail_with_a_policy(
    size: tuple[int, int], policy_url: str, make_app: AppFactory, snap_compare: object
) -> None:
    """bob's view of the Aurora room: closed nights, weekend and Friday afternoon, the rules
    beside the week and what he has left of his allowances."""
    assert snap_compare(  # type: ignore[operator]
        make_app(policy_url, "bob"), terminal_size=size, run_before=keys("enter")
    )
