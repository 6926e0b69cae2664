"""Alembic environment: runs against the engine reserver hands it."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from reserver_core.models import Base

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    dialect = connection.dialect.name
    if dialect in ("mysql", "mariadb"):
        # MySQL DDL is not transactional: a named lock keeps two openers apart.
        connection.execute(text("SELECT GET_LOCK('reserver_migrate', 120)"))
        connection.commit()
    try:
        if dialect == "sqlite":
            # Alembic treats SQLite's DDL as non-transactional and would commit after
            # each migration, letting a second opener in between (it would then find
            # half the work done and repeat the rest). SQLite's DDL is transactional:
            # one transaction, begun IMMEDIATE by the engine, covers every migration,
            # and whoever waited for it reads the head revision afterwards.
            with connection.begin():
                context.configure(connection=connection, target_metadata=Base.metadata)
                context.run_migrations()
        else:
            context.configure(connection=connection, target_metadata=Base.metadata)
            with context.begin_transaction():
                if dialect == "postgresql":
                    connection.execute(text("SELECT pg_advisory_xact_lock(727465)"))
                context.run_migrations()
    finally:
        if dialect in ("mysql", "mariadb"):
            connection.execute(text("SELECT RELEASE_LOCK('reserver_migrate')"))
            connection.commit()
