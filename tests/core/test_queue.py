"""Approvals, waitlist offers and the inbox through LocalBackend on a real SQLite file: held
slots, decisions, the offer chain, lapses moved on by the upkeep, who may do what."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from support.clock import NOW
from support.settings import fast_settings

from reserver_core.clock import FixedClock
from reserver_core.errors import (
    AlreadyExistsError,
    ConflictError,
    ForbiddenError,
    PolicyError,
    StateError,
    ValidationError,
)
from reserver_core.local import LocalBackend
from reserver_core.schemas import PolicyChanges, PolicyScope

START = NOW + timedelta(days=1)
END = START + timedelta(hours=1)


@pytest.fixture
def people(
    local: LocalBackend, sqlite_url: str, clock: FixedClock
) -> Iterator[dict[str, LocalBackend]]:
    """ann (the admin, `local`), and members bob, cat (the approver), dan, eve, fay."""
    found = {"ann": local}
    for name in ("bob", "cat", "dan", "eve", "fay"):
        found[name] = LocalBackend.open(sqlite_url, fast_settings(), clock, username=name)
    yield found
    for name, backend in found.items():
        if name != "ann":
            backend.close()


@pytest.fixture
def scope(people: dict[str, LocalBackend]) -> int:
    """A resource whose bookings need cat's approval."""
    ann = people["ann"]
    resource = ann.create_resource("Scope")
    ann.set_policy(
        PolicyScope("resource", resource_id=resource.id),
        PolicyChanges(approval=True, approvers=["cat"], approval_timeout_minutes=120),
    )
    return resource.id


def kinds(backend: LocalBackend) -> list[str]:
    return [notice.kind for notice in reversed(backend.inbox())]


def test_a_pending_request_holds_its_slot_until_decided(
    people: dict[str, LocalBackend], scope: int
) -> None:
    bob, cat, dan = people["bob"], people["cat"], people["dan"]
    request = bob.book(scope, START, END)
    assert request.status == "pending" and request.approvers == ["cat"]
    assert request.decide_by == NOW + timedelta(hours=2)
    with pytest.raises(ConflictError):
        dan.book(scope, START + timedelta(minutes=30), END)
    assert kinds(cat) == ["request"] and "bob asks for Scope" in cat.inbox()[0].text
    assert [r.id for r in cat.pending_requests()] == [request.id]
    assert dan.pending_requests() == []
    approved = cat.approve(request.id)
    assert approved.status == "active" and approved.decide_by is None
    assert kinds(bob) == ["approved"]
    assert [e.action for e in bob.history(request.id)] == ["approved", "requested"]
    with pytest.raises(StateError, match="not awaiting approval"):
        cat.approve(request.id)


def test_approvers_and_admins_book_directly_and_only_they_decide(
    people: dict[str, LocalBackend], scope: int
) -> None:
    assert people["cat"].book(scope, START, END).status == "active"
    assert people["ann"].book(scope, END, END + timedelta(hours=1)).status == "active"
    request = people["bob"].book(scope, START - timedelta(hours=2), START - timedelta(hours=1))
    with pytest.raises(ForbiddenError, match="decided by cat"):
        people["dan"].approve(request.id)
    with pytest.raises(ForbiddenError):
        people["bob"].reject(request.id)
    with pytest.raises(ForbiddenError):
        people["bob"].set_policy(
            PolicyScope("resource", resource_id=scope), PolicyChanges(approvers=["bob"])
        )
    assert people["ann"].reject(request.id, "maintenance week").status == "rejected"


def test_rejecting_offers_the_slot_to_the_first_in_line(
    people: dict[str, LocalBackend], scope: int
) -> None:
    bob, cat, dan, eve = people["bob"], people["cat"], people["dan"], people["eve"]
    request = bob.book(scope, START, END)
    first = dan.join_waitlist(scope, START, END)
    second = eve.join_waitlist(scope, START, END)
    assert (first.position, second.position) == (1, 2)
    rejected = cat.reject(request.id, "the lamp is out")
    assert rejected.status == "rejected" and rejected.cancellation_reason == "the lamp is out"
    assert kinds(bob)[-1] == "rejected" and "the lamp is out" in bob.inbox()[0].text
    entry = dan.get_waitlist_entry(first.id)
    assert entry.status == "offered" and entry.offer is not None
    assert entry.offer.status == "offered"
    assert entry.offer.decide_by == NOW + timedelta(minutes=30)
    assert kinds(dan) == ["offer"] and dan.inbox()[0].deadline == entry.offer.decide_by
    assert eve.get_waitlist_entry(second.id).position == 1
    with pytest.raises(ConflictError):
        eve.book(scope, START, END)


def test_the_offer_chain_lapse_decline_accept(
    people: dict[str, LocalBackend], scope: int, clock: FixedClock
) -> None:
    ann, bob = people["ann"], people["bob"]
    room = ann.create_resource("Room").id
    held = bob.book(room, START, END)
    waiters = [people[name] for name in ("dan", "eve", "fay")]
    entries = [w.join_waitlist(room, START, END) for w in waiters]
    bob.cancel(held.id, "plans changed")
    dan, eve, fay = waiters
    offer_1 = dan.get_waitlist_entry(entries[0].id).offer
    assert offer_1 is not None
    clock.advance(timedelta(minutes=31))
    report = ann.run_expiry()
    assert report.lapsed_count == 1 and report.offers_made == 1
    assert dan.get_waitlist_entry(entries[0].id).status == "lapsed"
    assert dan.get_reservation(offer_1.id).status == "expired"
    offer_2 = eve.get_waitlist_entry(entries[1].id).offer
    assert offer_2 is not None
    with pytest.raises(StateError, match="lapsed"):
        dan.accept_offer(offer_1.id)
    assert eve.decline_offer(offer_2.id).status == "declined"
    offer_3 = fay.get_waitlist_entry(entries[2].id).offer
    assert offer_3 is not None
    assert fay.accept_offer(offer_3.id).status == "active"
    assert fay.get_waitlist_entry(entries[2].id).status == "booked"
    assert kinds(dan) == ["offer", "offer_expired"]
    assert kinds(eve) == ["offer"]
    assert kinds(fay) == ["offer"]
    assert [e.action for e in reversed(dan.history(offer_1.id))] == ["offered", "offer_expired"]
    assert [e.action for e in reversed(eve.history(offer_2.id))] == ["offered", "declined"]
    assert [e.action for e in reversed(fay.history(offer_3.id))] == ["offered", "accepted"]
    # The upkeep again changes nothing: every step is done once.
    again = ann.run_expiry()
    assert (again.lapsed_count, again.offers_made) == (0, 0)


def test_an_undecided_request_lapses_and_its_slot_is_offered(
    people: dict[str, LocalBackend], scope: int, clock: FixedClock
) -> None:
    bob, dan = people["bob"], people["dan"]
    request = bob.book(scope, START, END)
    entry = dan.join_waitlist(scope, START, END)
    clock.advance(timedelta(hours=2))
    report = people["ann"].run_expiry()
    assert report.lapsed_count == 1 and report.offers_made == 1
    assert bob.get_reservation(request.id).status == "expired"
    assert kinds(bob) == ["request_expired"]
    offer = dan.get_waitlist_entry(entry.id).offer
    assert offer is not None and offer.status == "offered"
    # The offer on an approval resource, once taken, holds as a booking does.
    assert dan.accept_offer(offer.id).status == "active"


def test_a_request_is_never_decided_after_its_start(
    people: dict[str, LocalBackend], scope: int
) -> None:
    soon = NOW + timedelta(minutes=45)
    request = people["bob"].book(scope, soon, soon + timedelta(hours=1))
    assert request.decide_by == soon


def test_approving_checks_a_policy_changed_since_the_request(
    people: dict[str, LocalBackend], scope: int
) -> None:
    bob, cat, ann = people["bob"], people["cat"], people["ann"]
    request = bob.book(scope, START, END)
    ann.set_policy(PolicyScope("resource", resource_id=scope), PolicyChanges(max_length_minutes=30))
    with pytest.raises(PolicyError, match="the policy changed since the request"):
        cat.approve(request.id)
    assert bob.get_reservation(request.id).status == "pending"


def test_flexible_waiters_take_a_nearby_free_window(
    people: dict[str, LocalBackend], clock: FixedClock
) -> None:
    ann, bob, dan = people["ann"], people["bob"], people["dan"]
    room = ann.create_resource("Room").id
    bob.book(room, START - timedelta(hours=2), END)
    later = bob.book(room, END, END + timedelta(hours=1))
    entry = dan.join_waitlist(room, START, END, flexible_minutes=120)
    bob.cancel(later.id)
    offer = dan.get_waitlist_entry(entry.id).offer
    assert offer is not None and (offer.start_time, offer.end_time) == (
        END,
        END + timedelta(hours=1),
    )


def test_joining_is_refused_when_free_twice_or_badly(
    people: dict[str, LocalBackend],
) -> None:
    ann, bob, dan = people["ann"], people["bob"], people["dan"]
    room = ann.create_resource("Room").id
    with pytest.raises(StateError, match="book it instead"):
        dan.join_waitlist(room, START, END)
    bob.book(room, START, END)
    dan.join_waitlist(room, START, END)
    with pytest.raises(AlreadyExistsError):
        dan.join_waitlist(room, START + timedelta(minutes=30), END)
    with pytest.raises(ValidationError):
        dan.join_waitlist(room, START, END, flexible_minutes=25 * 60)
    with pytest.raises(ValidationError):
        dan.join_waitlist(room, NOW - timedelta(hours=1), NOW)


def test_nobody_but_admins_sees_who_else_waits(people: dict[str, LocalBackend]) -> None:
    ann, bob, dan, eve = people["ann"], people["bob"], people["dan"], people["eve"]
    room = ann.create_resource("Room").id
    bob.book(room, START, END)
    entry = dan.join_waitlist(room, START, END)
    with pytest.raises(ForbiddenError):
        eve.waitlist(everyone=True)
    with pytest.raises(ForbiddenError):
        eve.get_waitlist_entry(entry.id)
    assert eve.waitlist() == []
    assert [(e.id, e.username) for e in ann.waitlist(everyone=True)] == [(entry.id, "dan")]
    left = dan.leave_waitlist(entry.id)
    assert left.status == "left" and left.position is None


def test_admins_changes_reach_the_owners_inbox(
    people: dict[str, LocalBackend],
) -> None:
    ann, bob = people["ann"], people["bob"]
    room = ann.create_resource("Room").id
    first = bob.book(room, START, END)
    second = bob.book(room, END, END + timedelta(hours=1))
    third = bob.book(room, START + timedelta(days=1), END + timedelta(days=1))
    ann.cancel(first.id, "room needed for an audit")
    ann.move(second.id, END + timedelta(hours=2), END + timedelta(hours=3))
    ann.schedule_maintenance(room, timedelta(hours=2), START + timedelta(days=1), "paint")
    assert kinds(bob) == ["cancelled", "moved", "at_risk"]
    texts = [n.text for n in reversed(bob.inbox())]
    assert "room needed for an audit" in texts[0] and "paint" in texts[2]
    assert bob.inbox()[0].reservation_id == third.id
    # Their own changes tell nobody.
    bob.cancel(third.id)
    assert len(bob.inbox()) == 3


def test_reading_the_inbox(people: dict[str, LocalBackend], scope: int) -> None:
    bob, cat = people["bob"], people["cat"]
    bob.book(scope, START, END)
    bob.book(scope, END, END + timedelta(hours=1))
    assert cat.unread_count() == 2
    newest = cat.inbox()[0]
    assert cat.mark_read([newest.id]) == 1
    assert [n.id for n in cat.inbox(unread_only=True)] != [newest.id]
    assert cat.unread_count() == 1
    with pytest.raises(ValidationError, match="no notice"):
        bob.mark_read([newest.id])
    assert cat.mark_read() == 1 and cat.unread_count() == 0


def test_pending_and_offered_count_toward_allowances(
    people: dict[str, LocalBackend], scope: int
) -> None:
    ann, bob = people["ann"], people["bob"]
    ann.set_policy(PolicyScope("resource", resource_id=scope), PolicyChanges(max_active=1))
    bob.book(scope, START, END)
    with pytest.raises(PolicyError, match="already hold 1"):
        bob.book(scope, END, END + timedelta(hours=1))


def test_a_series_on_an_approval_resource_is_requested_date_by_date(
    people: dict[str, LocalBackend], scope: int
) -> None:
    from reserver_core.schemas import SeriesRequest, SeriesRule

    bob, cat = people["bob"], people["cat"]
    outcome = bob.book_series(
        SeriesRequest(scope, datetime(2027, 1, 4, 9, 0), "UTC", 60, SeriesRule("weekly", count=3))
    )
    assert outcome.series is not None
    assert [o.status for o in outcome.series.occurrences] == ["pending"] * 3
    assert kinds(cat) == ["request"] and "series" in cat.inbox()[0].text
    assert len(cat.pending_requests()) == 3
