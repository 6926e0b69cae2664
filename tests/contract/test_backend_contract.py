"""One suite for the `Backend` interface, run on `LocalBackend` and on `RemoteBackend`.

The remote side talks to a real server process on a loopback port (see
conftest.py). Both sides start at the same frozen instant and must give the
same answers and raise the same errors with the same messages.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from support.clock import NOW
from support.contract import World
from support.servers import TEST_PASSWORD

from reserver_core.backend import Backend
from reserver_core.display import describe_error, describe_event
from reserver_core.errors import (
    AlreadyExistsError,
    AmbiguousNameError,
    AuthError,
    ConflictError,
    ForbiddenError,
    ImportRejectedError,
    LineError,
    NotFoundError,
    StateError,
    UnavailableError,
    ValidationError,
    Window,
)
from reserver_core.local import LocalBackend
from reserver_core.remote import RemoteBackend

HOUR = timedelta(hours=1)
TOMORROW_10 = NOW.replace(hour=10) + timedelta(days=1)


def _room(world: World, name: str = "Room A", **options: object) -> int:
    return world.admin.create_resource(name, **options).id  # type: ignore[arg-type]


def test_identity_and_roles(world: World) -> None:
    admin = world.admin.whoami()
    bob = world.member("bob").whoami()
    assert (admin.username, admin.role, admin.is_admin) == ("alice", "admin", True)
    assert (bob.username, bob.role, bob.is_admin) == ("bob", "member", False)
    assert world.admin.health().status == "ok"
    assert world.admin.health().database == "ok"


def test_register_rules(world: World) -> None:
    created = world.admin.register("Carol", "long-enough-password")
    assert (created.username, created.role) == ("carol", "member")
    with pytest.raises(AlreadyExistsError, match="taken"):
        world.admin.register("carol", "long-enough-password")
    with pytest.raises(ValidationError) as short:
        world.admin.register("dave", "short")
    assert short.value.field == "password"
    with pytest.raises(ValidationError) as bad_name:
        world.admin.register("x!", "long-enough-password")
    assert bad_name.value.field == "username"
    with pytest.raises(ValidationError, match="72 bytes"):
        world.admin.register("erin", "é" * 40)


def test_resources_create_find_update_and_unique_names(world: World) -> None:
    room = world.admin.create_resource("Room A", ["Meeting", "big"], "second floor")
    assert (room.name, room.tags, room.description) == (
        "Room A",
        ["meeting", "big"],
        "second floor",
    )
    assert (room.available, room.status) == (True, "available")
    assert room.created_at == NOW
    assert world.admin.get_resource(room.id) == room
    assert world.admin.find_resource("room a") == room
    assert world.admin.find_resource(str(room.id)) == room
    assert [r.name for r in world.member("bob").list_resources()] == ["Room A"]
    with pytest.raises(AlreadyExistsError, match="already exists") as taken:
        world.admin.create_resource("ROOM  a")
    assert taken.value.field == "name"
    with pytest.raises(ValidationError):
        world.admin.create_resource("   ")
    with pytest.raises(NotFoundError, match=r"^no resource named 'Nowhere'$") as unknown:
        world.admin.find_resource("Nowhere")
    assert unknown.value.candidates == []
    with pytest.raises(NotFoundError):
        world.admin.get_resource(999_999)
    # Ids no store can hold are simply unknown, as are digits int() would refuse.
    for reference in ("²", "0", str(10**30)):
        with pytest.raises(NotFoundError, match="no resource"):
            world.admin.find_resource(reference)
    for unknown in (0, -1, 10**30):
        with pytest.raises(NotFoundError, match=r"resource -?[0-9]+ not found"):
            world.admin.get_resource(unknown)
        with pytest.raises(NotFoundError, match=r"resource -?[0-9]+ not found"):
            world.admin.book(unknown, NOW + timedelta(hours=1), NOW + timedelta(hours=2))
        with pytest.raises(NotFoundError, match=r"reservation -?[0-9]+ not found"):
            world.admin.get_reservation(unknown)
        with pytest.raises(NotFoundError, match=r"reservation -?[0-9]+ not found"):
            world.admin.cancel(unknown)
        with pytest.raises(NotFoundError, match=r"reservation -?[0-9]+ not found"):
            world.admin.history(unknown)
    # A name of digits alone is found by name when no resource has that id.
    numbered = world.admin.create_resource("4711")
    assert world.admin.find_resource("4711") == numbered
    renamed = world.admin.update_resource(room.id, name="Room B", tags=["small"])
    assert (renamed.name, renamed.tags, renamed.description) == (
        "Room B",
        ["small"],
        "second floor",
    )
    with pytest.raises(ForbiddenError):
        world.member("bob").create_resource("Room C")
    with pytest.raises(ForbiddenError):
        world.member("carol").update_resource(room.id, name="Mine")


def test_a_name_may_be_a_near_miss_or_a_unique_beginning(world: World) -> None:
    aurora = world.admin.create_resource("Aurora meeting room")
    cafe = world.admin.create_resource("Café Lounge")
    world.admin.create_resource("Room 101")
    world.admin.create_resource("Room 102")
    member = world.member("bob")
    assert member.find_resource("Aurora") == aurora
    assert member.find_resource("  aurora   MEETING ") == aurora
    assert member.find_resource("cafe lounge") == cafe
    assert member.find_resource("CAFÉ") == cafe
    with pytest.raises(NotFoundError) as missed:
        member.find_resource("Aurra meeting")
    assert missed.value.message == (
        "no resource named 'Aurra meeting'; did you mean 'Aurora meeting room'?"
    )
    assert missed.value.candidates == ["Aurora meeting room"]
    with pytest.raises(NotFoundError, match="did you mean 'Aurora meeting room'"):
        member.find_resource("Aurra")
    with pytest.raises(NotFoundError) as inside:
        member.find_resource("meeting")
    assert inside.value.candidates == ["Aurora meeting room"]
    with pytest.raises(AmbiguousNameError) as ambiguous:
        member.find_resource("Room")
    assert ambiguous.value.candidates == ["Room 101", "Room 102"]
    assert ambiguous.value.message == (
        "'Room' could be any of 2 resources: 'Room 101' and 'Room 102'; give more of the name"
    )
    # Too short a beginning is not taken for a name, even when only one name starts so.
    with pytest.raises(NotFoundError, match="no resource named 'Au'"):
        member.find_resource("Au")
    assert member.find_resource("Room 101") == world.admin.find_resource("room 101")


def test_search_by_text_tags_status_and_window(world: World) -> None:
    a = world.admin.create_resource("Lab scope", ["scope", "lab"])
    b = world.admin.create_resource("Meeting room", ["meeting"], "has a projector")
    world.admin.create_resource("Old scope", ["scope"], available=False)
    world.admin.book(a.id, TOMORROW_10, TOMORROW_10 + HOUR)

    def names(**query: object) -> list[str]:
        return [r.name for r in world.admin.search_resources(**query)]  # type: ignore[arg-type]

    assert names(text="scope") == ["Lab scope", "Old scope"]
    assert names(text="PROJECTOR") == ["Meeting room"]
    assert names(tags=["scope", "lab"]) == ["Lab scope"]
    assert names(status="available") == ["Lab scope", "Meeting room"]
    assert names(status="unavailable") == ["Old scope"]
    window = {
        "available_from": TOMORROW_10 + timedelta(minutes=30),
        "available_until": TOMORROW_10 + 2 * HOUR,
    }
    assert names(**window) == ["Meeting room"]
    with pytest.raises(ValidationError, match="unknown status"):
        world.admin.search_resources(status="broken")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="both"):
        world.admin.search_resources(available_from=TOMORROW_10)
    with pytest.raises(ValidationError, match="that window is over") as over:
        world.admin.search_resources(available_from=NOW - 2 * HOUR, available_until=NOW)
    assert over.value.field == "available_until"
    started = {"available_from": NOW - HOUR, "available_until": NOW + HOUR}
    assert names(**started) == ["Lab scope", "Meeting room"]
    assert b.id != a.id


def test_booking_and_conflicts_name_the_same_windows(world: World) -> None:
    room = _room(world)
    bob = world.member("bob")
    first = bob.book(room, TOMORROW_10, TOMORROW_10 + HOUR)
    assert (first.status, first.username, first.resource.name) == ("active", "bob", "Room A")
    assert (first.start_time, first.end_time, first.created_at) == (
        TOMORROW_10,
        TOMORROW_10 + HOUR,
        NOW,
    )
    # Half-open windows: back to back is fine.
    bob.book(room, TOMORROW_10 + HOUR, TOMORROW_10 + 2 * HOUR)
    with pytest.raises(ConflictError) as clash:
        world.member("carol").book(
            room, TOMORROW_10 + timedelta(minutes=30), TOMORROW_10 + 90 * timedelta(minutes=1)
        )
    assert clash.value.windows == [
        Window(TOMORROW_10, TOMORROW_10 + HOUR, first.id),
        Window(TOMORROW_10 + HOUR, TOMORROW_10 + 2 * HOUR, first.id + 1),
    ]
    assert str(clash.value) == (
        "Room A is already booked 2026-12-02 10:00-11:00 UTC, 2026-12-02 11:00-12:00 UTC, "
        "which conflicts with that time"
    )
    assert describe_error(clash.value, ZoneInfo("Europe/Berlin"), now=NOW) == (
        "Room A is already booked Wed 2 Dec 11:00-12:00 CET, Wed 2 Dec 12:00-13:00 CET, "
        "which conflicts with that time"
    )
    offset = datetime.fromisoformat("2026-12-02T14:00:00+01:00")
    shifted = bob.book(room, offset, offset + HOUR)
    assert shifted.start_time == datetime.fromisoformat("2026-12-02T13:00:00+00:00")


@pytest.mark.parametrize(
    ("start", "end", "error", "message"),
    [
        (NOW - HOUR, NOW + HOUR, ValidationError, "the start must be in the future"),
        (TOMORROW_10, TOMORROW_10, ValidationError, "the end must be after the start"),
        (TOMORROW_10, TOMORROW_10 + timedelta(minutes=5), ValidationError, "at least 15"),
        (TOMORROW_10, TOMORROW_10 + timedelta(hours=25), ValidationError, "at most 24"),
    ],
)
def test_invalid_windows(
    world: World, start: datetime, end: datetime, error: type[Exception], message: str
) -> None:
    room = _room(world)
    with pytest.raises(error, match=message):
        world.admin.book(room, start, end)


def test_unbookable_resources(world: World) -> None:
    room = _room(world)
    with pytest.raises(NotFoundError, match=r"resource \d+ not found"):
        world.admin.book(room + 1000, TOMORROW_10, TOMORROW_10 + HOUR)
    world.admin.set_available(room, False)
    with pytest.raises(UnavailableError, match="disabled"):
        world.admin.book(room, TOMORROW_10, TOMORROW_10 + HOUR)
    world.admin.set_available(room, True)
    under = world.admin.start_maintenance(room, auto_reset_hours=48)
    assert (under.status, under.maintenance_until) == ("maintenance", NOW + 48 * HOUR)
    with pytest.raises(UnavailableError, match="maintenance") as refused:
        world.member("bob").book(room, TOMORROW_10, TOMORROW_10 + HOUR)
    assert (refused.value.resource, refused.value.until) == ("Room A", NOW + 48 * HOUR)
    assert describe_error(refused.value, ZoneInfo("America/New_York"), now=NOW) == (
        "Room A is under maintenance Tue 1 Dec 04:00 EST - Thu 3 Dec 04:00 EST, "
        "which overlaps that time"
    )
    with pytest.raises(ValidationError, match="between 1 and 168"):
        world.admin.start_maintenance(room, auto_reset_hours=0)
    with pytest.raises(ForbiddenError):
        world.member("carol").end_maintenance(room)
    assert world.admin.end_maintenance(room).status == "available"


def test_maintenance_ahead_previewed_then_cancelling_what_it_overlaps(world: World) -> None:
    room = _room(world)
    bob = world.member("bob")
    # Near enough for the clock to move past it within a token's life.
    ahead = NOW + 2 * HOUR
    inside = bob.book(room, ahead, ahead + HOUR)
    after = bob.book(room, ahead + 3 * HOUR, ahead + 4 * HOUR)
    with pytest.raises(ForbiddenError):
        bob.preview_maintenance(room, 2 * HOUR, ahead)
    seen = world.admin.preview_maintenance(room, 2 * HOUR, ahead, " lamp ")
    assert [r.id for r in seen.overlapped] == [inside.id]
    assert (seen.start_time, seen.end_time, seen.reason) == (
        ahead,
        ahead + 2 * HOUR,
        "lamp",
    )
    late = bob.book(room, ahead + HOUR, ahead + 2 * HOUR)
    done = world.admin.schedule_maintenance(room, 2 * HOUR, ahead, "lamp", "cancel")
    assert [r.id for r in done.cancelled] == [inside.id, late.id]
    assert [r.status for r in done.cancelled] == ["cancelled", "cancelled"]
    assert (done.resource.status, done.resource.maintenance_reason) == ("available", "lamp")
    why = bob.history(inside.id)[0]
    assert (why.action, why.actor) == ("cancelled", "alice")
    assert why.details == "cancelled for maintenance 2026-12-01 11:00-13:00 UTC: lamp"
    assert bob.get_reservation(after.id).status == "active"
    with pytest.raises(UnavailableError) as refused:
        bob.book(room, ahead + HOUR, ahead + 3 * HOUR)
    assert (refused.value.since, refused.value.until, refused.value.reason) == (
        ahead,
        ahead + 2 * HOUR,
        "lamp",
    )
    assert describe_error(refused.value, ZoneInfo("Europe/Berlin"), now=NOW) == (
        "Room A is under maintenance Tue 1 Dec 12:00-14:00 CET (lamp), which overlaps that time"
    )
    world.set_now(ahead)
    assert world.admin.get_resource(room).status == "maintenance"
    world.set_now(ahead + 2 * HOUR)
    assert world.admin.expire().maintenance_reset_count == 1
    assert world.admin.get_resource(room).status == "available"


def test_maintenance_keeping_what_it_overlaps_and_bad_inputs(world: World) -> None:
    room = _room(world)
    held = world.member("bob").book(room, NOW + HOUR, NOW + 2 * HOUR)
    done = world.admin.schedule_maintenance(room, 3 * HOUR, None, "", "keep")
    assert [r.id for r in done.kept] == [held.id]
    assert (done.start_time, done.resource.status) == (NOW, "maintenance")
    assert world.admin.get_reservation(held.id).status == "active"
    assert world.admin.end_maintenance(room).status == "available"
    for length, start, reason, field_name in (
        (10 * timedelta(minutes=1), None, "", "length"),
        (169 * HOUR, None, "", "length"),
        (HOUR, NOW + timedelta(days=400), "", "from"),
        (HOUR, None, "x" * 501, "reason"),
    ):
        with pytest.raises(ValidationError) as refused:
            world.admin.schedule_maintenance(room, length, start, reason, "keep")
        assert refused.value.field == field_name
    with pytest.raises(ValidationError):
        world.admin.schedule_maintenance(room, HOUR, None, "", "maybe")  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        world.admin.preview_maintenance(room + 1000, HOUR)


def test_cancel_rules_and_history(world: World) -> None:
    room = _room(world)
    bob, carol = world.member("bob"), world.member("carol")
    booked = bob.book(room, TOMORROW_10, TOMORROW_10 + HOUR)
    with pytest.raises(ForbiddenError):
        carol.cancel(booked.id)
    with pytest.raises(ForbiddenError):
        carol.history(booked.id)
    with pytest.raises(ForbiddenError):
        carol.get_reservation(booked.id)
    cancelled = bob.cancel(booked.id, "  plans changed ")
    assert (cancelled.status, cancelled.cancellation_reason) == ("cancelled", "plans changed")
    assert cancelled.cancelled_at == NOW
    with pytest.raises(StateError, match="already cancelled"):
        bob.cancel(booked.id)
    with pytest.raises(NotFoundError):
        bob.cancel(booked.id + 100)
    events = bob.history(booked.id)
    assert [(e.action, e.actor, e.details) for e in events] == [
        ("cancelled", "bob", "plans changed"),
        ("created", "bob", "2026-12-02 10:00-11:00 UTC"),
    ]
    other = carol.book(room, TOMORROW_10, TOMORROW_10 + HOUR)
    assert world.admin.cancel(other.id).status == "cancelled"
    assert [e.actor for e in world.admin.history(other.id)] == ["alice", "carol"]


def test_listing_reservations(world: World) -> None:
    room = _room(world)
    bob = world.member("bob")
    early = bob.book(room, TOMORROW_10, TOMORROW_10 + HOUR)
    late = bob.book(room, TOMORROW_10 + 3 * HOUR, TOMORROW_10 + 4 * HOUR)
    world.member("carol").book(room, TOMORROW_10 + 5 * HOUR, TOMORROW_10 + 6 * HOUR)
    bob.cancel(early.id)
    assert [r.id for r in bob.my_reservations()] == [late.id]
    assert [r.id for r in bob.my_reservations(include_cancelled=True)] == [late.id, early.id]
    assert len(world.admin.all_reservations()) == 2
    assert len(world.admin.all_reservations(include_cancelled=True)) == 3
    with pytest.raises(ForbiddenError):
        bob.all_reservations()
    assert bob.get_reservation(late.id) == late
    overlapping = bob.resource_reservations(room, TOMORROW_10, TOMORROW_10 + 4 * HOUR)
    assert [r.id for r in overlapping] == [late.id]


def test_status_schedule_summary_and_next_free_slot(world: World) -> None:
    room = _room(world)
    world.admin.create_resource("Spare", ["meeting"])
    bob = world.member("bob")
    now_booking = bob.book(room, NOW + timedelta(minutes=1), NOW + HOUR)
    world.set_now(NOW + timedelta(minutes=10))
    detail = bob.resource_status(room)
    assert detail.status == "in_use"
    assert detail.current_reservation is not None
    assert detail.current_reservation.id == now_booking.id
    assert detail.resource.busy_until == NOW + HOUR
    summary = bob.summary()
    assert (summary.total_resources, summary.available_now, summary.currently_in_use) == (2, 1, 1)
    grid = bob.schedule(room, days=2, tz="Europe/Berlin", slot_minutes=60)
    assert grid.timezone == "Europe/Berlin"
    assert [day.day.isoformat() for day in grid.days] == ["2026-12-01", "2026-12-02"]
    states = [slot.state for slot in grid.days[0].slots]
    assert states[:4] == ["past", "past", "mine", "free"]
    assert [r.id for r in grid.reservations] == [now_booking.id]
    with pytest.raises(ValidationError, match="unknown time zone"):
        bob.schedule(room, tz="Mars/Olympus")
    slot = bob.next_free_slot(HOUR, resource_id=room)
    assert (slot.start_time, slot.end_time) == (NOW + HOUR, NOW + 2 * HOUR)
    tagged = bob.next_free_slot(HOUR, tag="meeting")
    assert tagged.resource.name == "Spare"
    with pytest.raises(NotFoundError, match="tag"):
        bob.next_free_slot(HOUR, tag="nothing")


def test_csv_import_export(world: World) -> None:
    good = b'name,tags,available\nScope 1,"lab,scope",true\nScope 2,lab,no\n'
    report = world.admin.import_csv(io.BytesIO(good))
    assert (report.created_count, report.errors) == (2, [])
    bad = b'name,tags\nScope 3,lab\n,empty\nScope 1,dup\nScope 4,"bad!tag"\n\xff\xfe,x\n'
    with pytest.raises(ImportRejectedError) as rejected:
        world.admin.import_csv(io.BytesIO(bad))
    lines = [error.line for error in rejected.value.errors]
    assert lines == [3, 4, 5, 6]
    assert str(rejected.value) == "the file was rejected: 4 bad lines, nothing imported"
    assert all(isinstance(error, LineError) for error in rejected.value.errors)
    assert len(world.admin.list_resources()) == 2
    skipped = world.admin.import_csv(io.BytesIO(bad), skip_invalid=True)
    assert (skipped.created_count, [e.line for e in skipped.errors]) == (1, [3, 4, 5, 6])
    with pytest.raises(ForbiddenError):
        world.member("bob").import_csv(io.BytesIO(good))
    out = io.StringIO()
    assert world.admin.export_csv(out) == 3
    assert out.getvalue().splitlines() == [
        "name,tags,available,description",
        'Scope 1,"lab,scope",true,',
        "Scope 2,lab,false,",
        "Scope 3,lab,true,",
    ]


def _export(backend: Backend) -> str:
    out = io.StringIO()
    backend.export_csv(out)
    return out.getvalue()


def _fields(backend: Backend) -> list[tuple[str, list[str], bool, str]]:
    return [(i.name, i.tags, i.available, i.description) for i in backend.list_resources()]


def test_reimporting_an_edited_export_updates_by_name(world: World) -> None:
    world.admin.create_resource("Scope 1", tags=["lab", "scope"], description="Bench 3, left")
    world.admin.create_resource("Scope 2", tags=["lab"], description='The "old" one\nby the door')
    world.admin.create_resource("Van", tags=["van"], available=False)
    exported = _export(world.admin)
    with pytest.raises(ImportRejectedError) as refused:
        world.admin.import_csv(io.BytesIO(exported.encode()))
    assert [e.message for e in refused.value.errors] == [
        f"a resource named {name!r} already exists" for name in ("Scope 1", "Scope 2", "Van")
    ]
    unchanged = world.admin.import_csv(io.BytesIO(exported.encode()), update_existing=True)
    assert (unchanged.created_count, unchanged.updated_count, unchanged.unchanged_count) == (
        0,
        0,
        3,
    )
    # Edited as a spreadsheet saves it: CRLF line ends, quotes doubled.
    rows = list(csv.reader(io.StringIO(exported)))
    rows[1][3] = 'Bench 4, "right"\nsecond line, ünï'
    rows[3][1:3] = ["van,car", "true"]
    rows.append(["Scope 3", "lab", "false", "New"])
    edited = io.StringIO()
    csv.writer(edited, lineterminator="\r\n").writerows(rows)
    report = world.admin.import_csv(io.BytesIO(edited.getvalue().encode()), update_existing=True)
    counts = (report.created_count, report.updated_count, report.unchanged_count)
    assert counts == (1, 2, 1) and (report.skipped_count, report.errors) == (0, [])
    assert _fields(world.admin) == [
        ("Scope 1", ["lab", "scope"], True, 'Bench 4, "right"\nsecond line, ünï'),
        ("Scope 2", ["lab"], True, 'The "old" one\nby the door'),
        ("Scope 3", ["lab"], False, "New"),
        ("Van", ["van", "car"], True, ""),
    ]


def test_an_update_with_a_bad_line_changes_nothing(world: World) -> None:
    world.admin.create_resource("Scope 1", tags=["lab"], description="Old")
    before = _export(world.admin)
    bad = b"name,tags,description\nScope 1,lab,New\nScope 2,lab,\n,nameless,\n"
    with pytest.raises(ImportRejectedError) as refused:
        world.admin.import_csv(io.BytesIO(bad), update_existing=True)
    assert [e.line for e in refused.value.errors] == [4]
    assert _export(world.admin) == before
    skipped = world.admin.import_csv(io.BytesIO(bad), skip_invalid=True, update_existing=True)
    assert (skipped.created_count, skipped.updated_count, skipped.unchanged_count) == (1, 1, 0)
    assert (skipped.skipped_count, [e.line for e in skipped.errors]) == (1, [4])
    assert [(name, description) for name, _, _, description in _fields(world.admin)] == [
        ("Scope 1", "New"),
        ("Scope 2", ""),
    ]
    with pytest.raises(ForbiddenError):
        world.member("bob").import_csv(io.BytesIO(bad), update_existing=True)


def test_expiry(world: World) -> None:
    room = _room(world)
    bob = world.member("bob")
    booked = bob.book(room, NOW + HOUR, NOW + 2 * HOUR)
    world.admin.start_maintenance(room, auto_reset_hours=1)
    world.set_now(NOW + 3 * HOUR)
    with pytest.raises(ForbiddenError):
        bob.expire()
    report = world.admin.expire()
    assert (report.expired_count, report.maintenance_reset_count) == (1, 1)
    assert report.timestamp == NOW + 3 * HOUR
    assert bob.get_reservation(booked.id).status == "expired"
    with pytest.raises(StateError, match="already ended"):
        bob.cancel(booked.id)
    assert world.admin.expire().expired_count == 0
    assert bob.my_reservations()[0].status == "expired"


def test_no_login_means_no_identity(world: World, tmp_path: Path) -> None:
    if isinstance(world.admin, RemoteBackend):
        anonymous: Backend = RemoteBackend(world.admin.url)
        with pytest.raises(AuthError, match="not logged in"):
            anonymous.whoami()
        with pytest.raises(AuthError, match="wrong username or password"):
            anonymous.login("alice", "not-the-password")
        assert anonymous.login("alice", TEST_PASSWORD).token_type == "bearer"
        assert anonymous.whoami().username == "alice"
        anonymous.close()
    else:
        assert isinstance(world.admin, LocalBackend)
        with pytest.raises(AuthError, match="not logged in"):
            world.admin.as_user(None).whoami()


def _import_rooms(world: World, names: list[str]) -> None:
    csv = "name,tags\n" + "".join(f"{name},room\n" for name in names)
    assert world.admin.import_csv(io.BytesIO(csv.encode())).created_count == len(names)


def test_pages_of_resources_follow_the_names_without_repeats_or_gaps(world: World) -> None:
    names = [f"Room {n:02d}" for n in range(1, 26)]
    _import_rooms(world, names[::-1])
    first = world.admin.resources_page(10)
    # A resource created before the cursor shifts no later page, as an offset would.
    _room(world, "Room 00")
    second = world.admin.resources_page(10, first.next)
    third = world.member("bob").resources_page(10, second.next)
    pages = [first, second, third]
    assert [len(page.items) for page in pages] == [10, 10, 5]
    assert [r.name for page in pages for r in page.items] == names
    assert (first.next is not None, second.next is not None, third.next) == (True, True, None)
    assert third.items == world.admin.list_resources()[-5:]
    whole = world.admin.resources_page(1000)
    assert (len(whole.items), whole.next) == (26, None)


def test_pages_of_a_search_hold_only_matches(world: World) -> None:
    _import_rooms(world, [f"Room {n:02d}" for n in range(1, 13)])
    for resource in world.admin.list_resources()[::3]:
        world.admin.set_available(resource.id, False)
    pages, after = [], None
    while True:
        page = world.admin.search_resources_page("room", status="available", limit=3, after=after)
        pages.append([r.name for r in page.items])
        if page.next is None:
            break
        after = page.next
    assert pages == [
        ["Room 02", "Room 03", "Room 05"],
        ["Room 06", "Room 08", "Room 09"],
        ["Room 11", "Room 12"],
    ]
    assert [name for page in pages for name in page] == [
        r.name for r in world.admin.search_resources("room", status="available")
    ]
    disabled = world.admin.search_resources_page(status="disabled", limit=10)
    assert [r.name for r in disabled.items] == ["Room 01", "Room 04", "Room 07", "Room 10"]


def test_pages_of_reservations_follow_their_starts(world: World) -> None:
    room = _room(world)
    bob = world.member("bob")
    booked = [
        bob.book(room, TOMORROW_10 + n * HOUR, TOMORROW_10 + (n + 1) * HOUR) for n in range(5)
    ]
    first = bob.my_reservations_page(limit=2)
    # A booking later than every one listed so far starts before the cursor, newest first.
    bob.book(room, TOMORROW_10 + 8 * HOUR, TOMORROW_10 + 9 * HOUR)
    second = bob.my_reservations_page(limit=2, after=first.next)
    third = bob.my_reservations_page(limit=2, after=second.next)
    newest_first = [r.id for page in (first, second, third) for r in page.items]
    assert newest_first == [r.id for r in booked[::-1]]
    assert third.next is None
    everyone = world.admin.all_reservations_page(limit=4)
    assert [r.id for r in everyone.items] == [r.id for r in world.admin.all_reservations()[:4]]
    window = (TOMORROW_10, TOMORROW_10 + 4 * HOUR)
    by_start = bob.resource_reservations_page(room, *window, limit=3)
    rest = bob.resource_reservations_page(room, *window, limit=3, after=by_start.next)
    assert [r.id for r in by_start.items + rest.items] == [r.id for r in booked[:4]]
    assert rest.next is None
    with pytest.raises(ForbiddenError):
        bob.all_reservations_page(limit=2)
    with pytest.raises(NotFoundError):
        bob.resource_reservations_page(999, *window, limit=3)


@pytest.mark.parametrize("limit", [0, -1, 1001])
def test_a_page_holds_one_to_a_thousand_items(world: World, limit: int) -> None:
    with pytest.raises(ValidationError, match="limit must be between 1 and 1000") as refused:
        world.admin.resources_page(limit)
    assert refused.value.field == "limit"
    with pytest.raises(ValidationError, match="limit must be between 1 and 1000"):
        world.admin.my_reservations_page(limit=limit)


def test_a_cursor_reserver_did_not_make_is_refused(world: World) -> None:
    _import_rooms(world, ["Room A", "Room B"])
    room = world.admin.list_resources()[0].id
    world.admin.book(room, TOMORROW_10, TOMORROW_10 + HOUR)
    world.admin.book(room, TOMORROW_10 + HOUR, TOMORROW_10 + 2 * HOUR)
    resource_cursor = world.admin.resources_page(1).next
    reservation_cursor = world.admin.my_reservations_page(limit=1).next
    assert resource_cursor is not None and reservation_cursor is not None
    window = (TOMORROW_10, TOMORROW_10 + 2 * HOUR)
    refusals: list[Callable[[], object]] = [
        lambda: world.admin.resources_page(10, "not a cursor"),
        lambda: world.admin.resources_page(10, ""),
        lambda: world.admin.resources_page(10, resource_cursor[:-3]),
        lambda: world.admin.resources_page(10, reservation_cursor),
        lambda: world.admin.search_resources_page(limit=10, after="%%%"),
        lambda: world.admin.my_reservations_page(limit=10, after=resource_cursor),
        lambda: world.admin.all_reservations_page(limit=10, after="e30"),
        lambda: world.admin.resource_reservations_page(room, *window, limit=1, after="W10"),
    ]
    for refusal in refusals:
        with pytest.raises(ValidationError, match="after is not a cursor") as refused:
            refusal()
        assert refused.value.field == "after"


def test_a_booking_sent_again_with_its_idempotency_key_returns_the_first(world: World) -> None:
    room = _room(world)
    bob = world.member("bob")
    start = NOW + HOUR
    first = bob.book(room, start, start + HOUR, idempotency_key="retry-1")
    world.set_now(NOW + timedelta(minutes=5))
    again = bob.book(room, start, start + HOUR, idempotency_key="retry-1")
    assert again == first == bob.get_reservation(first.id)
    assert bob.book(room, start, start + HOUR, idempotency_key="  retry-1 ") == first
    assert [r.id for r in bob.my_reservations(include_cancelled=True)] == [first.id]
    assert [e.action for e in bob.history(first.id)] == ["created"]
    # A retry answers with the booking as it is now, even once its start has passed.
    world.set_now(start + timedelta(minutes=30))
    running = bob.book(room, start, start + HOUR, idempotency_key="retry-1")
    assert (running.id, running.resource.status) == (first.id, "in_use")
    bob.cancel(running.id)
    cancelled = bob.book(room, start, start + HOUR, idempotency_key="retry-1")
    assert (cancelled.id, cancelled.status) == (first.id, "cancelled")
    assert len(bob.my_reservations(include_cancelled=True)) == 1


def test_an_idempotency_key_names_one_request_of_one_user(world: World) -> None:
    room, other = _room(world), _room(world, "Room B")
    bob, carol = world.member("bob"), world.member("carol")
    first = bob.book(room, TOMORROW_10, TOMORROW_10 + HOUR, idempotency_key="k")
    for resource, start in ((room, TOMORROW_10 + HOUR), (other, TOMORROW_10)):
        with pytest.raises(ValidationError) as refused:
            bob.book(resource, start, start + HOUR, idempotency_key="k")
        assert str(refused.value) == (
            f"the idempotency key 'k' was already used for a different booking (#{first.id}): "
            "use a new key for a new booking"
        )
        assert refused.value.field == "idempotency_key"
    # Keys are per user: carol's "k" is her own, and her clash is an ordinary one.
    with pytest.raises(ConflictError):
        carol.book(room, TOMORROW_10, TOMORROW_10 + HOUR, idempotency_key="k")
    theirs = carol.book(room, TOMORROW_10 + HOUR, TOMORROW_10 + 2 * HOUR, idempotency_key="k")
    assert (theirs.username, theirs.id != first.id) == ("carol", True)
    longest = bob.book(other, TOMORROW_10, TOMORROW_10 + HOUR, idempotency_key="~" * 100)
    assert longest.resource_id == other
    for bad in ("", "   ", "x" * 101, "tab\there", "new\nline", "café", "\x7f"):
        with pytest.raises(ValidationError, match="1 to 100 printable ASCII") as invalid:
            bob.book(room, TOMORROW_10 + 3 * HOUR, TOMORROW_10 + 4 * HOUR, idempotency_key=bad)
        assert invalid.value.field == "idempotency_key"
    assert len(world.admin.all_reservations()) == 3


def test_an_idempotency_key_holds_for_a_day(world: World) -> None:
    room = _room(world)
    bob = world.member("bob")
    start = NOW + 2 * timedelta(days=1)
    first = bob.book(room, start, start + HOUR, idempotency_key="daily")
    world.set_now(NOW + timedelta(hours=24) - timedelta(seconds=1))
    assert bob.book(room, start, start + HOUR, idempotency_key="daily").id == first.id
    world.set_now(NOW + timedelta(hours=24))
    bob = world.member("bob")  # a server's token lasts a day too
    # A day on, the key is new: the same request books again (and meets the first booking) ...
    with pytest.raises(ConflictError):
        bob.book(room, start, start + HOUR, idempotency_key="daily")
    # ... and other times are a booking of their own, which the key now names.
    later = bob.book(room, start + HOUR, start + 2 * HOUR, idempotency_key="daily")
    assert later.id != first.id
    assert bob.book(room, start + HOUR, start + 2 * HOUR, idempotency_key="daily") == later
    with pytest.raises(ValidationError, match="different booking"):
        bob.book(room, start, start + HOUR, idempotency_key="daily")


def test_a_move_does_not_clash_with_the_booking_itself(world: World) -> None:
    room = _room(world)
    bob = world.member("bob")
    booked = bob.book(room, TOMORROW_10, TOMORROW_10 + HOUR, note="planning")
    half = timedelta(minutes=30)
    world.set_now(NOW + timedelta(minutes=5))
    moved = bob.move(booked.id, TOMORROW_10 + half, TOMORROW_10 + HOUR + half)
    assert (moved.id, moved.start_time, moved.end_time) == (
        booked.id,
        TOMORROW_10 + half,
        TOMORROW_10 + HOUR + half,
    )
    assert (moved.status, moved.note, moved.created_at) == ("active", "planning", NOW)
    assert bob.get_reservation(booked.id) == moved
    longer = bob.move(booked.id, TOMORROW_10, TOMORROW_10 + 2 * HOUR)
    assert longer.end_time - longer.start_time == 2 * HOUR
    events = bob.history(booked.id)
    assert [(e.action, e.actor, e.details) for e in events] == [
        ("moved", "bob", "2026-12-02 10:30-11:30 UTC -> 2026-12-02 10:00-12:00 UTC"),
        ("moved", "bob", "2026-12-02 10:00-11:00 UTC -> 2026-12-02 10:30-11:30 UTC"),
        ("created", "bob", "2026-12-02 10:00-11:00 UTC"),
    ]
    assert events[0].timestamp == NOW + timedelta(minutes=5)
    # Moving to the window it holds changes nothing and records nothing.
    assert bob.move(booked.id, TOMORROW_10, TOMORROW_10 + 2 * HOUR) == longer
    assert len(bob.history(booked.id)) == 3
    berlin = ZoneInfo("Europe/Berlin")
    assert describe_event(events[1], longer, berlin, now=NOW) == (
        "Wed 2 Dec 11:00-12:00 CET → Wed 2 Dec 11:30-12:30 CET"
    )
    assert describe_event(events[2], longer, berlin, now=NOW) == "Wed 2 Dec 11:00-12:00 CET"


def test_a_move_onto_another_booking_changes_nothing(world: World) -> None:
    room = _room(world)
    bob, carol = world.member("bob"), world.member("carol")
    mine = bob.book(room, TOMORROW_10, TOMORROW_10 + HOUR)
    theirs = carol.book(room, TOMORROW_10 + HOUR, TOMORROW_10 + 2 * HOUR)
    half = timedelta(minutes=30)
    with pytest.raises(ConflictError) as clash:
        bob.move(mine.id, TOMORROW_10 + half, TOMORROW_10 + HOUR + half, note="new")
    assert clash.value.windows == [Window(TOMORROW_10 + HOUR, TOMORROW_10 + 2 * HOUR, theirs.id)]
    assert str(clash.value) == (
        "Room A is already booked 2026-12-02 11:00-12:00 UTC, which conflicts with that time"
    )
    assert clash.value.resource == "Room A"
    assert bob.get_reservation(mine.id) == mine
    assert [e.action for e in bob.history(mine.id)] == ["created"]
    # The next free slot for the move counts the booking's own time as free.
    assert bob.next_free_slot(HOUR, after=TOMORROW_10 - half, resource_id=room).start_time == (
        TOMORROW_10 + 2 * HOUR
    )
    slot = bob.next_free_slot(HOUR, after=TOMORROW_10 - half, resource_id=room, excluding=mine.id)
    assert (slot.start_time, slot.end_time) == (TOMORROW_10 - half, TOMORROW_10 + half)
    # Back to back with the other booking is fine.
    assert bob.move(mine.id, TOMORROW_10 - HOUR, TOMORROW_10).start_time == TOMORROW_10 - HOUR


def test_a_move_keeps_every_booking_rule(world: World) -> None:
    room = _room(world)
    bob, carol = world.member("bob"), world.member("carol")
    booked = bob.book(room, TOMORROW_10, TOMORROW_10 + HOUR)
    refusals: list[tuple[datetime, datetime, type[Exception], str]] = [
        (NOW - HOUR, NOW + HOUR, ValidationError, "the start must be in the future"),
        (TOMORROW_10, TOMORROW_10, ValidationError, "the end must be after the start"),
        (TOMORROW_10, TOMORROW_10 + timedelta(minutes=5), ValidationError, "at least 15"),
        (TOMORROW_10, TOMORROW_10 + timedelta(hours=25), ValidationError, "at most 24"),
    ]
    for start, end, error, message in refusals:
        with pytest.raises(error, match=message):
            bob.move(booked.id, start, end)
    with pytest.raises(ForbiddenError, match="belongs to someone else"):
        carol.move(booked.id, TOMORROW_10 + HOUR, TOMORROW_10 + 2 * HOUR)
    with pytest.raises(NotFoundError, match=r"reservation \d+ not found"):
        bob.move(booked.id + 100, TOMORROW_10 + HOUR, TOMORROW_10 + 2 * HOUR)
    world.admin.start_maintenance(room, auto_reset_hours=48)
    with pytest.raises(UnavailableError, match="under maintenance"):
        bob.move(booked.id, TOMORROW_10 + HOUR, TOMORROW_10 + 2 * HOUR)
    world.admin.end_maintenance(room)
    world.admin.set_available(room, False)
    with pytest.raises(UnavailableError, match="disabled"):
        bob.move(booked.id, TOMORROW_10 + HOUR, TOMORROW_10 + 2 * HOUR)
    world.admin.set_available(room, True)
    # An admin moves anyone's booking, and the history names the admin.
    by_admin = world.admin.move(booked.id, TOMORROW_10 + HOUR, TOMORROW_10 + 2 * HOUR)
    assert (by_admin.username, by_admin.start_time) == ("bob", TOMORROW_10 + HOUR)
    assert bob.history(booked.id)[0].actor == "alice"
    bob.cancel(booked.id)
    with pytest.raises(StateError, match="is cancelled and cannot be moved"):
        bob.move(booked.id, TOMORROW_10, TOMORROW_10 + HOUR)
    ended = bob.book(room, NOW + HOUR, NOW + 2 * HOUR)
    world.set_now(NOW + 2 * HOUR)
    with pytest.raises(StateError, match="has already ended and cannot be moved"):
        bob.move(ended.id, TOMORROW_10, TOMORROW_10 + HOUR)


def test_a_note_is_set_at_booking_edited_and_cleared_by_its_owner(world: World) -> None:
    room = _room(world)
    bob, carol = world.member("bob"), world.member("carol")
    booked = bob.book(room, TOMORROW_10, TOMORROW_10 + HOUR, note="  Sprint planning ")
    assert booked.note == "Sprint planning"
    assert bob.get_reservation(booked.id).note == "Sprint planning"
    assert bob.my_reservations()[0].note == "Sprint planning"
    plain = bob.book(room, TOMORROW_10 + HOUR, TOMORROW_10 + 2 * HOUR)
    assert plain.note == ""
    edited = bob.set_note(booked.id, "Retro, bring the café's cake")
    assert (edited.note, edited.start_time) == ("Retro, bring the café's cake", TOMORROW_10)
    assert world.admin.set_note(booked.id, "moved to the big room").note == "moved to the big room"
    cleared = bob.set_note(booked.id, "")
    assert cleared.note == ""
    assert bob.set_note(booked.id, "") == cleared  # nothing changed: nothing recorded
    assert [(e.action, e.actor, e.details) for e in bob.history(booked.id)] == [
        ("noted", "bob", "(note cleared)"),
        ("noted", "alice", "moved to the big room"),
        ("noted", "bob", "Retro, bring the café's cake"),
        ("created", "bob", "2026-12-02 10:00-11:00 UTC"),
    ]
    with pytest.raises(ForbiddenError, match="belongs to someone else"):
        carol.set_note(booked.id, "mine now")
    with pytest.raises(NotFoundError, match=r"reservation \d+ not found"):
        bob.set_note(booked.id + 100, "nowhere")
    # A move with a note changes both at once.
    both = bob.move(booked.id, TOMORROW_10 + 3 * HOUR, TOMORROW_10 + 4 * HOUR, note="later")
    assert (both.start_time, both.note) == (TOMORROW_10 + 3 * HOUR, "later")
    assert [e.action for e in bob.history(booked.id)][:2] == ["noted", "moved"]
    # The holder's word is theirs: an anonymous reader sees neither holder nor note.
    if isinstance(world.admin, LocalBackend):
        anonymous = world.admin.as_user(None)
        held = anonymous.resource_reservations(room, TOMORROW_10, TOMORROW_10 + 5 * HOUR)
        assert {(r.username, r.note) for r in held} == {(None, "")}


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("x" * 501, "a note is at most 500 characters"),
        ("two\nlines", "note must not contain control characters"),
        ("bell\x07", "note must not contain control characters"),
        ("tab\there", "note must not contain control characters"),
        ("\u202eevil", r"a note must not contain U\+202E RIGHT-TO-LEFT OVERRIDE"),
    ],
)
def test_a_note_is_one_short_line_of_visible_text(world: World, note: str, message: str) -> None:
    room = _room(world)
    bob = world.member("bob")
    with pytest.raises(ValidationError, match=message) as refused:
        bob.book(room, TOMORROW_10, TOMORROW_10 + HOUR, note=note)
    assert refused.value.field == "note"
    booked = bob.book(room, TOMORROW_10, TOMORROW_10 + HOUR, note="x" * 500)
    assert len(booked.note) == 500
    with pytest.raises(ValidationError, match=message):
        bob.set_note(booked.id, note)
    with pytest.raises(ValidationError, match=message):
        bob.move(booked.id, TOMORROW_10 + HOUR, TOMORROW_10 + 2 * HOUR, note=note)
    assert bob.get_reservation(booked.id) == booked
