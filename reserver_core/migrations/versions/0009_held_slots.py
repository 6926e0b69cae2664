"""Held slots, approvals, waitlists and inboxes.

A reservation may now be `pending` (awaiting approval) or `offered` (a waitlist offer
awaiting its taker); both hold their slot as `active` does, so the partial indexes and
PostgreSQL's exclusion constraint take all three (`models.HOLDING_SQL`), with the status
after the times in the indexes. `decide_by` is when such a hold lapses. Policies gain the
approval fields; the waitlist and the notices (each user's inbox) are new tables.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from reserver_core.models import HOLDING_SQL, NAMING_CONVENTION, UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_STATUSES = (
    "status IN ('active', 'pending', 'offered', 'cancelled', 'expired', 'rejected', 'declined')"
)
_OLD_STATUSES = "status IN ('active', 'cancelled', 'expired')"
_EXCLUSION = (
    "ALTER TABLE reservations ADD CONSTRAINT ex_reservations_no_overlap "
    "EXCLUDE USING gist (resource_id WITH =, tstzrange(start_time, end_time) WITH &&) "
    "WHERE ({})"
)
_NEW_INDEXES = {
    "ix_reservations_holding_window": ["resource_id", "end_time", "start_time", "status"],
    "ix_reservations_holding_start": ["start_time", "end_time", "resource_id", "status"],
}
_OLD_INDEXES = {
    "ix_reservations_resource_window": ["resource_id", "status", "end_time", "start_time"],
    "ix_reservations_status_start": ["status", "start_time", "end_time", "resource_id"],
}


def _indexes(indexes: dict[str, list[str]], condition: str) -> None:
    partial = op.get_bind().dialect.name in ("sqlite", "postgresql")
    where = sa.text(condition) if partial else None
    for name, columns in indexes.items():
        op.create_index(name, "reservations", columns, sqlite_where=where, postgresql_where=where)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("ALTER TABLE reservations DROP CONSTRAINT ex_reservations_no_overlap")
    # SQLite changes a check constraint only by copying the table (batch mode); the
    # partial indexes are made after the copy, which does not keep index conditions.
    # The old indexes go last: MySQL keeps one on resource_id for its foreign key.
    with op.batch_alter_table("reservations", naming_convention=NAMING_CONVENTION) as batch:
        batch.add_column(sa.Column("decide_by", UTCDateTime))
        batch.drop_constraint(op.f("ck_reservations_status"), type_="check")
        batch.create_check_constraint("status", _STATUSES)
    op.create_index("ix_reservations_decide_by", "reservations", ["decide_by"])
    _indexes(_NEW_INDEXES, HOLDING_SQL)
    for name in _OLD_INDEXES:
        op.drop_index(name, table_name="reservations")
    if postgres:
        op.execute(_EXCLUSION.format(HOLDING_SQL))

    with op.batch_alter_table("policies") as batch:
        batch.add_column(sa.Column("approval", sa.Boolean))
        batch.add_column(sa.Column("approvers", sa.Text))
        batch.add_column(sa.Column("approval_timeout_minutes", sa.Integer))
        batch.add_column(sa.Column("offer_hold_minutes", sa.Integer))

    op.create_table(
        "waitlist",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("resource_id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("start_time", UTCDateTime, nullable=False),
        sa.Column("end_time", UTCDateTime, nullable=False),
        sa.Column("flexible_minutes", sa.Integer, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("offer_id", sa.Integer),
        sa.Column("note", sa.String(500), nullable=False, server_default=""),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist")),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resources.id"], name=op.f("fk_waitlist_resource_id_resources")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_waitlist_user_id_users")),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["reservations.id"], name=op.f("fk_waitlist_offer_id_reservations")
        ),
        sa.CheckConstraint("end_time > start_time", name=op.f("ck_waitlist_window")),
        sa.CheckConstraint(
            "status IN ('waiting', 'offered', 'booked', 'declined', 'lapsed', 'left', 'expired')",
            name=op.f("ck_waitlist_status"),
        ),
    )
    op.create_index("ix_waitlist_user_id", "waitlist", ["user_id"])
    op.create_index("ix_waitlist_resource_status", "waitlist", ["resource_id", "status", "id"])

    op.create_table(
        "notices",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("reservation_id", sa.Integer),
        sa.Column("series_id", sa.Integer),
        sa.Column("deadline", UTCDateTime),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("read_at", UTCDateTime),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_notices_user_id_users")),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["reservations.id"],
            name=op.f("fk_notices_reservation_id_reservations"),
        ),
        sa.ForeignKeyConstraint(
            ["series_id"], ["series.id"], name=op.f("fk_notices_series_id_series")
        ),
    )
    op.create_index("ix_notices_user_read", "notices", ["user_id", "read_at", "id"])


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.drop_table("notices")
    op.drop_table("waitlist")
    with op.batch_alter_table("policies") as batch:
        for name in ("offer_hold_minutes", "approval_timeout_minutes", "approvers", "approval"):
            batch.drop_column(name)
    op.drop_index("ix_reservations_decide_by", table_name="reservations")
    if postgres:
        op.execute("ALTER TABLE reservations DROP CONSTRAINT ex_reservations_no_overlap")
    with op.batch_alter_table("reservations", naming_convention=NAMING_CONVENTION) as batch:
        batch.drop_constraint(op.f("ck_reservations_status"), type_="check")
        batch.create_check_constraint("status", _OLD_STATUSES)
        batch.drop_column("decide_by")
    _indexes(_OLD_INDEXES, "status = 'active'")
    for name in _NEW_INDEXES:
        op.drop_index(name, table_name="reservations")
    if postgres:
        op.execute(_EXCLUSION.format("status = 'active'"))
