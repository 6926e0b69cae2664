"""Derived status, search, summary, settings precedence and UTC on every dialect."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from support.clock import NOW
from support.settings import fast_settings

from reserver_core.clock import FixedClock
from reserver_core.errors import (
    AmbiguousNameError,
    ConflictError,
    NotFoundError,
    ValidationError,
)
from reserver_core.local import LocalBackend
from reserver_core.schemas import ResourceInfo
from reserver_core.settings import load_settings


def at(hours: float) -> datetime:
    return NOW + timedelta(hours=hours)


def expected_busy_until(backend: LocalBackend, resource_id: int) -> datetime | None:
    """Brute force: walk the resource's active reservations from the one covering now."""
    now = backend.now()
    held = backend.resource_reservations(resource_id, now - timedelta(days=2), at(24 * 30))
    covering = [r for r in held if r.start_time <= now < r.end_time]
    if not covering:
        return None
    end = covering[0].end_time
    while True:
        following = [r for r in held if r.start_time == end]
        if not following:
            return end
        end = following[0].end_time


def test_in_use_and_busy_until_follow_back_to_back_bookings(
    local: LocalBackend, clock: FixedClock
) -> None:
    clock.set(at(-2))
    chains = {
        # name: windows in hours from NOW (09:00)
        "Chain": [(-0.5, 0.5), (0.5, 1), (1, 2), (2.5, 3)],
        "Single": [(-1, 0.25)],
        "Long chain": [(-0.25, 0.1), (0.1, 3), (3, 6), (6, 20), (20, 30)],
        "Gap before": [(-1.5, -0.5), (0.5, 1)],
        "Starts now": [(0, 1), (1, 2)],
        "Ends now": [(-1, 0)],
        "Idle": [],
    }
    rooms = {name: local.create_resource(name).id for name in chains}
    for name, windows in chains.items():
        for start, end in windows:
            local.book(rooms[name], at(start), at(end))
    clock.set(NOW)
    listed = {info.name: info for info in local.list_resources()}
    for name, resource_id in rooms.items():
        single = local.get_resource(resource_id)
        busy = expected_busy_until(local, resource_id)
        assert (listed[name].busy_until, single.busy_until) == (busy, busy), name
        status = "in_use" if busy else "available"
        assert (listed[name].status, single.status) == (status, status), name
    assert listed["Chain"].busy_until == at(2)
    # A booking's own result carries the same derived view, even when it joins a run.
    joined = local.book(rooms["Chain"], at(2), at(2.5))
    assert joined.resource.busy_until == at(3)
    assert joined.resource == local.get_resource(rooms["Chain"])
    apart = local.book(rooms["Idle"], at(1), at(2))
    assert apart.resource == local.get_resource(rooms["Idle"])
    assert apart.resource.status == "available" and apart.resource.busy_until is None
    assert listed["Long chain"].busy_until == at(30)
    assert listed["Starts now"].busy_until == at(2)
    assert listed["Ends now"].status == "available"


def test_many_resources_read_in_bulk_match_one_by_one(local: LocalBackend) -> None:
    # Over 500 matches, tags and use are read for the whole store, then picked.
    rows = "".join(f'Room {index:03d},"t{index % 7},all"\n' for index in range(620))
    local.import_csv(io.BytesIO(("name,tags\n" + rows).encode()))
    local.book(local.find_resource("Room 007").id, at(1), at(2))
    found = local.search_resources(text="room", available_from=at(1), available_until=at(2))
    assert len(found) == 619
    assert "Room 007" not in {info.name for info in found}
    sample = found[::97] + found[-1:]
    assert sample == [local.get_resource(info.id) for info in sample]
    assert [info.name for info in found] == sorted(info.name for info in found)


def test_status_detail_and_summary(local: LocalBackend, clock: FixedClock) -> None:
    room = local.create_resource("Room").id
    lab = local.create_resource("Lab").id
    local.create_resource("Old", available=False)
    clock.set(at(-1))
    current = local.book(room, at(-0.5), at(1))
    following = local.book(room, at(2), at(3))
    local.book(room, at(4), at(5))
    clock.set(NOW)
    local.start_maintenance(lab, auto_reset_hours=2)
    detail = local.resource_status(room)
    assert detail.status == "in_use" and detail.resource.busy_until == at(1)
    assert detail.current_reservation is not None and detail.next_reservation is not None
    assert (detail.current_reservation.id, detail.next_reservation.id) == (
        current.id,
        following.id,
    )
    assert detail.maintenance_reset_at is None and detail.timestamp == NOW
    lab_detail = local.resource_status(lab)
    assert lab_detail.status == "maintenance" and lab_detail.maintenance_reset_at == at(2)
    assert lab_detail.current_reservation is None
    summary = local.summary()
    assert (summary.total_resources, summary.available_now, summary.currently_in_use) == (3, 0, 1)
    assert summary.unavailable_now == 2 and summary.timestamp == NOW


def names(found: list[ResourceInfo]) -> list[str]:
    return [info.name for info in found]


def test_search_by_text_tags_status_and_window(local: LocalBackend, clock: FixedClock) -> None:
    local.create_resource("Big Room", tags=["room", "video"], description="Seats 20")
    local.create_resource("Small room", tags=["room"])
    local.create_resource("Beamer", tags=["video"], description="100% bright")
    local.create_resource("Broken", tags=["room"], available=False)
    lab = local.create_resource("Lab", tags=["lab_1"]).id
    big = local.find_resource("big room").id
    clock.set(at(-1))
    local.book(big, at(-0.5), at(1))
    clock.set(NOW)
    local.start_maintenance(lab, auto_reset_hours=3)

    assert names(local.search_resources(text="ROOM")) == ["Big Room", "Broken", "Small room"]
    assert names(local.search_resources(text="seats")) == ["Big Room"]
    assert names(local.search_resources(text="vid")) == ["Beamer", "Big Room"]
    # LIKE wildcards in the text are taken literally.
    assert names(local.search_resources(text="100%")) == ["Beamer"]
    assert names(local.search_resources(text="%")) == ["Beamer"]
    assert names(local.search_resources(text="lab_")) == ["Lab"]
    assert names(local.search_resources(text="b_g")) == []
    assert names(local.search_resources(tags=["room", "video"])) == ["Big Room"]
    assert names(local.search_resources(tags=["Room"], text="small")) == ["Small room"]
    assert names(local.search_resources(status="in_use")) == ["Big Room"]
    assert names(local.search_resources(status="available")) == ["Beamer", "Small room"]
    assert names(local.search_resources(status="unavailable")) == ["Broken", "Lab"]
    assert names(local.search_resources(status="maintenance")) == ["Lab"]
    assert names(local.search_resources(status="disabled")) == ["Broken"]
    assert len(local.search_resources(status="all")) == 5
    # Free for the whole window: Big Room is busy until 10:00, Lab in maintenance until 12:00.
    free = local.search_resources(available_from=at(0.5), available_until=at(2))
    assert names(free) == ["Beamer", "Small room"]
    free = local.search_resources(available_from=at(1), available_until=at(3))
    assert names(free) == ["Beamer", "Big Room", "Small room"]
    free = local.search_resources(available_from=at(3), available_until=at(4))
    assert names(free) == ["Beamer", "Big Room", "Lab", "Small room"]
    # With a window, "available" means free for all of it: Big Room, busy now, is free then.
    free = local.search_resources(
        text="room", status="available", available_from=at(1), available_until=at(2)
    )
    assert names(free) == ["Big Room", "Small room"]
    busy_then = local.search_resources(
        text="room", status="available", available_from=at(0.5), available_until=at(2)
    )
    assert names(busy_then) == ["Small room"]
    # Another status still filters on the status now, among those free in the window.
    still_busy = local.search_resources(
        status="in_use", available_from=at(1), available_until=at(2)
    )
    assert names(still_busy) == ["Big Room"]


@pytest.mark.parametrize(
    ("arguments", "field", "words"),
    [
        ({"status": "busy"}, "status", "unknown status 'busy'"),
        ({"available_from": NOW}, "available_until", "give both"),
        ({"available_until": NOW}, "available_until", "give both"),
        ({"available_from": NOW, "available_until": NOW}, "available_until", "after its start"),
        ({"tags": ["bad,tag"]}, "tags", "may hold letters"),
    ],
)
def test_bad_searches_name_their_field(
    local: LocalBackend, arguments: dict[str, object], field: str, words: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        local.search_resources(**arguments)  # type: ignore[arg-type]
    assert refused.value.field == field and words in str(refused.value)


def test_settings_file_then_environment_then_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(
        'expiry_interval = 60\ntz = "Europe/Berlin"\nslot_minutes = 15\n'
        'database_url = "sqlite:///from-file.db"\n',
        encoding="utf-8",
    )
    assert load_settings(path).expiry_interval == 60
    monkeypatch.setenv("RESERVER_EXPIRY_INTERVAL", "120")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///from-seed-variable.db")
    chosen = load_settings(path)
    assert (chosen.expiry_interval, chosen.tz, chosen.slot_minutes) == (120, "Europe/Berlin", 15)
    assert chosen.database_url == "sqlite:///from-seed-variable.db"
    monkeypatch.setenv("RESERVER_DATABASE_URL", "sqlite:///from-our-variable.db")
    assert load_settings(path).database_url == "sqlite:///from-our-variable.db"
    chosen = load_settings(path, expiry_interval=30, tz=None)
    assert (chosen.expiry_interval, chosen.tz) == (30, "Europe/Berlin")
    # With no file given, the one in the config directory is read.
    monkeypatch.setenv("RESERVER_CONFIG_DIR", str(tmp_path))
    assert load_settings().slot_minutes == 15
    monkeypatch.setenv("RESERVER_DATABASE_CONNECT_TIMEOUT", "2.5")
    monkeypatch.setenv("RESERVER_DATABASE_STATEMENT_TIMEOUT", "4")
    chosen = load_settings(path)
    assert (chosen.database_connect_timeout, chosen.database_statement_timeout) == (2.5, 4.0)


@pytest.mark.parametrize(
    ("content", "environment", "field"),
    [
        ("expiry_interval = 0\n", {}, "expiry_interval"),
        ("colour = 'blue'\n", {}, "colour"),
        ("", {"RESERVER_EXPIRY_INTERVAL": "soon"}, "expiry_interval"),
        ("", {"RESERVER_ALLOW_REGISTRATION": "perhaps"}, "allow_registration"),
        ("sqlite_synchronous = 'OFF'\n", {}, "sqlite_synchronous"),
        ("slot_minutes = 7\n", {}, "slot_minutes"),
        ("expiry_interval = [\n", {}, "settings"),
        ("database_connect_timeout = 'soon'\n", {}, "database_connect_timeout"),
        ("", {"RESERVER_DATABASE_STATEMENT_TIMEOUT": "0"}, "database_statement_timeout"),
        ("", {"RESERVER_DATABASE_CONNECT_TIMEOUT": "nan"}, "database_connect_timeout"),
    ],
)
def test_bad_settings_name_the_setting(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    content: str,
    environment: dict[str, str],
    field: str,
) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(content, encoding="utf-8")
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError) as refused:
        load_settings(path)
    assert refused.value.field == field


def test_times_are_utc_on_every_dialect(any_url: str) -> None:
    engine = create_engine(any_url)
    try:
        if engine.dialect.name == "postgresql":
            # A server in another zone must not shift stored instants.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                name = engine.url.database
                connection.execute(text(f"ALTER DATABASE {name} SET timezone TO 'Asia/Tokyo'"))
    finally:
        engine.dispose()
    clock = FixedClock(NOW)
    backend = LocalBackend.open(any_url, fast_settings(), clock, username="alice")
    try:
        room = backend.create_resource("Room").id
        start = datetime.fromisoformat("2026-12-01T11:30:00.123456+01:00")
        made = backend.book(room, start, start + timedelta(hours=1))
        stored = backend.get_reservation(made.id)
        for value in (made.start_time, stored.start_time, stored.created_at):
            assert value.tzinfo == UTC
        assert stored.start_time == datetime(2026, 12, 1, 10, 30, 0, 123456, tzinfo=UTC)
        assert stored == made
        with pytest.raises(ConflictError, match="already booked 2026-12-01 10:30-11:30 UTC"):
            backend.book(room, start + timedelta(minutes=59), start + timedelta(hours=2))
        clock.set(start + timedelta(minutes=30))
        assert backend.get_resource(room).status == "in_use"
        assert backend.get_resource(room).busy_until == stored.end_time
        clock.set(start + timedelta(hours=1))
        assert backend.get_resource(room).status == "available"
        assert backend.expire().expired_count == 1
    finally:
        backend.close()


def test_text_no_database_can_keep_is_refused_on_every_dialect(
    any_url: str, clock: FixedClock
) -> None:
    backend = LocalBackend.open(any_url, fast_settings(), clock, username="alice")
    try:
        room = backend.create_resource("Room A")
        booked = backend.book(room.id, at(1), at(2))
        attempts = [
            ("name", lambda: backend.create_resource("Room\x00B")),
            ("description", lambda: backend.create_resource("Room B", description="a\x00b")),
            ("text", lambda: backend.search_resources(text="Ro\x00om")),
            ("reason", lambda: backend.cancel(booked.id, reason="\x00")),
            ("name", lambda: backend.create_resource("Room \ud800")),
        ]
        for field, attempt in attempts:
            with pytest.raises(ValidationError) as caught:
                attempt()
            assert caught.value.field == field
        assert [r.name for r in backend.list_resources()] == ["Room A"]
        assert backend.get_reservation(booked.id).status == "active"
    finally:
        backend.close()


def test_control_characters_never_reach_a_terminal(local: LocalBackend) -> None:
    room = local.create_resource("Room A")
    booked = local.book(room.id, at(1), at(2))
    attempts = [
        ("name", lambda: local.create_resource("Lab \x1b[31mred")),
        ("name", lambda: local.update_resource(room.id, name="Room\x07")),
        ("description", lambda: local.create_resource("Room B", description="a\x1b]0;x\x07")),
        ("reason", lambda: local.cancel(booked.id, reason="moved\x1b[2J")),
    ]
    for field, attempt in attempts:
        with pytest.raises(ValidationError, match="control characters") as caught:
            attempt()
        assert caught.value.field == field
    # Line breaks fold to spaces in a name and stay in a description.
    made = local.create_resource("Room\nB\tC", description="two\nlines")
    assert (made.name, made.description) == ("Room B C", "two\nlines")
    assert local.cancel(booked.id, reason="room\nmoved").cancellation_reason == "room\nmoved"


def test_many_names_a_reference_could_mean_are_counted_not_all_listed(
    local: LocalBackend,
) -> None:
    for number in range(7):
        local.create_resource(f"Bench {number}")
    local.create_resource("Bänch")
    with pytest.raises(AmbiguousNameError) as ambiguous:
        local.find_resource("bench")
    assert ambiguous.value.candidates == [f"Bench {n}" for n in range(7)]
    assert ambiguous.value.message.startswith(
        "'bench' could be any of 7 resources: 'Bench 0', 'Bench 1', 'Bench 2', 'Bench 3',"
        " 'Bench 4' and 2 more"
    )
    # Without accents "banch" is one name exactly, though it also begins none.
    assert local.find_resource("BANCH").name == "Bänch"
    with pytest.raises(NotFoundError) as missed:
        local.find_resource("Bemch 3")
    assert missed.value.candidates[0] == "Bench 3"
