"""Booking policies: one row per scope (a resource, a tag, the store's default), and an
index of each user's bookings by end, which their allowances are counted from.

A store upgraded in place has no policy, so it books exactly as before.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from reserver_core.models import ExactString, UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "policies",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("scope", sa.String(10), nullable=False),
        sa.Column("scope_key", ExactString(60), nullable=False),
        sa.Column("timezone", sa.String(64)),
        sa.Column("hours", sa.Text),
        sa.Column("closed", sa.Text, nullable=False, server_default=""),
        sa.Column("min_length_minutes", sa.Integer),
        sa.Column("max_length_minutes", sa.Integer),
        sa.Column("min_notice_minutes", sa.Integer),
        sa.Column("max_advance_minutes", sa.Integer),
        sa.Column("max_active", sa.Integer),
        sa.Column("max_minutes_per_week", sa.Integer),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policies")),
        sa.UniqueConstraint("scope", "scope_key", name=op.f("uq_policies_scope_key")),
        sa.CheckConstraint(
            "scope IN ('resource', 'tag', 'default')", name=op.f("ck_policies_scope")
        ),
        sa.CheckConstraint(
            "(min_length_minutes IS NULL OR min_length_minutes > 0)"
            " AND (max_length_minutes IS NULL OR max_length_minutes > 0)"
            " AND (min_notice_minutes IS NULL OR min_notice_minutes > 0)"
            " AND (max_advance_minutes IS NULL OR max_advance_minutes > 0)"
            " AND (max_active IS NULL OR max_active > 0)"
            " AND (max_minutes_per_week IS NULL OR max_minutes_per_week > 0)",
            name=op.f("ck_policies_positive_limits"),
        ),
    )

    op.create_index(
        "ix_reservations_user_end",
        "reservations",
        ["user_id", "end_time", "start_time", "status", "resource_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_reservations_user_end", table_name="reservations")
    op.drop_table("policies")
