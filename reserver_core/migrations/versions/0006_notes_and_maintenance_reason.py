"""A note on each booking and a reason on each maintenance window.

Both columns are filled with the empty string on existing rows, so a store
upgraded in place reads as one created at this revision.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "reservations", sa.Column("note", sa.String(500), nullable=False, server_default="")
    )
    op.add_column(
        "resources",
        sa.Column("maintenance_reason", sa.String(500), nullable=False, server_default=""),
    )


def downgrade() -> None:
    with op.batch_alter_table("resources") as batch:
        batch.drop_column("maintenance_reason")
    with op.batch_alter_table("reservations") as batch:
        batch.drop_column("note")
