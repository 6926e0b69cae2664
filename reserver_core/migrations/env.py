"""Alembic environment: runs against the engine reserver hands it."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from reserver_core.models import Base

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata)
    dialect = connection.dialect.name
    if dialect in ("mysql", "mariadb"):
        # MySQL DDL is not transactional: a named lock keeps two openers apart.
        connection.execute(text("SELECT GET_LOCK('reserver_migrate', 120)"))
        connection.commit()
    try:
        with context.begin_transaction():
            if dialect == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(727465)"))
            # SQLite: the transaction began with BEGIN IMMEDIATE, which already
            # keeps every other writer out until the migration commits.
            context.run_migrations()
    finally:
        if dialect in ("mysql", "mariadb"):
            connection.execute(text("SELECT RELEASE_LOCK('reserver_migrate')"))
            connection.commit()
