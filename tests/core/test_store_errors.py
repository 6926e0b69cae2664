"""A store that cannot be used ends in one StoreError naming it, never a driver traceback."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from support.settings import fast_settings

from reserver_core.clock import FixedClock
from reserver_core.db import Database
from reserver_core.errors import StoreError
from reserver_core.local import LocalBackend


def _open(url: str, clock: FixedClock) -> LocalBackend:
    return LocalBackend.open(url, fast_settings(), clock, username="alice")


@pytest.mark.parametrize(
    "content",
    [bytes(range(256)) * 20, b"name,tags\nRoom A,room\n" * 200],
    ids=["binary", "text"],
)
def test_a_file_that_is_not_a_database(content: bytes, tmp_path: Path, clock: FixedClock) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(content)
    with pytest.raises(StoreError) as raised:
        _open(f"sqlite:///{path}", clock)
    # The message names no store, for a server to pass on; the details are for its user.
    assert raised.value.message == "the database is unavailable"
    assert raised.value.details == f"{path} failed: file is not a database"
    assert path.read_bytes() == content, "the file must be left as it was"


def test_a_folder_where_the_file_should_be(tmp_path: Path, clock: FixedClock) -> None:
    (tmp_path / "store.db").mkdir()
    with pytest.raises(StoreError) as raised:
        _open(f"sqlite:///{tmp_path / 'store.db'}", clock)
    assert re.search(r"store\.db failed", raised.value.details or "")


def test_a_file_where_the_folder_should_be(tmp_path: Path, clock: FixedClock) -> None:
    (tmp_path / "data").write_text("a file")
    with pytest.raises(StoreError, match="cannot create the folder"):
        _open(f"sqlite:///{tmp_path / 'data' / 'store.db'}", clock)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite://", "in-memory"),
        ("sqlite:///:memory:", "in-memory"),
        ("oracle://scott@localhost/orcl", "unsupported database 'oracle'"),
        ("not a url", "not a database URL"),
    ],
)
def test_urls_that_name_no_usable_store(url: str, message: str, clock: FixedClock) -> None:
    with pytest.raises(StoreError, match=message):
        _open(url, clock)


@pytest.mark.parametrize(
    ("kind", "sleep"),
    [
        pytest.param("postgres", "SELECT pg_sleep(3)", marks=pytest.mark.postgres),
        pytest.param("mysql", "SELECT SLEEP(3)", marks=pytest.mark.mysql),
    ],
)
def test_a_statement_over_the_timeout_is_a_store_error(
    kind: str, sleep: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue(f"{kind}_url")
    database = Database.open(url, fast_settings(database_statement_timeout=1))
    try:
        started = time.monotonic()
        with pytest.raises(StoreError) as raised:
            database.read(lambda s: s.execute(text(sleep)))
        assert time.monotonic() - started < 2.5
        assert raised.value.message == "the database is unavailable"
        assert raised.value.details and "failed: " in raised.value.details
        # Only that statement was too slow: the next one is answered.
        assert database.read(lambda s: s.execute(text("SELECT 1")).scalar()) == 1
    finally:
        database.close()


def test_no_free_connection_in_time_is_a_store_error(sqlite_url: str) -> None:
    database = Database.open(sqlite_url, fast_settings(database_connect_timeout=0.5))

    def hold_one_more() -> int:
        # Each level keeps its connection while the next one asks for another.
        return database.read(lambda session: (session.connection(), hold_one_more())[1])

    try:
        started = time.monotonic()
        with pytest.raises(StoreError) as raised:
            hold_one_more()
        assert time.monotonic() - started < 5
        assert raised.value.message == "the database is unavailable"
        assert "connection timed out" in (raised.value.details or "")
        assert database.read(lambda s: s.execute(text("SELECT 1")).scalar()) == 1
    finally:
        database.close()
