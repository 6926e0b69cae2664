"""Booking policies through LocalBackend on a real SQLite file (and the three databases where
a rule reads the store): scopes, every rule's refusal and its figures, what respects them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.clock import NOW
from support.settings import fast_settings

from reserver_core import policy
from reserver_core.clock import FixedClock
from reserver_core.display import describe_error
from reserver_core.errors import ForbiddenError, NotFoundError, PolicyError, ValidationError
from reserver_core.local import LocalBackend
from reserver_core.schemas import PolicyChanges, PolicyScope

BERLIN = ZoneInfo("Europe/Berlin")
HOUR = timedelta(hours=1)
DEFAULT = PolicyScope("default")


def tag(name: str) -> PolicyScope:
    return PolicyScope("tag", tag=name)


def berlin(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    """A Berlin wall time in December 2026 as UTC."""
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN).astimezone(UTC)


@pytest.fixture
def bob(local: LocalBackend, sqlite_url: str, clock: FixedClock) -> Iterator[LocalBackend]:
    """A member of the same store."""
    backend = LocalBackend.open(sqlite_url, fast_settings(), clock, username="bob")
    yield backend
    backend.close()


@pytest.fixture
def gpus(local: LocalBackend) -> list[int]:
    """Three GPUs tagged gpu (GPU-1 also 'fast', listed first) and a room."""
    ids = [
        local.create_resource("GPU-1", tags=["fast", "gpu"]).id,
        local.create_resource("GPU-2", tags=["gpu"]).id,
        local.create_resource("GPU-3", tags=["gpu"]).id,
    ]
    local.create_resource("Room", tags=["room"])
    return ids


def refusal(backend: LocalBackend, resource: int, start: datetime, end: datetime) -> PolicyError:
    with pytest.raises(PolicyError) as refused:
        backend.book(resource, start, end)
    return refused.value


# -- reading what admins type -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("spec", "canonical"),
    [
        ("mon-fri 08:00-12:00,13:00-18:00; sat 10:00-14:00", None),
        (
            "Mon-Fri 8:00-12:00, 13:00-18:00;SAT 10:00-14:00",
            "mon-fri 08:00-12:00,13:00-18:00; sat 10:00-14:00",
        ),
        ("daily 00:00-24:00", "always"),
        ("mon,wed 09:00-17:00", "mon 09:00-17:00; wed 09:00-17:00"),
        ("fri 22:00-24:00; sat 00:00-06:00", None),
    ],
)
def test_opening_hours_are_stored_in_one_canonical_form(spec: str, canonical: str | None) -> None:
    assert policy.parse_hours(spec) == (canonical or spec)


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("mon 25:00-26:00", "not a time of day"),
        ("mon 08:00-24:30", "not a time of day"),
        ("mon 18:00-08:00", "end before they start"),
        ("mon 08:00-12:00,11:00-13:00", "overlap"),
        ("mon 08:00-12:00; mon-fri 13:00-14:00", "named twice"),
        ("fri-mon 08:00-12:00", "run backwards"),
        ("weekdays 08:00-12:00", "cannot read the days"),
        ("mon-fri", "no hours"),
        ("mon 8-12", "HH:MM-HH:MM"),
        ("", "no opening hours"),
    ],
)
def test_bad_opening_hours_name_the_field_and_what_is_wrong(spec: str, words: str) -> None:
    with pytest.raises(ValidationError, match=words) as refused:
        policy.parse_hours(spec)
    assert refused.value.field == "hours"


def test_closures_read_whole_days_and_times() -> None:
    days = policy.parse_closure("2026-12-24..2026-12-26  holidays")
    assert (days.start, days.end, days.reason, days.whole_days) == (
        datetime(2026, 12, 24),
        datetime(2026, 12, 27),
        "holidays",
        True,
    )
    assert policy.closure_spec(days) == "2026-12-24..2026-12-26 holidays"
    short = policy.parse_closure("2026-12-31 14:00..18:00 early close")
    assert (short.start, short.end, short.whole_days) == (
        datetime(2026, 12, 31, 14),
        datetime(2026, 12, 31, 18),
        False,
    )
    for bad, words in [
        ("2026-12-26..2026-12-24 x", "ends before it starts"),
        ("2026-12-31 18:00..14:00", "ends before it starts"),
        ("2026-02-30", "not a date"),
        ("2026-12-24 25:00..26:00", "not a time of day"),
        ("christmas", "cannot read the closure"),
        ("2026-12-24 10:00..2026-12-25", "needs an end time"),
    ]:
        with pytest.raises(ValidationError, match=words) as refused:
            policy.parse_closure(bad)
        assert refused.value.field == "closed"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (PolicyChanges(timezone="Mars/Olympus"), "timezone"),
        (PolicyChanges(hours="mon 25:00-26:00"), "hours"),
        (PolicyChanges(add_closed=["2026-12-26..2026-12-24"]), "closed"),
        (PolicyChanges(min_length_minutes=0), "min_length_minutes"),
        (PolicyChanges(max_length_minutes=-5), "max_length_minutes"),
        (PolicyChanges(min_notice_minutes=0), "min_notice_minutes"),
        (PolicyChanges(max_advance_minutes=-1), "max_advance_minutes"),
        (PolicyChanges(max_active=0), "max_active"),
        (PolicyChanges(max_hours_per_week=-2), "max_hours_per_week"),
        (PolicyChanges(min_length_minutes=120, max_length_minutes=60), "min_length_minutes"),
    ],
)
def test_a_bad_field_saves_nothing(local: LocalBackend, changes: PolicyChanges, field: str) -> None:
    before = local.set_policy(tag("gpu"), PolicyChanges(max_active=2))
    with pytest.raises(ValidationError) as refused:
        local.set_policy(tag("gpu"), changes)
    assert refused.value.field == field
    assert local.get_policy(tag("gpu")) == before
    assert local.list_policies() == [before]


def test_only_admins_change_policies_and_anyone_reads_them(
    local: LocalBackend, bob: LocalBackend, gpus: list[int]
) -> None:
    with pytest.raises(ForbiddenError, match="only an admin"):
        bob.set_policy(tag("gpu"), PolicyChanges(max_active=1))
    local.set_policy(tag("gpu"), PolicyChanges(max_active=1))
    with pytest.raises(ForbiddenError):
        bob.clear_policy(tag("gpu"))
    assert bob.get_policy(tag("gpu")).max_active == 1
    assert [f.name for f in bob.resource_policy(gpus[1]).fields if f.source == "tag 'gpu'"] == [
        "max_active"
    ]


# -- scopes -----------------------------------------------------------------------------------
def test_each_field_comes_from_the_first_scope_that_sets_it(
    local: LocalBackend, gpus: list[int]
) -> None:
    local.set_policy(DEFAULT, PolicyChanges(timezone="Europe/Berlin", max_active=10))
    local.set_policy(tag("gpu"), PolicyChanges(max_active=3, max_length_minutes=240))
    local.set_policy(tag("fast"), PolicyChanges(max_length_minutes=60))
    local.set_policy(
        PolicyScope("resource", resource_id=gpus[0]), PolicyChanges(min_notice_minutes=30)
    )
    effective = {f.name: (f.value, f.source) for f in local.resource_policy(gpus[0]).fields}
    assert effective["timezone"] == ("Europe/Berlin", "the default policy")
    assert effective["max_active"] == (3, "tag 'gpu'")
    assert effective["max_length_minutes"] == (60, "tag 'fast'")
    assert effective["min_notice_minutes"] == (30, "resource 'GPU-1'")
    assert effective["min_length_minutes"] == (15, "store settings")
    other = {f.name: (f.value, f.source) for f in local.resource_policy(gpus[1]).fields}
    assert other["max_length_minutes"] == (240, "tag 'gpu'")
    assert "min_notice_minutes" not in other


def test_clearing_fields_falls_through_and_an_empty_scope_disappears(
    local: LocalBackend, gpus: list[int]
) -> None:
    local.set_policy(DEFAULT, PolicyChanges(max_length_minutes=120))
    local.set_policy(
        tag("gpu"),
        PolicyChanges(
            max_length_minutes=60, hours="mon-fri 08:00-20:00", add_closed=["2026-12-24"]
        ),
    )
    left = local.clear_policy(tag("gpu"), ["max_length_minutes", "closed"])
    assert (left.max_length_minutes, left.closed, left.hours) == (None, [], "mon-fri 08:00-20:00")
    effective = {f.name: f.source for f in local.resource_policy(gpus[1]).fields}
    assert effective["max_length_minutes"] == "the default policy"
    assert local.clear_policy(tag("gpu")).hours is None
    assert [p.label for p in local.list_policies()] == ["the default policy"]
    with pytest.raises(ValidationError, match="unknown policy field") as refused:
        local.clear_policy(DEFAULT, ["colour"])
    assert refused.value.field == "fields"


def test_closures_are_added_not_replaced(local: LocalBackend) -> None:
    local.set_policy(tag("gpu"), PolicyChanges(add_closed=["2026-12-24..2026-12-26 holidays"]))
    saved = local.set_policy(
        tag("gpu"),
        PolicyChanges(
            add_closed=["2026-12-31 14:00..18:00 early close", "2026-12-24..2026-12-26 holidays"]
        ),
    )
    assert [policy.closure_spec(c) for c in saved.closed] == [
        "2026-12-24..2026-12-26 holidays",
        "2026-12-31 14:00..18:00 early close",
    ]


# -- the rules --------------------------------------------------------------------------------
def test_opening_hours_refuse_closed_days_in_the_policys_zone(
    local: LocalBackend, bob: LocalBackend, gpus: list[int]
) -> None:
    local.set_policy(
        tag("gpu"), PolicyChanges(timezone="Europe/Berlin", hours="mon-fri 08:00-20:00")
    )
    saturday = refusal(bob, gpus[2], berlin(5, 10), berlin(5, 11))
    assert saturday.message == (
        "GPU-3 is closed on Saturdays (opening hours of tag 'gpu': Mon-Fri 08:00-20:00 "
        "Europe/Berlin)"
    )
    assert (saturday.rule, saturday.scope, saturday.field) == ("hours", "tag 'gpu'", "start_time")
    late = refusal(bob, gpus[2], berlin(2, 19), berlin(2, 21))
    assert late.message.startswith("GPU-3 is open on Wednesdays only 08:00-20:00")
    bob.book(gpus[2], berlin(2, 8), berlin(2, 20))


def test_touching_open_spans_can_be_booked_across_midnight(
    local: LocalBackend, bob: LocalBackend, gpus: list[int]
) -> None:
    local.set_policy(
        tag("gpu"),
        PolicyChanges(timezone="Europe/Berlin", hours="fri 18:00-24:00; sat 00:00-06:00"),
    )
    bob.book(gpus[1], berlin(4, 22), berlin(5, 2))
    assert refusal(bob, gpus[1], berlin(5, 5), berlin(5, 7)).rule == "hours"


def test_opening_hours_follow_the_wall_clock_across_daylight_saving(
    local: LocalBackend, bob: LocalBackend, gpus: list[int], clock: FixedClock
) -> None:
    local.set_policy(tag("gpu"), PolicyChanges(timezone="Europe/Berlin", hours="daily 08:00-18:00"))
    clock.set(datetime(2027, 3, 26, 12, tzinfo=UTC))
    before = datetime(2027, 3, 27, 8, tzinfo=BERLIN)
    after = datetime(2027, 3, 29, 8, tzinfo=BERLIN)
    assert before.astimezone(UTC).hour == 7 and after.astimezone(UTC).hour == 6
    bob.book(gpus[1], before, before + HOUR)
    bob.book(gpus[1], after, after + HOUR)
    assert refusal(bob, gpus[1], after - HOUR, after).rule == "hours"


def test_a_closure_names_its_reason_and_period(
    local: LocalBackend, bob: LocalBackend, gpus: list[int]
) -> None:
    local.set_policy(
        tag("gpu"),
        PolicyChanges(timezone="Europe/Berlin", add_closed=["2026-12-24..2026-12-26 holidays"]),
    )
    refused = refusal(bob, gpus[0], berlin(23, 22), berlin(24, 1))
    assert refused.message == (
        "GPU-1 is closed Thu 24 Dec - Sat 26 Dec 2026 (holidays; closures of "
        "tag 'gpu', Europe/Berlin)"
    )
    assert refused.rule == "closed"
    assert refused.figures["closed_from"] == berlin(24, 0).isoformat()
    bob.book(gpus[0], berlin(23, 20), berlin(24, 0))


def test_lengths_and_lead_times_carry_their_figures(
    local: LocalBackend, bob: LocalBackend, gpus: list[int]
) -> None:
    local.set_policy(
        tag("gpu"),
        PolicyChanges(
            min_length_minutes=30,
            max_length_minutes=240,
            min_notice_minutes=120,
            max_advance_minutes=14 * 24 * 60,
        ),
    )
    start = NOW + timedelta(hours=3)
    short = refusal(bob, gpus[1], start, start + timedelta(minutes=20))
    assert (short.rule, short.limit, short.current, short.unit) == ("min_length", 30, 20, "minutes")
    long = refusal(bob, gpus[1], start, start + timedelta(hours=5))
    assert long.message == "a booking of GPU-2 lasts at most 4 hours; this one lasts 5 hours"
    soon = refusal(bob, gpus[1], NOW + timedelta(minutes=70), NOW + timedelta(minutes=130))
    assert (
        soon.message == "GPU-2 must be booked at least 2 hours ahead; this booking starts in 1h 10m"
    )
    assert (soon.rule, soon.limit, soon.current) == ("min_notice", 120, 70)
    far = refusal(bob, gpus[1], NOW + timedelta(days=20), NOW + timedelta(days=20, hours=1))
    assert (
        far.message == "GPU-2 can be booked at most 14 days ahead; this booking starts in 20 days"
    )
    assert far.rule == "max_advance"
    # Lead times and hours bind admins too.
    assert (
        refusal(local, gpus[1], NOW + timedelta(minutes=70), NOW + timedelta(minutes=130)).rule
        == "min_notice"
    )


def test_max_active_counts_every_resource_of_the_scope(
    local: LocalBackend, bob: LocalBackend, gpus: list[int]
) -> None:
    local.set_policy(tag("gpu"), PolicyChanges(max_active=2))
    bob.book(gpus[0], NOW + HOUR, NOW + 2 * HOUR)
    bob.book(gpus[1], NOW + HOUR, NOW + 2 * HOUR)
    refused = refusal(bob, gpus[2], NOW + HOUR, NOW + 2 * HOUR)
    assert refused.message == (
        "you already hold 2 active bookings on tag 'gpu', the most one may hold at once "
        "(tag 'gpu' allows 2)"
    )
    assert (refused.rule, refused.limit, refused.current, refused.unit) == (
        "max_active",
        2,
        2,
        "bookings",
    )
    room = local.find_resource("Room").id
    bob.book(room, NOW + HOUR, NOW + 2 * HOUR)
    # The admin is exempt for herself; acting for bob, bob's allowance applies.
    for resource in gpus:
        local.book(resource, NOW + 3 * HOUR, NOW + 4 * HOUR)
    for_bob = local.acting_for("bob")
    assert refusal(for_bob, gpus[2], NOW + 5 * HOUR, NOW + 6 * HOUR).rule == "max_active"
    allowance = bob.resource_policy(gpus[2]).allowances[0]
    assert (allowance.rule, allowance.limit, allowance.used, allowance.remaining) == (
        "max_active",
        2,
        2,
        0,
    )
    assert local.resource_policy(gpus[2]).allowances[0].exempt


def test_a_cancelled_booking_frees_its_place(
    local: LocalBackend, bob: LocalBackend, gpus: list[int]
) -> None:
    local.set_policy(tag("gpu"), PolicyChanges(max_active=1))
    first = bob.book(gpus[0], NOW + HOUR, NOW + 2 * HOUR)
    assert refusal(bob, gpus[1], NOW + HOUR, NOW + 2 * HOUR).rule == "max_active"
    bob.cancel(first.id)
    bob.book(gpus[1], NOW + HOUR, NOW + 2 * HOUR)


def test_the_weekly_allowance_looks_at_every_7_days_around_the_booking(
    local: LocalBackend, bob: LocalBackend, gpus: list[int]
) -> None:
    local.set_policy(DEFAULT, PolicyChanges(timezone="Europe/Berlin"))
    local.set_policy(tag("gpu"), PolicyChanges(max_hours_per_week=8))
    bob.book(gpus[0], berlin(2, 9), berlin(2, 12))
    bob.book(gpus[1], berlin(4, 9), berlin(4, 12))
    # 6h held; 3 more within the same 7 days make 9.
    refused = refusal(bob, gpus[2], berlin(7, 9), berlin(7, 12))
    assert refused.rule == "max_hours_per_week"
    assert (refused.limit, refused.current, refused.unit) == (8, 6, "hours")
    assert refused.message.startswith(
        "this 3h booking would bring you to 9h of your 8h per week on tag 'gpu' (you hold 6h "
        "between "
    )
    assert refused.figures["would_hold"] == 9
    # Two hours still fit, and nine days later the first bookings are out of the window.
    bob.book(gpus[2], berlin(7, 9), berlin(7, 11))
    bob.book(gpus[2], berlin(11, 9), berlin(11, 12))
    # The message's days are shown again in the reader's zone.
    again = describe_error(refused, ZoneInfo("Pacific/Kiritimati"), now=NOW)
    assert again.startswith("this 3h booking would bring you to 9h of your 8h per week")
    assert again != refused.message or "Kiritimati" in again


def test_a_move_keeps_to_the_rules_but_not_against_itself(
    local: LocalBackend, bob: LocalBackend, gpus: list[int]
) -> None:
    local.set_policy(
        tag("gpu"),
        PolicyChanges(
            timezone="Europe/Berlin",
            hours="mon-fri 08:00-20:00",
            max_active=1,
            max_hours_per_week=3,
        ),
    )
    booked = bob.book(gpus[0], berlin(2, 9), berlin(2, 12))
    moved = bob.move(booked.id, berlin(3, 9), berlin(3, 12))
    assert moved.start_time == berlin(3, 9)
    with pytest.raises(PolicyError) as refused:
        bob.move(booked.id, berlin(5, 9), berlin(5, 12))
    assert refused.value.rule == "hours"
    with pytest.raises(PolicyError) as longer:
        bob.move(booked.id, berlin(3, 9), berlin(3, 13))
    assert longer.value.rule == "max_hours_per_week"


# -- what respects the rules ------------------------------------------------------------------
def test_the_next_free_slot_skips_closed_time_and_lead_times(
    local: LocalBackend, bob: LocalBackend, gpus: list[int]
) -> None:
    local.set_policy(
        tag("gpu"),
        PolicyChanges(
            timezone="Europe/Berlin",
            hours="mon-fri 08:00-12:00,13:00-18:00",
            min_notice_minutes=60,
            add_closed=["2026-12-02 holiday"],
        ),
    )
    # Tue 1 Dec 10:00 Berlin now: 11:00-12:00 is the first hour after the notice.
    assert bob.next_free_slot(HOUR, resource_id=gpus[1]).start_time == berlin(1, 11)
    assert bob.next_free_slot(2 * HOUR, resource_id=gpus[1]).start_time == berlin(1, 13)
    # A 6h slot fits no span: never offered.
    with pytest.raises(NotFoundError, match="no free slot"):
        bob.next_free_slot(6 * HOUR, resource_id=gpus[1])
    # From Tuesday evening, Wednesday is a holiday: Thursday 08:00.
    slot = bob.next_free_slot(HOUR, after=berlin(1, 17, 30), resource_id=gpus[1])
    assert slot.start_time == berlin(3, 8)


def test_the_next_free_slot_keeps_within_the_users_allowances(
    local: LocalBackend, bob: LocalBackend, gpus: list[int]
) -> None:
    local.set_policy(tag("gpu"), PolicyChanges(max_hours_per_week=4))
    bob.book(gpus[0], NOW + HOUR, NOW + 4 * HOUR)
    # Another 2h would make 5 within 7 days: the first quarter hour where no 7 days hold
    # more than 4h is a week on, when only one hour of the first booking shares a week.
    slot = bob.next_free_slot(2 * HOUR, resource_id=gpus[1])
    assert slot.start_time == NOW + timedelta(days=7)
    bob.book(slot.resource.id, slot.start_time, slot.end_time)
    # An admin is not bound: the next whole minute.
    assert local.next_free_slot(2 * HOUR, resource_id=gpus[1]).start_time == NOW + timedelta(
        minutes=1
    )
    local.set_policy(tag("gpu"), PolicyChanges(max_active=2))
    with pytest.raises(
        PolicyError, match="no free 1h slot can be offered: you already hold 2"
    ) as none:
        bob.next_free_slot(HOUR, tag="gpu")
    assert none.value.rule == "max_active"


def test_the_week_grid_shows_closed_time(
    local: LocalBackend, bob: LocalBackend, gpus: list[int]
) -> None:
    local.set_policy(
        tag("gpu"),
        PolicyChanges(
            timezone="Europe/Berlin", hours="mon-fri 08:00-18:00", add_closed=["2026-12-03"]
        ),
    )
    bob.book(gpus[1], berlin(2, 9), berlin(2, 10))
    grid = bob.schedule(
        gpus[1],
        date(2026, 12, 2),
        days=2,
        tz="Europe/Berlin",
        slot_minutes=60,
        day_start=time(0),
        day_end=time(0),
    )
    states = {day.day.day: [slot.state for slot in day.slots] for day in grid.days}
    assert states[2][7:11] == ["closed", "free", "mine", "free"]
    assert states[2][18] == "closed"
    assert set(states[3]) == {"closed"}
    room = local.find_resource("Room").id
    assert {s.state for s in bob.schedule(room, days=1).days[0].slots} <= {"free", "past"}


def test_a_window_search_leaves_out_resources_closed_then(
    local: LocalBackend, gpus: list[int]
) -> None:
    local.set_policy(
        tag("gpu"), PolicyChanges(timezone="Europe/Berlin", hours="mon-fri 08:00-18:00")
    )
    local.set_policy(PolicyScope("resource", resource_id=gpus[0]), PolicyChanges(hours="always"))
    found = local.search_resources(available_from=berlin(5, 10), available_until=berlin(5, 11))
    assert [r.name for r in found] == ["GPU-1", "Room"]
    weekday = local.search_resources(available_from=berlin(2, 10), available_until=berlin(2, 11))
    assert [r.name for r in weekday] == ["GPU-1", "GPU-2", "GPU-3", "Room"]
    page = local.search_resources_page(
        available_from=berlin(5, 10), available_until=berlin(5, 11), limit=50
    )
    assert [r.name for r in page.items] == ["GPU-1", "Room"]


def test_a_store_without_policies_books_as_before(local: LocalBackend, gpus: list[int]) -> None:
    local.book(gpus[0], NOW + timedelta(days=300), NOW + timedelta(days=300, hours=24))
    assert local.list_policies() == []
    assert local.resource_policy(gpus[0]).allowances == []


def test_a_form_judges_a_window_by_the_effective_policy_as_the_store_does(
    local: LocalBackend, bob: LocalBackend, gpus: list[int]
) -> None:
    local.set_policy(
        tag("gpu"),
        PolicyChanges(
            timezone="Europe/Berlin",
            hours="mon-fri 08:00-20:00",
            add_closed=["2026-12-24..2026-12-26 holidays"],
            max_length_minutes=240,
        ),
    )
    rules = policy.rules_of(bob.resource_policy(gpus[2]))
    for start, end in [
        (berlin(5, 10), berlin(5, 11)),
        (berlin(24, 10), berlin(24, 11)),
        (berlin(2, 9), berlin(2, 14)),
    ]:
        with pytest.raises(PolicyError) as judged:
            policy.check_window_rules(rules, start, end, NOW)
        stored = refusal(bob, gpus[2], start, end)
        assert (judged.value.rule, judged.value.message) == (stored.rule, stored.message)
    policy.check_window_rules(rules, berlin(2, 9), berlin(2, 13), NOW)


def test_a_window_search_leaves_out_what_the_lead_times_refuse(
    local: LocalBackend, gpus: list[int]
) -> None:
    local.set_policy(tag("gpu"), PolicyChanges(min_notice_minutes=24 * 60))
    soon = local.search_resources(available_from=NOW + HOUR, available_until=NOW + 2 * HOUR)
    assert [r.name for r in soon] == ["Room"]
    later = NOW + timedelta(days=2)
    assert len(local.search_resources(available_from=later, available_until=later + HOUR)) == 4


@given(
    st.lists(st.tuples(st.integers(-20 * 24, 20 * 24), st.integers(1, 30)), max_size=25),
    st.integers(0, 48),
    st.integers(1, 12),
)
@settings(max_examples=200, deadline=None)
def test_the_busiest_week_is_the_fullest_of_every_window_around_the_booking(
    bookings: list[tuple[int, int]], offset: int, length: int
) -> None:
    """Against the plain definition: no 7 days (on an hourly grid, and at the answer) that
    share time with the booking hold more."""
    booked = [(NOW + HOUR * start, NOW + HOUR * (start + hours)) for start, hours in bookings]
    start, end = NOW + HOUR * offset, NOW + HOUR * (offset + length)

    def filled(window_start: datetime) -> tuple[float, float]:
        window = (window_start, window_start + policy.WEEK)
        held = sum(policy._overlap(b, window) for b in booked) / 60
        return held, held + policy._overlap((start, end), window) / 60

    worst, held = policy.busiest_week(booked, start, end)
    assert worst < end and worst + policy.WEEK > start
    assert held == pytest.approx(filled(worst)[0])
    grid = [start - policy.WEEK + HOUR * step for step in range(1, 24 * 7 + length)]
    assert all(filled(t)[1] <= filled(worst)[1] + 1e-6 for t in grid)


def test_a_window_search_offers_a_member_only_what_their_allowances_allow(
    local: LocalBackend, bob: LocalBackend, gpus: list[int]
) -> None:
    local.set_policy(tag("gpu"), PolicyChanges(max_hours_per_week=4))
    bob.book(gpus[0], NOW + HOUR, NOW + 4 * HOUR)
    later = NOW + timedelta(days=1)
    two_hours = {"available_from": later, "available_until": later + 2 * HOUR}
    assert [r.name for r in bob.search_resources(**two_hours)] == ["Room"]
    assert [r.name for r in bob.search_resources_page(**two_hours, limit=10).items] == ["Room"]
    one_hour = {"available_from": later, "available_until": later + HOUR}
    assert [r.name for r in bob.search_resources(**one_hour)] == ["GPU-1", "GPU-2", "GPU-3", "Room"]
    # The admin is exempt, and an anonymous reader counts nobody's allowance.
    assert len(local.search_resources(**two_hours)) == 4
