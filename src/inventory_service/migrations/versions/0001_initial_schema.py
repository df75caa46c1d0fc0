"""initial schema

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("operation", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("resource_id", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("operation", "request_id", name=op.f("pk_idempotency_keys")),
    )
    op.create_table(
        "inventory_counts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=10), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("blind", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_by", sa.String(length=200), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_by", sa.String(length=200), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.String(length=200), nullable=True),
        sa.Column("close_notes", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_counts")),
    )
    with op.batch_alter_table("inventory_counts", schema=None) as batch_op:
        batch_op.create_index("ix_inventory_counts_started_at", ["started_at"], unique=False)
        batch_op.create_index(
            "uq_inventory_counts_one_in_progress",
            ["status"],
            unique=True,
            sqlite_where=sa.text("status = 'IN_PROGRESS'"),
            postgresql_where=sa.text("status = 'IN_PROGRESS'"),
        )

    op.create_table(
        "products",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("barcode", sa.String(length=14), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit_cost", sa.BigInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("unit_cost >= 0", name=op.f("ck_products_unit_cost_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("barcode", name=op.f("uq_products_barcode")),
        sa.UniqueConstraint("sku", name=op.f("uq_products_sku")),
    )
    op.create_table(
        "batches",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("product_id", sa.String(length=36), nullable=False),
        sa.Column("lot_number", sa.String(length=64), nullable=False),
        sa.Column("expiry_date", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_batches_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batches")),
        sa.UniqueConstraint(
            "product_id", "lot_number", name=op.f("uq_batches_product_id_lot_number")
        ),
    )
    op.create_table(
        "count_items",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("inventory_count_id", sa.String(length=36), nullable=False),
        sa.Column("product_id", sa.String(length=36), nullable=False),
        sa.Column("batch_id", sa.String(length=36), nullable=True),
        sa.Column("system_quantity", sa.BigInteger(), nullable=False),
        sa.Column("counted_quantity", sa.BigInteger(), nullable=False),
        sa.Column("variance", sa.BigInteger(), nullable=False),
        sa.Column("unit_cost", sa.BigInteger(), nullable=False),
        sa.Column("variance_value", sa.BigInteger(), nullable=False),
        sa.Column("significant", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("counted_by", sa.String(length=200), nullable=False),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_counted_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "counted_quantity >= 0", name=op.f("ck_count_items_counted_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_count_items_batch_id_batches")
        ),
        sa.ForeignKeyConstraint(
            ["inventory_count_id"],
            ["inventory_counts.id"],
            name=op.f("fk_count_items_inventory_count_id_inventory_counts"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_count_items_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_count_items")),
        sa.UniqueConstraint(
            "inventory_count_id",
            "product_id",
            "batch_id",
            name=op.f("uq_count_items_inventory_count_id_product_id_batch_id"),
        ),
    )
    with op.batch_alter_table("count_items", schema=None) as batch_op:
        batch_op.create_index(
            "uq_count_items_unbatched",
            ["inventory_count_id", "product_id"],
            unique=True,
            sqlite_where=sa.text("batch_id IS NULL"),
            postgresql_where=sa.text("batch_id IS NULL"),
        )

    op.create_table(
        "stock_adjustments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("product_id", sa.String(length=36), nullable=False),
        sa.Column("batch_id", sa.String(length=36), nullable=True),
        sa.Column("type", sa.String(length=12), nullable=False),
        sa.Column("quantity_change", sa.BigInteger(), nullable=False),
        sa.Column("quantity_before", sa.BigInteger(), nullable=True),
        sa.Column("quantity_after", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("reference_number", sa.String(length=200), nullable=False),
        sa.Column("cost_impact", sa.BigInteger(), nullable=False),
        sa.Column("requires_approval", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_notes", sa.Text(), nullable=False),
        sa.Column("inventory_count_id", sa.String(length=36), nullable=True),
        sa.CheckConstraint(
            "quantity_change <> 0", name=op.f("ck_stock_adjustments_change_not_zero")
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_stock_adjustments_batch_id_batches")
        ),
        sa.ForeignKeyConstraint(
            ["inventory_count_id"],
            ["inventory_counts.id"],
            name=op.f("fk_stock_adjustments_inventory_count_id_inventory_counts"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_stock_adjustments_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_adjustments")),
    )
    with op.batch_alter_table("stock_adjustments", schema=None) as batch_op:
        batch_op.create_index("ix_stock_adjustments_created_at", ["created_at"], unique=False)
        batch_op.create_index("ix_stock_adjustments_product_id", ["product_id"], unique=False)
        batch_op.create_index(
            "ix_stock_adjustments_status_created_at", ["status", "created_at"], unique=False
        )

    op.create_table(
        "stock_levels",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("product_id", sa.String(length=36), nullable=False),
        sa.Column("batch_id", sa.String(length=36), nullable=True),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_stock_levels_quantity_not_negative")),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_stock_levels_batch_id_batches")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_stock_levels_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_levels")),
        sa.UniqueConstraint(
            "product_id", "batch_id", name=op.f("uq_stock_levels_product_id_batch_id")
        ),
    )
    with op.batch_alter_table("stock_levels", schema=None) as batch_op:
        batch_op.create_index(
            "uq_stock_levels_unbatched",
            ["product_id"],
            unique=True,
            sqlite_where=sa.text("batch_id IS NULL"),
            postgresql_where=sa.text("batch_id IS NULL"),
        )

    op.create_table(
        "stock_ledger",
        sa.Column(
            "sequence",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("stock_level_id", sa.String(length=36), nullable=False),
        sa.Column("product_id", sa.String(length=36), nullable=False),
        sa.Column("batch_id", sa.String(length=36), nullable=True),
        sa.Column("quantity_delta", sa.BigInteger(), nullable=False),
        sa.Column("quantity_before", sa.BigInteger(), nullable=False),
        sa.Column("quantity_after", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("source_reference", sa.String(length=200), nullable=False),
        sa.Column("stock_adjustment_id", sa.String(length=36), nullable=True),
        sa.Column("inventory_count_id", sa.String(length=36), nullable=True),
        sa.Column("operation_id", sa.String(length=36), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "quantity_after = quantity_before + quantity_delta",
            name=op.f("ck_stock_ledger_delta_adds_up"),
        ),
        sa.CheckConstraint("quantity_after >= 0", name=op.f("ck_stock_ledger_after_not_negative")),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_stock_ledger_batch_id_batches")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_stock_ledger_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["stock_level_id"],
            ["stock_levels.id"],
            name=op.f("fk_stock_ledger_stock_level_id_stock_levels"),
        ),
        sa.PrimaryKeyConstraint("sequence", name=op.f("pk_stock_ledger")),
    )
    with op.batch_alter_table("stock_ledger", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stock_ledger_operation_id"), ["operation_id"], unique=False
        )
        batch_op.create_index(
            "ix_stock_ledger_product_sequence", ["product_id", "sequence"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("stock_ledger", schema=None) as batch_op:
        batch_op.drop_index("ix_stock_ledger_product_sequence")
        batch_op.drop_index(batch_op.f("ix_stock_ledger_operation_id"))

    op.drop_table("stock_ledger")
    with op.batch_alter_table("stock_levels", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_stock_levels_unbatched",
            sqlite_where=sa.text("batch_id IS NULL"),
            postgresql_where=sa.text("batch_id IS NULL"),
        )

    op.drop_table("stock_levels")
    with op.batch_alter_table("stock_adjustments", schema=None) as batch_op:
        batch_op.drop_index("ix_stock_adjustments_status_created_at")
        batch_op.drop_index("ix_stock_adjustments_product_id")
        batch_op.drop_index("ix_stock_adjustments_created_at")

    op.drop_table("stock_adjustments")
    with op.batch_alter_table("count_items", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_count_items_unbatched",
            sqlite_where=sa.text("batch_id IS NULL"),
            postgresql_where=sa.text("batch_id IS NULL"),
        )

    op.drop_table("count_items")
    op.drop_table("batches")
    op.drop_table("products")
    with op.batch_alter_table("inventory_counts", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_inventory_counts_one_in_progress",
            sqlite_where=sa.text("status = 'IN_PROGRESS'"),
            postgresql_where=sa.text("status = 'IN_PROGRESS'"),
        )
        batch_op.drop_index("ix_inventory_counts_started_at")

    op.drop_table("inventory_counts")
    op.drop_table("idempotency_keys")
