"""Recurring series in the app: the booking form's repeat section and its preview, booking all
or nothing (or only the free dates), a series together in My reservations, and cancelling
this date, this and later, or the whole series."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

import pytest
from rich.console import Console
from support.clock import NOW
from textual.pilot import Pilot
from textual.widgets import Button, Select, Static

from reserver_core.clock import FixedClock
from reserver_core.local import LocalBackend
from reserver_core.schemas import SeriesInfo, SeriesRequest, SeriesRule
from reserver_tui.app import ReserverApp
from reserver_tui.screens.book import PREVIEW_DELAY, BookModal
from reserver_tui.screens.history import HistoryModal
from reserver_tui.screens.series import CancelOccurrenceModal, RetimeModal, SeriesModal
from reserver_tui.widgets.keyed_table import KeyedTable
from reserver_tui.widgets.series_preview import OccurrenceList
from reserver_tui.widgets.week_grid import SERIES_MARK, WeekGrid

from .scenario import (
    TZ,
    AppFactory,
    at,
    log_in,
    opened,
    quick_settings,
    settle,
    text_of,
    type_into,
)

SIZE = (120, 36)
REPEATS = ("none", "daily", "weekly", "monthly")


def backend(url: str, username: str = "alice") -> LocalBackend:
    """A second view of the store: to book behind the app's back, or check what it wrote."""
    return LocalBackend.open(url, quick_settings(), FixedClock(NOW), username=username)


def bob_books_aurora(url: str, start: datetime, end: datetime) -> None:
    bob = backend(url, "bob")
    try:
        bob.book(bob.find_resource("Aurora room").id, start, end)
    finally:
        bob.close()


def alices_series(url: str) -> list[SeriesInfo]:
    alice = backend(url)
    try:
        return alice.list_series()
    finally:
        alice.close()


async def previewed(pilot: Pilot[object]) -> None:
    """Wait for the pause after typing, then for the preview's worker."""
    await pilot.pause(PREVIEW_DELAY + 0.2)
    await settle(pilot)


async def weekly_form(
    pilot: Pilot[object],
    ends: str = "6",
    repeat: str = "weekly",
    day: str = "today",
    start: str = "12:00",
) -> None:
    """On the home screen (a resource highlighted): the booking form for `day` `start`
    for an hour, repeated weekly (or as `repeat` says), ending as `ends` says, its preview
    shown."""
    await pilot.press("b")
    await settle(pilot)
    assert isinstance(pilot.app.screen, BookModal)
    await type_into(pilot, "#day", day)
    await type_into(pilot, "#start", start)
    await type_into(pilot, "#end", "1h")
    chosen = pilot.app.screen.query_one("#repeat", Select)
    await pilot.press("tab")
    assert pilot.app.focused is chosen
    await pilot.press("enter")
    await pilot.pause()
    await pilot.press(*["down"] * REPEATS.index(repeat), "enter")
    await pilot.pause()
    assert chosen.value == repeat
    await type_into(pilot, "#ends", ends)
    await previewed(pilot)


def dates_text(pilot: Pilot[object]) -> str:
    """The preview's dates as plain text, a line each."""
    console = Console(width=100, record=True, color_system=None)
    console.print(pilot.app.screen.query_one(OccurrenceList).render())
    return console.export_text()


def summary_text(pilot: Pilot[object]) -> str:
    return text_of(pilot.app.screen.query_one("#series-summary", Static))


async def test_the_repeat_section_previews_every_date_and_names_a_clash(
    seeded_url: str, make_app: AppFactory
) -> None:
    bob_books_aurora(seeded_url, at(15, 11), at(15, 12))
    app = make_app(seeded_url)
    async with opened(app, size=SIZE) as pilot:
        await weekly_form(pilot)
        feedback = text_of(app.screen.query_one("#feedback", Static))
        assert feedback == "✓ every week on Tue at 12:00 Europe/Berlin, 6 times, 1h each", feedback
        assert summary_text(pilot) == "6 dates: 5 free, 1 clashes"
        lines = dates_text(pilot).splitlines()
        assert " ".join(lines[0].split()) == "#1 Tue 1 Dec 12:00-13:00 CET free", lines
        clash = next(line for line in lines if line.lstrip().startswith("#3"))
        assert "clashes with bob's booking Tue 15 Dec 12:00-13:00 CET" in clash, lines
        skip = app.screen.query_one("#skip-conflicts", Button)
        assert skip.display and str(skip.label) == "Book the 5 free ones (skip conflicts)"
        assert str(app.screen.query_one("#book", Button).label) == "Book all 6"
        # Back to a single booking: the form as it was, no preview, no skipping.
        await pilot.click("#repeat")
        await pilot.pause()
        await pilot.press("home", "enter")
        await pilot.pause()
        assert not app.screen.query_one("#series-preview").display
        assert not skip.display
        assert str(app.screen.query_one("#book", Button).label) == "Book"


async def test_a_rule_the_store_refuses_is_said_in_the_preview(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app, size=SIZE) as pilot:
        await weekly_form(pilot, ends="2030-01-01")
        summary = summary_text(pilot)
        assert summary.startswith("✗ a series may reach at most 2 years ahead"), summary
        assert app.screen.query_one("#book", Button).disabled
        await type_into(pilot, "#ends", "soon")
        feedback = text_of(app.screen.query_one("#feedback", Static))
        assert feedback.startswith("✗ cannot read the day 'soon'"), feedback


async def test_a_date_in_the_spring_gap_is_said_in_the_preview(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app, size=SIZE) as pilot:
        await weekly_form(pilot, ends="4", repeat="daily", day="2027-03-26", start="02:30")
        assert summary_text(pilot) == "4 dates: 4 free"
        dates = " ".join(dates_text(pilot).split())
        assert (
            "#3 Sun 28 Mar 2027 03:30-04:30 CEST free 02:30 does not exist that day (the clocks "
            "go forward): starts at 03:30 CEST #4 Mon 29 Mar 2027 02:30-03:30 CEST free"
        ) in dates, dates


async def test_dates_a_policy_refuses_are_named_with_the_rule(
    policy_url: str, make_app: AppFactory
) -> None:
    """bob's daily Aurora room from today: rooms open on weekdays only, two bookings each."""
    app = make_app(policy_url, "bob")
    async with opened(app, size=SIZE) as pilot:
        await weekly_form(pilot, ends="6", repeat="daily")
        assert summary_text(pilot).startswith("6 dates: 1 free, 5 refused"), summary_text(pilot)
        dates = " ".join(dates_text(pilot).split())
        assert (
            "#2 Wed 2 Dec 12:00-13:00 CET refused by policy: you already hold 2 active bookings"
        ) in dates, dates
        assert (
            "#5 Sat 5 Dec 12:00-13:00 CET refused by policy: Aurora room is closed on Saturdays"
        ) in dates, dates
        assert str(app.screen.query_one("#skip-conflicts", Button).label) == (
            "Book the 1 free one (skip conflicts)"
        )


async def test_a_series_with_every_date_free_is_booked_in_one_go(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app, size=SIZE) as pilot:
        await weekly_form(pilot)
        assert summary_text(pilot) == "6 dates: 6 free"
        await type_into(pilot, "#note", "Standup")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, BookModal)
        said = [n.message for n in app.notifications]
        assert said[-1] == (
            "Aurora room: 6 dates (series 1, every week on Tue at 12:00 Europe/Berlin, 6 times)"
        ), said
    [series] = alices_series(seeded_url)
    assert [r.start_time for r in series.occurrences] == [
        at(1, 11),
        at(8, 11),
        at(15, 11),
        at(22, 11),
        at(29, 11),
        datetime(2027, 1, 5, 11, tzinfo=at(1, 0).tzinfo),
    ]
    assert {r.note for r in series.occurrences} == {"Standup"}


async def test_a_clash_found_on_booking_books_nothing_and_offers_the_free_dates(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app, size=SIZE) as pilot:
        await weekly_form(pilot)
        assert summary_text(pilot) == "6 dates: 6 free"
        # bob takes the third date after the preview: the store judges the series again.
        bob_books_aurora(seeded_url, at(15, 11, 30), at(15, 12, 30))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, BookModal)
        feedback = text_of(app.screen.query_one("#feedback", Static))
        assert feedback == "✗ Nothing was booked: 1 of 6 dates cannot be booked (marked below)"
        assert summary_text(pilot) == "6 dates: 5 free, 1 clashes"
        assert "clashes with bob's booking Tue 15 Dec 12:30-13:30 CET" in dates_text(pilot)
        assert alices_series(seeded_url) == []
        skip = app.screen.query_one("#skip-conflicts", Button)
        assert app.focused is skip and str(skip.label) == "Book the 5 free ones (skip conflicts)"
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, BookModal)
        said = app.notifications[-1].message
        assert said.endswith("Left out: Tue 15 Dec (#3)"), said
        assert said.startswith("Aurora room: 5 dates (series 1, "), said
    [series] = alices_series(seeded_url)
    assert len(series.occurrences) == 5
    assert at(15, 11) not in {r.start_time for r in series.occurrences}


def make_series(url: str) -> SeriesInfo:
    """alice's weekly Cedar booth series: six Mondays at 09:00 from 7 Dec."""
    alice = backend(url)
    try:
        cedar = alice.find_resource("Cedar booth").id
        rule = SeriesRule("weekly", count=6)
        request = SeriesRequest(cedar, datetime(2026, 12, 7, 9), TZ, 60, rule, "Lab meeting")
        outcome = alice.book_series(request)
        assert outcome.series is not None
        return outcome.series
    finally:
        alice.close()


def rows(table: KeyedTable) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def open_series(pilot: Pilot[object]) -> KeyedTable:
    """My reservations with the series' row opened to its dates."""
    await pilot.press("f3")
    await settle(pilot)
    table = pilot.app.screen.query_one("#table-upcoming", KeyedTable)
    table.move_cursor(row=[row[0] for row in rows(table)].index("S1"))
    await pilot.press("enter")
    await settle(pilot)
    return table


async def test_my_reservations_shows_a_series_as_one_row_that_opens_to_its_dates(
    seeded_url: str, make_app: AppFactory
) -> None:
    series = make_series(seeded_url)
    app = make_app(seeded_url)
    async with opened(app, "f3", size=SIZE) as pilot:
        table = app.screen.query_one("#table-upcoming", KeyedTable)
        shown = rows(table)
        assert [row[0] for row in shown] == ["3", "5", "S1"], shown
        assert shown[2][1:5] == [
            "▸ every week on Mon at 09:00 Europe/Berlin, 6 times",
            "Cedar booth",
            "1h",
            "6 dates",
        ]
        tabs = app.screen.query_one("#tabs")
        assert "Upcoming (8)" in str(tabs.get_tab("tab-upcoming").label)  # type: ignore[attr-defined]
        table.move_cursor(row=2)
        await pilot.press("enter")
        await settle(pilot)
        shown = rows(table)
        assert shown[2][1].startswith("▾ ")
        ids = [str(r.id) for r in series.occurrences]
        assert [row[0] for row in shown[3:]] == ids
        assert shown[3][1] == "├ 1/6  Mon 7 Dec 09:00-10:00 CET"
        assert shown[-1][1] == "└ 6/6  Mon 11 Jan 2027 09:00-10:00 CET"
        # A date's history names its series.
        table.move_cursor(row=4)
        await pilot.press("h")
        await settle(pilot)
        assert isinstance(app.screen, HistoryModal)
        summary = text_of(app.screen.query_one("#history-summary", Static))
        assert "Date 2/6 of series 1: every week on Mon at 09:00 Europe/Berlin, 6 times" in summary
        assert "6 of 6 to come" in summary
        await pilot.press("escape")
        await pilot.pause()
        # On the series' own row, h shows the series whole.
        table.move_cursor(row=2)
        await pilot.press("h")
        await settle(pilot)
        assert isinstance(app.screen, SeriesModal)
        dates = app.screen.query_one(KeyedTable)
        assert dates.row_count == 6
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert [row[0] for row in rows(table)] == ["3", "5", "S1"]


@pytest.mark.parametrize(
    ("choice", "cancelled"),
    [("one", [3]), ("later", [3, 4, 5, 6]), ("all", [1, 2, 3, 4, 5, 6])],
)
async def test_cancelling_a_date_of_a_series_asks_which_dates(
    choice: str, cancelled: list[int], seeded_url: str, make_app: AppFactory
) -> None:
    series = make_series(seeded_url)
    app = make_app(seeded_url)
    async with opened(app, size=SIZE) as pilot:
        table = await open_series(pilot)
        third = series.occurrences[2]
        table.move_cursor(row=[row[0] for row in rows(table)].index(str(third.id)))
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, CancelOccurrenceModal)
        question = text_of(app.screen.query_one("#question", Static))
        assert question.startswith("Cancel Cedar booth, Mon 21 Dec 09:00-10:00 CET?\n")
        labels = [str(b.label) for b in app.screen.query("#choices Button").results(Button)]
        assert labels == [
            "This one only",
            "This and later: 4 dates",
            "Whole series: 6 dates to come",
        ]
        await pilot.press(*"room moves")
        await pilot.press("enter")
        assert app.focused is app.screen.query_one("#one")
        await pilot.click(f"#{choice}")
        await settle(pilot)
        assert not isinstance(app.screen, CancelOccurrenceModal)
    [after] = alices_series(seeded_url)
    statuses = [r.status for r in after.occurrences]
    assert [i for i, s in enumerate(statuses, 1) if s == "cancelled"] == cancelled, statuses
    reasons = {r.cancellation_reason for r in after.occurrences if r.status == "cancelled"}
    assert reasons == {"room moves"}
    assert (after.cancelled_at is not None) == (choice == "all")


async def test_keep_it_cancels_nothing(seeded_url: str, make_app: AppFactory) -> None:
    series = make_series(seeded_url)
    app = make_app(seeded_url)
    async with opened(app, size=SIZE) as pilot:
        table = await open_series(pilot)
        table.move_cursor(row=[row[0] for row in rows(table)].index(str(series.occurrences[0].id)))
        await pilot.press("c")
        await settle(pilot)
        # Enter in an empty reason goes to the harmless button, and a second one presses it.
        await pilot.press("enter", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, CancelOccurrenceModal)
    [after] = alices_series(seeded_url)
    assert {r.status for r in after.occurrences} == {"active"}


async def test_c_on_a_series_row_cancels_the_whole_series(
    seeded_url: str, make_app: AppFactory
) -> None:
    make_series(seeded_url)
    app = make_app(seeded_url)
    async with opened(app, "f3", size=SIZE) as pilot:
        table = app.screen.query_one("#table-upcoming", KeyedTable)
        table.move_cursor(row=2)
        await pilot.pause()
        assert app.screen.active_bindings["c"].binding.description == "Cancel series…"
        await pilot.press("c")
        await settle(pilot)
        question = text_of(app.screen.query_one("#question", Static))
        assert question == (
            "Cancel series 1, Cedar booth every week on Mon at 09:00 Europe/Berlin, 6 times: "
            "its 6 dates to come?"
        )
        await pilot.press("ctrl+s")
        await settle(pilot)
        said = app.notifications[-1].message
        assert said == "Cedar booth: 6 dates of series 1 (the whole series)", said
        assert [row[0] for row in rows(table)] == ["3", "5"]
    [after] = alices_series(seeded_url)
    assert after.cancelled_at is not None


async def test_retime_moves_every_future_date_after_a_preview(
    seeded_url: str, make_app: AppFactory
) -> None:
    make_series(seeded_url)
    app = make_app(seeded_url)
    async with opened(app, "f3", size=SIZE) as pilot:
        table = app.screen.query_one("#table-upcoming", KeyedTable)
        table.move_cursor(row=2)
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, RetimeModal)
        await type_into(pilot, "#start", "10:30")
        await previewed(pilot)
        assert summary_text(pilot) == "6 dates: 6 free"
        assert "Mon 7 Dec 10:30-11:30 CET" in dates_text(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, RetimeModal)
    [after] = alices_series(seeded_url)
    assert {r.start_time.astimezone(at(1, 0).tzinfo).time() for r in after.occurrences} == {
        time(9, 30)
    }


async def test_the_week_grid_marks_the_dates_of_a_series(
    seeded_url: str, make_app: AppFactory
) -> None:
    make_series(seeded_url)
    app = make_app(seeded_url)
    async with opened(app, "j", "j", "enter", size=SIZE) as pilot:
        grid = pilot.app.screen.query_one(WeekGrid)
        row = grid.times.index("09:00")
        line = grid.render_line(1 + row - grid.top_row).text
        # Mon 7 Dec is the last of the week's seven days; the series holds its 09:00.
        assert line.rstrip().endswith(f"{SERIES_MARK}mine"), line
        cedar = [c for c in line.split() if c.endswith("mine")]
        assert cedar == [f"{SERIES_MARK}mine"], line


async def test_a_series_over_a_server_is_previewed_booked_grouped_and_cancelled(
    live_server: Any,
) -> None:
    live_server.register("carol", "carol-password-1")
    token = live_server.token("carol", "carol-password-1")
    with live_server.client(token) as client:
        created = client.post("/resources", json={"name": "Server room", "tags": ["room"]})
        assert created.status_code == 201, created.text
    app = ReserverApp(quick_settings(tz=TZ, server=live_server.url))
    async with opened(app, size=SIZE) as pilot:
        await log_in(pilot, "carol", "carol-password-1")
        await weekly_form(pilot, ends="4", day="tomorrow", start="10:00")
        assert summary_text(pilot) == "4 dates: 4 free"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, BookModal)
        await pilot.press("f3")
        await settle(pilot)
        table = app.screen.query_one("#table-upcoming", KeyedTable)
        [row] = rows(table)
        assert row[0].startswith("S") and row[4] == "4 dates", row
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert rows(table) == []
    with live_server.client(token) as client:
        mine = client.get("/reservations/my", params={"include_cancelled": "true"}).json()
    assert sorted(item["status"] for item in mine) == ["cancelled"] * 4


async def booking_form_with_a_clash(pilot: Pilot[object]) -> None:
    await settle(pilot)
    await weekly_form(pilot, ends="8")


@pytest.mark.parametrize("size", [(120, 36), (80, 24)], ids=["120x36", "80x24"])
def test_booking_form_with_the_repeat_preview(
    size: tuple[int, int], seeded_url: str, make_app: AppFactory, snap_compare: object
) -> None:
    bob_books_aurora(seeded_url, at(15, 11), at(15, 12))
    assert snap_compare(  # type: ignore[operator]
        make_app(seeded_url), terminal_size=size, run_before=booking_form_with_a_clash
    )
