"""A store that cannot be used ends in one StoreError naming it, never a driver traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support.settings import fast_settings

from reserver_core.clock import FixedClock
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
    with pytest.raises(StoreError, match=f"{re.escape(str(path))} failed: file is not a database"):
        _open(f"sqlite:///{path}", clock)
    assert path.read_bytes() == content, "the file must be left as it was"


def test_a_folder_where_the_file_should_be(tmp_path: Path, clock: FixedClock) -> None:
    (tmp_path / "store.db").mkdir()
    with pytest.raises(StoreError, match=r"store\.db failed"):
        _open(f"sqlite:///{tmp_path / 'store.db'}", clock)


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
