"""Approvals, waitlist offers and the inbox through the `Backend` interface, on
`LocalBackend` and `RemoteBackend`.

A pending request holds its slot; approving makes it active, rejecting frees it to the
first in line; an offer passes down the line as it lapses or is declined until one is
taken; who may decide, change approvers and see whose entries; each step in the inbox of
whom it concerns, with the same words on a local store and over HTTP.

The frozen now is Tuesday 1 December 2026, 09:00 UTC; the slot fought over is the next
day, 10:00-11:00 UTC.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from support.clock import NOW
from support.contract import World

from reserver_core.backend import Backend
from reserver_core.errors import (
    AlreadyExistsError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    StateError,
    ValidationError,
)
from reserver_core.schemas import Notice, PolicyChanges, PolicyScope, ReservationInfo

START = NOW + timedelta(days=1, hours=1)
END = START + timedelta(hours=1)
SLOT = "2026-12-02 10:00-11:00 UTC"
HOLD = 30
"""Minutes an offer is held on the test resource."""


def _room(world: World, *, approval: bool = False, approvers: list[str] | None = None) -> int:
    """The Microscope, offers held HOLD minutes; with `approval`, members' bookings wait
    for `approvers` (each must exist already)."""
    room = world.admin.create_resource("Microscope", ["lab"]).id
    changes = PolicyChanges(offer_hold_minutes=HOLD)
    if approval:
        changes = PolicyChanges(
            approval=True,
            approvers=approvers,
            approval_timeout_minutes=120,
            offer_hold_minutes=HOLD,
        )
    world.admin.set_policy(PolicyScope("resource", resource_id=room), changes)
    return room


def _kinds(backend: Backend) -> list[str]:
    return [notice.kind for notice in backend.inbox()]


def _newest(backend: Backend, kind: str) -> Notice:
    return next(notice for notice in backend.inbox() if notice.kind == kind)


def _offer(backend: Backend) -> ReservationInfo:
    """The acting user's one open offer."""
    (entry,) = [e for e in backend.waitlist() if e.status == "offered"]
    assert entry.offer is not None
    return entry.offer


# -- approvals ------------------------------------------------------------------------------
def test_a_pending_request_holds_its_slot_and_tells_its_approvers(world: World) -> None:
    carol = world.member("carol")
    room = _room(world, approval=True, approvers=["carol"])
    bob = world.member("bob")
    request = bob.book(room, START, END, note="imaging")
    assert (request.status, request.decide_by, request.approvers) == (
        "pending",
        NOW + timedelta(minutes=120),
        ["carol"],
    )
    erin = world.member("erin")
    for start in (START, START + timedelta(minutes=30), START - timedelta(minutes=30)):
        with pytest.raises(ConflictError) as clash:
            erin.book(room, start, start + timedelta(hours=1))
        assert [w.reservation_id for w in clash.value.windows] == [request.id]
        assert clash.value.resource == "Microscope"
    assert [r.id for r in carol.pending_requests()] == [request.id]
    assert [r.id for r in world.admin.pending_requests()] == [request.id]
    assert erin.pending_requests() == []
    assert bob.pending_requests() == []
    told = _newest(carol, "request")
    assert told.text == (
        f"bob asks for Microscope {SLOT}: approve or reject request {request.id} by "
        "2026-12-01 11:00 UTC"
    )
    assert (told.reservation_id, told.deadline, told.read_at) == (
        request.id,
        NOW + timedelta(minutes=120),
        None,
    )
    # No approver named: the admins are told and decide.
    assert "request" not in _kinds(world.admin)
    assert [(e.action, e.actor) for e in bob.history(request.id)] == [("requested", "bob")]


def test_approving_makes_the_request_active(world: World) -> None:
    carol = world.member("carol")
    room = _room(world, approval=True, approvers=["carol"])
    bob = world.member("bob")
    request = bob.book(room, START, END)
    approved = carol.approve(request.id)
    assert (approved.id, approved.status, approved.decide_by) == (request.id, "active", None)
    assert bob.get_reservation(request.id).status == "active"
    assert carol.pending_requests() == []
    assert _newest(bob, "approved").text == (
        f"carol approved your request {request.id}: Microscope {SLOT}"
    )
    assert [(e.action, e.actor) for e in bob.history(request.id)] == [
        ("approved", "carol"),
        ("requested", "bob"),
    ]
    with pytest.raises(StateError, match="is not awaiting approval \\(active\\)"):
        world.admin.approve(request.id)
    with pytest.raises(ConflictError):
        world.member("erin").book(room, START, END)


def test_admins_and_approvers_book_without_asking(world: World) -> None:
    carol = world.member("carol")
    room = _room(world, approval=True, approvers=["carol"])
    assert carol.book(room, START, END).status == "active"
    assert world.admin.book(room, END, END + timedelta(hours=1)).status == "active"


def test_rejecting_frees_the_slot_and_the_first_waiter_gets_an_offer(world: World) -> None:
    carol = world.member("carol")
    room = _room(world, approval=True, approvers=["carol"])
    bob, dave, erin = world.member("bob"), world.member("dave"), world.member("erin")
    request = bob.book(room, START, END)
    first = dave.join_waitlist(room, START, END, note="calibration")
    second = erin.join_waitlist(room, START, END)
    assert (first.status, first.position, first.offer, first.username) == (
        "waiting",
        1,
        None,
        "dave",
    )
    assert (second.position, second.note, first.note) == (2, "", "calibration")
    rejected = carol.reject(request.id, "the lab is closed for cleaning")
    assert (rejected.status, rejected.cancellation_reason) == (
        "rejected",
        "the lab is closed for cleaning",
    )
    assert _newest(bob, "rejected").text == (
        f"carol rejected your request {request.id} for Microscope {SLOT}: "
        "the lab is closed for cleaning"
    )
    entry = dave.get_waitlist_entry(first.id)
    assert (entry.status, entry.position) == ("offered", None)
    offer = entry.offer
    assert offer is not None
    assert (offer.status, offer.username, offer.start_time, offer.end_time, offer.note) == (
        "offered",
        "dave",
        START,
        END,
        "calibration",
    )
    assert offer.decide_by == NOW + timedelta(minutes=HOLD)
    told = _newest(dave, "offer")
    assert told.text == (
        f"Microscope is free for you {SLOT}: accept reservation {offer.id} by "
        "2026-12-01 09:30 UTC, or it goes to the next in line"
    )
    assert (told.reservation_id, told.deadline) == (offer.id, offer.decide_by)
    # The offer holds the slot: nobody else books it, not even the one behind in line.
    with pytest.raises(ConflictError):
        erin.book(room, START, END)
    assert erin.get_waitlist_entry(second.id).status == "waiting"
    with pytest.raises(StateError, match="not awaiting approval \\(rejected\\)"):
        carol.approve(request.id)


def test_an_undecided_request_lapses_and_its_slot_goes_to_the_waitlist(world: World) -> None:
    carol = world.member("carol")
    room = _room(world, approval=True, approvers=["carol"])
    bob, dave = world.member("bob"), world.member("dave")
    request = bob.book(room, START, END)
    entry = dave.join_waitlist(room, START, END)
    world.set_now(NOW + timedelta(minutes=121))
    with pytest.raises(StateError, match="lapsed undecided at 2026-12-01 11:00 UTC"):
        carol.approve(request.id)
    report = world.admin.expire()
    assert (report.lapsed_count, report.offers_made) == (1, 1)
    assert bob.get_reservation(request.id).status == "expired"
    assert _newest(bob, "request_expired").text == (
        f"your request {request.id} ({SLOT}) was not decided in time: its slot is released"
    )
    assert dave.get_waitlist_entry(entry.id).status == "offered"
    assert carol.pending_requests() == []
    # Nothing more to do: the upkeep is idempotent.
    again = world.admin.expire()
    assert (again.lapsed_count, again.offers_made) == (0, 0)


# -- the offer chain ------------------------------------------------------------------------
def test_an_offer_passes_down_the_line_until_one_takes_it(world: World) -> None:
    room = _room(world)
    bob = world.member("bob")
    waiters = [world.member(name) for name in ("dave", "erin", "frank")]
    dave, erin, frank = waiters
    booked = bob.book(room, START, END)
    entries = [w.join_waitlist(room, START, END) for w in waiters]
    assert [e.position for e in entries] == [1, 2, 3]
    bob.cancel(booked.id, "plans changed")
    first = _offer(dave)
    # Holding an offer, the first is out of the line: the others move up.
    assert erin.get_waitlist_entry(entries[1].id).position == 1
    assert frank.get_waitlist_entry(entries[2].id).position == 2

    # The first lets it lapse: the upkeep passes it on.
    world.set_now(NOW + timedelta(minutes=HOLD + 1))
    with pytest.raises(StateError, match=f"the offer {first.id} lapsed at 2026-12-01 09:30 UTC"):
        dave.accept_offer(first.id)
    report = world.admin.expire()
    assert (report.lapsed_count, report.offers_made) == (1, 1)
    assert dave.get_reservation(first.id).status == "expired"
    assert dave.get_waitlist_entry(entries[0].id).status == "lapsed"
    second = _offer(erin)
    assert second.decide_by == NOW + timedelta(minutes=2 * HOLD + 1)

    # The second declines: the third is offered it at once.
    declined = erin.decline_offer(second.id)
    assert declined.status == "declined"
    assert erin.get_waitlist_entry(entries[1].id).status == "declined"
    third = _offer(frank)
    with pytest.raises(StateError, match="is not an open offer \\(declined\\)"):
        erin.accept_offer(second.id)

    # The third takes it.
    taken = frank.accept_offer(third.id)
    assert (taken.status, taken.decide_by, taken.start_time, taken.end_time) == (
        "active",
        None,
        START,
        END,
    )
    assert frank.get_waitlist_entry(entries[2].id).status == "booked"
    with pytest.raises(StateError):
        frank.accept_offer(third.id)
    with pytest.raises(ConflictError):
        dave.book(room, START, END)

    # Every step in the inbox of whom it concerns, newest first.
    assert _kinds(dave) == ["offer_expired", "offer"]
    assert _newest(dave, "offer_expired").text == (
        f"your offer {first.id} ({SLOT}) was not answered in time and went to the next in line"
    )
    assert _kinds(erin) == ["offer"]
    assert _kinds(frank) == ["offer"]
    assert [n.reservation_id for n in (dave.inbox()[1], erin.inbox()[0], frank.inbox()[0])] == [
        first.id,
        second.id,
        third.id,
    ]
    # Bob cancelled his own booking: nothing to tell him.
    assert bob.inbox() == []

    # The history of each offered reservation shows its link in the chain.
    def actions(backend: Backend, reservation_id: int) -> list[tuple[str, str]]:
        return [(e.action, e.actor) for e in backend.history(reservation_id)]

    assert actions(dave, first.id) == [("offer_expired", "system"), ("offered", "system")]
    assert actions(erin, second.id) == [("declined", "erin"), ("offered", "system")]
    assert actions(frank, third.id) == [("accepted", "frank"), ("offered", "system")]
    for offered, entry in zip((first, second, third), entries, strict=True):
        made = world.admin.history(offered.id)[-1]
        assert made.details == (
            f"{SLOT} from waitlist entry {entry.id}, to answer by "
            f"{offered.decide_by:%Y-%m-%d %H:%M} UTC"
        )
    everything = world.admin.all_reservations(include_cancelled=True)
    assert [(r.username, r.status) for r in sorted(everything, key=lambda r: r.id)] == [
        ("bob", "cancelled"),
        ("dave", "expired"),
        ("erin", "declined"),
        ("frank", "active"),
    ]


def test_a_flexible_waiter_is_offered_the_nearest_free_start(world: World) -> None:
    room = _room(world)
    bob, dave = world.member("bob"), world.member("dave")
    early = bob.book(room, START, END)
    bob.book(room, END, END + timedelta(hours=1))
    entry = dave.join_waitlist(room, END, END + timedelta(hours=1), flexible_minutes=90)
    bob.cancel(early.id)
    offer = _offer(dave)
    assert (offer.start_time, offer.end_time) == (START, END)
    assert dave.get_waitlist_entry(entry.id).flexible_minutes == 90


# -- who may --------------------------------------------------------------------------------
def test_a_member_cannot_approve_change_approvers_or_see_others_places(world: World) -> None:
    carol = world.member("carol")
    room = _room(world, approval=True, approvers=["carol"])
    bob, erin = world.member("bob"), world.member("erin")
    request = bob.book(room, START, END)
    refused = "access denied: requests on Microscope are decided by carol (or an admin)"
    for decide in (lambda: erin.approve(request.id), lambda: erin.reject(request.id, "no")):
        with pytest.raises(ForbiddenError) as denied:
            decide()
        assert denied.value.message == refused
    # Not even the one who asked.
    with pytest.raises(ForbiddenError):
        bob.approve(request.id)
    assert bob.get_reservation(request.id).status == "pending"
    for member in (bob, carol):
        with pytest.raises(ForbiddenError, match="only an admin may change booking policies"):
            member.set_policy(
                PolicyScope("resource", resource_id=room), PolicyChanges(approvers=["bob"])
            )
        with pytest.raises(ForbiddenError):
            member.clear_policy(PolicyScope("resource", resource_id=room), ["approval"])
    assert world.admin.get_policy(PolicyScope("resource", resource_id=room)).approvers == ["carol"]
    mine = erin.join_waitlist(room, START, END)
    with pytest.raises(ForbiddenError, match="only an admin may see who else waits"):
        bob.waitlist(everyone=True)
    with pytest.raises(ForbiddenError, match=f"waitlist entry {mine.id} is someone else's"):
        bob.get_waitlist_entry(mine.id)
    with pytest.raises(ForbiddenError):
        bob.leave_waitlist(mine.id)
    assert bob.waitlist() == []
    assert bob.waitlist(resource_id=room) == []
    everyone = world.admin.waitlist(everyone=True)
    assert [(e.id, e.username, e.position) for e in everyone] == [(mine.id, "erin", 1)]
    assert world.admin.get_waitlist_entry(mine.id) == erin.get_waitlist_entry(mine.id)
    carol.reject(request.id)
    offer = _offer(erin)
    with pytest.raises(ForbiddenError, match=f"the offer {offer.id} is someone else's"):
        bob.accept_offer(offer.id)
    with pytest.raises(ForbiddenError):
        bob.decline_offer(offer.id)
    # A member may not cancel an offer either: it is answered, not cancelled.
    with pytest.raises(ForbiddenError):
        bob.cancel(offer.id)


def test_approval_settings_are_set_read_and_cleared_by_an_admin(world: World) -> None:
    world.member("carol")
    world.member("dave")
    room = _room(world, approval=True, approvers=["Carol", "dave", "carol"])
    scope = PolicyScope("resource", resource_id=room)
    policy = world.admin.get_policy(scope)
    assert (
        policy.approval,
        policy.approvers,
        policy.approval_timeout_minutes,
        policy.offer_hold_minutes,
    ) == (True, ["carol", "dave"], 120, HOLD)
    effective = {f.name: (f.value, f.source) for f in world.admin.resource_policy(room).fields}
    source = "resource 'Microscope'"
    assert effective["approval"] == (True, source)
    assert effective["approvers"] == (["carol", "dave"], source)
    assert effective["approval_timeout_minutes"] == (120, source)
    assert effective["offer_hold_minutes"] == (HOLD, source)
    with pytest.raises(ValidationError) as unknown:
        world.admin.set_policy(scope, PolicyChanges(approvers=["nobody"]))
    assert (unknown.value.message, unknown.value.field) == (
        "no user is called 'nobody'",
        "approvers",
    )
    for name in ("approval_timeout_minutes", "offer_hold_minutes"):
        with pytest.raises(ValidationError) as bad:
            world.admin.set_policy(scope, PolicyChanges(**{name: 0}))  # type: ignore[arg-type]
        assert bad.value.field == name
    cleared = world.admin.clear_policy(scope, ["approval", "approvers"])
    assert (cleared.approval, cleared.approvers, cleared.offer_hold_minutes) == (None, None, HOLD)
    assert world.member("bob").book(room, START, END).status == "active"


# -- joining and leaving --------------------------------------------------------------------
def test_joining_is_for_taken_windows_once(world: World) -> None:
    room = _room(world)
    bob, dave = world.member("bob"), world.member("dave")
    with pytest.raises(StateError) as free:
        dave.join_waitlist(room, START, END)
    assert free.value.message == f"Microscope is free {SLOT}: book it instead of waiting"
    bob.book(room, START, END)
    entry = dave.join_waitlist(room, START, END)
    with pytest.raises(AlreadyExistsError) as twice:
        dave.join_waitlist(room, START + timedelta(minutes=30), END + timedelta(minutes=30))
    assert twice.value.message == (
        f"you already wait for Microscope at that time (waitlist entry {entry.id})"
    )
    for flexible in (-1, 24 * 60 + 1, 10**20):
        with pytest.raises(ValidationError) as bad:
            dave.join_waitlist(room, START, END, flexible_minutes=flexible)
        assert (bad.value.message, bad.value.field) == (
            "the flexibility is 0 to 24 hours",
            "flexible_minutes",
        )
    with pytest.raises(NotFoundError):
        dave.join_waitlist(10**6, START, END)
    with pytest.raises(NotFoundError):
        dave.get_waitlist_entry(10**6)
    with pytest.raises(NotFoundError):
        dave.waitlist(resource_id=10**20)
    assert dave.waitlist(resource_id=room + 1) == []
    left = dave.leave_waitlist(entry.id)
    assert (left.status, left.position) == ("left", None)
    with pytest.raises(StateError, match="no longer waiting \\(left\\)"):
        dave.leave_waitlist(entry.id)
    assert [e.status for e in dave.waitlist()] == ["left"]


# -- the inbox ------------------------------------------------------------------------------
def test_notices_are_counted_and_marked_read(world: World) -> None:
    room = _room(world)
    bob, dave = world.member("bob"), world.member("dave")
    first = world.admin.book(room, START, END)
    second = world.admin.book(room, END, END + timedelta(hours=1))
    mine = bob.book(room, END + timedelta(hours=1), END + timedelta(hours=2))
    dave.join_waitlist(room, START, END)
    world.admin.cancel(mine.id, "maintenance")
    world.admin.cancel(first.id)
    assert _kinds(bob) == ["cancelled"]
    assert bob.inbox()[0].text == (
        f"alice cancelled your reservation {mine.id} (2026-12-02 12:00-13:00 UTC): maintenance"
    )
    assert bob.unread_count() == 1
    assert dave.unread_count() == 1
    world.admin.cancel(second.id)
    notices = dave.inbox()
    assert dave.unread_count() == len(notices) == 1
    assert bob.mark_read([bob.inbox()[0].id]) == 1
    assert bob.unread_count() == 0
    assert bob.inbox(unread_only=True) == []
    assert bob.inbox()[0].read_at == NOW
    assert bob.mark_read() == 0
    with pytest.raises(ValidationError) as foreign:
        bob.mark_read([notices[0].id])
    assert (foreign.value.message, foreign.value.field) == (
        f"your inbox has no notice {notices[0].id}",
        "id",
    )
    with pytest.raises(ValidationError, match=f"your inbox has no notice {10**20}"):
        bob.mark_read([10**20])
    assert dave.unread_count() == 1
    assert dave.mark_read() == 1
    assert dave.unread_count() == 0
    assert dave.inbox(unread_only=True) == []
    assert world.admin.inbox() == []
