"""Opening a store: engines, per-dialect settings, migrations, transactions.

The transaction boundary lives here: `Database.write(work)` runs `work(session)`
in one write transaction and commits it; the functions it calls never commit.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DatabaseError,
    DBAPIError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.orm import Session, sessionmaker

from reserver_core.errors import StoreError
from reserver_core.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

HEAD_REVISION = "0004"
"""The newest migration; a store at this revision needs no Alembic import."""

_SQLITE_BUSY_TIMEOUT_MS = 30_000
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
    corrupt) rather than the statement's (a constraint, a bad value)."""
    return isinstance(exc, OperationalError | InterfaceError) or type(exc) is DatabaseError


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


def _widen_group_concat(dbapi_connection: Any, _record: Any) -> None:
    # MySQL cuts GROUP_CONCAT at 1,024 bytes by default, shorter than 20 tags of
    # 50 characters in UTF-8; a booking's result lists them all.
    cursor = dbapi_connection.cursor()
    cursor.execute("SET SESSION group_concat_max_len = 65536")
    cursor.close()


class Database:
    """One store: its engines and its transaction helpers."""

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
            self.write_engine = create_engine(self.url, pool_pre_ping=True, pool_size=10)
            self.read_engine = self.write_engine
            if self.dialect == "mysql":
                event.listen(self.write_engine, "connect", _widen_group_concat)
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
    def _prepare_sqlite_file(self) -> None:
        path = self.url.database
        if not path or path == ":memory:":
            raise StoreError("an in-memory SQLite database cannot be shared; give a file path")
        # SQLite would take "~" literally; the folder made here must be the one opened.
        expanded = Path(path).expanduser()
        self.url = self.url.set(database=str(expanded))
        try:
            expanded.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the folder for {path}: {exc.strerror}") from exc

    def _sqlite_engine(self, immediate: bool) -> Engine:
        synchronous = self.settings.sqlite_synchronous.upper()
        engine = create_engine(
            self.url,
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
                return attempt()
            except DBAPIError as exc:
                if not is_transient(exc):
                    if is_store_failure(exc):
                        raise self._store_error(exc) from exc
                    raise
                if failures >= retries:
                    if contended is not None and is_deadlock(exc):
                        raise contended() from exc
                    raise self._store_error(exc) from exc
            failures += 1
            time.sleep(min(0.005 * 2**failures, 0.5))

    def read(self, work: Callable[[Session], T]) -> T:
        """Run `work` in one read-only transaction (a consistent snapshot)."""
        try:
            with self._read_sessions.begin() as session:
                return work(session)
        except DBAPIError as exc:
            if not is_store_failure(exc):
                raise
            raise self._store_error(exc) from exc

    def _store_error(self, exc: DBAPIError) -> StoreError:
        log.warning("database error", exc_info=exc)
        reason = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
        return StoreError(f"the database {self.describe()} failed: {reason}")

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
        except DBAPIError as exc:
            if not is_store_failure(exc):
                raise
            raise self._store_error(exc) from exc
        from reserver_core.migrate import upgrade_to_head

        try:
            upgrade_to_head(self.write_engine)
        except DBAPIError as exc:
            if not is_store_failure(exc):
                raise
            raise self._store_error(exc) from exc
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
