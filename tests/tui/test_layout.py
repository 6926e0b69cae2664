"""Every screen and dialog fits the terminal: dialogs and their buttons, footer keys, the
palette key."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Footer

from reserver_tui.app import ReserverApp

from .scenario import AppFactory, fill_booking, opened, settle, type_into


async def test_wide_dialogs_stay_inside_an_80_column_terminal(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app, size=(80, 24)) as pilot:
        for keys in (["question_mark"], ["f4", "i"], ["f3", "h"]):
            await pilot.press(*keys)
            await settle(pilot)
            dialog = app.screen.query_one("#dialog")
            assert dialog.region.right <= 80, (keys, dialog.region)
            await pilot.press("escape")
            await settle(pilot)


def footer_keys_cut(app: ReserverApp) -> list[str]:
    """The footer's keys that do not fully show left of the palette key."""
    footer = app.screen.query_one(Footer)
    keys = list(footer.query("FooterKey"))
    palette = [key for key in keys if key.has_class("-command-palette")]
    limit = palette[0].region.x if palette else footer.region.right
    return [
        str(key.render()).strip()
        for key in keys
        if key not in palette and (key.region.width == 0 or key.region.right > limit)
    ]


@pytest.mark.parametrize("username", ["alice", "bob"])
async def test_every_footer_key_of_the_main_screens_shows_at_120_columns(
    seeded_url: str, make_app: AppFactory, username: str
) -> None:
    app = make_app(seeded_url, username)
    async with opened(app, size=(120, 36)) as pilot:
        cut: dict[str, list[str]] = {}
        for keys in (["f1"], ["enter"], ["escape", "f2"], ["f3"], ["f4"], ["f5"], ["f6"]):
            await pilot.press(*keys)
            await settle(pilot)
            cut[type(app.screen).__name__] = footer_keys_cut(app)
        assert len(cut) == (7 if username == "alice" else 6), cut
        assert not any(cut.values()), cut


async def test_the_palette_key_covers_the_footer_to_the_right_edge(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app, "f2", size=(80, 24)) as pilot:
        await pilot.press("enter")
        await settle(pilot)
        palette = app.screen.query_one(Footer).query_one(".-command-palette")
        # Else the footer's cut-off keys show through the last column ("^p palettes").
        assert palette.region.right == 80, palette.region


async def _rejected_import(pilot: Pilot[object]) -> None:
    Path("bad.csv").write_text("name,tags\n" + "".join(",empty\n" for _ in range(20)))
    await pilot.press("f4", "i")
    await settle(pilot)
    await type_into(pilot, "#path", "bad.csv")
    await pilot.press("enter")


async def _booking_conflict(pilot: Pilot[object]) -> None:
    await fill_booking(pilot, "today", "11:30", "1h")
    await pilot.press("enter")


def _keys(*keys: str) -> Callable[[Pilot[object]], Awaitable[None]]:
    async def press(pilot: Pilot[object]) -> None:
        await pilot.press(*keys)

    return press


DIALOG_STEPS = {
    "booking": _keys("b"),
    "booking_conflict": _booking_conflict,
    "new_resource": _keys("f4", "n"),
    "edit_resource": _keys("f4", "e"),
    "maintenance": _keys("f4", "m"),
    "import_rejected": _rejected_import,
    "export": _keys("f4", "x"),
    "cancel_booking": _keys("f3", "c"),
    "disable_resource": _keys("f4", "d"),
}


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
@pytest.mark.parametrize("name", list(DIALOG_STEPS))
async def test_every_dialog_shows_all_its_buttons(
    name: str, size: tuple[int, int], seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app, size=size) as pilot:
        await DIALOG_STEPS[name](pilot)
        await settle(pilot)
        await pilot.pause()
        dialog = app.screen.query_one("#dialog")
        buttons = [button for button in app.screen.query(Button) if button.display]
        assert buttons, name
        for button in buttons:
            assert button.region.height == 3, (name, button.id, button.region)
            assert dialog.content_region.contains_region(button.region), (
                name,
                button.id,
                button.region,
                dialog.content_region,
            )
