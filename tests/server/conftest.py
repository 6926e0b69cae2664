"""Fixtures of the server suites: one clocked server per test module, emptied per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.clock import NOW
from support.servers import LiveServer, start_live_server


@pytest.fixture(scope="module")
def shared_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A clocked server process on a SQLite store of its own, for the whole module."""
    folder = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
    server = start_live_server(f"sqlite:///{folder / 'server.db'}", folder, now=NOW)
    yield server
    server.stop()


@pytest.fixture
def server(shared_server: LiveServer) -> LiveServer:
    """The module's server, emptied, with its clock at NOW."""
    shared_server.reset()
    shared_server.set_now(NOW)
    return shared_server
