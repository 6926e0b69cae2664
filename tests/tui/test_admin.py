"""The admin screen (F4) and its import and export dialogs."""

from __future__ import annotations

from pathlib import Path

from support.clock import NOW
from textual.widgets import ProgressBar, Static

from reserver_core.clock import FixedClock
from reserver_core.local import LocalBackend
from reserver_tui.widgets.info_line import InfoLine
from reserver_tui.widgets.keyed_table import KeyedTable

from .scenario import AppFactory, opened, quick_settings, settle, text_of, type_into


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


UPDATED_AURORA = (
    "name,tags,available,description\n"
    'Aurora room,"room,meeting,screen",true,"Corner room, 8 seats, ""new"" screen"\n'
    'Borealis room,"room,meeting",true,\n'
    "Lab bench,lab,true,\n"
)


async def test_import_may_update_existing_resources(
    seeded_url: str, make_app: AppFactory, tmp_path: Path
) -> None:
    (tmp_path / "edited.csv").write_text(UPDATED_AURORA, encoding="utf-8")
    app = make_app(seeded_url)
    async with opened(app, "f4", "i") as pilot:
        await type_into(pilot, "#path", "edited.csv")
        await pilot.press("enter")
        await settle(pilot)
        feedback = app.screen.query_one("#feedback", Static)
        assert "tick Update existing resources to change those that exist" in text_of(feedback)
        await pilot.click("#update")
        await pilot.click("#import")
        await settle(pilot)
        assert text_of(feedback) == "✓ Imported 3 resources: 1 new, 1 updated, 1 unchanged"
        assert not app.screen.query_one("#rejected", KeyedTable).display
    backend = LocalBackend.open(seeded_url, quick_settings(), FixedClock(NOW), username="alice")
    try:
        found = {info.name: info.description for info in backend.list_resources()}
    finally:
        backend.close()
    assert found["Aurora room"] == 'Corner room, 8 seats, "new" screen'
    assert found["Lab bench"] == ""


async def test_a_single_resource_is_said_in_the_singular(
    seeded_url: str, make_app: AppFactory, tmp_path: Path
) -> None:
    (tmp_path / "one.csv").write_text("name,tags\nLab bench,lab\n,nameless\n", encoding="utf-8")
    app = make_app(seeded_url)
    async with opened(app, "f4", "i") as pilot:
        await type_into(pilot, "#path", "one.csv")
        await pilot.click("#skip")
        await pilot.click("#import")
        await settle(pilot)
        feedback = text_of(app.screen.query_one("#feedback", Static))
        assert feedback == "✓ Imported 1 resource; skipped 1 bad line:"


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
