"""The server's log of database outages: one line when one starts, one when it ends.

While the database is down every request fails the same way; a line (let alone
a traceback) per failure would say nothing new and flood the log.
"""

from __future__ import annotations

import logging
import threading
import time

from reserver_core.errors import StoreError

log = logging.getLogger("reserver.server")


class OutageLog:
    """Notes the store's failures and answers (a `StoreObserver`) and logs the outages."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._since: float | None = None
        self._failures = 0

    def store_failed(self, error: StoreError) -> None:
        """Count a failure; the first of an outage is logged with its reason."""
        with self._lock:
            self._failures += 1
            if self._since is not None:
                return
            self._since = time.monotonic()
        log.error("the database is unavailable: %s", error.details or error.message)

    def store_answered(self) -> None:
        """End the outage, if one is under way, with how long it lasted and what failed."""
        if self._since is None:  # the usual case, decided without the lock
            return
        with self._lock:
            if self._since is None:
                return
            lasted, failures = time.monotonic() - self._since, self._failures
            self._since, self._failures = None, 0
        noun = "call" if failures == 1 else "calls"
        log.warning(
            "the database outage ended after %.1f s; %d %s to it failed meanwhile",
            lasted,
            failures,
            noun,
        )
