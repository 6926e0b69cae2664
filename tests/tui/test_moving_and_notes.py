"""Moving a booking (`m` in My reservations and in a resource's week) and its note (`e`,
and the booking form's Note field)."""

from __future__ import annotations

from textual.widgets import Input, Static

from reserver_core.clock import FixedClock
from reserver_core.local import LocalBackend
from reserver_tui.screens.book import BookModal, MoveModal, NoteModal
from reserver_tui.screens.mine import MyReservationsScreen
from reserver_tui.widgets.keyed_table import KeyedTable
from reserver_tui.widgets.week_grid import WeekGrid

from .scenario import (
    AppFactory,
    at,
    fill_booking,
    opened,
    quick_settings,
    settle,
    text_of,
    type_into,
)


def _store(url: str, clock: FixedClock, username: str = "alice") -> LocalBackend:
    return LocalBackend.open(url, quick_settings(), clock, username=username)


def _first_row(app: object, table: str = "#table-upcoming") -> list[str]:
    """The first row's cells after its ID."""
    found = app.screen.query_one(table, KeyedTable)  # type: ignore[attr-defined]
    return [str(cell) for cell in found.get_row_at(0)][1:]


async def test_m_opens_the_move_form_on_the_booking_and_a_new_start_keeps_its_length(
    seeded_url: str, make_app: AppFactory, tui_clock: FixedClock
) -> None:
    app = make_app(seeded_url)
    async with opened(app, "f3") as pilot:
        assert _first_row(app)[0] == "Wed 2 Dec 14:00-15:00 CET"  # Borealis, alice's
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, MoveModal)
        values = [app.screen.query_one(f"#{name}", Input).value for name in ("day", "start", "end")]
        assert values == ["2026-12-02", "14:00", "1h"]
        await type_into(pilot, "#start", "16:30")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MyReservationsScreen)
        row = _first_row(app)
        assert (row[0], row[-1]) == ("Wed 2 Dec 16:30-17:30 CET", "Design review")
        assert any(n.title == "Moved" for n in app.notifications)
    store = _store(seeded_url, tui_clock)
    moved = store.my_reservations()[1]
    assert (moved.start_time, moved.end_time) == (at(2, 15, 30), at(2, 16, 30))
    assert [e.action for e in store.history(moved.id)] == ["moved", "created"]
    store.close()


async def test_a_move_onto_a_booking_names_it_and_n_takes_the_next_free_slot(
    seeded_url: str, make_app: AppFactory, tui_clock: FixedClock
) -> None:
    bob = _store(seeded_url, tui_clock, "bob")
    borealis = bob.find_resource("Borealis room").id
    bob.book(borealis, at(2, 15), at(2, 16))
    bob.close()
    app = make_app(seeded_url)
    async with opened(app, "f3") as pilot:
        await pilot.press("m")
        await settle(pilot)
        await type_into(pilot, "#start", "16:30")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MoveModal)
        panel = text_of(app.screen.query_one("#conflict", Static))
        assert "Borealis room is already booked" in panel
        assert "Wed 2 Dec 16:00-17:00 CET" in panel and "Press n to move it there." in panel
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, MyReservationsScreen)
        # The next free hour after 16:30 is after bob's: the booking's own hour is no obstacle.
        assert _first_row(app)[0] == "Wed 2 Dec 17:00-18:00 CET"


async def test_only_an_upcoming_booking_moves(seeded_url: str, make_app: AppFactory) -> None:
    app = make_app(seeded_url)
    async with opened(app, "f3", "2") as pilot:
        assert _first_row(app, "#table-past")[1] == "Aurora room"
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, MyReservationsScreen)
        assert any("Only an upcoming" in n.message for n in app.notifications)


async def test_e_edits_the_note_and_an_empty_one_clears_it(
    seeded_url: str, make_app: AppFactory, tui_clock: FixedClock
) -> None:
    app = make_app(seeded_url)
    async with opened(app, "f3") as pilot:
        assert _first_row(app)[-1] == "Design review"
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, NoteModal)
        assert app.screen.query_one("#note", Input).value == "Design review"
        # What is typed goes after the note, not over it.
        await pilot.press(*" 2F")
        assert app.screen.query_one("#note", Input).value == "Design review 2F"
        await type_into(pilot, "#note", "Retro, bring cake")
        await pilot.pause()
        assert text_of(app.screen.query_one("#feedback", Static)) == "✓ 17 of 500 characters"
        await pilot.press("enter")
        await settle(pilot)
        assert _first_row(app)[-1] == "Retro, bring cake"
        await pilot.press("e")
        await settle(pilot)
        await type_into(pilot, "#note", "")
        await pilot.press("enter")
        await settle(pilot)
        assert _first_row(app)[-1] == ""
        await pilot.press("h")
        await settle(pilot)
        events = app.screen.query_one("#events", KeyedTable)
        actions = [str(events.get_row_at(row)[1]) for row in range(events.row_count)]
        assert actions == ["noted", "noted", "created"]
    store = _store(seeded_url, tui_clock)
    assert store.my_reservations()[1].note == ""
    store.close()


async def test_the_booking_form_takes_a_note_and_checks_it(
    seeded_url: str, make_app: AppFactory, tui_clock: FixedClock
) -> None:
    app = make_app(seeded_url)
    async with opened(app) as pilot:
        await fill_booking(pilot, "tomorrow", "09:00", "1h")
        await type_into(pilot, "#note", "Board meeting")
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, BookModal)
    store = _store(seeded_url, tui_clock)
    booked = next(r for r in store.my_reservations() if r.resource.name == "Aurora room")
    assert (booked.start_time, booked.note) == (at(2, 8), "Board meeting")
    store.close()


async def test_m_in_the_week_moves_ones_own_booking_and_the_list_shows_notes(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app) as pilot:
        await pilot.press("j", "enter")  # Borealis room: alice's on Wednesday 14:00 CET
        await settle(pilot)
        upcoming = app.screen.query_one("#upcoming", KeyedTable)
        assert [str(c) for c in upcoming.get_row_at(0)][1:] == ["you: Design review"]
        grid = app.screen.query_one(WeekGrid)
        await pilot.press("m")
        await pilot.pause()
        assert any("Put the cursor on a booking" in n.message for n in app.notifications)
        await pilot.press("l", *["j"] * (grid.times.index("14:00") - grid.row), "m")
        await settle(pilot)
        assert isinstance(app.screen, MoveModal)
        assert app.screen.query_one("#start", Input).value == "14:00"
        await type_into(pilot, "#end", "2h")
        await pilot.press("enter")
        await settle(pilot)
        assert str(upcoming.get_row_at(0)[0]) == "Wed 2 Dec 14:00-16:00"


async def test_a_member_cannot_move_someone_elses_booking_from_the_week(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url, username="bob")
    async with opened(app) as pilot:
        await pilot.press("j", "enter")  # Borealis room: alice's on Wednesday 14:00 CET
        await settle(pilot)
        grid = app.screen.query_one(WeekGrid)
        await pilot.press("l", *["j"] * (grid.times.index("14:00") - grid.row), "m")
        await pilot.pause()
        assert grid.current is not None and grid.current.state == "booked"
        assert not isinstance(app.screen, MoveModal)
        assert any("Only its holder or an admin" in n.message for n in app.notifications)


async def test_the_week_names_the_booking_under_the_mouse_with_its_note(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app) as pilot:
        await pilot.press("j", "enter")  # Borealis room: alice's on Wednesday 14:00 CET
        await settle(pilot)
        grid = app.screen.query_one(WeekGrid)
        line = grid.times.index("14:00") - grid.top_row
        # One column of padding, the times, then Wednesday (the second day); below the
        # line of day names, the row scrolled into view.
        await pilot.hover(WeekGrid, offset=(1 + 6 + grid.column_width + 2, 1 + line))
        assert str(grid.tooltip) == "you: Design review"
        await pilot.hover(WeekGrid, offset=(1 + 6 + grid.column_width + 2, line))
        assert grid.tooltip is None
