"""count_entries.request_id: the call (x-request-id) whose stream stored the entry

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows stored before this revision have no request id: '' (as the model's default).
    with op.batch_alter_table("count_entries") as table:
        table.add_column(
            sa.Column("request_id", sa.String(length=64), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("count_entries") as table:
        table.drop_column("request_id")
