"""Booking policies in the TUI: the detail's effective policy and allowances, closed time in
the week, refusals in words, and the admin's policy editor checking fields as they are typed."""

from __future__ import annotations

from support.clock import NOW
from textual.widgets import Button, Input, Select, Static

from reserver_core.clock import FixedClock
from reserver_core.errors import PolicyError
from reserver_core.local import LocalBackend
from reserver_core.schemas import PolicyScope
from reserver_tui.screens.detail import ResourceDetailScreen
from reserver_tui.screens.policy_form import PolicyModal
from reserver_tui.widgets.policy_view import PolicyView
from reserver_tui.widgets.week_grid import WeekGrid

from .scenario import AppFactory, opened, quick_settings, settle, text_of, type_into

SATURDAY, FRIDAY, TUESDAY = 4, 3, 0
"""Columns of the week from Tuesday 1 December."""


def store(url: str, username: str = "alice") -> LocalBackend:
    return LocalBackend.open(url, quick_settings(), FixedClock(NOW), username=username)


async def test_the_detail_shows_each_rule_its_scope_and_what_is_left(
    policy_url: str, make_app: AppFactory
) -> None:
    app = make_app(policy_url, "bob")
    async with opened(app, "enter"):
        assert isinstance(app.screen, ResourceDetailScreen)
        assert app.screen.resource.name == "Aurora room"
        shown = text_of(app.screen.query_one(PolicyView))
        assert shown.splitlines() == [
            "Time zone Europe/Berlin from tag 'room'",
            "Opening hours Mon-Fri 08:00-18:00 from tag 'room'",
            "Closures Fri 4 Dec 2026 14:00-18:00 (deep clean) from resource 'Aurora room'",
            "Shortest booking 15m from store settings",
            "Longest booking 1d from store settings",
            "Active bookings 2 at once from tag 'room'",
            "Hours per week 20h in any 7 days from the default policy",
            "",
            "Your allowances",
            # bob holds one room (Aurora, 11:00-12:00) and 2h this week (with the projector).
            "max 2 active bookings (tag 'room'): you hold 1, 1 left",
            "max 20h per week (the default policy): 2h booked in the 7 days from Tue 1 Dec, "
            "18h left",
        ]


async def test_closed_time_is_closed_in_the_week_and_says_why(
    policy_url: str, make_app: AppFactory
) -> None:
    app = make_app(policy_url, "bob")
    async with opened(app, "enter") as pilot:
        grid = app.screen.query_one(WeekGrid)
        states = {
            "saturday noon": grid.cell(SATURDAY, "12:00"),
            "friday 14:00": grid.cell(FRIDAY, "14:00"),
            "friday 13:30": grid.cell(FRIDAY, "13:30"),
            "tuesday 18:00": grid.cell(TUESDAY, "18:00"),
            "tuesday 17:30": grid.cell(TUESDAY, "17:30"),
        }
        assert {key: slot and slot.state for key, slot in states.items()} == {
            "saturday noon": "closed",
            "friday 14:00": "closed",
            "friday 13:30": "free",
            "tuesday 18:00": "closed",
            "tuesday 17:30": "free",
        }
        assert " closed " in grid.render_line(grid.size.height - 1).text, "in the legend"

        grid.place(SATURDAY, grid.times.index("12:00"))
        await pilot.press("enter")
        grid.place(FRIDAY, grid.times.index("15:00"))
        await pilot.press("enter")
        await pilot.pause()
        said = [n.message for n in app.notifications]
        assert (
            "Aurora room is open Mon-Fri 08:00-18:00 Europe/Berlin only "
            "(opening hours of tag 'room')." in said
        ), said
        assert (
            "Aurora room is closed Fri 4 Dec 2026 14:00-18:00 (deep clean), "
            "a closure of resource 'Aurora room'." in said
        ), said


async def test_booking_closed_time_is_refused_with_the_rule_in_words(
    policy_url: str, make_app: AppFactory
) -> None:
    app = make_app(policy_url, "bob")
    async with opened(app, "enter") as pilot:
        await pilot.press("b")
        await settle(pilot)
        await type_into(pilot, "#day", "2026-12-05")
        await type_into(pilot, "#start", "12:00")
        await type_into(pilot, "#end", "13:00")
        await pilot.press("enter")
        await settle(pilot)
        feedback = text_of(app.screen.query_one("#feedback", Static))
        assert feedback.startswith("✗ Aurora room is closed"), feedback
        assert "tag 'room'" in feedback, feedback
    bob = store(policy_url, "bob")
    try:
        assert len(bob.my_reservations()) == 2, "nothing booked"
    finally:
        bob.close()


async def test_a_refusal_that_reaches_the_notifications_says_its_message(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app) as pilot:
        refusal = PolicyError(
            "this 3h booking would bring you to 9h of your 8h per week on tag 'gpu'",
            "max_hours_per_week",
            "tag 'gpu'",
            limit=8,
            current=6,
            unit="hours",
        )
        app.report_failure("book", refusal, None)
        await pilot.pause()
        notification = app.notifications[-1]
        assert notification.message == (
            "This 3h booking would bring you to 9h of your 8h per week on tag 'gpu'"
        )
        assert notification.severity == "error"


async def test_the_editor_checks_each_field_as_it_is_typed_and_saves(
    policy_url: str, make_app: AppFactory
) -> None:
    app = make_app(policy_url)
    async with opened(app, "f4", "slash", *"aurora", "enter", "p") as pilot:
        assert isinstance(app.screen, PolicyModal)
        closures = text_of(app.screen.query_one("#closures", Static))
        assert "2026-12-04 14:00..18:00 deep clean" in closures, closures
        save = app.screen.query_one("#save", Button)

        async def check(field: str, text: str) -> str:
            await type_into(pilot, f"#{field}", text)
            await pilot.pause()
            return text_of(app.screen.query_one(f"#{field}-check", Static))

        assert (await check("hours", "mon 09:00-25:00")).startswith("✗ ")
        assert save.disabled
        assert await check("hours", "mon-fri 9:00-12:00, 13:00-17:00") == (
            "✓ Mon-Fri 09:00-12:00, 13:00-17:00"
        )
        assert (await check("timezone", "Mars/Olympus")).startswith("✗ ")
        assert await check("timezone", "Europe/Paris") == ""
        assert (await check("max_active", "0")).startswith("✗ ")
        assert await check("max_active", "3") == ""
        assert (await check("min_notice_minutes", "-1h")).startswith("✗ ")
        assert await check("min_notice_minutes", "1h30m") == ""
        assert (await check("add_closed", "2026-12-26..2026-12-24 oops")).startswith("✗ ")
        assert await check("add_closed", "2026-12-24..2026-12-26 holidays") == (
            "✓ closed Thu 24 Dec - Sat 26 Dec 2026 (holidays)"
        )
        assert not save.disabled
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, PolicyModal)
        assert "Saved resource 'Aurora room'." in [n.message for n in app.notifications]
    alice = store(policy_url)
    try:
        aurora = alice.find_resource("Aurora room").id
        saved = alice.get_policy(PolicyScope("resource", resource_id=aurora))
    finally:
        alice.close()
    assert saved.hours == "mon-fri 09:00-12:00,13:00-17:00"
    assert saved.timezone == "Europe/Paris"
    assert saved.max_active == 3
    assert saved.min_notice_minutes == 90
    assert [c.reason for c in saved.closed] == ["deep clean", "holidays"]


async def test_an_emptied_field_is_unset_and_closures_can_be_removed(
    policy_url: str, make_app: AppFactory
) -> None:
    app = make_app(policy_url)
    async with opened(app, "f4", "slash", *"aurora", "enter", "p") as pilot:
        assert app.screen.query_one("#closures", Static).display
        await pilot.click("#remove-closed")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        kind = app.screen.query_one("#scope-kind", Select)
        kind.value = "tag"
        await settle(pilot)
        assert app.screen.query_one("#scope-name", Input).value == "room", "its first tag"
        kind.value = "resource"
        await settle(pilot)
        assert app.screen.query_one("#scope-name", Input).value == "Aurora room"
        kind.value = "tag"
        await type_into(pilot, "#scope-name", "Room")
        await settle(pilot)
        assert text_of(app.screen.query_one("#scope-name-check", Static)) == "✓ tag 'room'"
        assert app.screen.query_one("#hours", Input).value == "mon-fri 08:00-18:00"
        assert app.screen.query_one("#max_active", Input).value == "2"
        await type_into(pilot, "#max_active", "")
        await pilot.pause()
        assert "unset on saving" in text_of(app.screen.query_one("#max_active-check", Static))
        await pilot.press("ctrl+s")
        await settle(pilot)
    alice = store(policy_url)
    try:
        aurora = alice.find_resource("Aurora room").id
        assert alice.get_policy(PolicyScope("resource", resource_id=aurora)).closed == []
        room = alice.get_policy(PolicyScope("tag", tag="room"))
    finally:
        alice.close()
    assert room.max_active is None
    assert room.hours == "mon-fri 08:00-18:00", "the fields left alone stay"


async def test_an_unknown_resource_is_said_beside_the_scope(
    policy_url: str, make_app: AppFactory
) -> None:
    app = make_app(policy_url)
    async with opened(app, "f4", "p") as pilot:
        await type_into(pilot, "#scope-name", "Nowhere")
        await settle(pilot)
        said = text_of(app.screen.query_one("#scope-name-check", Static))
        assert said.startswith("✗ ") and "Nowhere" in said, said
        assert app.screen.query_one("#save", Button).disabled


async def test_the_palette_opens_the_editor_on_the_default_policy(
    policy_url: str, make_app: AppFactory
) -> None:
    app = make_app(policy_url)
    async with opened(app, "ctrl+p") as pilot:
        await pilot.press(*"booking policies")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PolicyModal)
        assert app.screen.query_one("#scope-kind", Select).value == "default"
        assert app.screen.query_one("#max_hours_per_week", Input).value == "20"
        scopes = text_of(app.screen.query_one("#scopes", Static))
        assert "tag 'room'" in scopes and "resource 'Aurora room'" in scopes, scopes


async def test_members_find_no_policy_editor_in_the_palette(
    policy_url: str, make_app: AppFactory
) -> None:
    from reserver_tui.palette import palette_actions

    app = make_app(policy_url, "bob")
    async with opened(app):
        titles = [title for title, _, _ in palette_actions(app, app.screen)]
        assert "Booking policies" not in titles, titles
