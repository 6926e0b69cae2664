"""The two sides of the contract suites: the same users on a local store and on a server.

`tests/contract/conftest.py` builds a `World` of each kind per test; every
contract test takes one and must pass the same on both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from reserver_core.backend import Backend
from reserver_core.clock import FixedClock
from reserver_core.local import LocalBackend
from reserver_core.remote import RemoteBackend
from support.clock import NOW
from support.servers import LiveServer
from support.settings import fast_settings


@dataclass
class World:
    """Backends for named users on one store, and the store's clock."""

    admin: Backend
    member_for: Callable[[str], Backend]
    set_now: Callable[[datetime], None]
    opened: list[Backend] = field(default_factory=list)

    def member(self, name: str) -> Backend:
        backend = self.member_for(name)
        self.opened.append(backend)
        return backend


def local_world(sqlite_url: str) -> World:
    """Backends on a SQLite file, `alice` the admin, the clock at NOW."""
    clock = FixedClock(NOW)
    settings = fast_settings()
    admin = LocalBackend.open(sqlite_url, settings, clock, username="alice")
    return World(
        admin=admin,
        member_for=lambda name: LocalBackend.open(sqlite_url, settings, clock, username=name),
        set_now=clock.set,
    )


def remote_world(server: LiveServer) -> World:
    """Backends on a clocked server, emptied first, `alice` the admin, the clock at NOW."""
    server.reset()
    server.set_now(NOW)
    server.register("alice")

    registered: set[str] = set()

    def member_for(name: str) -> Backend:
        if name not in registered:
            server.register(name)
            registered.add(name)
        return RemoteBackend(server.url, server.token(name))

    return World(
        admin=RemoteBackend(server.url, server.token("alice")),
        member_for=member_for,
        set_now=server.set_now,
    )
