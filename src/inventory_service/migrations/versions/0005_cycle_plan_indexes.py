"""indexes: consumption by product over a window; a count line's entries

ABC classes sum each product's outbound movements over the consumption window: this partial
index holds just those rows, in product then time order, with the quantity, so the sums are
an index-only scan in product order (no sort, no hash of 36-character ids).

A line's entries (its history, and who counted it before a recount) are read by line, in the
order ListCountItemEntries pages them: without an index each recount entry and history page
read the whole count_entries table (benchmarks/recounts.py: 103 ms -> 20 ms per recount entry,
95 ms -> 9 ms per history page, at 200,000 entries).

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
    op.create_index(
        "ix_count_entries_count_item_id_stored_at_entry_id",
        "count_entries",
        ["count_item_id", "stored_at", "entry_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_count_entries_count_item_id_stored_at_entry_id", table_name="count_entries")
    op.drop_index("ix_stock_ledger_consumption", table_name="stock_ledger")
