"""Approvals, waitlist offers and the inbox in the TUI: the header's unread badge, the inbox
and its actions, deciding requests, a booking that waits for approval, joining the waitlist
after a conflict, and the policy editor's approval fields.

The store is the seeded one with the Aurora room needing carol's approval; dave and bob
are members, alice the admin. One test runs the app on a server, whose changes reach the
badge with the app's timed re-read.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from support.clock import NOW
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from reserver_core.clock import FixedClock
from reserver_core.local import LocalBackend
from reserver_core.schemas import PolicyChanges, PolicyScope
from reserver_tui import app as app_module
from reserver_tui.app import ReserverApp
from reserver_tui.palette import palette_actions
from reserver_tui.screens.approvals import ApprovalsScreen
from reserver_tui.screens.book import BookModal
from reserver_tui.screens.confirm import ConfirmModal
from reserver_tui.screens.history import HistoryModal
from reserver_tui.screens.inbox import InboxScreen
from reserver_tui.screens.mine import MyReservationsScreen
from reserver_tui.screens.policy_form import PolicyModal
from reserver_tui.widgets.info_line import InfoLine
from reserver_tui.widgets.keyed_table import KeyedTable

from .scenario import (
    TZ,
    AppFactory,
    at,
    fill_booking,
    log_in,
    opened,
    quick_settings,
    settle,
    text_of,
)
from .scenario import type_into as type_in

PASSWORD = "carol-password-1"
AURORA_WINDOW = (at(3, 13), at(3, 14))
"""Thursday 14:00-15:00 in Berlin: dave asks for it, bob waits for it."""


def store(url: str, username: str) -> LocalBackend:
    return LocalBackend.open(url, quick_settings(), FixedClock(NOW), username=username)


def needs_approval(url: str) -> int:
    """The Aurora room needs carol's approval (carol and dave exist); its id."""
    alice = store(url, "alice")
    try:
        for name in ("carol", "dave"):
            store(url, name).close()
        aurora = alice.find_resource("Aurora room").id
        alice.set_policy(
            PolicyScope("resource", resource_id=aurora),
            PolicyChanges(approval=True, approvers=["carol"]),
        )
    finally:
        alice.close()
    return aurora


def queue(url: str) -> dict[str, int]:
    """dave asks for the Aurora room on Thursday and bob waits in line for it; bob's own
    request for Wednesday is rejected, then dave's, so bob is offered Thursday; alice
    cancels bob's booking of today. bob's inbox: the cancel, the offer, the rejection."""
    aurora = needs_approval(url)
    bob, carol, dave, alice = (store(url, name) for name in ("bob", "carol", "dave", "alice"))
    try:
        daves = dave.book(aurora, *AURORA_WINDOW)
        bob.join_waitlist(aurora, *AURORA_WINDOW)
        bobs = bob.book(aurora, at(2, 9), at(2, 10))
        carol.reject(bobs.id, "team offsite")
        carol.reject(daves.id, "room needed")
        offer = next(r for r in bob.my_reservations() if r.status == "offered")
        today = next(r for r in bob.my_reservations() if r.start_time == at(1, 10))
        alice.cancel(today.id, "screen repair")
    finally:
        for backend in (bob, carol, dave, alice):
            backend.close()
    return {"aurora": aurora, "offer": offer.id, "rejected": bobs.id, "cancelled": today.id}


def rows(table: KeyedTable) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(index)] for index in range(table.row_count)]


async def test_the_header_counts_unread_notices_until_they_are_read(
    seeded_url: str, make_app: AppFactory
) -> None:
    queue(seeded_url)
    app = make_app(seeded_url, "bob")
    async with opened(app) as pilot:
        assert app.sub_title.startswith("Inbox 3 (F6) · bob @ "), app.sub_title
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, InboxScreen)
        await pilot.press("m")
        await settle(pilot)
        assert app.sub_title.startswith("Inbox 2 (F6) · bob @ ")
        await pilot.press("M")
        await settle(pilot)
        assert app.sub_title.startswith("bob @ "), app.sub_title
        assert "2 notices marked read" in [n.message for n in app.notifications]
    # Someone else's change reaches the badge with the app's next periodic reading.
    app = make_app(seeded_url, "dave")
    async with opened(app) as pilot:
        assert app.sub_title.startswith("Inbox 1 (F6) · dave @ ")
        alice = store(seeded_url, "alice")
        try:
            daves = store(seeded_url, "dave")
            reservation = daves.book(daves.find_resource("Borealis room").id, at(4, 9), at(4, 10))
            daves.close()
            alice.cancel(reservation.id, "board meeting")
        finally:
            alice.close()
        assert app.sub_title.startswith("Inbox 1 (F6)")
        app.upkeep()
        await settle(pilot)
        assert app.sub_title.startswith("Inbox 2 (F6) · dave @ "), app.sub_title


async def test_the_inbox_lists_notices_newest_first_and_accepts_an_offer(
    seeded_url: str, make_app: AppFactory
) -> None:
    ids = queue(seeded_url)
    app = make_app(seeded_url, "bob")
    async with opened(app, "f6") as pilot:
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        shown = rows(screen.query_one(KeyedTable))
        assert [row[2] for row in shown] == ["Cancelled", "Offer", "Rejected"]
        assert all(row[0] == "●" for row in shown)
        assert [row[3] for row in shown] == ["", "10:30 CET", ""]
        # Each notice's text in the app's zone, cut to what the table has room for.
        assert shown[1][4].startswith("Aurora room is free for you Thu 3 Dec 14:00-15:00 CET")
        assert shown[1][4].endswith("…")
        table = screen.query_one(KeyedTable)
        assert table.virtual_size.width <= table.size.width, "no scrolling sideways"
        assert shown[2][4].startswith(
            f"carol rejected your request {ids['rejected']} for Aurora room Wed 2 Dec "
            "10:00-11:00 CET"
        )
        assert [row[1] for row in shown] == ["10:00 CET"] * 3
        await pilot.press("j", "j")
        await settle(pilot)
        assert text_of(screen.query_one("#notice-pane", Static)).splitlines()[1] == (
            f"carol rejected your request {ids['rejected']} for Aurora room Wed 2 Dec "
            "10:00-11:00 CET: team offsite"
        )
        await pilot.press("k", "k")
        await settle(pilot)
        # Accepting or declining is for the offer only.
        assert not app.screen.check_action("accept", ())
        await pilot.press("j")
        await settle(pilot)
        pane = text_of(screen.query_one("#notice-pane", Static))
        assert pane.startswith("Offer · Tue 1 Dec 10:00 CET · answer by Tue 1 Dec 10:30 CET")
        assert (
            f"Aurora room is free for you Thu 3 Dec 14:00-15:00 CET: accept reservation "
            f"{ids['offer']} by Tue 1 Dec 10:30 CET, or it goes to the next in line"
        ) in pane
        await pilot.press("a")
        await settle(pilot)
        accepted = [n for n in app.notifications if n.title == "Offer accepted"]
        assert [n.message for n in accepted] == [
            f"Aurora room, Thu 3 Dec 14:00-15:00 CET is booked for you (#{ids['offer']})"
        ]
        # The notice answered counts as read, its offer no longer to answer.
        shown = rows(screen.query_one(KeyedTable))
        assert [(row[0], row[3]) for row in shown] == [("●", ""), ("", ""), ("●", "")]
        assert not screen.check_action("accept", ())
        assert "answered or lapsed" in text_of(screen.query_one("#notice-pane", Static))
        assert app.sub_title.startswith("Inbox 2 (F6)")
    bob = store(seeded_url, "bob")
    try:
        assert bob.get_reservation(ids["offer"]).status == "active"
    finally:
        bob.close()


async def test_declining_an_offer_asks_first_and_enter_opens_the_booking(
    seeded_url: str, make_app: AppFactory
) -> None:
    ids = queue(seeded_url)
    app = make_app(seeded_url, "bob")
    async with opened(app, "f6", "j", "d") as pilot:
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any(n.title == "Offer declined" for n in app.notifications)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HistoryModal)
        assert app.screen.reservation.id == ids["offer"]
        assert app.screen.reservation.status == "declined"
    bob = store(seeded_url, "bob")
    try:
        assert bob.get_reservation(ids["offer"]).status == "declined"
    finally:
        bob.close()


async def test_an_approver_approves_and_rejects_from_the_approvals_screen(
    seeded_url: str, make_app: AppFactory
) -> None:
    aurora = needs_approval(seeded_url)
    dave = store(seeded_url, "dave")
    try:
        first = dave.book(aurora, at(2, 9), at(2, 10), note="team sync")
        second = dave.book(aurora, *AURORA_WINDOW)
    finally:
        dave.close()
    app = make_app(seeded_url, "carol")
    async with opened(app) as pilot:
        assert app.sub_title.startswith("Inbox 2 (F6) · carol @ ")
        titles = [title for title, _help, _run in palette_actions(app, app.screen)]
        assert {"Inbox", "Approvals"} <= set(titles)
        # The inbox's request opens the approvals screen on it.
        await pilot.press("f6", "j", "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ApprovalsScreen)
        table = screen.query_one(KeyedTable)
        assert rows(table) == [
            [
                str(first.id),
                "Wed 2 Dec 10:00-11:00 CET",
                "Aurora room",
                "dave",
                "1h",
                "Wed 2 Dec 10:00 CET",
                "team sync",
            ],
            [
                str(second.id),
                "Thu 3 Dec 14:00-15:00 CET",
                "Aurora room",
                "dave",
                "1h",
                "Thu 3 Dec 10:00 CET",
                "",
            ],
        ]
        assert table.current_key == str(first.id)
        await pilot.press("a")
        await settle(pilot)
        assert any(
            n.title == "Approved" and n.message.startswith(f"#{first.id}: dave, Aurora room")
            for n in app.notifications
        ), [(n.title, n.message) for n in app.notifications]
        assert table.current_key == str(second.id)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press(*"room needed", "enter")
        await settle(pilot)
        assert any(n.title == "Rejected" for n in app.notifications)
        assert table.row_count == 0
        info = screen.query_one("#approvals-info", InfoLine)
        assert info.text == "No requests await your decision."
        # Both requests were decided: their notices are read.
        assert app.sub_title.startswith("carol @ "), app.sub_title
    dave = store(seeded_url, "dave")
    try:
        assert dave.get_reservation(first.id).status == "active"
        rejected = dave.get_reservation(second.id)
        assert (rejected.status, rejected.cancellation_reason) == ("rejected", "room needed")
    finally:
        dave.close()


async def test_a_member_s_booking_on_an_approval_resource_says_it_is_pending(
    seeded_url: str, make_app: AppFactory
) -> None:
    needs_approval(seeded_url)
    app = make_app(seeded_url, "dave")
    async with opened(app) as pilot:
        await fill_booking(pilot, "thu", "14:00", "1h")
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, BookModal)
        said = [n for n in app.notifications if n.title.startswith("Not booked yet")]
        assert [(n.title, n.message) for n in said] == [
            (
                "Not booked yet: Aurora room",
                "Request #6 is pending approval by carol (or an admin), to be decided by "
                "Thu 3 Dec 10:00 CET. The slot is held for you meanwhile; the answer comes "
                "to your inbox.",
            )
        ]
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, MyReservationsScreen)
        upcoming = rows(app.screen.query_one("#table-upcoming", KeyedTable))
        assert [row[4] for row in upcoming] == ["pending approval"]


async def test_a_conflict_offers_to_join_the_waitlist_for_the_same_window(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url, "dave")
    async with opened(app) as pilot:
        # bob holds the Aurora room 11:00-12:00 today.
        await fill_booking(pilot, "today", "11:30", "1h")
        await pilot.press("enter")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, BookModal)
        assert "Or press w to join the waitlist" in text_of(form.query_one("#conflict", Static))
        await pilot.press("w")
        await settle(pilot)
        assert not isinstance(app.screen, BookModal)
        joined = [n for n in app.notifications if n.title == "On the waitlist"]
        assert len(joined) == 1
        assert joined[0].message.startswith(
            "Aurora room, Tue 1 Dec 11:30-12:30 CET: you are 1st in line (waitlist entry #1)."
        )
    dave = store(seeded_url, "dave")
    try:
        [entry] = dave.waitlist()
        assert (entry.start_time, entry.end_time, entry.position) == (
            at(1, 10, 30),
            at(1, 11, 30),
            1,
        )
    finally:
        dave.close()


async def test_the_waitlist_is_not_offered_when_moving_a_booking(
    seeded_url: str, make_app: AppFactory
) -> None:
    bob = store(seeded_url, "bob")
    try:
        bob.book(bob.find_resource("Borealis room").id, at(2, 15), at(2, 16))
    finally:
        bob.close()
    app = make_app(seeded_url, "alice")
    async with opened(app, "f3", "m") as pilot:
        # alice's booking of the Borealis room, Wednesday 14:00, onto bob's.
        await type_in(pilot, "#start", "16:30")
        await pilot.press("enter")
        await settle(pilot)
        conflict = text_of(app.screen.query_one("#conflict", Static))
        assert "Borealis room is already booked" in conflict
        assert "waitlist" not in conflict
        assert not app.screen.check_action("join_waitlist", ())


async def test_the_policy_editor_sets_and_unsets_the_approval_fields(
    seeded_url: str, make_app: AppFactory
) -> None:
    for name in ("carol", "dave"):
        store(seeded_url, name).close()
    app = make_app(seeded_url, "alice")
    async with opened(app, "f4", "slash", *"aurora", "enter", "p") as pilot:
        form = app.screen
        assert isinstance(form, PolicyModal)
        form.query_one("#approval", Select).value = True
        await type_in(pilot, "#approvers", "carol, dave")
        await type_in(pilot, "#approval_timeout_minutes", "1d")
        await type_in(pilot, "#offer_hold_minutes", "45m")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, PolicyModal)
    alice = store(seeded_url, "alice")
    try:
        scope = PolicyScope("resource", resource_id=alice.find_resource("Aurora room").id)
        saved = alice.get_policy(scope)
        assert (saved.approval, saved.approvers) == (True, ["carol", "dave"])
        assert (saved.approval_timeout_minutes, saved.offer_hold_minutes) == (24 * 60, 45)
    finally:
        alice.close()
    app = make_app(seeded_url, "alice")
    async with opened(app, "f4", "slash", *"aurora", "enter", "p") as pilot:
        form = app.screen
        assert form.query_one("#approval", Select).value is True
        assert form.query_one("#approvers", Input).value == "carol, dave"
        assert form.query_one("#approval_timeout_minutes", Input).value == "1d"
        form.query_one("#approval", Select).clear()
        await type_in(pilot, "#approvers", "nobody")
        await pilot.press("ctrl+s")
        await settle(pilot)
        # An approver who is no user is refused under the field, nothing saved.
        assert isinstance(app.screen, PolicyModal)
        assert "no user is called 'nobody'" in text_of(form.query_one("#approvers-check", Static))
        await type_in(pilot, "#approvers", "")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, PolicyModal)
    alice = store(seeded_url, "alice")
    try:
        saved = alice.get_policy(scope)
        assert (saved.approval, saved.approvers) == (None, None)
        assert saved.offer_hold_minutes == 45
    finally:
        alice.close()


def test_the_inbox_screen(seeded_url: str, make_app: AppFactory, snap_compare: object) -> None:
    """bob's inbox: a cancel, an offer to answer (highlighted) and a rejection, one read."""
    queue(seeded_url)
    bob = store(seeded_url, "bob")
    try:
        bob.mark_read([bob.inbox()[-1].id])
    finally:
        bob.close()

    async def run_before(pilot: Pilot[object]) -> None:
        await settle(pilot)
        for key in ("f6", "j"):
            await pilot.press(key)
            await settle(pilot)

    assert snap_compare(  # type: ignore[operator]
        make_app(seeded_url, "bob"), terminal_size=(120, 36), run_before=run_before
    )


async def test_in_remote_mode_the_server_re_reading_timer_brings_the_badge(
    live_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone else's change on the server reaches the badge with the app's timed re-read."""
    monkeypatch.setattr(app_module, "REMOTE_REFRESH_SECONDS", 0.2)
    live_server.register("carol", PASSWORD)
    live_server.register("bob", PASSWORD)
    admin, bob = live_server.token("carol", PASSWORD), live_server.token("bob", PASSWORD)
    tomorrow = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    with live_server.client(admin) as client:
        room = client.post("/resources", json={"name": "Server room", "tags": ["room"]}).json()
    with live_server.client(bob) as client:
        booked = client.post(
            "/reservations",
            json={
                "resource_id": room["id"],
                "start_time": tomorrow.isoformat(),
                "end_time": (tomorrow + timedelta(hours=1)).isoformat(),
            },
        )
        assert booked.status_code == 201, booked.text
    app = ReserverApp(quick_settings(tz=TZ, server=live_server.url))
    async with opened(app, size=(120, 40)) as pilot:
        await log_in(pilot, "bob", PASSWORD)
        assert app.sub_title.startswith("bob @ http://127.0.0.1"), app.sub_title
        with live_server.client(admin) as client:
            cancelled = client.post(
                f"/reservations/{booked.json()['id']}/cancel", json={"reason": "floor works"}
            )
            assert cancelled.status_code == 200, cancelled.text
        for _ in range(40):
            await pilot.pause(0.05)
            if app.sub_title.startswith("Inbox 1 (F6)"):
                break
        assert app.sub_title.startswith("Inbox 1 (F6) · bob @ "), app.sub_title
        await pilot.press("f6")
        await settle(pilot)
        [row] = rows(app.screen.query_one(KeyedTable))
        assert row[2] == "Cancelled" and row[4].endswith(": floor works")
