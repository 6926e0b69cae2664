"""The admin's maintenance dialog (issue 13): from, length and reason; the overlapped bookings
listed with "keep them" focused first and "cancel them" beside it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.clock import NOW
from textual.pilot import Pilot
from textual.widgets import Button, Static

from reserver_core.clock import FixedClock
from reserver_core.local import LocalBackend
from reserver_tui.app import ReserverApp
from reserver_tui.screens.admin_forms import MaintenanceModal
from reserver_tui.screens.detail import ResourceDetailScreen

from .scenario import AppFactory, at, opened, quick_settings, settle, text_of, type_into


@pytest.fixture
def bob(seeded_url: str) -> Iterator[LocalBackend]:
    backend = LocalBackend.open(seeded_url, quick_settings(), FixedClock(NOW), username="bob")
    yield backend
    backend.close()


async def _dialog_on_aurora(pilot: Pilot[object], app: ReserverApp) -> None:
    """Open the dialog on Aurora room, fill in a window over bob's bookings, check it."""
    await pilot.press("slash", *"aurora", "enter")
    await pilot.pause()
    await pilot.press("m")
    await settle(pilot)
    assert isinstance(app.screen, MaintenanceModal)
    await type_into(pilot, "#from", "today 10:30")
    await type_into(pilot, "#length", "3h")
    await type_into(pilot, "#reason", "new screen")
    await pilot.press("enter")
    await settle(pilot)


async def test_the_overlapped_bookings_are_listed_then_cancelled(
    seeded_url: str, make_app: AppFactory, bob: LocalBackend
) -> None:
    second = bob.book(bob.find_resource("Aurora room").id, at(1, 11, 30), at(1, 12))
    first = next(r for r in bob.my_reservations() if r.start_time == at(1, 10))
    app = make_app(seeded_url)
    async with opened(app, "f4") as pilot:
        await _dialog_on_aurora(pilot, app)
        dialog = app.screen
        listed = text_of(dialog.query_one("#overlapped", Static))
        assert f"#{first.id}" in listed and f"#{second.id}" in listed
        assert listed.count("bob") == 2
        assert "overlaps 2 active bookings" in text_of(dialog.query_one("#feedback", Static))
        assert app.focused is dialog.query_one("#keep-overlapped", Button)
        assert dialog.query_one("#cancel-overlapped", Button).display
        await pilot.click("#cancel-overlapped")
        await settle(pilot)
        assert not isinstance(app.screen, MaintenanceModal)
    for held in (first, second):
        assert bob.get_reservation(held.id).status == "cancelled"
        details = bob.history(held.id)[0].details
        assert details == "cancelled for maintenance 2026-12-01 09:30-12:30 UTC: new screen"
    aurora = bob.find_resource("Aurora room")
    assert (aurora.unavailable_since, aurora.maintenance_reason) == (at(1, 9, 30), "new screen")


async def test_enter_on_the_first_button_keeps_them_and_the_detail_shows_the_window(
    seeded_url: str, make_app: AppFactory, bob: LocalBackend
) -> None:
    app = make_app(seeded_url)
    async with opened(app, "f4") as pilot:
        await _dialog_on_aurora(pilot, app)
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, MaintenanceModal)
        await pilot.press("f1")
        await settle(pilot)
        await pilot.press("enter")  # Aurora room, the first by name
        await settle(pilot)
        assert isinstance(app.screen, ResourceDetailScreen)
        title = text_of(app.screen.query_one("#detail-title", Static))
        assert "Maintenance from Tue 1 Dec 10:30 CET until Tue 1 Dec 13:30 CET" in title
        assert "(new screen)" in title
    held = next(r for r in bob.my_reservations() if r.start_time == at(1, 10))
    assert bob.get_reservation(held.id).status == "active"


async def test_a_bad_length_is_said_in_the_dialog(seeded_url: str, make_app: AppFactory) -> None:
    app = make_app(seeded_url)
    async with opened(app, "f4") as pilot:
        await pilot.press("slash", *"aurora", "enter", "m")
        await settle(pilot)
        await type_into(pilot, "#length", "5m")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MaintenanceModal)
        feedback = text_of(app.screen.query_one("#feedback", Static))
        assert "15 minutes to 168 hours" in feedback
