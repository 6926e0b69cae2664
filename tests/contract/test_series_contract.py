"""Recurring series through the `Backend` interface, on `LocalBackend` and `RemoteBackend`.

The same requests must book (or refuse) the same occurrences with the same words on a
local store and over HTTP: a refusal as a whole comes back as `SeriesRefusedError` with
every date's state, a bad rule as `ValidationError` naming the field.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from support.clock import NOW
from support.contract import World

from reserver_core.backend import Backend
from reserver_core.errors import (
    ForbiddenError,
    NotFoundError,
    SeriesRefusedError,
    StateError,
    ValidationError,
)
from reserver_core.schemas import SeriesOutcome, SeriesRequest, SeriesRule

BERLIN = ZoneInfo("Europe/Berlin")
HOUR = timedelta(hours=1)
FIRST_MONDAY = datetime(2027, 3, 1, 9, 0)
"""Monday 1 March 2027, 09:00 in Berlin (08:00 UTC); the clocks go forward on the 28th."""


def _room(world: World, name: str = "Lab") -> int:
    return world.admin.create_resource(name).id


def _weekly(
    resource_id: int, count: int | None = 8, start: datetime = FIRST_MONDAY, **rule: object
) -> SeriesRequest:
    return SeriesRequest(
        resource_id=resource_id,
        start=start,
        timezone="Europe/Berlin",
        length_minutes=60,
        rule=SeriesRule("weekly", count=count, **rule),  # type: ignore[arg-type]
        note="lab meeting",
    )


def _booked(backend: Backend, request: SeriesRequest) -> SeriesOutcome:
    done = backend.book_series(request)
    assert done.series is not None
    return done


def _utc_hours(done: SeriesOutcome) -> list[int]:
    return [o.start_time.hour for o in done.occurrences if o.start_time is not None]


def test_a_weekly_series_keeps_its_wall_time_across_the_dst_change(world: World) -> None:
    room = _room(world)
    bob = world.member("bob")
    done = _booked(bob, _weekly(room))
    assert (done.booked, done.left_out, done.dry_run) == (8, 0, False)
    assert [o.state for o in done.occurrences] == ["booked"] * 8
    assert _utc_hours(done) == [8, 8, 8, 8, 7, 7, 7, 7]
    assert {o.start_time.astimezone(BERLIN).time() for o in done.occurrences} == {time(9)}  # type: ignore[union-attr]
    assert [o.day for o in done.occurrences] == [
        date(2027, 3, 1) + timedelta(weeks=n) for n in range(8)
    ]
    series = done.series
    assert series is not None
    assert (series.username, series.timezone, series.start, series.length_minutes) == (
        "bob",
        "Europe/Berlin",
        FIRST_MONDAY,
        60,
    )
    assert series.rule == SeriesRule("weekly", 1, "", 8, None)
    assert series.rule_text == "every week on Mon at 09:00 Europe/Berlin, 8 times"
    assert (series.note, series.created_at, series.cancelled_at) == ("lab meeting", NOW, None)
    assert [r.id for r in series.occurrences] == [o.reservation_id for o in done.occurrences]
    assert bob.get_series(series.id) == series
    mine = bob.my_reservations()
    assert sorted(r.id for r in mine) == [r.id for r in series.occurrences]
    assert {(r.series_id, r.note, r.status) for r in mine} == {(series.id, "lab meeting", "active")}
    created = bob.history(series.occurrences[0].id)
    assert [(e.action, e.details) for e in created] == [
        ("created", f"2027-03-01 08:00-09:00 UTC (series {series.id}, 1 of 8)")
    ]


def test_an_aware_start_is_its_wall_time_in_the_zone(world: World) -> None:
    room = _room(world)
    aware = _weekly(room, start=datetime(2027, 3, 1, 8, 0, tzinfo=UTC))
    done = world.member("bob").book_series(aware, dry_run=True)
    assert _utc_hours(done) == [8, 8, 8, 8, 7, 7, 7, 7]


def test_a_dry_run_books_nothing(world: World) -> None:
    room = _room(world)
    bob = world.member("bob")
    preview = bob.book_series(_weekly(room), dry_run=True)
    assert (preview.series, preview.booked, preview.left_out, preview.dry_run) == (
        None,
        8,
        0,
        True,
    )
    assert [o.state for o in preview.occurrences] == ["free"] * 8
    assert {o.reservation_id for o in preview.occurrences} == {None}
    assert bob.my_reservations() == []
    assert bob.list_series() == []


def test_one_clash_books_nothing_and_names_that_date(world: World) -> None:
    room = _room(world)
    # Occurrence 5 of 10 is Monday 29 March, 09:00-10:00 Berlin (07:00 UTC).
    clash_start = datetime(2027, 3, 29, 7, 30, tzinfo=UTC)
    held = world.member("carol").book(room, clash_start, clash_start + HOUR)
    bob = world.member("bob")
    with pytest.raises(SeriesRefusedError) as refused:
        bob.book_series(_weekly(room, count=10))
    error = refused.value
    assert error.code == "series"
    assert error.message == (
        "nothing was booked: 1 of 10 occurrences cannot be booked: Mon 29 Mar 2027 (#5): "
        "clashes with carol's booking Mon 29 Mar 2027 09:30-10:30 CEST"
    )
    assert error.resource == "Lab"
    assert [o.state for o in error.occurrences] == ["free"] * 4 + ["clash"] + ["free"] * 5
    fifth = error.occurrences[4]
    assert (fifth.index, fifth.day) == (5, date(2027, 3, 29))
    assert [(c.reservation_id, c.username) for c in fifth.clashes] == [(held.id, "carol")]
    assert (fifth.clashes[0].start_time, fifth.clashes[0].end_time) == (
        clash_start,
        clash_start + HOUR,
    )
    assert bob.my_reservations() == []
    assert bob.list_series() == []
    # The preview says the same, and books nothing either.
    preview = bob.book_series(_weekly(room, count=10), dry_run=True)
    assert preview.occurrences == error.occurrences
    assert (preview.booked, preview.left_out) == (9, 1)


def test_skip_conflicts_books_the_rest_and_lists_the_clash(world: World) -> None:
    room = _room(world)
    clash_start = datetime(2027, 3, 29, 7, 30, tzinfo=UTC)
    world.member("carol").book(room, clash_start, clash_start + HOUR)
    bob = world.member("bob")
    done = bob.book_series(_weekly(room, count=10), skip_conflicts=True)
    assert (done.booked, done.left_out) == (9, 1)
    assert [o.index for o in done.occurrences if o.state == "clash"] == [5]
    assert [o.state for o in done.occurrences].count("booked") == 9
    assert done.series is not None
    assert len(done.series.occurrences) == 9
    assert date(2027, 3, 29) not in {
        r.start_time.astimezone(BERLIN).date() for r in done.series.occurrences
    }
    assert len(bob.my_reservations()) == 9


def test_nothing_free_is_refused_even_when_skipping_conflicts(world: World) -> None:
    room = _room(world)
    start = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
    world.member("carol").book(room, start, start + HOUR)
    with pytest.raises(SeriesRefusedError, match=r"^nothing can be booked: 1 of 1 "):
        world.member("bob").book_series(_weekly(room, count=1), skip_conflicts=True)


def test_monthly_on_the_31st_skips_the_months_without_one(world: World) -> None:
    room = _room(world)
    request = dataclasses.replace(
        _weekly(room, start=datetime(2027, 1, 31, 9, 0)),
        rule=SeriesRule("monthly", on="31st", count=12),
    )
    done = _booked(world.member("bob"), request)
    assert done.booked == 7
    skipped = [o for o in done.occurrences if o.state == "skipped"]
    assert [o.day.month for o in skipped] == [2, 4, 6, 9, 11]
    assert skipped[0].reason == "February 2027 has no 31st: skipped"
    assert {o.start_time for o in skipped} == {None}
    assert {o.day.day for o in done.occurrences if o.state == "booked"} == {31}
    assert done.series is not None
    assert done.series.rule.on == "31"
    assert len(done.series.occurrences) == 7


def test_monthly_on_the_last_friday(world: World) -> None:
    room = _room(world)
    request = dataclasses.replace(
        _weekly(room, start=datetime(2027, 1, 1, 9, 0)),
        rule=SeriesRule("monthly", on="last-fri", count=12),
    )
    done = world.member("bob").book_series(request, dry_run=True)
    days = [o.day for o in done.occurrences]
    assert len(days) == 12
    assert {d.weekday() for d in days} == {4}
    assert all((d + timedelta(weeks=1)).month != d.month for d in days)


def test_cancelling_one_occurrence_leaves_the_series(world: World) -> None:
    room = _room(world)
    bob = world.member("bob")
    series = _booked(bob, _weekly(room)).series
    assert series is not None
    third = series.occurrences[2]
    cancelled = bob.cancel(third.id, "away that week")
    assert (cancelled.status, cancelled.series_id) == ("cancelled", series.id)
    after = bob.get_series(series.id)
    assert [r.status for r in after.occurrences] == ["active"] * 2 + ["cancelled"] + ["active"] * 5
    assert after.cancelled_at is None
    assert len(after.upcoming) == 7


def test_cancelling_this_and_later_occurrences(world: World) -> None:
    room = _room(world)
    bob = world.member("bob")
    series = _booked(bob, _weekly(room)).series
    assert series is not None
    fourth = series.occurrences[3]
    after = bob.cancel_series(series.id, from_time=fourth.start_time, reason="room moves")
    assert [r.status for r in after.occurrences] == ["active"] * 3 + ["cancelled"] * 5
    assert {r.cancellation_reason for r in after.occurrences[3:]} == {"room moves"}
    assert after.cancelled_at is None
    assert bob.history(fourth.id)[0].details == (
        f"series {series.id} cancelled from 2027-03-22 08:00 UTC on: room moves"
    )
    with pytest.raises(StateError, match="no upcoming occurrence from 2027-03-22 08:00 UTC on"):
        bob.cancel_series(series.id, from_time=fourth.start_time)


def test_cancelling_the_whole_series_keeps_the_reason_in_each_history(world: World) -> None:
    room = _room(world)
    bob = world.member("bob")
    series = _booked(bob, _weekly(room)).series
    assert series is not None
    bob.cancel(series.occurrences[0].id)
    after = bob.cancel_series(series.id, reason="lab closed")
    assert {r.status for r in after.occurrences} == {"cancelled"}
    assert (after.cancelled_at, after.cancellation_reason) == (NOW, "lab closed")
    assert after.upcoming == []
    for occurrence in after.occurrences[1:]:
        latest = bob.history(occurrence.id)[0]
        assert (latest.action, latest.actor, latest.details) == (
            "cancelled",
            "bob",
            f"series {series.id} cancelled: lab closed",
        )
    # The one cancelled before keeps its own history.
    assert bob.history(after.occurrences[0].id)[0].details == ""
    with pytest.raises(StateError, match=f"series {series.id} has no upcoming occurrence"):
        bob.cancel_series(series.id)
    assert bob.my_reservations() == []


def test_retiming_previews_then_moves_every_future_occurrence(world: World) -> None:
    room = _room(world)
    bob = world.member("bob")
    series = _booked(bob, _weekly(room)).series
    assert series is not None
    preview = bob.retime_series(series.id, time(10, 30), 90, dry_run=True)
    assert (preview.dry_run, preview.booked, preview.left_out, preview.series) == (
        True,
        8,
        0,
        None,
    )
    assert [o.reservation_id for o in preview.occurrences] == [r.id for r in series.occurrences]
    assert bob.get_series(series.id) == series
    moved = bob.retime_series(series.id, time(10, 30), 90)
    assert [o.state for o in moved.occurrences] == ["booked"] * 8
    after = moved.series
    assert after is not None
    assert {r.start_time.astimezone(BERLIN).time() for r in after.occurrences} == {time(10, 30)}
    assert {r.end_time - r.start_time for r in after.occurrences} == {timedelta(minutes=90)}
    assert (after.start, after.length_minutes) == (datetime(2027, 3, 1, 10, 30), 90)
    assert after.rule_text == "every week on Mon at 10:30 Europe/Berlin, 8 times"
    assert [r.id for r in after.occurrences] == [r.id for r in series.occurrences]
    assert bob.history(after.occurrences[0].id)[0].details == (
        f"2027-03-01 08:00-09:00 UTC -> 2027-03-01 09:30-11:00 UTC (series {series.id} retimed)"
    )
    assert bob.get_series(series.id) == after


def test_a_retime_onto_a_clash_moves_nothing(world: World) -> None:
    room = _room(world)
    bob = world.member("bob")
    series = _booked(bob, _weekly(room)).series
    assert series is not None
    # 11:00 Berlin on the sixth Monday, 5 April (CEST): 09:00 UTC.
    taken = datetime(2027, 4, 5, 9, 0, tzinfo=UTC)
    world.member("carol").book(room, taken, taken + HOUR)
    with pytest.raises(SeriesRefusedError) as refused:
        bob.retime_series(series.id, time(11, 0))
    assert refused.value.message.startswith("nothing was moved: 1 of 8 occurrences")
    bad = [o for o in refused.value.occurrences if o.state != "free"]
    assert [(o.index, o.state, o.reservation_id) for o in bad] == [
        (6, "clash", series.occurrences[5].id)
    ]
    assert bob.get_series(series.id) == series


def test_series_are_listed_and_read_by_their_owner_and_admins(world: World) -> None:
    room = _room(world)
    bob, carol = world.member("bob"), world.member("carol")
    first = _booked(bob, _weekly(room, count=2)).series
    second = _booked(bob, _weekly(room, count=2, start=datetime(2027, 3, 2, 9))).series
    theirs = _booked(carol, _weekly(room, count=2, start=datetime(2027, 3, 3, 9))).series
    assert first is not None and second is not None and theirs is not None
    assert [s.id for s in bob.list_series()] == [second.id, first.id]
    assert [s.id for s in carol.list_series()] == [theirs.id]
    assert [s.id for s in world.admin.list_series(everyone=True)] == [
        theirs.id,
        second.id,
        first.id,
    ]
    assert world.admin.list_series() == []
    assert world.admin.get_series(first.id) == bob.get_series(first.id)
    with pytest.raises(ForbiddenError):
        bob.list_series(everyone=True)


def test_a_member_can_neither_see_nor_change_anothers_series(world: World) -> None:
    room = _room(world)
    series = _booked(world.member("bob"), _weekly(room, count=2)).series
    assert series is not None
    carol = world.member("carol")
    denied = f"access denied: series {series.id} belongs to someone else"
    with pytest.raises(ForbiddenError, match=denied):
        carol.get_series(series.id)
    with pytest.raises(ForbiddenError, match=denied):
        carol.cancel_series(series.id, reason="mine now")
    with pytest.raises(ForbiddenError, match=denied):
        carol.retime_series(series.id, time(12, 0))
    assert world.admin.get_series(series.id).upcoming == series.occurrences
    # An admin may change it.
    cancelled = world.admin.cancel_series(series.id, reason="lab closed")
    assert {r.status for r in cancelled.occurrences} == {"cancelled"}
    for unknown in (0, series.id + 1000):
        with pytest.raises(NotFoundError, match=f"series {unknown} not found"):
            carol.get_series(unknown)
        with pytest.raises(NotFoundError, match=f"series {unknown} not found"):
            carol.cancel_series(unknown)
        with pytest.raises(NotFoundError, match=f"series {unknown} not found"):
            carol.retime_series(unknown, time(9, 0))


@pytest.mark.parametrize(
    ("rule", "field", "message"),
    [
        (SeriesRule("daily", count=367), "count", "the count must be 1-366"),
        (
            SeriesRule("daily", until=date(2028, 12, 31)),
            "until",
            "a series holds at most 366 dates",
        ),
        (
            SeriesRule("weekly", until=date(2029, 1, 1)),
            "until",
            r"a series may reach at most 2 years ahead \(to Fri 1 Dec 2028\)",
        ),
        (SeriesRule("weekly", count=3, until=date(2027, 4, 1)), "count", "give one of them"),
        (SeriesRule("weekly"), "count", "a series ends after a count or on a date"),
        (SeriesRule("weekly", on="31", count=3), "on", r"'31' is not a weekday"),
        (SeriesRule("monthly", on="6th mon", count=3), "on", "is not a day of the month"),
        (SeriesRule("daily", on="mon", count=3), "on", "a daily series repeats every day"),
        (SeriesRule("weekly", every=0, count=3), "every", "'every' must be 1-99"),
        (SeriesRule("hourly", count=3), "repeat", "'hourly' is not a repeat"),  # type: ignore[arg-type]
    ],
)
def test_bad_rules_are_refused_naming_the_field(
    world: World, rule: SeriesRule, field: str, message: str
) -> None:
    room = _room(world)
    for dry_run in (True, False):
        with pytest.raises(ValidationError, match=message) as refused:
            world.member("bob").book_series(
                dataclasses.replace(_weekly(room), rule=rule), dry_run=dry_run
            )
        assert refused.value.field == field
    assert world.admin.all_reservations() == []


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone", "unknown time zone 'Mars/Olympus'"),
        ({"length_minutes": 0}, "length_minutes", "the length must be at least a minute"),
        ({"length_minutes": 10**12}, "length_minutes", "at most 366 days"),
        ({"start": datetime(2026, 11, 30, 9)}, "start", r"is in the past"),
        ({"start": datetime(1, 1, 1, 0, 30)}, "start", r"in the past: start it later"),
        ({"length_minutes": 8 * 24 * 60}, "length_minutes", "occurrences would overlap"),
    ],
)
def test_bad_requests_are_refused_naming_the_field(
    world: World, changes: dict[str, object], field: str, message: str
) -> None:
    room = _room(world)
    with pytest.raises(ValidationError, match=message) as refused:
        world.member("bob").book_series(dataclasses.replace(_weekly(room), **changes))  # type: ignore[arg-type]
    assert refused.value.field == field


def test_an_unknown_resource_is_not_found(world: World) -> None:
    with pytest.raises(NotFoundError, match="resource 4711 not found"):
        world.member("bob").book_series(_weekly(4711))
