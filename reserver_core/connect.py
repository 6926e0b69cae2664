"""Choosing a backend from settings: a server when one is named, else the database."""

from __future__ import annotations

from reserver_core.backend import Backend
from reserver_core.clock import Clock
from reserver_core.settings import Settings


def open_backend(
    settings: Settings, clock: Clock | None = None, act_as: str | None = None
) -> Backend:
    """The RemoteBackend for `settings.server` (with its stored token), else a LocalBackend
    acting as the OS account.

    `act_as` names another local user for an admin to act as (ForbiddenError for
    anyone else); it has no meaning for a server, where the stored token decides.
    """
    if settings.server:
        from reserver_core.remote import RemoteBackend

        return RemoteBackend.connect(settings.server, settings)
    from reserver_core.local import LocalBackend

    backend = LocalBackend.open(settings.database_url, settings, clock)
    if act_as is None:
        return backend
    try:
        return backend.acting_for(act_as)
    except Exception:
        backend.close()
        raise
