"""count entries stored by StreamCountItems (exactly-once scanner entries)

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "count_entries",
        sa.Column("entry_id", sa.String(length=64), nullable=False),
        sa.Column("inventory_count_id", sa.String(length=36), nullable=False),
        sa.Column("count_item_id", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("mode", sa.String(length=3), nullable=False),
        sa.Column("scanned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("counted_by", sa.String(length=200), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("counted_quantity", sa.BigInteger(), nullable=False),
        sa.Column("system_quantity", sa.BigInteger(), nullable=False),
        sa.Column("variance", sa.BigInteger(), nullable=False),
        sa.Column("variance_value", sa.BigInteger(), nullable=False),
        sa.Column("significant", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["count_item_id"],
            ["count_items.id"],
            name=op.f("fk_count_entries_count_item_id_count_items"),
        ),
        sa.ForeignKeyConstraint(
            ["inventory_count_id"],
            ["inventory_counts.id"],
            name=op.f("fk_count_entries_inventory_count_id_inventory_counts"),
        ),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_count_entries")),
    )


def downgrade() -> None:
    op.drop_table("count_entries")
