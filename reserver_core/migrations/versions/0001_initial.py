"""The initial schema: users, resources with tags, reservations, events.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from reserver_core.models import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(50), nullable=False),
        sa.Column("password_hash", sa.String(100), nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("role IN ('admin', 'member')", name=op.f("ck_users_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "resources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_key", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("unavailable_since", UTCDateTime(), nullable=True),
        sa.Column("maintenance_until", UTCDateTime(), nullable=True),
        sa.Column("auto_reset_hours", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "auto_reset_hours BETWEEN 1 AND 168", name=op.f("ck_resources_auto_reset_hours")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resources")),
        sa.UniqueConstraint("name_key", name=op.f("uq_resources_name_key")),
    )
    op.create_index(
        op.f("ix_resources_maintenance_until"), "resources", ["maintenance_until"], unique=False
    )
    op.create_table(
        "resource_tags",
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(50), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name=op.f("fk_resource_tags_resource_id_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("resource_id", "tag", name=op.f("pk_resource_tags")),
    )
    op.create_index("ix_resource_tags_tag", "resource_tags", ["tag"], unique=False)
    op.create_table(
        "reservations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("start_time", UTCDateTime(), nullable=False),
        sa.Column("end_time", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("cancelled_at", UTCDateTime(), nullable=True),
        sa.Column("cancellation_reason", sa.String(500), nullable=True),
        sa.CheckConstraint("end_time > start_time", name=op.f("ck_reservations_window")),
        sa.CheckConstraint(
            "status IN ('active', 'cancelled', 'expired')", name=op.f("ck_reservations_status")
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resources.id"], name=op.f("fk_reservations_resource_id_resources")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_reservations_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservations")),
    )
    op.create_index(
        "ix_reservations_resource_status_end",
        "reservations",
        ["resource_id", "status", "end_time"],
        unique=False,
    )
    op.create_index(
        "ix_reservations_status_end", "reservations", ["status", "end_time"], unique=False
    )
    op.create_index(
        "ix_reservations_user_start", "reservations", ["user_id", "start_time"], unique=False
    )
    if op.get_bind().dialect.name == "postgresql":
        # The database itself refuses overlapping active bookings of one resource.
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE reservations ADD CONSTRAINT ex_reservations_no_overlap "
            "EXCLUDE USING gist (resource_id WITH =, tstzrange(start_time, end_time) WITH &&) "
            "WHERE (status = 'active')"
        )
    op.create_table(
        "reservation_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reservation_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_reservation_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["reservations.id"],
            name=op.f("fk_reservation_events_reservation_id_reservations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservation_events")),
    )
    op.create_index(
        op.f("ix_reservation_events_reservation_id"),
        "reservation_events",
        ["reservation_id"],
        unique=False,
    )
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(50), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index(
        "ix_login_failures_username_at", "login_failures", ["username", "at"], unique=False
    )


def downgrade() -> None:
    op.drop_table("login_failures")
    op.drop_table("reservation_events")
    op.drop_table("reservations")
    op.drop_table("resource_tags")
    op.drop_index(op.f("ix_resources_maintenance_until"), table_name="resources")
    op.drop_table("resources")
    op.drop_table("users")
