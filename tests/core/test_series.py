"""Recurring series through LocalBackend on a real SQLite file (and the three databases where
the all-or-nothing booking is the database's work): wall time across daylight-saving
changes, monthly rules that skip days a month lacks, all or nothing, and bad rules."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from support.clock import NOW
from support.settings import fast_settings

from reserver_core import series
from reserver_core.clock import FixedClock
from reserver_core.errors import (
    ForbiddenError,
    SeriesRefusedError,
    UnavailableError,
    ValidationError,
)
from reserver_core.local import LocalBackend
from reserver_core.models import Reservation, Series
from reserver_core.schemas import PolicyChanges, PolicyScope, SeriesRequest, SeriesRule

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def weekly(resource_id: int, start: datetime, zone: str, count: int) -> SeriesRequest:
    return SeriesRequest(resource_id, start, zone, 60, SeriesRule("weekly", count=count))


@pytest.fixture
def room(local: LocalBackend) -> int:
    return local.create_resource("Lab").id


@pytest.fixture
def bob(local: LocalBackend, sqlite_url: str, clock: FixedClock) -> Iterator[LocalBackend]:
    """A member of the same store."""
    backend = LocalBackend.open(sqlite_url, fast_settings(), clock, username="bob")
    yield backend
    backend.close()


def test_weekly_berlin_keeps_nine_across_spring_change(local: LocalBackend, room: int) -> None:
    outcome = local.book_series(weekly(room, datetime(2027, 3, 1, 9, 0), "Europe/Berlin", 8))
    assert outcome.booked == 8 and outcome.left_out == 0 and outcome.series is not None
    starts = [o.start_time for o in outcome.series.occurrences]
    assert [s.astimezone(BERLIN).time() for s in starts] == [time(9, 0)] * 8
    assert [s.astimezone(UTC).hour for s in starts] == [8, 8, 8, 8, 7, 7, 7, 7]
    assert all(o.series_id == outcome.series.id for o in outcome.series.occurrences)
    assert outcome.series.rule_text == "every week on Mon at 09:00 Europe/Berlin, 8 times"


def test_weekly_new_york_keeps_nine_across_its_own_change(local: LocalBackend, room: int) -> None:
    # New York moves its clocks on 14 March 2027, two weeks before Berlin.
    outcome = local.book_series(weekly(room, datetime(2027, 3, 1, 9, 0), "America/New_York", 8))
    assert outcome.series is not None
    starts = [o.start_time for o in outcome.series.occurrences]
    assert [s.astimezone(NEW_YORK).time() for s in starts] == [time(9, 0)] * 8
    assert [s.astimezone(UTC).hour for s in starts] == [14, 14, 13, 13, 13, 13, 13, 13]


def test_daily_through_the_autumn_fold_takes_the_first_instant(
    local: LocalBackend, room: int
) -> None:
    request = SeriesRequest(
        room, datetime(2027, 10, 29, 2, 30), "Europe/Berlin", 30, SeriesRule("daily", count=4)
    )
    preview = local.book_series(request, dry_run=True)
    by_day = {o.day: o for o in preview.occurrences}
    fold = by_day[date(2027, 10, 31)]
    assert fold.dst == "fold" and fold.state == "free"
    assert fold.start_time == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)  # 02:30 CEST
    assert "happens twice" in fold.remark and "the first" in fold.remark
    others = [o for o in preview.occurrences if o.day != fold.day]
    assert all(o.dst == "" and o.remark == "" for o in others)
    assert all(o.start_time.astimezone(BERLIN).time() == time(2, 30) for o in preview.occurrences)  # type: ignore[union-attr]
    assert local.my_reservations() == []


def test_a_time_the_clocks_skip_is_reported_and_booked_when_they_show_it(
    local: LocalBackend, room: int
) -> None:
    request = SeriesRequest(
        room, datetime(2027, 3, 27, 2, 30), "Europe/Berlin", 30, SeriesRule("daily", count=3)
    )
    outcome = local.book_series(request)
    gap = outcome.occurrences[1]
    assert gap.day == date(2027, 3, 28) and gap.dst == "gap" and gap.state == "booked"
    assert "does not exist" in gap.remark and "03:30" in gap.remark
    assert gap.start_time is not None and gap.start_time.astimezone(BERLIN).time() == time(3, 30)
    assert outcome.booked == 3


def test_monthly_on_the_31st_skips_the_months_without_one(local: LocalBackend, room: int) -> None:
    request = SeriesRequest(
        room, datetime(2027, 1, 31, 12, 0), "Europe/Berlin", 60, SeriesRule("monthly", count=12)
    )
    outcome = local.book_series(request)
    booked = [o for o in outcome.occurrences if o.state == "booked"]
    skipped = [o for o in outcome.occurrences if o.state == "skipped"]
    assert len(booked) == 7 and len(skipped) == 5 and outcome.booked == 7
    assert {o.day.month for o in booked} == {1, 3, 5, 7, 8, 10, 12}
    assert all(o.day.day == 31 for o in booked)
    assert next(o.reason for o in skipped) == "February 2027 has no 31st: skipped"
    assert all(o.start_time is None for o in skipped)
    assert outcome.series is not None and len(outcome.series.occurrences) == 7


def test_last_friday_for_twelve_months(local: LocalBackend, room: int) -> None:
    request = SeriesRequest(
        room,
        datetime(2027, 1, 1, 15, 0),
        "Europe/Berlin",
        60,
        SeriesRule("monthly", on="last-fri", count=12),
    )
    outcome = local.book_series(request)
    days = [o.day for o in outcome.occurrences]
    assert outcome.booked == 12 and len({d.month for d in days}) == 12
    assert all(d.weekday() == 4 and (d + timedelta(days=7)).month != d.month for d in days)
    assert outcome.series is not None and outcome.series.rule.on == "last fri"
    assert "on the last Friday" in outcome.series.rule_text


def test_second_tuesday_and_weekdays(local: LocalBackend, room: int) -> None:
    second = SeriesRequest(
        room,
        datetime(2027, 1, 1, 10, 0),
        "UTC",
        60,
        SeriesRule("monthly", on="second Tuesday", count=3),
    )
    days = [o.day for o in local.book_series(second, dry_run=True).occurrences]
    assert days == [date(2027, 1, 12), date(2027, 2, 9), date(2027, 3, 9)]
    twice = SeriesRequest(
        room,
        datetime(2027, 1, 5, 10, 0),  # a Tuesday: the first Monday is the 11th
        "UTC",
        60,
        SeriesRule("weekly", every=2, on="Wed, mon", count=4),
    )
    days = [o.day for o in local.book_series(twice, dry_run=True).occurrences]
    assert days == [date(2027, 1, 6), date(2027, 1, 18), date(2027, 1, 20), date(2027, 2, 1)]


def clash_on_fifth(backend: LocalBackend, room: int) -> SeriesRequest:
    """Ten daily 10:00-11:00 Berlin dates from 1 Feb 2027, the fifth taken by `backend`."""
    taken = datetime(2027, 2, 5, 10, 30, tzinfo=BERLIN)
    backend.book(room, taken, taken + timedelta(hours=1))
    return SeriesRequest(
        room, datetime(2027, 2, 1, 10, 0), "Europe/Berlin", 60, SeriesRule("daily", count=10)
    )


def test_a_clash_on_the_fifth_of_ten_books_nothing_and_names_it(any_url: str) -> None:
    store = LocalBackend.open(any_url, fast_settings(), FixedClock(NOW), username="ann")
    other = LocalBackend.open(any_url, fast_settings(), FixedClock(NOW), username="bob")
    try:
        room = store.create_resource("Lab").id
        request = clash_on_fifth(other, room)
        with pytest.raises(SeriesRefusedError) as refused:
            store.book_series(request)
        message = str(refused.value)
        assert message.startswith("nothing was booked: 1 of 10 occurrences cannot be booked")
        assert "Fri 5 Feb 2027 (#5): clashes with bob's booking" in message
        bad = [o for o in refused.value.occurrences if o.state != "free"]
        assert [(o.index, o.state) for o in bad] == [(5, "clash")]
        assert bad[0].clashes[0].username == "bob"
        assert store.my_reservations() == []
        assert (
            store.database.read(lambda s: s.scalar(select(func.count()).select_from(Series))) == 0
        )

        skipping = store.book_series(request, skip_conflicts=True)
        assert skipping.booked == 9 and skipping.left_out == 1
        assert [o.index for o in skipping.occurrences if o.state == "clash"] == [5]
        assert len(store.my_reservations()) == 9
    finally:
        store.close()
        other.close()


def test_policy_refusals_name_the_rule_and_count_the_series_own_dates(
    local: LocalBackend, bob: LocalBackend, room: int
) -> None:
    local.set_policy(PolicyScope("resource", resource_id=room), PolicyChanges(max_active=3))
    request = SeriesRequest(
        room, datetime(2027, 2, 1, 10, 0), "Europe/Berlin", 60, SeriesRule("daily", count=5)
    )
    preview = bob.book_series(request, dry_run=True)
    assert [o.state for o in preview.occurrences] == ["free"] * 3 + ["refused"] * 2
    assert preview.occurrences[3].rule == "max_active"
    assert preview.occurrences[3].reason.startswith("refused by policy: you already hold 3")
    with pytest.raises(SeriesRefusedError, match=r"2 of 5 occurrences"):
        bob.book_series(request)
    assert bob.book_series(request, skip_conflicts=True).booked == 3
    # The admin is exempt from allowances, as for single bookings.
    later = SeriesRequest(
        room, datetime(2027, 3, 1, 10, 0), "Europe/Berlin", 60, SeriesRule("daily", count=5)
    )
    assert local.book_series(later).booked == 5


def test_maintenance_refuses_the_dates_it_overlaps(local: LocalBackend, room: int) -> None:
    local.schedule_maintenance(
        room, timedelta(hours=4), datetime(2027, 2, 3, 8, 0, tzinfo=UTC), "new lamp"
    )
    request = SeriesRequest(
        room, datetime(2027, 2, 1, 10, 0), "Europe/Berlin", 60, SeriesRule("daily", count=4)
    )
    preview = local.book_series(request, dry_run=True)
    assert [o.state for o in preview.occurrences] == ["free", "free", "refused", "free"]
    assert "under maintenance" in preview.occurrences[2].reason
    assert "new lamp" in preview.occurrences[2].reason
    local.set_available(room, False)
    with pytest.raises(UnavailableError, match="disabled"):
        local.book_series(request, dry_run=True)


def test_each_occurrence_has_its_history_and_the_series_cancels_with_a_reason(
    local: LocalBackend, room: int
) -> None:
    outcome = local.book_series(weekly(room, datetime(2027, 1, 4, 9, 0), "Europe/Berlin", 4))
    assert outcome.series is not None
    first = outcome.series.occurrences[0]
    assert local.history(first.id)[0].details.endswith(f"(series {outcome.series.id}, 1 of 4)")
    later = local.cancel_series(
        outcome.series.id, outcome.series.occurrences[2].start_time, "moved"
    )
    assert [o.status for o in later.occurrences] == ["active", "active", "cancelled", "cancelled"]
    assert later.cancelled_at is None
    whole = local.cancel_series(outcome.series.id, reason="project over")
    assert all(o.status == "cancelled" for o in whole.occurrences)
    assert whole.cancelled_at == NOW and whole.cancellation_reason == "project over"
    events = local.history(whole.occurrences[0].id)
    assert events[0].details == f"series {outcome.series.id} cancelled: project over"


def test_retime_moves_future_dates_all_or_nothing(
    local: LocalBackend, bob: LocalBackend, room: int
) -> None:
    outcome = local.book_series(weekly(room, datetime(2027, 3, 15, 9, 0), "Europe/Berlin", 4))
    assert outcome.series is not None
    blocker = datetime(2027, 4, 5, 10, 30, tzinfo=BERLIN)
    bob.book(room, blocker, blocker + timedelta(minutes=30))
    with pytest.raises(SeriesRefusedError, match=r"nothing was moved.*#4"):
        local.retime_series(outcome.series.id, time(10, 0), 90)
    unchanged = local.get_series(outcome.series.id)
    assert [o.start_time for o in unchanged.occurrences] == [
        o.start_time for o in outcome.series.occurrences
    ]
    moved = local.retime_series(outcome.series.id, time(8, 0), 45)
    assert moved.booked == 4 and moved.series is not None
    local_times = [o.start_time.astimezone(BERLIN) for o in moved.series.occurrences]
    assert [t.time() for t in local_times] == [time(8, 0)] * 4
    assert all(o.end_time - o.start_time == timedelta(minutes=45) for o in moved.series.occurrences)
    assert moved.series.start == datetime(2027, 3, 15, 8, 0) and moved.series.length_minutes == 45
    assert "series" in local.history(moved.series.occurrences[0].id)[0].details


def test_others_cannot_see_or_change_a_series(
    local: LocalBackend, bob: LocalBackend, room: int
) -> None:
    outcome = local.book_series(weekly(room, datetime(2027, 1, 4, 9, 0), "UTC", 2))
    assert outcome.series is not None
    for attempt in (
        lambda: bob.get_series(outcome.series.id),  # type: ignore[union-attr]
        lambda: bob.cancel_series(outcome.series.id),  # type: ignore[union-attr]
        lambda: bob.retime_series(outcome.series.id, time(10, 0)),  # type: ignore[union-attr]
    ):
        with pytest.raises(ForbiddenError):
            attempt()
    assert bob.list_series() == []
    assert [s.id for s in local.list_series(everyone=True)] == [outcome.series.id]


@pytest.mark.parametrize(
    ("rule", "start", "field", "words"),
    [
        (SeriesRule("daily", count=367), datetime(2027, 1, 1, 9), "count", "1-366"),
        (SeriesRule("daily", until=date(2028, 6, 1)), datetime(2027, 1, 1, 9), "until", "366"),
        (SeriesRule("monthly", count=30), datetime(2027, 1, 1, 9), "until", "2 years"),
        (SeriesRule("daily"), datetime(2027, 1, 1, 9), "count", "one of them"),
        (
            SeriesRule("daily", count=2, until=date(2027, 2, 1)),
            datetime(2027, 1, 1, 9),
            "count",
            "one of them",
        ),
        (SeriesRule("daily", on="mon", count=2), datetime(2027, 1, 1, 9), "on", "daily"),
        (SeriesRule("weekly", on="funday", count=2), datetime(2027, 1, 1, 9), "on", "weekday"),
        (SeriesRule("monthly", on="32", count=2), datetime(2027, 1, 1, 9), "on", "1-31"),
        (SeriesRule("monthly", on="6th fri", count=2), datetime(2027, 1, 1, 9), "on", "day"),
        (SeriesRule("yearly", count=2), datetime(2027, 1, 1, 9), "repeat", "daily"),  # type: ignore[arg-type]
        (SeriesRule("daily", every=0, count=2), datetime(2027, 1, 1, 9), "every", "1-99"),
        (SeriesRule("daily", count=2), datetime(2026, 11, 30, 9), "start", "past"),
        (SeriesRule("daily", until=date(2026, 12, 1)), datetime(2027, 1, 1, 9), "until", "after"),
    ],
)
def test_bad_rules_name_their_field_and_book_nothing(
    local: LocalBackend, room: int, rule: SeriesRule, start: datetime, field: str, words: str
) -> None:
    with pytest.raises(ValidationError, match=words) as refused:
        local.book_series(SeriesRequest(room, start, "Europe/Berlin", 60, rule))
    assert refused.value.field == field
    assert local.my_reservations() == []


def test_lengths_and_zones_are_checked(local: LocalBackend, room: int) -> None:
    day = SeriesRule("daily", count=3)
    with pytest.raises(ValidationError, match="overlap each other") as overlapping:
        local.book_series(SeriesRequest(room, datetime(2027, 1, 1, 9), "UTC", 25 * 60, day))
    assert overlapping.value.field == "length_minutes"
    with pytest.raises(ValidationError) as zero:
        local.book_series(SeriesRequest(room, datetime(2027, 1, 1, 9), "UTC", 0, day))
    assert zero.value.field == "length_minutes"
    with pytest.raises(ValidationError, match="Mars/Olympus"):
        local.book_series(SeriesRequest(room, datetime(2027, 1, 1, 9), "Mars/Olympus", 60, day))


ZONES = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC"]


@settings(max_examples=150, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    first=st.dates(min_value=date(2027, 1, 1), max_value=date(2027, 12, 31)),
    clock=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    repeat=st.sampled_from(["daily", "weekly", "monthly"]),
    every=st.integers(1, 3),
    count=st.integers(1, 40),
    pick=st.integers(0, 3),
)
def test_every_occurrence_keeps_the_series_wall_time_but_reported_gaps(
    zone: str, first: date, clock: time, repeat: str, every: int, count: int, pick: int
) -> None:
    choices = {
        "daily": [""],
        "weekly": ["", "mon,thu"],
        "monthly": ["", "2nd sun", "last sat", "29"],
    }
    on = choices[repeat][pick % len(choices[repeat])]
    # Within two years of NOW, however late in 2027 the series starts.
    count = min(count, {"daily": 40, "weekly": 45, "monthly": 11}[repeat] // every)
    rule = SeriesRule(repeat, every, on, count)  # type: ignore[arg-type]
    request = SeriesRequest(1, datetime.combine(first, clock), zone, 15, rule)
    _, placed = series.plan(request, NOW)
    place = ZoneInfo(zone)
    assert 1 <= len(placed) <= count
    for item in placed:
        if item.start is None:
            assert item.skipped
            continue
        shown = item.start.astimezone(place)
        if item.dst == "gap":
            assert shown.time() != clock and "does not exist" in item.remark
        else:
            assert shown.replace(tzinfo=None) == datetime.combine(item.day, clock)
        if item.dst == "fold":
            second = datetime.combine(item.day, clock, place).replace(fold=1).astimezone(UTC)
            assert item.start < second and "twice" in item.remark


def test_a_refused_series_leaves_no_series_row_on_any_database(any_url: str) -> None:
    store = LocalBackend.open(any_url, fast_settings(), FixedClock(NOW), username="ann")
    try:
        room = store.create_resource("Lab").id
        request = clash_on_fifth(store, room)
        with pytest.raises(SeriesRefusedError):
            store.book_series(request)
        count = store.database.read(
            lambda s: (
                s.scalar(select(func.count()).select_from(Series)),
                s.scalar(select(func.count()).where(Reservation.series_id.is_not(None))),
            )
        )
        assert count == (0, 0)
    finally:
        store.close()
