"""Property test: the real LocalBackend agrees with a brute-force model of bookings.

Random sequences of book / cancel / advance-the-clock / expire run against a real
SQLite store driven by a FixedClock; after every step the store's active
reservations, the outcome of the step and the named conflicts must equal what
a naive list-of-intervals model predicts.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from support.clock import NOW
from support.settings import fast_settings

from reserver_core.clock import FixedClock
from reserver_core.errors import ConflictError, StateError, ValidationError
from reserver_core.local import LocalBackend

SLOT = timedelta(minutes=30)
"""The grid that starts and lengths fall on: coarse, so that windows often touch."""

Step = tuple[str, int, int, int]

book_step = st.tuples(
    st.just("book"),
    st.integers(0, 1),  # which of the example's two resources
    st.integers(0, 10),  # start, in slots from the example's first moment
    st.integers(1, 3),  # length, in slots
)
cancel_step = st.tuples(st.just("cancel"), st.integers(0, 50), st.just(0), st.just(0))
advance_step = st.tuples(st.just("advance"), st.integers(0, 6), st.just(0), st.just(0))
expire_step = st.tuples(st.just("expire"), st.just(0), st.just(0), st.just(0))
steps = st.lists(
    st.one_of(book_step, book_step, book_step, cancel_step, advance_step, expire_step),
    min_size=5,
    max_size=30,
)


@dataclass
class Booked:
    """The model's view of one reservation."""

    id: int
    resource: int
    start: datetime
    end: datetime
    status: str = "active"


def overlapping(model: list[Booked], resource: int, start: datetime, end: datetime) -> list[int]:
    return [
        b.id
        for b in model
        if b.resource == resource and b.status == "active" and b.start < end and b.end > start
    ]


def test_the_store_agrees_with_a_brute_force_model(tmp_path: Path) -> None:
    clock = FixedClock(NOW)
    backend = LocalBackend.open(
        f"sqlite:///{tmp_path / 'model.db'}", fast_settings(), clock, username="alice"
    )
    counter = itertools.count()

    @settings(
        max_examples=100,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
        database=None,
    )
    @given(steps)
    # Touching windows both ways, a cancelled slot re-booked, an expiry that finds work.
    @example([("book", 0, 2, 2), ("book", 0, 4, 1), ("book", 0, 1, 1), ("book", 0, 3, 2)])
    @example(
        [
            ("book", 1, 1, 2),
            ("cancel", 0, 0, 0),
            ("book", 1, 2, 1),
            ("advance", 4, 0, 0),
            ("expire", 0, 0, 0),
            ("book", 1, 5, 1),
            ("cancel", 1, 0, 0),
        ]
    )
    def run(sequence: list[Step]) -> None:
        # Each example gets resources of its own; the clock only moves forward.
        number = next(counter)
        rooms = [backend.create_resource(f"Room {number}-{i}").id for i in range(2)]
        model: list[Booked] = []
        base = clock.now()
        for action, first, second, third in sequence:
            now = clock.now()
            if action == "book":
                resource = rooms[first]
                start = base + SLOT * second
                end = start + SLOT * third
                clashing = overlapping(model, resource, start, end)
                try:
                    made = backend.book(resource, start, end)
                except ValidationError:
                    assert start <= now
                except ConflictError as conflict:
                    assert start > now and clashing
                    assert sorted(w.reservation_id or 0 for w in conflict.windows) == clashing
                else:
                    assert start > now and not clashing
                    model.append(Booked(made.id, resource, start, end))
            elif action == "cancel" and model:
                target = model[first % len(model)]
                try:
                    backend.cancel(target.id)
                except StateError:
                    assert target.status != "active" or target.end <= now
                else:
                    assert target.status == "active" and target.end > now
                    target.status = "cancelled"
            elif action == "advance":
                clock.advance(SLOT * first)
            elif action == "expire":
                due = [b for b in model if b.status == "active" and b.end <= now]
                report = backend.expire()
                assert report.expired_count == len(due)
                for booked in due:
                    booked.status = "expired"
            for resource in rooms:
                stored = backend.resource_reservations(resource, NOW, now + timedelta(days=30))
                expected = sorted(
                    (b.start, b.end, b.id)
                    for b in model
                    if b.resource == resource and b.status == "active"
                )
                assert [(r.start_time, r.end_time, r.id) for r in stored] == expected
                for earlier, later in itertools.pairwise(stored):
                    assert earlier.end_time <= later.start_time
        stored_status = {r.id: r.status for r in backend.all_reservations(include_cancelled=True)}
        assert all(stored_status[b.id] == b.status for b in model)
        # Leave nothing active for the next example: move past every window and expire.
        clock.advance(SLOT * 20)
        backend.expire()

    try:
        run()
    finally:
        backend.close()
