"""The server process and its files: a guessable signing key stops it, and what it
keeps on disk (the store with its password hashes, the key) only its owner can read."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from support.servers import LiveServer, free_port

from reserver_core.settings import data_dir

Factory = Callable[..., LiveServer]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(
    ("key", "says"),
    [
        ("your-secret-key-change-in-production", "is a key published in examples"),
        ("  YOUR-SECRET-KEY-CHANGE-IN-PRODUCTION ", "is a key published in examples"),
        ("your-256-bit-secret", "is a key published in examples"),
        ("short-but-random-Zq81", "must be at least 32 characters"),
        ("ab" * 24, "repeats a few characters"),
    ],
)
def test_a_guessable_secret_key_stops_the_server(tmp_path: Path, key: str, says: str) -> None:
    store = tmp_path / "store" / "server.db"
    command = [sys.executable, "-m", "server", "--port", str(free_port())]
    result = subprocess.run(
        [*command, "--database-url", f"sqlite:///{store}"],
        capture_output=True,
        text=True,
        env={**os.environ, "RESERVER_SECRET_KEY": key},
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert f"reserver server: RESERVER_SECRET_KEY {says}" in result.stderr
    assert (
        "RESERVER_SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(48))')"
        in result.stderr
    )
    assert "leave RESERVER_SECRET_KEY unset to have one generated" in result.stderr
    assert "Traceback" not in result.stderr
    assert not store.parent.exists()  # refused before the store was touched


def test_the_store_the_key_and_their_folder_are_private(live_server_factory: Factory) -> None:
    folder = data_dir()
    assert not folder.exists()
    server = live_server_factory(None, env={"RESERVER_SECRET_KEY": ""})
    server.user("alice")  # a write: the WAL and its index exist while the server runs
    assert mode(folder) == 0o700
    for name in ("server.db", "server.db-wal", "server.db-shm", "server-secret.key"):
        assert mode(folder / name) == 0o600, name


def test_folders_reserver_makes_are_private_and_chosen_ones_stay(
    live_server_factory: Factory, tmp_path: Path
) -> None:
    chosen = tmp_path / "shared"
    chosen.mkdir()
    chosen.chmod(0o755)
    store = chosen / "team" / "reserver" / "server.db"
    server = live_server_factory(f"sqlite:///{store}")
    server.user("alice")
    assert mode(chosen) == 0o755
    assert mode(chosen / "team") == mode(store.parent) == 0o700
    for name in ("server.db", "server.db-wal", "server.db-shm"):
        assert mode(store.parent / name) == 0o600, name


def test_an_existing_store_keeps_the_mode_its_owner_gave_it(
    live_server_factory: Factory, tmp_path: Path
) -> None:
    store = tmp_path / "server.db"
    store.touch()
    store.chmod(0o660)  # e.g. shared with a team's group on purpose
    live_server_factory(f"sqlite:///{store}").user("alice")
    assert mode(store) == 0o660
    assert mode(tmp_path / "server.db-wal") == 0o660
