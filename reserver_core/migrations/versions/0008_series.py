"""Recurring series: one row per series, and each reservation's link to the series it is
an occurrence of (none for the bookings a store already holds).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from reserver_core.models import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "series",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("resource_id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("start_local", sa.String(16), nullable=False),
        sa.Column("length_minutes", sa.Integer, nullable=False),
        sa.Column("frequency", sa.String(10), nullable=False),
        sa.Column("every_n", sa.Integer, nullable=False),
        sa.Column("on_days", sa.String(40), nullable=False, server_default=""),
        sa.Column("date_count", sa.Integer),
        sa.Column("last_day", sa.Date),
        sa.Column("note", sa.String(500), nullable=False, server_default=""),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("cancelled_at", UTCDateTime),
        sa.Column("cancellation_reason", sa.String(500)),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series")),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resources.id"], name=op.f("fk_series_resource_id_resources")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_series_user_id_users")),
        sa.CheckConstraint(
            "frequency IN ('daily', 'weekly', 'monthly')", name=op.f("ck_series_frequency")
        ),
        sa.CheckConstraint("every_n > 0 AND length_minutes > 0", name=op.f("ck_series_positive")),
    )
    op.create_index("ix_series_user_id", "series", ["user_id"])
    reference = "fk_reservations_series_id_series"
    if op.get_bind().dialect.name == "sqlite":
        # SQLite alters no constraint, but takes a reference inline in a new column; copying
        # the table instead (batch mode) would lose the partial indexes' conditions.
        op.execute(
            f"ALTER TABLE reservations ADD COLUMN series_id INTEGER"
            f" CONSTRAINT {reference} REFERENCES series (id)"
        )
    else:
        op.add_column(
            "reservations",
            sa.Column("series_id", sa.Integer, sa.ForeignKey("series.id", name=reference)),
        )
    op.create_index("ix_reservations_series_id", "reservations", ["series_id"])


def downgrade() -> None:
    op.drop_index("ix_reservations_series_id", table_name="reservations")
    with op.batch_alter_table("reservations") as batch:
        batch.drop_constraint("fk_reservations_series_id_series", type_="foreignkey")
        batch.drop_column("series_id")
    op.drop_index("ix_series_user_id", table_name="series")
    op.drop_table("series")
