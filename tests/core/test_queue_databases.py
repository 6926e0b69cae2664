"""Held slots on each kind of store: on SQLite, PostgreSQL and MariaDB a pending request and
an offer hold their slot as a booking does, deciding and answering them works, and the
upkeep (whose row locks differ by dialect) lapses and offers the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from support.clock import NOW
from support.settings import fast_settings

from reserver_core.clock import FixedClock
from reserver_core.errors import ConflictError
from reserver_core.local import LocalBackend
from reserver_core.schemas import PolicyChanges, PolicyScope

START = NOW + timedelta(days=1, hours=1)
END = START + timedelta(hours=1)


class Store:
    """Backends for named users on one store, on one clock."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.clock = FixedClock(NOW)
        self.opened: list[LocalBackend] = []
        self.admin = self.user("alice")

    def user(self, name: str) -> LocalBackend:
        backend = LocalBackend.open(self.url, fast_settings(), self.clock, username=name)
        self.opened.append(backend)
        return backend


@pytest.fixture
def store(any_url: str) -> Iterator[Store]:
    built = Store(any_url)
    yield built
    for backend in built.opened:
        backend.close()


def _approval_room(store: Store) -> int:
    store.user("carol")
    room = store.admin.create_resource("Microscope").id
    store.admin.set_policy(
        PolicyScope("resource", resource_id=room),
        PolicyChanges(approval=True, approvers=["carol"], offer_hold_minutes=30),
    )
    return room


def test_a_pending_request_blocks_another_booking_of_its_slot(store: Store) -> None:
    room = _approval_room(store)
    request = store.user("bob").book(room, START, END)
    assert request.status == "pending"
    erin = store.user("erin")
    for start in (START, START + timedelta(minutes=45), START - timedelta(minutes=45)):
        with pytest.raises(ConflictError) as clash:
            erin.book(room, start, start + timedelta(hours=1))
        assert [w.reservation_id for w in clash.value.windows] == [request.id]
    # An admin, whose booking needs no approval, is held off as well.
    with pytest.raises(ConflictError):
        store.admin.book(room, START, END)
    assert erin.book(room, END, END + timedelta(hours=1)).status == "pending"
    approved = store.user("carol").approve(request.id)
    assert approved.status == "active"
    with pytest.raises(ConflictError):
        erin.book(room, START, END)


def test_a_rejection_offers_the_slot_and_the_offer_holds_it(store: Store) -> None:
    room = _approval_room(store)
    request = store.user("bob").book(room, START, END)
    dave, erin = store.user("dave"), store.user("erin")
    first = dave.join_waitlist(room, START, END)
    second = erin.join_waitlist(room, START, END)
    store.user("carol").reject(request.id, "closed")
    offer = dave.get_waitlist_entry(first.id).offer
    assert offer is not None and offer.status == "offered"
    with pytest.raises(ConflictError):
        erin.book(room, START, END)
    # Unanswered, the offer lapses on the upkeep and goes to the next in line.
    store.clock.set(NOW + timedelta(minutes=31))
    report = store.admin.run_expiry()
    assert (report.lapsed_count, report.offers_made) == (1, 1)
    assert dave.get_reservation(offer.id).status == "expired"
    passed_on = erin.get_waitlist_entry(second.id).offer
    assert passed_on is not None
    assert erin.accept_offer(passed_on.id).status == "active"
    again = store.admin.run_expiry()
    assert (again.lapsed_count, again.offers_made) == (0, 0)
    assert [n.kind for n in dave.inbox()] == ["offer_expired", "offer"]
    assert [n.kind for n in erin.inbox()] == ["offer"]


@pytest.mark.postgres
def test_postgres_itself_refuses_a_holder_over_a_held_slot(postgres_url: str) -> None:
    """The exclusion constraint, not only the core's check, covers pending and offered."""
    store = Store(postgres_url)
    try:
        room = _approval_room(store)
        request = store.user("bob").book(room, START, END)
        insert = text(
            "INSERT INTO reservations (resource_id, user_id, start_time, end_time, status, "
            "created_at, note) VALUES (:room, :user, :start, :end, :status, :now, '')"
        )
        for status in ("active", "pending", "offered"):
            with (
                pytest.raises(IntegrityError, match="exclusion constraint"),
                store.admin.database.write_engine.begin() as connection,
            ):
                connection.execute(
                    insert,
                    {
                        "room": room,
                        "user": request.user_id,
                        "start": START + timedelta(minutes=30),
                        "end": END + timedelta(minutes=30),
                        "status": status,
                        "now": NOW,
                    },
                )
    finally:
        for backend in store.opened:
            backend.close()
