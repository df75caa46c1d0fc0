"""cycle-count plans: an index for consumption by product over a window

ABC classes sum each product's outbound movements over the consumption window: this partial
index holds just those rows, in product then time order, with the quantity, so the sums are
an index-only scan in product order (no sort, no hash of 36-character ids).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

OUTBOUND_MOVEMENTS = sa.text("source = 'MOVEMENT' AND quantity_delta < 0")


def upgrade() -> None:
    op.create_index(
        "ix_stock_ledger_consumption",
        "stock_ledger",
        ["product_id", "created_at", "quantity_delta"],
        postgresql_where=OUTBOUND_MOVEMENTS,
        sqlite_where=OUTBOUND_MOVEMENTS,
    )


def downgrade() -> None:
    op.drop_index("ix_stock_ledger_consumption", table_name="stock_ledger")
