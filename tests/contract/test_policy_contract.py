"""Booking policies through the `Backend` interface, on `LocalBackend` and `RemoteBackend`.

Setting, reading and clearing each scope's policy, the effective policy with the
scope each field comes from, the acting user's allowances, who may change a
policy, bad input, and every rule's refusal with its machine-readable figures:
the same on both backends.

The frozen now is Tuesday 1 December 2026, 09:00 UTC (10:00 in Berlin).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from support.clock import NOW
from support.contract import World

from reserver_core.backend import Backend
from reserver_core.display import describe_error
from reserver_core.errors import (
    ForbiddenError,
    NotFoundError,
    PolicyError,
    ValidationError,
)
from reserver_core.local import LocalBackend
from reserver_core.remote import RemoteBackend
from reserver_core.schemas import (
    Allowance,
    Closure,
    EffectiveField,
    PolicyChanges,
    PolicyInfo,
    PolicyScope,
)

HOUR = timedelta(hours=1)
DEFAULT = PolicyScope("default")
GPU = PolicyScope("tag", tag="gpu")
LAB = PolicyScope("tag", tag="lab")
BERLIN = "Europe/Berlin"
WEDNESDAY = datetime(2026, 12, 2, 10, tzinfo=UTC)
"""Wednesday 2 December, 11:00 in Berlin."""
SATURDAY = datetime(2026, 12, 5, 10, tzinfo=UTC)
NEW_YEARS_EVE = datetime(2026, 12, 31, 12, tzinfo=UTC)
HOLIDAYS = Closure(datetime(2026, 12, 24), datetime(2026, 12, 27), "holidays")


def _gpus(world: World) -> tuple[int, int]:
    """GPU-3 (tags gpu, lab) and GPU-4 (tag gpu)."""
    first = world.admin.create_resource("GPU-3", ["gpu", "lab"]).id
    second = world.admin.create_resource("GPU-4", ["gpu"]).id
    return first, second


def _anonymous(world: World) -> Backend:
    if isinstance(world.admin, RemoteBackend):
        anonymous = RemoteBackend(world.admin.url)
        world.opened.append(anonymous)
        return anonymous
    assert isinstance(world.admin, LocalBackend)
    return world.admin.as_user(None)


def _effective(world: World, backend: Backend, resource_id: int) -> dict[str, tuple[Any, str]]:
    found = backend.resource_policy(resource_id)
    assert found.resource == world.admin.get_resource(resource_id)
    return {item.name: (item.value, item.source) for item in found.fields}


def _refusal(error: PolicyError) -> dict[str, Any]:
    if error.unit in ("minutes", "bookings"):
        # Whole on both backends, so --json shows 60 rather than 60.0.
        assert type(error.limit) is int
        assert type(error.current) is int
    return {
        "rule": error.rule,
        "scope": error.scope,
        "limit": error.limit,
        "current": error.current,
        "unit": error.unit,
        "resource": error.resource,
        "field": error.field,
    }


# -- setting, reading, clearing -------------------------------------------------------------
def test_a_scope_unset_reads_as_every_field_unset(world: World) -> None:
    gpu3, _ = _gpus(world)
    assert world.admin.list_policies() == []
    assert world.admin.get_policy(DEFAULT) == PolicyInfo(DEFAULT, "the default policy")
    assert world.admin.get_policy(GPU) == PolicyInfo(GPU, "tag 'gpu'")
    own = PolicyScope("resource", resource_id=gpu3)
    assert world.admin.get_policy(own) == PolicyInfo(own, "resource 'GPU-3'")


def test_policies_are_set_read_listed_and_cleared_field_by_field(world: World) -> None:
    gpu3, _ = _gpus(world)
    own = PolicyScope("resource", resource_id=gpu3)
    tag = world.admin.set_policy(
        PolicyScope("tag", tag=" GPU "),
        PolicyChanges(
            timezone=BERLIN,
            hours="Mon-Fri 08:00-12:00, 13:00-18:00;sat 10:00-14:00",
            add_closed=["2026-12-24..2026-12-26 holidays", "2026-12-31 14:00..18:00 early close"],
            max_active=3,
            max_hours_per_week=7.5,
        ),
    )
    assert tag == PolicyInfo(
        GPU,
        "tag 'gpu'",
        timezone=BERLIN,
        hours="mon-fri 08:00-12:00,13:00-18:00; sat 10:00-14:00",
        closed=[
            HOLIDAYS,
            Closure(datetime(2026, 12, 31, 14), datetime(2026, 12, 31, 18), "early close", False),
        ],
        max_active=3,
        max_hours_per_week=7.5,
        updated_at=NOW,
    )
    assert world.member("bob").get_policy(GPU) == tag
    # Closures are added to those set; one given again is not held twice.
    world.set_now(NOW + HOUR)
    again = world.admin.set_policy(
        GPU, PolicyChanges(add_closed=["2026-12-24..2026-12-26 holidays", "2027-01-01"])
    )
    assert again.closed == [*tag.closed, Closure(datetime(2027, 1, 1), datetime(2027, 1, 2))]
    assert (again.hours, again.max_active, again.updated_at) == (tag.hours, 3, NOW + HOUR)

    world.admin.set_policy(DEFAULT, PolicyChanges(max_length_minutes=120))
    world.admin.set_policy(own, PolicyChanges(min_notice_minutes=60))
    assert [(p.label, p.scope) for p in world.admin.list_policies()] == [
        ("the default policy", DEFAULT),
        ("tag 'gpu'", GPU),
        ("resource 'GPU-3'", own),
    ]

    world.set_now(NOW + 2 * HOUR)
    cleared = world.admin.clear_policy(GPU, ["hours", "closed", "max_hours_per_week"])
    assert (cleared.hours, cleared.closed, cleared.max_hours_per_week) == (None, [], None)
    assert (cleared.timezone, cleared.max_active, cleared.updated_at) == (BERLIN, 3, NOW + 2 * HOUR)
    assert world.admin.get_policy(GPU) == cleared
    assert world.admin.clear_policy(GPU) == PolicyInfo(GPU, "tag 'gpu'")
    assert [p.label for p in world.member("bob").list_policies()] == [
        "the default policy",
        "resource 'GPU-3'",
    ]
    # Clearing what is not set changes nothing and is no error.
    assert world.admin.clear_policy(LAB, ["max_active"]) == PolicyInfo(LAB, "tag 'lab'")


def test_a_tag_is_any_tag_a_resource_may_carry(world: World) -> None:
    # "a/../b" must not be read as a path that steps up.
    for tag in ("ml/gpu", "a/../b", "c++ #1"):
        scope = PolicyScope("tag", tag=tag)
        assert world.admin.set_policy(scope, PolicyChanges(max_active=2)).scope == scope
        assert world.admin.get_policy(scope).max_active == 2
    assert [p.label for p in world.admin.list_policies()] == [
        "tag 'a/../b'",
        "tag 'c++ #1'",
        "tag 'ml/gpu'",
    ]


# -- the effective policy ------------------------------------------------------------------
def test_with_no_policy_the_store_settings_and_utc_apply(world: World) -> None:
    gpu3, _ = _gpus(world)
    found = world.admin.resource_policy(gpu3)
    assert found.timezone == "UTC"
    assert found.fields == [
        EffectiveField("timezone", "UTC", "built-in"),
        EffectiveField("min_length_minutes", 15, "store settings"),
        EffectiveField("max_length_minutes", 24 * 60, "store settings"),
    ]
    assert found.allowances == []


def test_each_field_comes_from_the_resource_then_its_tags_in_order_then_the_default(
    world: World,
) -> None:
    gpu3, gpu4 = _gpus(world)
    world.admin.set_policy(
        DEFAULT,
        PolicyChanges(
            timezone="America/New_York",
            add_closed=["2026-12-24..2026-12-26 holidays"],
            max_active=10,
            max_hours_per_week=8,
            max_length_minutes=240,
        ),
    )
    world.admin.set_policy(LAB, PolicyChanges(hours="daily 06:00-22:00", max_active=5))
    world.admin.set_policy(
        GPU,
        PolicyChanges(timezone=BERLIN, hours="mon-fri 08:00-20:00", add_closed=["2026-12-31"]),
    )
    world.admin.set_policy(
        PolicyScope("resource", resource_id=gpu3), PolicyChanges(min_notice_minutes=30)
    )
    new_year = Closure(datetime(2026, 12, 31), datetime(2027, 1, 1))
    assert _effective(world, world.admin, gpu3) == {
        "timezone": (BERLIN, "tag 'gpu'"),
        "hours": ("mon-fri 08:00-20:00", "tag 'gpu'"),
        "closed": ([new_year, HOLIDAYS], "tag 'gpu', the default policy"),
        "min_length_minutes": (15, "store settings"),
        "max_length_minutes": (240, "the default policy"),
        "min_notice_minutes": (30, "resource 'GPU-3'"),
        "max_active": (5, "tag 'lab'"),
        "max_hours_per_week": (8, "the default policy"),
    }
    assert world.admin.resource_policy(gpu3).timezone == BERLIN
    # GPU-4 has no lab tag and no policy of its own.
    assert _effective(world, world.admin, gpu4)["max_active"] == (10, "the default policy")
    assert "min_notice_minutes" not in _effective(world, world.admin, gpu4)
    # Retagging moves a resource under other policies at once.
    world.admin.update_resource(gpu3, tags=["lab", "gpu"])
    assert _effective(world, world.admin, gpu3)["hours"] == ("mon-sun 06:00-22:00", "tag 'lab'")


def test_allowances_are_the_acting_users_and_admins_are_exempt(world: World) -> None:
    gpu3, gpu4 = _gpus(world)
    room = world.admin.create_resource("Room A").id
    world.admin.set_policy(DEFAULT, PolicyChanges(max_active=4))
    world.admin.set_policy(GPU, PolicyChanges(max_hours_per_week=8))
    bob = world.member("bob")
    bob.book(gpu3, WEDNESDAY, WEDNESDAY + 2 * HOUR)
    bob.book(gpu4, WEDNESDAY, WEDNESDAY + HOUR)
    bob.book(room, WEDNESDAY, WEDNESDAY + 3 * HOUR)
    # Beyond the coming week: held, but not in the week's hours.
    bob.book(gpu4, WEDNESDAY + timedelta(days=8), WEDNESDAY + timedelta(days=8, hours=1))
    week = (NOW, NOW + timedelta(days=7))
    assert bob.resource_policy(gpu3).allowances == [
        Allowance("max_active", "the default policy", 4, 4),
        Allowance("max_hours_per_week", "tag 'gpu'", 8, 3, False, *week),
    ]
    assert bob.resource_policy(room).allowances == [
        Allowance("max_active", "the default policy", 4, 4)
    ]
    assert bob.resource_policy(gpu3).allowances[0].remaining == 0
    assert world.member("carol").resource_policy(gpu3).allowances == [
        Allowance("max_active", "the default policy", 4, 0),
        Allowance("max_hours_per_week", "tag 'gpu'", 8, 0, False, *week),
    ]
    assert world.admin.resource_policy(gpu3).allowances == [
        Allowance("max_active", "the default policy", 4, 0, True),
        Allowance("max_hours_per_week", "tag 'gpu'", 8, 0, True, *week),
    ]
    anonymous = _anonymous(world).resource_policy(gpu3)
    assert anonymous.allowances == []
    assert anonymous.fields == bob.resource_policy(gpu3).fields


# -- who may change a policy ---------------------------------------------------------------
def test_only_an_admin_changes_a_policy_and_anyone_reads_them(world: World) -> None:
    gpu3, _ = _gpus(world)
    set_by_admin = world.admin.set_policy(GPU, PolicyChanges(max_active=2))
    bob = world.member("bob")
    denied = "access denied: only an admin may change booking policies"
    for scope in (DEFAULT, GPU, PolicyScope("resource", resource_id=gpu3)):
        with pytest.raises(ForbiddenError) as refused:
            bob.set_policy(scope, PolicyChanges(max_active=99))
        assert str(refused.value) == denied
        with pytest.raises(ForbiddenError, match=denied):
            bob.clear_policy(scope)
        with pytest.raises(ForbiddenError, match=denied):
            bob.clear_policy(scope, ["max_active"])
    # Refused before the input is read: a member learns nothing from bad values.
    with pytest.raises(ForbiddenError, match=denied):
        bob.set_policy(GPU, PolicyChanges(hours="25:00"))
    assert world.admin.get_policy(GPU) == set_by_admin
    assert bob.list_policies() == [set_by_admin]
    anonymous = _anonymous(world)
    assert anonymous.get_policy(GPU) == set_by_admin
    assert anonymous.list_policies() == [set_by_admin]
    assert anonymous.resource_policy(gpu3).timezone == "UTC"


# -- bad input -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (PolicyChanges(timezone="Mars/Olympus_Mons"), "timezone", "Mars/Olympus_Mons"),
        (PolicyChanges(timezone=" "), "timezone", "no time zone given"),
        (
            PolicyChanges(hours="mon 08:00-25:00"),
            "hours",
            "25:00 in '08:00-25:00' is not a time of day",
        ),
        (PolicyChanges(hours="mon 25:00-26:00"), "hours", "is not a time of day"),
        (PolicyChanges(hours="mon 18:00-08:00"), "hours", "end before they start"),
        (PolicyChanges(hours="mon 08:00-12:00,11:00-13:00"), "hours", "overlap"),
        (PolicyChanges(hours="mon-fri 08:00-18:00; fri 20:00-22:00"), "hours", "named twice"),
        (PolicyChanges(hours="someday 08:00-18:00"), "hours", "cannot read the days"),
        (PolicyChanges(hours="mon"), "hours", "names days but no hours"),
        (PolicyChanges(add_closed=["2026-12-26..2026-12-24"]), "closed", "ends before it starts"),
        (
            PolicyChanges(add_closed=["2026-12-31 18:00..14:00 early close"]),
            "closed",
            "ends before it starts",
        ),
        (PolicyChanges(add_closed=["2026-02-30"]), "closed", "is not a date"),
        (PolicyChanges(add_closed=["Christmas"]), "closed", "cannot read the closure"),
        (PolicyChanges(min_length_minutes=0), "min_length_minutes", "longer than zero"),
        (PolicyChanges(max_length_minutes=-30), "max_length_minutes", "longer than zero"),
        (PolicyChanges(min_notice_minutes=0), "min_notice_minutes", "longer than zero"),
        (PolicyChanges(max_advance_minutes=-1), "max_advance_minutes", "longer than zero"),
        (PolicyChanges(max_advance_minutes=10**12), "max_advance_minutes", "at most 366 days"),
        (PolicyChanges(max_active=0), "max_active", "from 1 to"),
        (PolicyChanges(max_active=-3), "max_active", "from 1 to"),
        (PolicyChanges(max_hours_per_week=0), "max_hours_per_week", "above 0"),
        (PolicyChanges(max_hours_per_week=-8), "max_hours_per_week", "above 0"),
        (PolicyChanges(max_hours_per_week=169), "max_hours_per_week", "at most 168"),
        (
            PolicyChanges(min_length_minutes=120, max_length_minutes=60),
            "min_length_minutes",
            "the shortest booking is longer than the longest",
        ),
        (PolicyChanges(min_length_minutes=600), "min_length_minutes", "would be longer"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(
    world: World, changes: PolicyChanges, field: str, message: str
) -> None:
    base = PolicyChanges(hours="mon-fri 08:00-18:00", max_length_minutes=480)
    before = [world.admin.set_policy(DEFAULT, base), world.admin.set_policy(GPU, base)]
    # With a good change beside it: all is checked before anything is saved.
    good = {"timezone": BERLIN} if field == "max_active" else {"max_active": 7}
    with pytest.raises(ValidationError) as refused:
        world.admin.set_policy(GPU, replace(changes, **good))
    assert not isinstance(refused.value, PolicyError)
    assert refused.value.field == field
    assert message in str(refused.value)
    with pytest.raises(ValidationError) as on_default:
        world.admin.set_policy(DEFAULT, changes)
    assert on_default.value.field == field
    assert message in str(on_default.value)
    assert world.admin.list_policies() == before


def test_unknown_scopes_and_fields_are_refused(world: World) -> None:
    with pytest.raises(NotFoundError, match="resource 999 not found"):
        world.admin.resource_policy(999)
    for call in (
        lambda: world.admin.get_policy(PolicyScope("resource", resource_id=999)),
        lambda: world.admin.set_policy(
            PolicyScope("resource", resource_id=999), PolicyChanges(max_active=1)
        ),
        lambda: world.admin.clear_policy(PolicyScope("resource", resource_id=999)),
    ):
        with pytest.raises(NotFoundError, match="resource 999 not found"):
            call()
    with pytest.raises(ValidationError) as no_tag:
        world.admin.set_policy(PolicyScope("tag", tag=" "), PolicyChanges(max_active=1))
    assert (no_tag.value.field, str(no_tag.value)) == ("tag", "no tag given")
    with pytest.raises(ValidationError) as bad_tag:
        world.admin.get_policy(PolicyScope("tag", tag="gpu!"))
    assert bad_tag.value.field == "tags"
    with pytest.raises(ValidationError) as no_scope:
        world.admin.get_policy(PolicyScope("resource"))
    assert no_scope.value.field == "scope"
    world.admin.set_policy(GPU, PolicyChanges(max_active=2))
    with pytest.raises(ValidationError) as unknown:
        world.admin.clear_policy(GPU, ["max_active", "colour"])
    assert unknown.value.field == "fields"
    assert "'colour'" in str(unknown.value)
    assert world.admin.get_policy(GPU).max_active == 2


# -- refusals, rule by rule ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("changes", "scope", "start", "length", "refusal", "message"),
    [
        pytest.param(
            PolicyChanges(timezone=BERLIN, hours="mon-fri 08:00-20:00"),
            GPU,
            SATURDAY,
            HOUR,
            {"rule": "hours", "scope": "tag 'gpu'", "field": "start_time"},
            "GPU-3 is closed on Saturdays (opening hours of tag 'gpu': Mon-Fri 08:00-20:00 "
            "Europe/Berlin)",
            id="hours-closed-day",
        ),
        pytest.param(
            PolicyChanges(timezone=BERLIN, hours="mon-fri 08:00-12:00,13:00-20:00"),
            GPU,
            WEDNESDAY + HOUR / 2,
            HOUR,
            {"rule": "hours", "scope": "tag 'gpu'", "field": "start_time"},
            "GPU-3 is open on Wednesdays only 08:00-12:00, 13:00-20:00 (opening hours of tag "
            "'gpu': Mon-Fri 08:00-12:00, 13:00-20:00 Europe/Berlin)",
            id="hours-lunch-break",
        ),
        pytest.param(
            PolicyChanges(add_closed=["2026-12-24..2026-12-26 holidays"]),
            DEFAULT,
            datetime(2026, 12, 25, 10, tzinfo=UTC),
            HOUR,
            {"rule": "closed", "scope": "the default policy", "field": "start_time"},
            "GPU-3 is closed Thu 24 Dec - Sat 26 Dec 2026 (holidays; closures of "
            "the default policy, UTC)",
            id="closed",
        ),
        pytest.param(
            PolicyChanges(min_length_minutes=60),
            "GPU-3",
            WEDNESDAY,
            HOUR / 2,
            {
                "rule": "min_length",
                "scope": "resource 'GPU-3'",
                "limit": 60,
                "current": 30,
                "unit": "minutes",
                "field": "end_time",
            },
            "a booking of GPU-3 lasts at least 1 hour; this one lasts 30 minutes",
            id="min_length",
        ),
        pytest.param(
            PolicyChanges(max_length_minutes=120),
            GPU,
            WEDNESDAY,
            3 * HOUR,
            {
                "rule": "max_length",
                "scope": "tag 'gpu'",
                "limit": 120,
                "current": 180,
                "unit": "minutes",
                "field": "end_time",
            },
            "a booking of GPU-3 lasts at most 2 hours; this one lasts 3 hours",
            id="max_length",
        ),
        pytest.param(
            PolicyChanges(min_notice_minutes=24 * 60),
            DEFAULT,
            NOW + 2 * HOUR,
            HOUR,
            {
                "rule": "min_notice",
                "scope": "the default policy",
                "limit": 1440,
                "current": 120,
                "unit": "minutes",
                "field": "start_time",
            },
            "GPU-3 must be booked at least 24 hours ahead; this booking starts in 2 hours",
            id="min_notice",
        ),
        pytest.param(
            PolicyChanges(max_advance_minutes=7 * 24 * 60),
            GPU,
            NOW + timedelta(days=10, minutes=90),
            HOUR,
            {
                "rule": "max_advance",
                "scope": "tag 'gpu'",
                "limit": 10080,
                "current": 14490,
                "unit": "minutes",
                "field": "start_time",
            },
            "GPU-3 can be booked at most 7 days ahead; this booking starts in 10d 1h 30m",
            id="max_advance",
        ),
    ],
)
def test_a_window_rule_refuses_everyone_naming_its_scope_and_figures(
    world: World,
    changes: PolicyChanges,
    scope: PolicyScope | str,
    start: datetime,
    length: timedelta,
    refusal: dict[str, Any],
    message: str,
) -> None:
    gpu3, _ = _gpus(world)
    if scope == "GPU-3":
        scope = PolicyScope("resource", resource_id=gpu3)
    assert isinstance(scope, PolicyScope)
    world.admin.set_policy(scope, changes)
    for backend in (world.member("bob"), world.admin):
        with pytest.raises(PolicyError) as refused:
            backend.book(gpu3, start, start + length)
        expected = {"limit": None, "current": None, "unit": None, **refusal}
        assert _refusal(refused.value) == {**expected, "resource": "GPU-3"}
        assert str(refused.value) == message
        assert refused.value.code == "policy"
    assert world.admin.all_reservations() == []


def test_refusals_carry_the_times_they_name(world: World) -> None:
    gpu3, _ = _gpus(world)
    world.admin.set_policy(
        GPU,
        PolicyChanges(
            timezone=BERLIN,
            hours="mon-fri 08:00-20:00",
            add_closed=["2026-12-31 14:00..18:00 early close"],
        ),
    )
    bob = world.member("bob")
    with pytest.raises(PolicyError) as evening:
        # 19:30-20:30 in Berlin: the last half hour is closed.
        bob.book(gpu3, WEDNESDAY + 8.5 * HOUR, WEDNESDAY + 9.5 * HOUR)
    assert evening.value.figures == {
        "hours": "mon-fri 08:00-20:00",
        "timezone": BERLIN,
        "closed_at": "2026-12-02T19:00:00+00:00",
    }
    with pytest.raises(PolicyError) as early_close:
        bob.book(
            gpu3, datetime(2026, 12, 31, 12, tzinfo=UTC), datetime(2026, 12, 31, 14, tzinfo=UTC)
        )
    assert early_close.value.figures == {
        "closed_from": "2026-12-31T13:00:00+00:00",
        "closed_until": "2026-12-31T17:00:00+00:00",
        "reason": "early close",
        "timezone": BERLIN,
    }
    assert str(early_close.value) == (
        "GPU-3 is closed Thu 31 Dec 2026 14:00-18:00 (early close; closures of tag 'gpu', "
        "Europe/Berlin)"
    )


def test_a_booking_inside_open_time_passes_also_across_touching_spans(world: World) -> None:
    gpu3, gpu4 = _gpus(world)
    world.admin.set_policy(
        GPU,
        PolicyChanges(
            timezone=BERLIN,
            hours="mon-fri 08:00-12:00,12:00-18:00; sat 00:00-24:00; sun 00:00-06:00",
        ),
    )
    bob = world.member("bob")
    # 11:00-17:00 in Berlin, across the two spans that touch at noon.
    assert bob.book(gpu3, WEDNESDAY, WEDNESDAY + 6 * HOUR).status == "active"
    # Saturday 22:00 to Sunday 02:00 in Berlin.
    late = datetime(2026, 12, 5, 21, tzinfo=UTC)
    assert bob.book(gpu4, late, late + 4 * HOUR).status == "active"
    with pytest.raises(PolicyError) as too_late:
        bob.book(gpu3, late, late + 10 * HOUR)
    assert too_late.value.rule == "hours"
    assert too_late.value.figures["closed_at"] == "2026-12-06T05:00:00+00:00"


def test_a_move_keeps_the_window_rules_and_does_not_count_against_the_allowance(
    world: World,
) -> None:
    gpu3, _ = _gpus(world)
    world.admin.set_policy(
        GPU, PolicyChanges(timezone=BERLIN, hours="mon-fri 08:00-20:00", max_active=1)
    )
    bob = world.member("bob")
    booked = bob.book(gpu3, WEDNESDAY, WEDNESDAY + HOUR)
    moved = bob.move(booked.id, WEDNESDAY + 2 * HOUR, WEDNESDAY + 3 * HOUR)
    assert moved.start_time == WEDNESDAY + 2 * HOUR
    with pytest.raises(PolicyError) as weekend:
        bob.move(booked.id, SATURDAY, SATURDAY + HOUR)
    assert (weekend.value.rule, weekend.value.scope) == ("hours", "tag 'gpu'")
    assert bob.get_reservation(booked.id).start_time == WEDNESDAY + 2 * HOUR


def test_max_active_counts_the_users_bookings_across_the_scope(world: World) -> None:
    gpu3, gpu4 = _gpus(world)
    room = world.admin.create_resource("Room A").id
    world.admin.set_policy(GPU, PolicyChanges(max_active=2))
    bob = world.member("bob")
    bob.book(gpu3, WEDNESDAY, WEDNESDAY + HOUR)
    bob.book(gpu4, WEDNESDAY, WEDNESDAY + HOUR)
    with pytest.raises(PolicyError) as refused:
        bob.book(gpu3, WEDNESDAY + 2 * HOUR, WEDNESDAY + 3 * HOUR)
    assert _refusal(refused.value) == {
        "rule": "max_active",
        "scope": "tag 'gpu'",
        "limit": 2,
        "current": 2,
        "unit": "bookings",
        "resource": "GPU-3",
        "field": None,
    }
    assert str(refused.value) == (
        "you already hold 2 active bookings on tag 'gpu', the most one may hold at once "
        "(tag 'gpu' allows 2)"
    )
    # Outside the scope, for someone else, and for an admin: no limit reached.
    bob.book(room, WEDNESDAY, WEDNESDAY + HOUR)
    world.member("carol").book(gpu3, WEDNESDAY + 2 * HOUR, WEDNESDAY + 3 * HOUR)
    world.admin.book(gpu3, WEDNESDAY + 4 * HOUR, WEDNESDAY + 5 * HOUR)
    world.admin.book(gpu4, WEDNESDAY + 4 * HOUR, WEDNESDAY + 5 * HOUR)
    world.admin.book(gpu4, WEDNESDAY + 6 * HOUR, WEDNESDAY + 7 * HOUR)
    # A cancelled booking, or one that has ended, holds nothing.
    first = bob.my_reservations()[-1]
    bob.cancel(first.id)
    assert bob.book(gpu3, WEDNESDAY + 8 * HOUR, WEDNESDAY + 9 * HOUR).status == "active"
    world.set_now(WEDNESDAY + 90 * timedelta(minutes=1))
    bob = world.member("bob")  # a token from before would have expired by now
    assert bob.book(gpu3, WEDNESDAY + 10 * HOUR, WEDNESDAY + 11 * HOUR).status == "active"


def test_max_hours_per_week_names_the_busiest_week_and_why_not(world: World) -> None:
    gpu3, gpu4 = _gpus(world)
    world.admin.set_policy(GPU, PolicyChanges(timezone=BERLIN, max_hours_per_week=8))
    bob = world.member("bob")
    bob.book(gpu3, WEDNESDAY, WEDNESDAY + 3 * HOUR)
    bob.book(gpu4, WEDNESDAY + timedelta(days=1), WEDNESDAY + timedelta(days=1, hours=3))
    friday = WEDNESDAY + timedelta(days=2)
    with pytest.raises(PolicyError) as refused:
        bob.book(gpu3, friday, friday + 3 * HOUR)
    error = refused.value
    assert _refusal(error) == {
        "rule": "max_hours_per_week",
        "scope": "tag 'gpu'",
        "limit": 8,
        "current": 6,
        "unit": "hours",
        "resource": "GPU-3",
        "field": None,
    }
    assert error.figures == {
        "requested": 3,
        "would_hold": 9,
        "window_start": "2026-11-27T13:00:00+00:00",
        "window_end": "2026-12-04T13:00:00+00:00",
    }
    assert str(error) == (
        "this 3h booking would bring you to 9h of your 8h per week on tag 'gpu' "
        "(you hold 6h between Fri 27 Nov and Fri 4 Dec)"
    )
    # Written again in the reader's zone, from the figures the error carries.
    assert describe_error(error, ZoneInfo("Pacific/Kiritimati"), now=NOW) == (
        "this 3h booking would bring you to 9h of your 8h per week on tag 'gpu' "
        "(you hold 6h between Sat 28 Nov and Sat 5 Dec)"
    )
    # Two hours still fit; then the week is full, and a week later there is room again.
    bob.book(gpu3, friday, friday + 2 * HOUR)
    with pytest.raises(PolicyError, match=r"would bring you to 8\.5h of your 8h"):
        bob.book(gpu4, friday + 3 * HOUR, friday + 3.5 * HOUR)
    later = friday + timedelta(days=7, hours=2)
    assert bob.book(gpu4, later, later + 3 * HOUR).status == "active"
    world.admin.book(gpu4, friday + 3 * HOUR, friday + 9 * HOUR)


# -- reads that offer time -----------------------------------------------------------------
def test_what_is_offered_keeps_to_the_policy(world: World) -> None:
    gpu3, _ = _gpus(world)
    room = world.admin.create_resource("Room A").id
    world.admin.set_policy(
        GPU, PolicyChanges(timezone=BERLIN, hours="mon-fri 08:00-20:00", max_active=1)
    )
    bob = world.member("bob")
    # Saturday: the next open hour is Monday 08:00 in Berlin.
    offered = bob.next_free_slot(HOUR, SATURDAY, gpu3)
    assert (offered.start_time, offered.end_time) == (
        datetime(2026, 12, 7, 7, tzinfo=UTC),
        datetime(2026, 12, 7, 8, tzinfo=UTC),
    )
    found = bob.search_resources(available_from=SATURDAY, available_until=SATURDAY + HOUR)
    assert [r.id for r in found] == [room]
    grid = bob.schedule(gpu3, SATURDAY.date(), days=1, tz=BERLIN, slot_minutes=60)
    assert {slot.state for day in grid.days for slot in day.slots} == {"closed"}
    bob.book(gpu3, WEDNESDAY, WEDNESDAY + HOUR)
    with pytest.raises(PolicyError) as nothing:
        bob.next_free_slot(HOUR, None, gpu3)
    assert (nothing.value.rule, nothing.value.scope, nothing.value.field) == (
        "max_active",
        "tag 'gpu'",
        "duration",
    )
    assert str(nothing.value).startswith("no free 1h slot can be offered: you already hold 1")
    # An admin is exempt from the allowance, not from the opening hours.
    assert world.admin.next_free_slot(HOUR, SATURDAY, gpu3) == offered
