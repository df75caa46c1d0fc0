"""counting practice: lot-tracked products, recounts, scoped counts

Products with batches become LOT-tracked. A LOT product holds no unbatched stock, so the
unbatched stock such a product held is moved, through two MIGRATION ledger rows, into a batch
of its own (lot number UNLOTTED) where a count or an adjustment can settle it; the upgrade logs
one line per product moved.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UNLOTTED = "UNLOTTED"
log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    with op.batch_alter_table("products") as table:
        table.add_column(
            sa.Column("tracking", sa.String(length=4), nullable=False, server_default="NONE")
        )
    with op.batch_alter_table("inventory_counts") as table:
        table.add_column(
            sa.Column(
                "recount_significant", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        table.add_column(
            sa.Column("scoped", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        table.add_column(
            sa.Column("forced_completion_reason", sa.Text(), nullable=False, server_default="")
        )
    with op.batch_alter_table("count_items") as table:
        table.add_column(
            sa.Column("status", sa.String(length=20), nullable=False, server_default="COUNTED")
        )
        table.add_column(sa.Column("recount_requested_by", sa.String(length=200), nullable=True))
        table.add_column(
            sa.Column("recount_requested_at", sa.DateTime(timezone=True), nullable=True)
        )
        table.add_column(sa.Column("recount_reason", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("count_entries") as table:
        table.add_column(
            sa.Column("recount", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "count_scope_products",
        sa.Column("inventory_count_id", sa.String(length=36), nullable=False),
        sa.Column("product_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["inventory_count_id"],
            ["inventory_counts.id"],
            name=op.f("fk_count_scope_products_inventory_count_id_inventory_counts"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_count_scope_products_product_id_products"),
        ),
        sa.PrimaryKeyConstraint(
            "inventory_count_id", "product_id", name=op.f("pk_count_scope_products")
        ),
    )
    _classify_products(op.get_bind())


def _classify_products(bind: sa.Connection) -> None:
    bind.execute(
        sa.text(
            "UPDATE products SET tracking = 'LOT' "
            "WHERE EXISTS (SELECT 1 FROM batches WHERE batches.product_id = products.id)"
        )
    )
    held = bind.execute(
        sa.text(
            "SELECT l.id, l.product_id, l.quantity, p.sku FROM stock_levels l "
            "JOIN products p ON p.id = l.product_id "
            "WHERE p.tracking = 'LOT' AND l.batch_id IS NULL AND l.quantity > 0 "
            "ORDER BY p.sku"
        )
    ).all()
    now = datetime.now(UTC)
    for level_id, product_id, quantity, sku in held:
        batch_id = _unlotted_batch(bind, product_id, now)
        batch_level_id, batch_before = _batch_level(bind, product_id, batch_id)
        bind.execute(
            sa.text("UPDATE stock_levels SET quantity = :q WHERE id = :id"),
            {"id": batch_level_id, "q": batch_before + quantity},
        )
        bind.execute(
            sa.text("UPDATE stock_levels SET quantity = 0 WHERE id = :id"), {"id": level_id}
        )
        reason = "product became lot-tracked: unbatched stock moved into lot " + UNLOTTED
        for stock_level_id, level_batch, delta, before in (
            (level_id, None, -quantity, quantity),
            (batch_level_id, batch_id, quantity, batch_before),
        ):
            bind.execute(
                sa.text(
                    "INSERT INTO stock_ledger (stock_level_id, product_id, batch_id, "
                    "quantity_delta, quantity_before, quantity_after, source, reason, "
                    "source_reference, actor, created_at) VALUES (:level, :product, :batch, "
                    ":delta, :before, :after, 'MIGRATION', :reason, '0004', 'migration', :now)"
                ),
                {
                    "level": stock_level_id,
                    "product": product_id,
                    "batch": level_batch,
                    "delta": delta,
                    "before": before,
                    "after": before + delta,
                    "reason": reason,
                    "now": now if bind.dialect.name != "sqlite" else now.replace(tzinfo=None),
                },
            )
        log.warning(
            "product %s became lot-tracked: its %d units of unbatched stock moved into lot %s",
            sku,
            quantity,
            UNLOTTED,
        )


def _unlotted_batch(bind: sa.Connection, product_id: str, now: datetime) -> str:
    existing = bind.execute(
        sa.text("SELECT id FROM batches WHERE product_id = :p AND lot_number = :lot"),
        {"p": product_id, "lot": UNLOTTED},
    ).scalar()
    if existing is not None:
        return str(existing)
    batch_id = str(uuid.uuid4())
    bind.execute(
        sa.text(
            "INSERT INTO batches (id, product_id, lot_number, expiry_date, created_at) "
            "VALUES (:id, :p, :lot, NULL, :now)"
        ),
        {
            "id": batch_id,
            "p": product_id,
            "lot": UNLOTTED,
            "now": now if bind.dialect.name != "sqlite" else now.replace(tzinfo=None),
        },
    )
    return batch_id


def _batch_level(bind: sa.Connection, product_id: str, batch_id: str) -> tuple[str, int]:
    row = bind.execute(
        sa.text("SELECT id, quantity FROM stock_levels WHERE product_id = :p AND batch_id = :b"),
        {"p": product_id, "b": batch_id},
    ).first()
    if row is not None:
        return str(row[0]), int(row[1])
    level_id = str(uuid.uuid4())
    bind.execute(
        sa.text(
            "INSERT INTO stock_levels (id, product_id, batch_id, quantity) VALUES (:id, :p, :b, 0)"
        ),
        {"id": level_id, "p": product_id, "b": batch_id},
    )
    return level_id, 0


def downgrade() -> None:
    # Stock moved into UNLOTTED batches stays there: the ledger is append-only.
    op.drop_table("count_scope_products")
    with op.batch_alter_table("count_entries") as table:
        table.drop_column("recount")
    with op.batch_alter_table("count_items") as table:
        table.drop_column("recount_reason")
        table.drop_column("recount_requested_at")
        table.drop_column("recount_requested_by")
        table.drop_column("status")
    with op.batch_alter_table("inventory_counts") as table:
        table.drop_column("forced_completion_reason")
        table.drop_column("scoped")
        table.drop_column("recount_significant")
    with op.batch_alter_table("products") as table:
        table.drop_column("tracking")
