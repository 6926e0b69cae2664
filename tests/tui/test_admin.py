"""The admin screen (F4) and its import and export dialogs."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import ProgressBar, Static

from reserver_tui.widgets.info_line import InfoLine
from reserver_tui.widgets.keyed_table import KeyedTable

from .scenario import AppFactory, opened, settle, text_of, type_into


async def test_admin_says_disabled_once(seeded_url: str, make_app: AppFactory) -> None:
    app = make_app(seeded_url)
    async with opened(app, "f4") as pilot:
        await pilot.press("slash", *"old van", "enter")
        await pilot.pause()
        info = app.screen.query_one("#admin-info", InfoLine)
        assert str(info.text).count("disabled") == 1, info.text


async def test_import_and_export_end_without_a_stale_progress_bar(
    seeded_url: str, make_app: AppFactory, tmp_path: Path
) -> None:
    duplicates = tmp_path / "dup.csv"
    duplicates.write_text("name,tags\nAurora room,room\n")
    app = make_app(seeded_url)
    async with opened(app, "f4") as pilot:
        await pilot.press("i")
        await pilot.pause()
        await type_into(pilot, "#path", duplicates.name)
        await pilot.click("#skip")
        await pilot.click("#import")
        await settle(pilot)
        assert "Imported 0 resources" in text_of(app.screen.query_one("#feedback", Static))
        assert not app.screen.query_one(ProgressBar).display, "a finished import shows no 0% bar"
        await pilot.press("escape", "x")
        await pilot.pause()
        await type_into(pilot, "#path", "out.csv")
        await pilot.press("enter")
        await settle(pilot)
        await type_into(pilot, "#path", "missing/out.csv")
        await pilot.press("enter")
        await settle(pilot)
        assert "cannot write" in text_of(app.screen.query_one("#feedback", Static))
        assert not app.screen.query_one(ProgressBar).display, "no 100% bar of the earlier export"


async def test_a_file_that_cannot_be_read_or_written_is_said_once_beside_the_path(
    seeded_url: str, make_app: AppFactory, tmp_path: Path
) -> None:
    (tmp_path / "bad.csv").write_text("name,tags\n,empty\n")
    app = make_app(seeded_url)
    async with opened(app, "f4") as pilot:
        await pilot.press("i")
        await pilot.pause()
        await type_into(pilot, "#path", "bad.csv")
        await pilot.press("enter")
        await settle(pilot)
        rejected = app.screen.query_one("#rejected", KeyedTable)
        feedback = app.screen.query_one("#feedback", Static)
        assert rejected.display
        await pilot.press("ctrl+u", "enter")
        await settle(pilot)
        assert text_of(feedback) == "✗ give the path of a CSV file"
        assert not rejected.display, "the lines of the file before are gone"
        await type_into(pilot, "#path", "missing.csv")
        await pilot.press("enter")
        await settle(pilot)
        assert "cannot read missing.csv" in text_of(feedback)
        await pilot.press("escape", "x")
        await pilot.pause()
        await type_into(pilot, "#path", "missing/out.csv")
        await pilot.press("enter")
        await settle(pilot)
        assert "cannot write" in text_of(app.screen.query_one("#feedback", Static))
        assert not [n.message for n in app.notifications], "said beside the path only"
