"""Fixtures of the CLI suites: `reserver` on a fresh local store, or on a live server.

Both run with "now" frozen at NOW (RESERVER_FAKE_NOW for the CLI, the clocked
test server for the server), so the same tests hold in both modes.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.cli import Reserver
from support.clock import NOW
from support.servers import TEST_PASSWORD, LiveServer, start_live_server


@pytest.fixture(scope="session")
def clocked_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One clocked server process for the whole CLI suite; tests reset it."""
    folder = tmp_path_factory.mktemp("cli-server")
    server = start_live_server(f"sqlite:///{folder / 'server.db'}", folder, now=NOW)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def migrated_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite store at the newest schema, copied by tests to skip migrating."""
    from reserver_core.db import Database
    from reserver_core.settings import Settings

    path = tmp_path_factory.mktemp("template") / "empty.db"
    Database.open(f"sqlite:///{path}", Settings()).close()
    return path


@pytest.fixture(params=["local", "remote"])
def reserver(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Reserver:
    """`reserver` on an empty store, local or remote; alice is its admin, bob a member.

    `reserver.empty_store()` starts over on another empty store.
    """
    env = {"RESERVER_FAKE_NOW": NOW.isoformat(), "RESERVER_BCRYPT_ROUNDS": "4"}
    harness = Reserver(request.param, env, tmp_path)
    if request.param == "local":
        # The tests cannot log in as several OS accounts: they run as "alice", the
        # store's first user and so its admin, who acts as the others with --user.
        monkeypatch.setattr("reserver_core.users.local_username", lambda: "alice")
        template = request.getfixturevalue("migrated_store")
        stores = iter(range(1, 100))

        def empty_local_store() -> None:
            path = tmp_path / f"reserver-{next(stores)}.db"
            shutil.copyfile(template, path)
            harness.env["RESERVER_DATABASE_URL"] = f"sqlite:///{path}"
            harness.ok("auth", "status", user="alice")  # the first user of a store is its admin
            harness.ok("auth", "status", user="bob")

        harness.empty_store = empty_local_store
    else:
        server = request.getfixturevalue("clocked_server")
        harness.env["RESERVER_SERVER"] = server.url

        def empty_server() -> None:
            from reserver_core import credentials

            server.reset()
            server.set_now(NOW)
            for name in ("alice", "bob"):
                server.register(name, TEST_PASSWORD)
                with monkeypatch.context() as patch:
                    patch.setenv(
                        "RESERVER_CONFIG_DIR", harness.user_env(name)["RESERVER_CONFIG_DIR"]
                    )
                    credentials.set_token(server.url, server.token(name, TEST_PASSWORD))

        harness.empty_store = empty_server
    harness.empty_store()
    return harness


@pytest.fixture
def rooms(reserver: Reserver) -> dict[str, int]:
    """Three resources made by alice: two rooms and a projector; their ids by name."""
    made = {}
    for name, tags in (("Room A", "room,floor-1"), ("Room B", "room"), ("Beamer", "projector")):
        made[name] = reserver.data("resources", "create", name, "--tag", tags)["id"]
    return made
