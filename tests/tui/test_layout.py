"""Every screen and dialog fits the terminal: dialogs, footer keys, the palette key."""

from __future__ import annotations

import pytest
from textual.widgets import Footer

from reserver_tui.app import ReserverApp

from .scenario import AppFactory, opened, settle


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
        for keys in (["f1"], ["enter"], ["escape", "f2"], ["f3"], ["f4"], ["f5"]):
            await pilot.press(*keys)
            await settle(pilot)
            cut[type(app.screen).__name__] = footer_keys_cut(app)
        assert len(cut) == (6 if username == "alice" else 5), cut
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
