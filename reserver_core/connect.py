"""Choosing a backend from settings: a server when one is named, else the database."""

from __future__ import annotations

from reserver_core.backend import Backend
from reserver_core.clock import Clock
from reserver_core.settings import Settings


def open_backend(
    settings: Settings, clock: Clock | None = None, username: str | None = None
) -> Backend:
    """The RemoteBackend for `settings.server` (with its stored token), else a LocalBackend.

    `username` picks the local acting user (default: the OS account); it has no
    meaning for a server, where the stored token decides.
    """
    if settings.server:
        from reserver_core.remote import RemoteBackend

        return RemoteBackend.connect(settings.server, settings)
    from reserver_core.local import LocalBackend

    return LocalBackend.open(settings.database_url, settings, clock, username=username)
