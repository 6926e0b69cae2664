"""Migrations: they build exactly the models on every dialect, the cheap revision check
knows the head, older stores upgrade with their data, and openers may race."""

from __future__ import annotations

import multiprocessing
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, inspect, text
from support.clock import NOW
from support.settings import fast_settings
from support.stores import open_store

from reserver_core.clock import FixedClock
from reserver_core.db import HEAD_REVISION, Database
from reserver_core.local import LocalBackend
from reserver_core.migrate import alembic_config
from reserver_core.models import HOLDING_STATUSES, Base


def test_head_revision_is_the_newest_migration() -> None:
    engine = create_engine("sqlite://")
    try:
        heads = ScriptDirectory.from_config(alembic_config(engine)).get_heads()
    finally:
        engine.dispose()
    assert heads == [HEAD_REVISION]


@pytest.mark.parametrize("kind", ["sqlite", "postgres", "mysql"])
def test_the_migrated_schema_matches_the_models(kind: str, request: pytest.FixtureRequest) -> None:
    url = str(request.getfixturevalue(f"{kind}_url"))
    database = Database.open(url, fast_settings())
    try:
        with database.write_engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
            assert context.get_current_revision() == HEAD_REVISION
    finally:
        database.close()
    assert differences == []
    if kind != "mysql":
        # Alembic does not compare index conditions: check the partial ones here.
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                if kind == "sqlite":
                    query = "SELECT sql FROM sqlite_master WHERE name LIKE 'ix_reservations_%'"
                else:
                    query = (
                        "SELECT indexdef FROM pg_indexes WHERE indexname LIKE 'ix_reservations_%'"
                    )
                definitions = [row[0] for row in connection.execute(text(query))]
        finally:
            engine.dispose()
        # Every status that holds a slot, and only those.
        partial = [
            d
            for d in definitions
            if "WHERE" in d.upper()
            and all(f"'{status}'" in d for status in HOLDING_STATUSES)
            and "'cancelled'" not in d
        ]
        assert len(partial) == 2, definitions


def test_a_store_at_the_first_revision_upgrades_and_keeps_its_data(
    sqlite_url: str, clock: FixedClock
) -> None:
    database = Database(sqlite_url, fast_settings())
    command.upgrade(alembic_config(database.write_engine), "0001")
    # Written as the first revision's tables stand: today's models have more columns.
    with database.write_engine.begin() as connection:
        for statement in (
            "INSERT INTO users (id, username, password_hash, role, active, created_at)"
            " VALUES (1, 'alice', '', 'member', 1, :now)",
            "INSERT INTO resources (id, name, name_key, description, enabled,"
            " auto_reset_hours, created_at) VALUES (1, 'Room', 'room', '', 1, 8, :now)",
            "INSERT INTO resource_tags (resource_id, tag, position)"
            " VALUES (1, 'a', 0), (1, 'b', 1)",
            "INSERT INTO reservations (id, resource_id, user_id, start_time, end_time, status,"
            " created_at) VALUES (1, 1, 1, :start, :end, 'active', :now)",
        ):
            connection.execute(
                text(statement),
                {
                    "now": NOW.replace(tzinfo=None),
                    "start": (NOW + timedelta(hours=1)).replace(tzinfo=None),
                    "end": (NOW + timedelta(hours=2)).replace(tzinfo=None),
                },
            )
    database.close()
    upgraded = LocalBackend.open(sqlite_url, fast_settings(), clock, username="alice")
    try:
        assert upgraded.database.current_revision() == HEAD_REVISION
        made = upgraded.get_reservation(1)
        assert (made.resource.name, made.username) == ("Room", "alice")
        assert (made.start_time, made.end_time) == (
            NOW + timedelta(hours=1),
            NOW + timedelta(hours=2),
        )
        assert made.note == ""
        assert upgraded.get_resource(1).tags == ["a", "b"]
        indexes = {
            index["name"]
            for index in inspect(upgraded.database.read_engine).get_indexes("reservations")
        }
        assert {"ix_reservations_holding_window", "ix_reservations_holding_start"} <= indexes
        assert "ix_reservations_status_end" not in indexes
    finally:
        upgraded.close()


def test_sqlite_applies_every_migration_in_one_immediate_transaction(sqlite_url: str) -> None:
    # Committing between migrations would let a second opener of a fresh file in
    # halfway, to repeat migrations already applied.
    database = Database(sqlite_url, fast_settings())
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        if statement.startswith("BEGIN"):
            seen.append(statement)

    event.listen(database.write_engine, "before_cursor_execute", record)
    event.listen(database.write_engine, "commit", lambda _conn: seen.append("COMMIT"))
    try:
        assert database.upgrade() is True
        assert database.current_revision() == HEAD_REVISION
    finally:
        database.close()
    assert seen == ["BEGIN IMMEDIATE", "COMMIT"]


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_three_processes_opening_a_fresh_store_at_once_all_succeed(
    kind: str, request: pytest.FixtureRequest
) -> None:
    url = str(request.getfixturevalue(f"{kind}_url"))
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(3)
        results = manager.list()
        processes = [
            context.Process(target=open_store, args=(url, barrier, results)) for _ in range(3)
        ]
        for process in processes:
            process.start()
        for process in processes:
            process.join(timeout=120)
        assert list(results) == [HEAD_REVISION] * 3
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            users = connection.execute(text("SELECT username, role FROM users")).all()
    finally:
        engine.dispose()
    assert [tuple(user) for user in users] == [("alice", "admin")]


def test_a_store_path_may_start_with_the_home_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: FixedClock
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    backend = LocalBackend.open("sqlite:///~/stores/r.db", fast_settings(), clock, username="alice")
    try:
        assert backend.describe_store() == str(tmp_path / "stores" / "r.db")
    finally:
        backend.close()
    assert (tmp_path / "stores" / "r.db").is_file()
