"""A client-side deadline on PostgreSQL connections, which libpq does not have.

A server that is frozen rather than down (its processes stopped, a stalled
host) keeps its TCP connections open and never answers: the kernel still
acknowledges what is sent, no keep-alive fails, and the server's own
`statement_timeout` cannot fire. A call on a connection made before the freeze
would wait for as long as it lasts. The watchdog shuts down the socket of a
connection that has waited on the server past its limit; the waiting call then
fails at once with the driver's error, and the engine treats the connection as
lost.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from contextlib import suppress
from typing import Any

import psycopg
from sqlalchemy import Engine, event
from sqlalchemy.exc import InvalidatePoolError, OperationalError


class Watchdog:
    """Deadlines on connections' sockets, kept by one daemon thread."""

    def __init__(self) -> None:
        self._wake = threading.Condition()
        # id of the DBAPI connection -> (deadline, our duplicate of its socket). The
        # duplicate keeps the socket from being closed and its number reused by
        # another one, which the watchdog must never shut down.
        self._armed: dict[int, tuple[float, int]] = {}
        self._fired: set[int] = set()
        self._wakes_at: float | None = None
        self._thread: threading.Thread | None = None

    def arm(self, connection: Any, seconds: float) -> None:
        """Shut `connection`'s socket down unless `disarm` comes within `seconds`."""
        try:
            duplicate = os.dup(connection.pgconn.socket)
        except (psycopg.Error, OSError):
            return  # the connection is already lost: nothing can wait on it
        deadline = time.monotonic() + seconds
        with self._wake:
            replaced = self._armed.pop(id(connection), None)
            self._armed[id(connection)] = (deadline, duplicate)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._watch, name="reserver-db-watchdog", daemon=True
                )
                self._thread.start()
            elif self._wakes_at is None or deadline < self._wakes_at:
                self._wake.notify()
        if replaced is not None:
            os.close(replaced[1])

    def disarm(self, connection: Any) -> bool:
        """Stop watching `connection`; returns whether its deadline had passed."""
        with self._wake:
            entry = self._armed.pop(id(connection), None)
            fired = id(connection) in self._fired
            self._fired.discard(id(connection))
        if entry is not None:
            os.close(entry[1])
        return fired

    def _watch(self) -> None:
        with self._wake:
            while True:
                now = time.monotonic()
                for key in [k for k, (deadline, _) in self._armed.items() if deadline <= now]:
                    _, duplicate = self._armed.pop(key)
                    self._fired.add(key)
                    _shut_down(duplicate)
                self._wakes_at = min((d for d, _ in self._armed.values()), default=None)
                self._wake.wait(None if self._wakes_at is None else self._wakes_at - now)


def _shut_down(duplicate: int) -> None:
    sock = socket.socket(fileno=duplicate)
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def guard_engine(engine: Engine, ping_seconds: float, statement_seconds: float) -> None:
    """Bound every wait of `engine`'s PostgreSQL connections on the server.

    A connection is pinged when taken from the pool, within `ping_seconds` (this
    replaces the engine's own pre-ping, which no deadline covers); statements,
    commits and rollbacks get `statement_seconds`. A call cut short raises the
    engine's OperationalError saying so, and the pool drops the connection.
    """
    watchdog = Watchdog()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        watchdog.arm(dbapi_connection, ping_seconds)
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
        except Exception as exc:
            # The pool then tries one fresh connection, which connect_timeout bounds.
            raise InvalidatePoolError() from exc
        finally:
            watchdog.disarm(dbapi_connection)

    def _arm(connection: Any, *_args: Any) -> None:
        dbapi_connection = _dbapi(connection)
        if dbapi_connection is not None:
            watchdog.arm(dbapi_connection, statement_seconds)

    def _disarm(connection: Any, *_args: Any) -> None:
        dbapi_connection = _dbapi(connection)
        if dbapi_connection is not None:
            watchdog.disarm(dbapi_connection)

    def _disarm_record(dbapi_connection: Any, *_args: Any) -> None:
        watchdog.disarm(dbapi_connection)

    for name in ("before_cursor_execute", "commit", "rollback"):
        event.listen(engine, name, _arm)
    event.listen(engine, "after_cursor_execute", _disarm)
    # The pool closes a connection only after these: a duplicate kept past the driver's
    # close would keep the TCP connection open.
    for name in ("checkin", "invalidate", "close"):
        event.listen(engine, name, _disarm_record)

    @event.listens_for(engine, "handle_error", retval=True)
    def _stalled(context: Any) -> OperationalError | None:
        dbapi_connection = _dbapi(context.connection)
        if dbapi_connection is None or not watchdog.disarm(dbapi_connection):
            return None
        context.is_disconnect = True
        reason = TimeoutError(f"no answer from the database server within {statement_seconds:g} s")
        return OperationalError(context.statement, context.parameters, reason)


def _dbapi(connection: Any) -> Any:
    """The DBAPI connection under an engine's Connection; None once it is closed or lost
    (asking an invalidated one for it would reconnect)."""
    if connection is None or connection.closed or connection.invalidated:
        return None
    return connection.connection.dbapi_connection
