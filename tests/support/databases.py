"""Throwaway PostgreSQL and MariaDB databases for tests.

Where a server does not run the test is skipped with the reason, except under CI
(`CI=true`), where a missing server is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import NoReturn

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

POSTGRES_ADMIN_URL = os.environ.get(
    "RESERVER_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
MYSQL_ADMIN_URL = os.environ.get("RESERVER_TEST_MYSQL", "mysql+pymysql://root@127.0.0.1:3306/test")


def unavailable(kind: str, reason: str) -> NoReturn:
    """Skip the test for a missing `kind` of server, or fail it under CI."""
    message = f"{kind} is not reachable ({reason})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI must run the {kind} tests", pytrace=False)
    pytest.skip(message)


def throwaway_database(admin_url: str, kind: str) -> Iterator[str]:
    """Create a fresh database on the server of `admin_url`, yield its URL, then drop it."""
    name = f"reserver_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}"))
    except OperationalError as exc:
        engine.dispose()
        unavailable(kind, str(exc.orig).splitlines()[0])
    url = engine.url.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with engine.connect() as connection:
            if kind == "PostgreSQL":
                connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            else:
                connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        engine.dispose()
