"""Partial reservation indexes: only active rows, on SQLite and PostgreSQL.

Every query these indexes serve asks for active reservations, and finished
ones (the whole history) were most of their entries. Without them the
indexes stay small and in cache: expiring 100,000 reservations no longer
rewrites entries scattered over an index of a million, and each booking
inserts into two small indexes. MySQL has no partial indexes; there they stay
as they were.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_INDEXES = {
    "ix_reservations_resource_window": ["resource_id", "status", "end_time", "start_time"],
    "ix_reservations_status_window": ["status", "end_time", "start_time", "resource_id"],
}


def _recreate(partial: bool) -> None:
    if op.get_bind().dialect.name not in ("sqlite", "postgresql"):
        return
    where = sa.text("status = 'active'") if partial else None
    for name, columns in _INDEXES.items():
        op.drop_index(name, table_name="reservations")
        op.create_index(name, "reservations", columns, sqlite_where=where, postgresql_where=where)


def upgrade() -> None:
    _recreate(partial=True)


def downgrade() -> None:
    _recreate(partial=False)
