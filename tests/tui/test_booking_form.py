"""The booking form: lengths and days as typed, errors that point to the help, conflicts."""

from __future__ import annotations

from datetime import timedelta

from support.clock import NOW
from textual.widgets import Input, Static

from reserver_core.clock import FixedClock
from reserver_core.local import LocalBackend
from reserver_tui.screens.book import BookModal
from reserver_tui.screens.help import HelpScreen

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


async def test_an_end_in_hours_and_minutes_is_a_length(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app, "b") as pilot:
        assert isinstance(app.screen, BookModal)
        await type_into(pilot, "#day", "tomorrow")
        await type_into(pilot, "#start", "14:00")
        feedback = app.screen.query_one("#feedback", Static)
        lengths = (("1h30m", "14:00-15:30"), ("2h15m", "14:00-16:15"), ("90m", "14:00-15:30"))
        for length, window in lengths:
            await type_into(pilot, "#end", length)
            assert f"Wed 2 Dec {window} CET" in text_of(feedback), (length, text_of(feedback))


async def test_an_unreadable_day_is_blamed_on_the_day_field(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app, "b") as pilot:
        await type_into(pilot, "#start", "10:00")
        await type_into(pilot, "#day", "tomorow")
        feedback = text_of(app.screen.query_one("#feedback", Static))
        assert feedback.startswith("✗ cannot read the day 'tomorow'; give today"), feedback
        await type_into(pilot, "#day", "tomorrow")
        feedback = text_of(app.screen.query_one("#feedback", Static))
        assert feedback.startswith("✓ Wed 2 Dec 10:00-"), feedback


async def test_question_mark_in_the_booking_form_opens_the_help_it_points_to(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app, "b") as pilot:
        await type_into(pilot, "#start", "25:00x")
        feedback = text_of(app.screen.query_one("#feedback", Static))
        assert "press ? for the accepted forms" in feedback
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, BookModal)
        assert app.screen.query_one("#start", Input).value == "25:00x"


async def test_a_length_past_the_last_supported_date_is_an_error_not_a_crash(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app) as pilot:
        await fill_booking(pilot, "9999-12-31", "22:00", "2h")
        await pilot.pause()
        feedback = text_of(app.screen.query_one("#feedback", Static))
        assert feedback.startswith("✗ ") and "supported" in feedback, feedback
        await pilot.press("escape", "f2")
        await settle(pilot)
        await type_into(pilot, "#when", "9999-12-31 22:00")
        await type_into(pilot, "#length", "1d")
        await pilot.press("enter")
        await settle(pilot)
        assert app.is_running
        feedback = text_of(app.screen.query_one("#feedback", Static))
        assert feedback.startswith("✗ ") and "supported" in feedback, feedback


async def test_a_conflict_in_a_small_terminal_shows_how_to_take_the_next_slot(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app, size=(80, 24)) as pilot:
        await fill_booking(pilot, "today", "11:30", "1h")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.pause()
        dialog = app.screen.query_one("#dialog")
        button = app.screen.query_one("#take-next")
        assert dialog.content_region.contains_region(button.region), (button.region, dialog)
        shown = app.screen.active_bindings["n"]
        assert shown.binding.show and shown.binding.description == "Take next free"


async def test_a_booking_from_23_00_to_01_00_takes_two_hours_across_midnight(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app) as pilot:
        await fill_booking(pilot, "today", "23:00", "01:00")
        feedback = text_of(app.screen.query_one("#feedback", Static))
        assert "Tue 1 Dec 23:00 CET - Wed 2 Dec 01:00 CET  (2h)" in feedback, feedback
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, BookModal)
    store = LocalBackend.open(seeded_url, quick_settings(), FixedClock(at(1, 9)), username="alice")
    try:
        booked = [r for r in store.my_reservations() if r.resource.name == "Aurora room"]
    finally:
        store.close()
    late = [r for r in booked if r.start_time == at(1, 22)]
    assert [r.end_time - r.start_time for r in late] == [timedelta(hours=2)]


async def test_the_preview_crosses_a_window_that_clashes_with_a_booking(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app) as pilot:
        await fill_booking(pilot, "today", "11:30", "1h")
        await settle(pilot)
        feedback = text_of(app.screen.query_one("#feedback", Static))
        assert feedback == (
            "✗ Tue 1 Dec 11:30-12:30 CET  (1h) — already booked Tue 1 Dec 11:00-12:00 CET"
        ), feedback
        await type_into(pilot, "#start", "12:00")
        await settle(pilot)
        feedback = text_of(app.screen.query_one("#feedback", Static))
        assert feedback == "✓ Tue 1 Dec 12:00-13:00 CET  (1h)", feedback


async def test_a_conflict_names_the_free_slot_and_n_books_exactly_it(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app) as pilot:
        await fill_booking(pilot, "today", "11:30", "1h")
        await pilot.press("enter")
        await settle(pilot)
        conflict = text_of(app.screen.query_one("#conflict", Static))
        assert "Next free 1h slot: Tue 1 Dec 12:00-13:00 CET\nPress n to book it." in conflict
        # Someone takes the offered slot meanwhile: n must not book another one unseen.
        other = LocalBackend.open(seeded_url, quick_settings(), FixedClock(NOW), username="bob")
        aurora = other.find_resource("Aurora room").id
        other.book(aurora, at(1, 11), at(1, 12))
        other.close()
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, BookModal)
        conflict = text_of(app.screen.query_one("#conflict", Static))
        assert "Next free 1h slot: Tue 1 Dec 13:00-14:00 CET" in conflict, conflict
        await pilot.press("n")
        await settle(pilot)
        assert not isinstance(app.screen, BookModal)
    check = LocalBackend.open(seeded_url, quick_settings(), FixedClock(NOW), username="alice")
    aurora_bookings = [
        (r.start_time, r.end_time)
        for r in check.my_reservations()
        if r.resource.name == "Aurora room" and r.start_time > NOW
    ]
    check.close()
    assert aurora_bookings == [(at(1, 12), at(1, 13))]
