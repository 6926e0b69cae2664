"""End-to-end flows through the app on a real SQLite store, driven by keys like a person."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from support.clock import NOW
from textual.widgets import Static

from reserver_core.clock import FixedClock
from reserver_core.local import LocalBackend
from reserver_core.settings import log_dir
from reserver_tui.app import ReserverApp
from reserver_tui.palette import palette_actions
from reserver_tui.screens.admin import AdminScreen
from reserver_tui.screens.book import BookModal
from reserver_tui.screens.detail import ResourceDetailScreen
from reserver_tui.screens.find import FindSlotScreen
from reserver_tui.screens.history import HistoryModal
from reserver_tui.screens.home import ResourcesScreen
from reserver_tui.widgets.info_line import InfoLine
from reserver_tui.widgets.keyed_table import KeyedTable
from reserver_tui.widgets.resource_table import ResourceTable
from reserver_tui.widgets.week_grid import WeekGrid

from .scenario import (
    TZ,
    AppFactory,
    at,
    fill_booking,
    opened,
    quick_settings,
    settle,
    text_of,
    type_into,
)

SIZE = (120, 40)


def backend(url: str, username: str = "alice") -> LocalBackend:
    """A second view of the store, to check what the app wrote."""
    return LocalBackend.open(url, quick_settings(), FixedClock(NOW), username=username)


async def test_book_a_free_slot_from_the_week_grid(seeded_url: str, make_app: AppFactory) -> None:
    app = make_app(seeded_url)
    async with opened(app, size=SIZE) as pilot:
        table = app.screen.query_one(ResourceTable)
        assert table.current is not None and table.current.name == "Aurora room"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ResourceDetailScreen)
        grid = app.screen.query_one(WeekGrid)
        # Today 10:00 (now) is the first open row; bob holds 11:00-12:00.
        assert grid.current is not None and grid.current.start == at(1, 9)
        await pilot.press("j", "j")
        assert grid.current is not None and grid.current.state == "booked"
        assert grid.current.holder == "bob"
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, BookModal), "a booked slot must not open the form"
        await pilot.press("j", "j", "l", "enter")
        await pilot.pause()
        assert isinstance(app.screen, BookModal)
        assert app.screen.query_one("#start").value == "12:00"  # type: ignore[attr-defined]
        assert app.screen.query_one("#end").value == "13:00"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ResourceDetailScreen)
        assert grid.current is not None and grid.current.state == "mine"
        upcoming = app.screen.query_one("#upcoming", KeyedTable)
        assert "Wed 2 Dec 12:00-13:00" in [str(row[0]) for row in _rows(upcoming)]
    check = backend(seeded_url)
    mine = [(r.resource.name, r.start_time, r.end_time) for r in check.my_reservations()]
    check.close()
    assert ("Aurora room", at(2, 11), at(2, 12)) in mine


async def test_conflict_names_the_clash_and_n_takes_the_next_free_slot(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app, size=SIZE) as pilot:
        await fill_booking(pilot, "today", "11:30", "1h")
        feedback = text_of(app.screen.query_one("#feedback", Static))
        assert "Tue 1 Dec 11:30-12:30 CET" in feedback
        await pilot.press("enter")
        await settle(pilot)
        conflict = app.screen.query_one("#conflict", Static)
        assert conflict.display
        assert "Tue 1 Dec 11:00-12:00 CET" in text_of(conflict)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, ResourcesScreen)
    check = backend(seeded_url)
    taken = [
        (r.start_time, r.end_time)
        for r in check.my_reservations()
        if r.resource.name == "Aurora room"
    ]
    check.close()
    assert (at(1, 11), at(1, 12)) in taken


async def test_a_refusal_for_maintenance_names_its_end_in_local_time(
    seeded_url: str, make_app: AppFactory
) -> None:
    admin = backend(seeded_url)
    room = admin.find_resource("Aurora room").id
    admin.start_maintenance(room, auto_reset_hours=3)  # until 12:00 UTC, 13:00 in Berlin
    admin.close()
    app = make_app(seeded_url)
    async with opened(app, size=SIZE) as pilot:
        await fill_booking(pilot, "today", "12:00", "1h")
        await pilot.press("enter")
        await settle(pilot)
        feedback = text_of(app.screen.query_one("#feedback", Static))
        assert "Aurora room is under maintenance Tue 1 Dec 10:00-13:00 CET, which" in feedback
        await type_into(pilot, "#start", "13:00")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ResourcesScreen)


async def test_validation_as_you_type_explains_bad_input(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app, "b", size=SIZE) as pilot:
        feedback = app.screen.query_one("#feedback", Static)
        await type_into(pilot, "#start", "25:00")
        assert "hour 25 is out of range" in text_of(feedback)
        await type_into(pilot, "#start", "9:00")
        await type_into(pilot, "#day", "today")
        assert "future" in text_of(feedback)
        await type_into(pilot, "#day", "tomorrow")
        await type_into(pilot, "#end", "10m")
        assert "at least 15 minutes" in text_of(feedback)
        await type_into(pilot, "#end", "tomorrow 8:00")
        assert "not after the start" in text_of(feedback)
        assert app.screen.query_one("#book").disabled
        await pilot.press("escape")
        assert isinstance(app.screen, ResourcesScreen)


async def test_cancel_with_a_reason_and_see_the_history(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app, "f3", size=SIZE) as pilot:
        upcoming = app.screen.query_one("#table-upcoming", KeyedTable)
        assert [str(row[2]) for row in _rows(upcoming)] == ["Borealis room", "Cedar booth"]
        past = app.screen.query_one("#table-past", KeyedTable)
        assert [str(row[4]) for row in _rows(past)] == ["expired"]
        await pilot.press("c")
        await pilot.pause()
        await pilot.press(*"room moved", "enter")
        await settle(pilot)
        assert [str(row[2]) for row in _rows(upcoming)] == ["Cedar booth"]
        cancelled = app.screen.query_one("#table-cancelled", KeyedTable)
        assert [str(row[4]) for row in _rows(cancelled)] == ["room moved"]
        await pilot.press("3", "h")
        await settle(pilot)
        assert isinstance(app.screen, HistoryModal)
        events = app.screen.query_one(KeyedTable)
        assert [str(row[1]) for row in _rows(events)] == ["cancelled", "created"]
    check = backend(seeded_url)
    found = [r for r in check.my_reservations(include_cancelled=True) if r.status == "cancelled"]
    check.close()
    assert [(r.resource.name, r.cancellation_reason) for r in found] == [
        ("Borealis room", "room moved")
    ]


async def test_expiry_timer_refreshes_the_open_screen(
    seeded_url: str, make_app: AppFactory, tui_clock: FixedClock
) -> None:
    app = make_app(seeded_url)
    async with opened(app, "f3", size=SIZE) as pilot:
        upcoming = app.screen.query_one("#table-upcoming", KeyedTable)
        assert upcoming.row_count == 2
        tui_clock.advance(timedelta(days=3))
        app.upkeep()
        await settle(pilot)
        assert upcoming.row_count == 0
        past = app.screen.query_one("#table-past", KeyedTable)
        assert [str(row[4]) for row in _rows(past)] == ["expired"] * 3
        assert app.last_expiry is not None and app.last_expiry.expired_count == 4


async def test_filter_hides_and_shows_rows_without_asking_the_store(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app, size=SIZE) as pilot:
        table = app.screen.query_one(ResourceTable)
        assert table.shown == 6
        loads = len(app.workers)
        await pilot.press("slash", *"room")
        assert table.shown == 3
        await pilot.press(*" mee")
        assert table.shown == 2
        await pilot.press("escape", "escape")
        assert table.shown == 6
        await pilot.press("t")  # available only
        assert {resource.status for resource in table.shown_resources} == {"available"}
        await pilot.press("t")  # in use
        assert [resource.name for resource in table.shown_resources] == ["Projector One"]
        assert "in use until 11:00" in table.render_line(1).text  # the first row's status
        await pilot.press("o")  # sort by status
        assert table.sort_key == "status"
        assert len(app.workers) == loads, "filtering must not start a store query"
        await pilot.press("r")
        await settle(pilot)
        assert table.shown == 1


async def test_admin_creates_imports_and_runs_maintenance(
    seeded_url: str, make_app: AppFactory, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("name,tags\nLab bench,lab\n,empty\nAurora room,dup\nLab stool,lab\n")
    app = make_app(seeded_url)
    async with opened(app, "f4", size=SIZE) as pilot:
        assert isinstance(app.screen, AdminScreen)
        await pilot.press("n")
        await pilot.pause()
        await type_into(pilot, "#name", "Delta room")
        await type_into(pilot, "#tags", "room, video")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, AdminScreen)
        await pilot.press("i")
        await pilot.pause()
        await type_into(pilot, "#path", bad.name)
        await pilot.press("enter")
        await settle(pilot)
        rejected = app.screen.query_one("#rejected", KeyedTable)
        assert [str(row[0]) for row in _rows(rejected)] == ["3", "4"]
        assert "nothing imported" in text_of(app.screen.query_one("#feedback", Static))
        await pilot.click("#skip")
        await pilot.click("#import")
        await settle(pilot)
        assert "Imported 2 resources" in text_of(app.screen.query_one("#feedback", Static))
        await pilot.press("escape")
        await settle(pilot)
        table = app.screen.query_one(ResourceTable)
        assert table.total == 9
        await pilot.press("slash", *"cedar", "enter", "m")
        await pilot.pause()
        await type_into(pilot, "#length", "2h")
        await pilot.press("enter")
        await settle(pilot)
        assert table.current is not None and table.current.status == "maintenance"
        await pilot.press("d")
        await pilot.pause()
        await pilot.click("#yes")
        await settle(pilot)
        assert table.current is not None and table.current.status == "disabled"
    check = backend(seeded_url)
    names = {r.name: r for r in check.list_resources()}
    check.close()
    assert names["Delta room"].tags == ["room", "video"]
    assert {"Lab bench", "Lab stool"} <= set(names)
    assert names["Cedar booth"].maintenance_until == at(1, 11)
    assert not names["Cedar booth"].available


async def test_first_run_explains_and_loads_the_sample_set(
    store_url: str, make_app: AppFactory
) -> None:
    app = make_app(store_url)
    async with opened(app, size=SIZE) as pilot:
        first_run = app.screen.query_one("#first-run", Static)
        assert first_run.display
        assert "load the bundled sample set" in text_of(first_run)
        assert not app.screen.query_one(ResourceTable).display
        await pilot.press("s")
        await settle(pilot)
        table = app.screen.query_one(ResourceTable)
        assert table.display and table.total == 20
        assert not first_run.display


async def test_command_palette_reaches_screens_and_screen_actions(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app, size=SIZE) as pilot:
        titles = [title for title, _help, _run in palette_actions(app, app.screen)]
        assert {"Find a free slot", "My reservations", "Admin", "Book", "Sort"} <= set(titles)
        table = app.screen.query_one(ResourceTable)
        sorted_by = table.sort_key
        # Through the palette itself, which is the current screen while it searches.
        await pilot.press("ctrl+p", *"sort")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ResourcesScreen)
        assert table.sort_key != sorted_by
        await pilot.press("ctrl+p", *"free slot")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, FindSlotScreen)


async def test_member_sees_no_admin_actions(seeded_url: str, make_app: AppFactory) -> None:
    app = make_app(seeded_url, username="bob")
    async with opened(app, "f4", "n", size=SIZE):
        assert isinstance(app.screen, ResourcesScreen)
        assert not app.is_admin


async def test_unexpected_failure_is_logged_not_shown(make_app: AppFactory, tmp_path: Path) -> None:
    def broken() -> LocalBackend:
        raise RuntimeError("disk on fire")

    from reserver_tui.app import ReserverApp

    app = ReserverApp(quick_settings(tz=TZ), backend_factory=broken, clock=FixedClock(NOW))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        await pilot.pause()
        messages = [n.message for n in app.notifications]
        assert any("Something went wrong (RuntimeError)" in m for m in messages)
        assert not any("disk on fire" in m for m in messages)
    log_text = (log_dir() / "reserver-tui.log").read_text()
    assert "disk on fire" in log_text and "Traceback" in log_text


async def test_a_store_that_cannot_open_is_a_readable_notification(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    settings = quick_settings(tz=TZ, database_url=f"sqlite:///{blocker}/sub/x.db")
    app = ReserverApp(settings, clock=FixedClock(NOW))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.5)
        await pilot.pause()
        messages = [n.message for n in app.notifications]
        assert any("Cannot create the folder" in m for m in messages), messages


def _rows(table: KeyedTable) -> list[list[object]]:
    return [table.get_row_at(index) for index in range(table.row_count)]


async def test_clicking_a_grid_cell_moves_there_and_a_second_click_books(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app, "enter", size=SIZE) as pilot:
        grid = app.screen.query_one(WeekGrid)
        cell = grid.column_width
        # Wednesday (second column), 14:00 (row 13 under the header row).
        where = (1 + 6 + cell + 2, 1 + 12)
        await pilot.click(WeekGrid, offset=where)
        assert grid.current is not None and (grid.day, grid.current.start) == (1, at(2, 13))
        await pilot.click(WeekGrid, offset=where)
        await pilot.pause()
        assert isinstance(app.screen, BookModal)
        assert app.screen.query_one("#start").value == "14:00"  # type: ignore[attr-defined]


async def test_every_dialog_closes_with_its_cancel_button_and_says_why_a_save_failed(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app, "f4", size=SIZE) as pilot:
        for key in ("n", "e", "m", "i", "x"):
            await pilot.press(key)
            await pilot.pause()
            assert not isinstance(app.screen, AdminScreen), key
            await pilot.click("#cancel")
            await pilot.pause()
            assert isinstance(app.screen, AdminScreen), f"Cancel did not close the {key} dialog"
        await pilot.press("n")
        await pilot.pause()
        await type_into(pilot, "#name", "aurora ROOM")
        await pilot.press("ctrl+s")
        await settle(pilot)
        feedback = text_of(app.screen.query_one("#feedback", Static))
        assert feedback.startswith("✗") and "already exists" in feedback, feedback
        await pilot.click("#cancel")
        await pilot.pause()
        assert isinstance(app.screen, AdminScreen)
        assert app.screen.query_one(ResourceTable).total == 6


async def test_brackets_in_names_descriptions_and_typed_text_show_as_typed(
    store_url: str, make_app: AppFactory
) -> None:
    name = "Lab [/b] bench"
    description = "Ask [link=x]Ann[/] first [/red]"
    settings = quick_settings(tz=TZ)
    alice = LocalBackend.open(store_url, settings, FixedClock(NOW - timedelta(hours=1)), "alice")
    bench = alice.create_resource(name, ["lab"], description).id
    alice.book(bench, NOW + timedelta(hours=3), NOW + timedelta(hours=4))
    alice.close()
    app = make_app(store_url)
    async with opened(app) as pilot:
        info = app.screen.query_one("#table-info", InfoLine)
        assert f"{name}: {description}" in info.render().plain
        await pilot.press("enter")
        await settle(pilot)
        title = text_of(app.screen.query_one("#detail-title", Static))
        assert name in title and description in title
        await pilot.press("escape", "b")
        await pilot.pause()
        await type_into(pilot, "#start", "[/b]")
        assert "cannot read '[/b]'" in text_of(app.screen.query_one("#feedback", Static))
        await type_into(pilot, "#day", "today")
        await type_into(pilot, "#start", "13:00")
        await type_into(pilot, "#end", "1h")
        await pilot.press("enter")
        await settle(pilot)
        conflict = text_of(app.screen.query_one("#conflict", Static))
        assert f"{name} is already booked" in conflict
        await pilot.press("n")
        await settle(pilot)
        assert any(name in n.message for n in app.notifications)
        await pilot.press("f3")
        await settle(pilot)
        upcoming = app.screen.query_one("#table-upcoming", KeyedTable)
        assert str(upcoming.get_row_at(0)[2]) == name
        await pilot.press("c")
        await pilot.pause()
        await pilot.press(*"[/i] moved", "enter")
        await settle(pilot)
        await pilot.press("3", "h")
        await settle(pilot)
        events = app.screen.query_one("#events", KeyedTable)
        assert str(events.get_row_at(0)[3]) == "[/i] moved"
        assert name in text_of(app.screen.query_one("#history-summary", Static))
        await pilot.press("escape", "f4", "e")
        await settle(pilot)
        assert app.is_running
