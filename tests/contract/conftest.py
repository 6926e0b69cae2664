"""Fixtures of the contract suites: each test runs on a local store and on a server.

The remote side talks to a real server process on a loopback port (one per
module, emptied and its clock reset before each test).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.clock import NOW
from support.contract import World, local_world, remote_world
from support.servers import LiveServer, start_live_server


@pytest.fixture(scope="module")
def contract_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("contract-server")
    server = start_live_server(f"sqlite:///{folder / 'server.db'}", folder, now=NOW)
    yield server
    server.stop()


@pytest.fixture(params=["local", "remote"])
def world(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[World]:
    if request.param == "local":
        built = local_world(sqlite_url)
    else:
        built = remote_world(request.getfixturevalue("contract_server"))
    yield built
    for backend in [built.admin, *built.opened]:
        backend.close()
