"""Opening a store: engines, per-dialect settings, migrations, transactions.

The transaction boundary lives here: `Database.write(work)` runs `work(session)`
in one write transaction and commits it; the functions it calls never commit.
"""

from __future__ import annotations

import math
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DatabaseError,
    DBAPIError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker

from reserver_core.errors import STORE_UNAVAILABLE, StoreError
from reserver_core.files import create_private_file, make_private_dirs
from reserver_core.settings import Settings

T = TypeVar("T")

HEAD_REVISION = "0009"
"""The newest migration; a store at this revision needs no Alembic import."""

_SQLITE_BUSY_TIMEOUT_MS = 30_000
_WATCHDOG_GRACE_SECONDS = 1.0
_TRANSIENT_RETRIES = 8


def normalize_url(url: str) -> URL:
    """Parse a SQLAlchemy URL and pick the drivers reserver ships with."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"not a database URL: {url!r}") from exc
    drivers = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg"}
    drivers |= {"mysql": "mysql+pymysql", "mariadb": "mariadb+pymysql"}
    if parsed.drivername in drivers:
        parsed = parsed.set(drivername=drivers[parsed.drivername])
    if parsed.get_backend_name() not in {"sqlite", "postgresql", "mysql", "mariadb"}:
        raise StoreError(f"unsupported database {parsed.get_backend_name()!r}")
    return parsed


def is_transient(exc: BaseException) -> bool:
    """Whether a database error is worth retrying: a lock wait, deadlock or busy file."""
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate in {"40P01", "40001"}:
        return True
    args = getattr(orig, "args", ())
    if args and args[0] in (1213, 1205):  # MySQL deadlock, lock wait timeout
        return True
    message = str(orig).lower()
    return "database is locked" in message or "database is busy" in message


def is_store_failure(exc: BaseException) -> bool:
    """Whether an error is the database's own (unreachable, locked, not a database,
    corrupt, too slow, no connection free) rather than the statement's (a constraint,
    a bad value)."""
    return (
        isinstance(exc, OperationalError | InterfaceError | PoolTimeoutError)
        or type(exc) is DatabaseError
    )


def is_deadlock(exc: BaseException) -> bool:
    """Whether the database broke a deadlock by aborting this transaction."""
    orig = getattr(exc, "orig", None)
    if getattr(orig, "sqlstate", None) == "40P01":
        return True
    args: tuple[object, ...] = getattr(orig, "args", ())
    return len(args) > 0 and args[0] == 1213  # MySQL deadlock


def is_exclusion_violation(exc: BaseException) -> bool:
    """Whether PostgreSQL refused a row for overlapping an active reservation."""
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlstate", None) == "23P01"


def is_unique_violation(exc: BaseException) -> bool:
    """Whether the database refused a row for repeating a primary or unique key."""
    orig = getattr(exc, "orig", None)
    if getattr(orig, "sqlstate", None) == "23505":
        return True
    if getattr(orig, "sqlite_errorcode", None) in (1555, 2067):  # primary key, unique
        return True
    args: tuple[object, ...] = getattr(orig, "args", ())
    return len(args) > 0 and args[0] == 1062  # MySQL duplicate entry


def _widen_group_concat(dbapi_connection: Any, _record: Any) -> None:
    # MySQL cuts GROUP_CONCAT at 1,024 bytes by default, shorter than 20 tags of
    # 50 characters in UTF-8; a booking's result lists them all.
    cursor = dbapi_connection.cursor()
    cursor.execute("SET SESSION group_concat_max_len = 65536")
    cursor.close()


class StoreObserver(Protocol):
    """Told when the store fails and when it answers (a server's outage log)."""

    def store_failed(self, error: StoreError) -> None:
        """A call to the store failed with `error`."""

    def store_answered(self) -> None:
        """A call to the store succeeded."""


class Database:
    """One store: its engines and its transaction helpers."""

    observer: StoreObserver | None = None
    """Told of every failure and success of the store's transactions."""

    def __init__(self, url: str, settings: Settings) -> None:
        self.url = normalize_url(url)
        self.settings = settings
        self.dialect = self.url.get_backend_name()
        if self.dialect == "mariadb":
            self.dialect = "mysql"
        self._writer_lock = threading.Lock() if self.dialect == "sqlite" else None
        if self.dialect == "sqlite":
            self._prepare_sqlite_file()
            self.write_engine = self._sqlite_engine(immediate=True)
            self.read_engine = self._sqlite_engine(immediate=False)
        else:
            self.write_engine = self._server_engine()
            self.read_engine = self.write_engine
        self._write_sessions = sessionmaker(self.write_engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(self.read_engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str, settings: Settings) -> Database:
        """Open a store and bring its schema up to date."""
        database = cls(url, settings)
        try:
            database.upgrade()
        except Exception:
            database.close()
            raise
        return database

    def describe(self) -> str:
        """The store for people: a file path or a URL with the password hidden."""
        if self.dialect == "sqlite":
            return self.url.database or ":memory:"
        return self.url.render_as_string(hide_password=True)

    # -- engines -------------------------------------------------------------
    def _server_engine(self, bounded: bool = True) -> Engine:
        """A PostgreSQL or MySQL engine; `bounded`: with the statement timeout.

        Parameters the URL sets itself win over the settings.
        """
        connect = self.settings.database_connect_timeout
        statement = self.settings.database_statement_timeout
        given = self.url.query
        args: dict[str, Any] = {}
        if self.dialect == "postgresql":
            args["connect_timeout"] = max(2, math.ceil(connect))
            options = str(given.get("options", ""))
            if bounded and "statement_timeout" not in options:
                milliseconds = max(1, round(statement * 1000))
                args["options"] = f"{options} -c statement_timeout={milliseconds}".strip()
        else:
            # PyMySQL's socket timeouts: MySQL has no timeout for every kind of statement.
            args["connect_timeout"] = connect
            if bounded:
                args |= {"read_timeout": statement, "write_timeout": statement}
        engine = create_engine(
            self.url,
            pool_size=10,
            pool_timeout=connect,
            # PyMySQL's ping obeys its read timeout; PostgreSQL's is the watchdog's.
            pool_pre_ping=self.dialect == "mysql",
            connect_args={k: v for k, v in args.items() if k == "options" or k not in given},
        )
        if self.dialect == "mysql":
            event.listen(engine, "connect", _widen_group_concat)
        elif bounded:
            from reserver_core.watchdog import guard_engine

            # The server's statement_timeout ends a slow statement first, cleanly.
            guard_engine(engine, connect, statement + _WATCHDOG_GRACE_SECONDS)
        return engine

    def _prepare_sqlite_file(self) -> None:
        path = self.url.database
        if not path or path == ":memory:":
            raise StoreError("an in-memory SQLite database cannot be shared; give a file path")
        # SQLite would take "~" literally; the folder made here must be the one opened.
        expanded = Path(path).expanduser()
        self.url = self.url.set(database=str(expanded))
        try:
            make_private_dirs(expanded.parent)
        except OSError as exc:
            raise StoreError(f"cannot create the folder for {path}: {exc.strerror}") from exc
        try:
            create_private_file(expanded)
        except OSError as exc:
            raise StoreError(f"cannot create the database file {path}: {exc.strerror}") from exc

    def _sqlite_engine(self, immediate: bool) -> Engine:
        synchronous = self.settings.sqlite_synchronous.upper()
        engine = create_engine(
            self.url,
            pool_timeout=self.settings.database_connect_timeout,
            connect_args={"timeout": _SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        )

        @event.listens_for(engine, "connect")
        def _configure(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy's "begin" event below decide how transactions start.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_MS}")
            _ensure_wal(cursor)
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.close()

        begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

        @event.listens_for(engine, "begin")
        def _begin(connection: Any) -> None:
            connection.exec_driver_sql(begin)

        return engine

    # -- transactions ----------------------------------------------------------
    @contextmanager
    def _serialized(self) -> Iterator[None]:
        # One writer at a time inside a process: SQLite's busy back-off is far
        # slower than waiting on a lock here.
        if self._writer_lock is None:
            yield
            return
        with self._writer_lock:
            yield

    def write(
        self,
        work: Callable[[Session], T],
        retries: int = _TRANSIENT_RETRIES,
        contended: Callable[[], Exception] | None = None,
    ) -> T:
        """Run `work` in one write transaction and commit; retry lock and deadlock errors.

        When deadlocks outlast the retries, raise `contended()` if given (a booking
        race lost is a conflict); anything else transient ends as a StoreError.
        """

        def attempt() -> T:
            with self._serialized(), self._write_sessions.begin() as session:
                return work(session)

        return self._retrying(attempt, retries, contended)

    def write_core(
        self,
        work: Callable[[Connection], T],
        retries: int = _TRANSIENT_RETRIES,
        contended: Callable[[], Exception] | None = None,
    ) -> T:
        """`write` on a bare Connection: for hot paths that need no ORM session."""

        def attempt() -> T:
            with self._serialized(), self.write_engine.begin() as connection:
                return work(connection)

        return self._retrying(attempt, retries, contended)

    def _retrying(
        self,
        attempt: Callable[[], T],
        retries: int,
        contended: Callable[[], Exception] | None,
    ) -> T:
        failures = 0
        while True:
            try:
                result = attempt()
            except (DBAPIError, PoolTimeoutError) as exc:
                if not is_transient(exc):
                    if is_store_failure(exc):
                        raise self._store_error(exc) from exc
                    raise
                if failures >= retries:
                    if contended is not None and is_deadlock(exc):
                        raise contended() from exc
                    raise self._store_error(exc) from exc
            else:
                self._answered()
                return result
            failures += 1
            time.sleep(min(0.005 * 2**failures, 0.5))

    def read(self, work: Callable[[Session], T]) -> T:
        """Run `work` in one read-only transaction (a consistent snapshot)."""
        try:
            with self._read_sessions.begin() as session:
                result = work(session)
        except (DBAPIError, PoolTimeoutError) as exc:
            if not is_store_failure(exc):
                raise
            raise self._store_error(exc) from exc
        self._answered()
        return result

    def _answered(self) -> None:
        if self.observer is not None:
            self.observer.store_answered()

    def _store_error(self, exc: Exception) -> StoreError:
        """The StoreError for a failure of the store: which store and why go in `details`."""
        words = str(getattr(exc, "orig", None) or exc).splitlines()
        reason = words[0] if words else type(exc).__name__
        error = StoreError(STORE_UNAVAILABLE, f"{self.describe()} failed: {reason}")
        if self.observer is not None:
            self.observer.store_failed(error)
        return error

    # -- schema ------------------------------------------------------------------
    def current_revision(self) -> str | None:
        """The stored schema revision, None for an empty database."""
        with self.read_engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()

    def upgrade(self) -> bool:
        """Apply pending migrations; returns whether any ran. Alembic is imported lazily."""
        try:
            if self.current_revision() == HEAD_REVISION:
                return False
        except (DBAPIError, PoolTimeoutError) as exc:
            if not is_store_failure(exc):
                raise
            raise self._store_error(exc) from exc
        from reserver_core.migrate import upgrade_to_head

        # A migration may rightly run long, or wait for another opener's to end: its
        # statements get no timeout.
        sqlite = self.dialect == "sqlite"
        engine = self.write_engine if sqlite else self._server_engine(bounded=False)
        try:
            upgrade_to_head(engine)
        except (DBAPIError, PoolTimeoutError) as exc:
            if not is_store_failure(exc):
                raise
            raise self._store_error(exc) from exc
        finally:
            if not sqlite:
                engine.dispose()
        return True

    def close(self) -> None:
        """Release every pooled connection."""
        self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()


def _ensure_wal(cursor: Any) -> None:
    """Put a SQLite file in WAL mode, waiting while another opener holds it.

    Switching the journal mode needs the file to itself and SQLite answers
    "database is locked" at once rather than through the busy handler, so
    several processes opening a fresh file together retry here.
    """
    deadline = time.monotonic() + _SQLITE_BUSY_TIMEOUT_MS / 1000
    pause = 0.01
    while True:
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
                return
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.25)
