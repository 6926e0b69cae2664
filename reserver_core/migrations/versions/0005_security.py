"""Counters for throttling, idempotency keys, and one name key on every database.

Failed logins become counters per key (a username at an address, a username
anywhere, registrations from an address), each row locked while counted so
that parallel guesses are counted one after another. Booking requests may
carry an idempotency key. Resource names are compared on a key the core
computes (NFKC, case-folded); MySQL compares it byte for byte, as SQLite and
PostgreSQL do, instead of folding accents; so are tags.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from alembic import op

from reserver_core.models import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _key(name: str) -> str:
    # The core's rule on the day of this migration; later changes get their own.
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def upgrade() -> None:
    op.create_table(
        "rate_counters",
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("window_start", UTCDateTime(), nullable=False),
        sa.Column("last_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_counters")),
    )
    op.create_index(op.f("ix_rate_counters_last_at"), "rate_counters", ["last_at"])
    op.create_table(
        "idempotency_keys",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("reservation_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_idempotency_keys_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["reservations.id"],
            name=op.f("fk_idempotency_keys_reservation_id_reservations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_index(op.f("ix_idempotency_keys_created_at"), "idempotency_keys", ["created_at"])
    op.drop_index("ix_login_failures_username_at", table_name="login_failures")
    op.drop_table("login_failures")
    bind = op.get_bind()
    if bind.dialect.name in ("mysql", "mariadb"):
        op.execute(
            "ALTER TABLE resources MODIFY name_key VARCHAR(200) "
            "CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL"
        )
        op.execute(
            "ALTER TABLE resource_tags MODIFY tag VARCHAR(50) "
            "CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL"
        )
    _rekey_names(bind)


def _rekey_names(bind: sa.Connection) -> None:
    """Recompute every name key; a later name whose key is taken keeps a distinct one."""
    resources = sa.table("resources", sa.column("id"), sa.column("name"), sa.column("name_key"))
    rows = bind.execute(sa.select(resources.c.id, resources.c.name).order_by(resources.c.id))
    seen: set[str] = set()
    changes: list[dict[str, object]] = []
    for resource_id, name in rows:
        key = _key(name)
        if key in seen:
            key = f"{key} #{resource_id}"
        seen.add(key)
        changes.append({"rid": resource_id, "key": key})
    # Two passes: a new key may equal another row's old one until that row changes too.
    update = (
        resources.update()
        .where(resources.c.id == sa.bindparam("rid"))
        .values(name_key=sa.bindparam("key"))
    )
    if changes:
        bind.execute(update, [{"rid": c["rid"], "key": f"\x01{c['rid']}"} for c in changes])
        bind.execute(update, changes)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name in ("mysql", "mariadb"):
        op.execute("ALTER TABLE resources MODIFY name_key VARCHAR(200) NOT NULL")
        op.execute("ALTER TABLE resource_tags MODIFY tag VARCHAR(50) NOT NULL")
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
    op.drop_index(op.f("ix_idempotency_keys_created_at"), table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    op.drop_index(op.f("ix_rate_counters_last_at"), table_name="rate_counters")
    op.drop_table("rate_counters")
