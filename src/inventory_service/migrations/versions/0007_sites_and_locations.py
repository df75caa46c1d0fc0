"""sites and locations: stock per (product, batch, location), counts by place

Creates the default site MAIN with its default location DEFAULT, and puts every existing stock
level, ledger row, count (and its lines and entries) and adjustment there: the stock a product
holds and every figure read before stays the same. Each table of a site's rows gets site_id.

The rule "one count in progress" becomes "one count in progress per location": a count holds
its locations (location_holds, primary key on the location) until it completes or is
cancelled, so a count in progress now holds DEFAULT, which keeps the old rule for an
installation with one location.

New columns are added with the default site's (or location's) id as a constant default, which
PostgreSQL stores without rewriting the table, then the default is dropped.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

DEFAULT_SITE_CODE = "MAIN"
DEFAULT_LOCATION_CODE = "DEFAULT"


def _timestamps() -> list[sa.Column[datetime]]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    _create_sites_and_locations()
    site_id, location_id = _insert_defaults(op.get_bind())
    located = {"location_id": location_id, "site_id": site_id}

    _add_ids("stock_levels", located)
    with op.batch_alter_table("stock_levels") as table:
        table.drop_constraint("uq_stock_levels_product_id_batch_id", type_="unique")
        table.drop_index("uq_stock_levels_unbatched")
        table.create_unique_constraint(
            op.f("uq_stock_levels_product_id_batch_id_location_id"),
            ["product_id", "batch_id", "location_id"],
        )
    _unbatched_index("uq_stock_levels_unbatched", "stock_levels", ["product_id", "location_id"])
    op.create_index("ix_stock_levels_location_id", "stock_levels", ["location_id"])
    op.create_index("ix_stock_levels_site_id_product_id", "stock_levels", ["site_id", "product_id"])

    _add_ids("stock_ledger", located)
    with op.batch_alter_table("stock_ledger") as table:
        table.add_column(sa.Column("transfer_id", sa.String(length=36), nullable=True))
    outbound = sa.text("source = 'MOVEMENT' AND quantity_delta < 0")
    op.create_index(
        "ix_stock_ledger_site_consumption",
        "stock_ledger",
        ["site_id", "product_id", "created_at", "quantity_delta"],
        postgresql_where=outbound,
        sqlite_where=outbound,
    )
    op.create_index("ix_stock_ledger_transfer_id", "stock_ledger", ["transfer_id"])

    _add_ids("inventory_counts", {"site_id": site_id})
    with op.batch_alter_table("inventory_counts") as table:
        table.add_column(sa.Column("scope_zones", sa.Text(), nullable=False, server_default=""))
        table.drop_index("uq_inventory_counts_one_in_progress")
    op.create_index(
        "ix_inventory_counts_site_id_started_at", "inventory_counts", ["site_id", "started_at"]
    )
    _create_count_places()
    bind = op.get_bind()
    bind.execute(
        sa.text(
            "INSERT INTO count_locations (inventory_count_id, location_id, site_id) "
            "SELECT id, :location, :site FROM inventory_counts"
        ),
        {"location": location_id, "site": site_id},
    )
    bind.execute(
        sa.text(
            "INSERT INTO location_holds (location_id, inventory_count_id, site_id) "
            "SELECT :location, id, :site FROM inventory_counts WHERE status = 'IN_PROGRESS'"
        ),
        {"location": location_id, "site": site_id},
    )

    _add_ids("count_items", located)
    with op.batch_alter_table("count_items") as table:
        table.drop_constraint(
            "uq_count_items_inventory_count_id_product_id_batch_id", type_="unique"
        )
        table.drop_index("uq_count_items_unbatched")
        table.create_unique_constraint(
            op.f("uq_count_items_inventory_count_id_product_id_batch_id_location_id"),
            ["inventory_count_id", "product_id", "batch_id", "location_id"],
        )
    _unbatched_index(
        "uq_count_items_unbatched",
        "count_items",
        ["inventory_count_id", "product_id", "location_id"],
    )
    op.create_index(
        "ix_count_items_inventory_count_id_location_id",
        "count_items",
        ["inventory_count_id", "location_id"],
    )
    op.create_index(
        "ix_count_items_site_id_product_id_counted_at",
        "count_items",
        ["site_id", "product_id", "counted_at"],
        postgresql_include=["inventory_count_id"],
    )

    _add_ids("count_entries", {"site_id": site_id})
    _add_ids("stock_adjustments", located)
    op.create_index(
        "ix_stock_adjustments_site_id_created_at",
        "stock_adjustments",
        ["site_id", "created_at"],
    )
    _create_stock_transfers()


def _create_sites_and_locations() -> None:
    op.create_table(
        "sites",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
        sa.UniqueConstraint("code", name=op.f("uq_sites_code")),
    )
    op.create_index(
        "uq_sites_default",
        "sites",
        ["is_default"],
        unique=True,
        postgresql_where=sa.text("is_default"),
        sqlite_where=sa.text("is_default"),
    )
    op.create_table(
        "locations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("zone", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        *_timestamps(),
        _fk("locations", "site_id", "sites"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_locations")),
        sa.UniqueConstraint("site_id", "code", name=op.f("uq_locations_site_id_code")),
    )
    op.create_index(
        "uq_locations_default",
        "locations",
        ["site_id"],
        unique=True,
        postgresql_where=sa.text("is_default"),
        sqlite_where=sa.text("is_default"),
    )
    op.create_index("ix_locations_site_id_zone", "locations", ["site_id", "zone"])


def _insert_defaults(bind: sa.Connection) -> tuple[str, str]:
    """The default site MAIN and its default location DEFAULT: (site id, location id)."""
    site_id, location_id = str(uuid.uuid4()), str(uuid.uuid4())
    now = datetime.now(UTC)
    if bind.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    bind.execute(
        sa.text(
            "INSERT INTO sites (id, code, name, active, is_default, created_at, updated_at) "
            "VALUES (:id, :code, 'Main site', :true, :true, :now, :now)"
        ),
        {"id": site_id, "code": DEFAULT_SITE_CODE, "now": now, "true": True},
    )
    bind.execute(
        sa.text(
            "INSERT INTO locations (id, site_id, code, name, zone, active, is_default, "
            "created_at, updated_at) VALUES (:id, :site, :code, 'Default location', '', "
            ":true, :true, :now, :now)"
        ),
        {
            "id": location_id,
            "site": site_id,
            "code": DEFAULT_LOCATION_CODE,
            "now": now,
            "true": True,
        },
    )
    return site_id, location_id


def _add_ids(table_name: str, ids: dict[str, str]) -> None:
    """Adds NOT NULL id columns referencing locations/sites, every existing row set to the
    given id (a constant default, dropped afterwards)."""
    targets = {"location_id": "locations", "site_id": "sites"}
    with op.batch_alter_table(table_name) as table:
        for column, value in ids.items():
            table.add_column(
                sa.Column(column, sa.String(length=36), nullable=False, server_default=value)
            )
    with op.batch_alter_table(table_name) as table:
        for column in ids:
            table.alter_column(column, server_default=None, existing_type=sa.String(length=36))
            table.create_foreign_key(
                op.f(f"fk_{table_name}_{column}_{targets[column]}"),
                targets[column],
                [column],
                ["id"],
            )


def _unbatched_index(name: str, table: str, columns: list[str]) -> None:
    # NULLs never collide in a unique constraint, so unbatched rows need their own index.
    op.create_index(
        name,
        table,
        columns,
        unique=True,
        postgresql_where=sa.text("batch_id IS NULL"),
        sqlite_where=sa.text("batch_id IS NULL"),
    )


def _create_count_places() -> None:
    op.create_table(
        "count_locations",
        sa.Column("inventory_count_id", sa.String(length=36), nullable=False),
        sa.Column("location_id", sa.String(length=36), nullable=False),
        sa.Column("site_id", sa.String(length=36), nullable=False),
        _fk("count_locations", "inventory_count_id", "inventory_counts"),
        _fk("count_locations", "location_id", "locations"),
        _fk("count_locations", "site_id", "sites"),
        sa.PrimaryKeyConstraint(
            "inventory_count_id", "location_id", name=op.f("pk_count_locations")
        ),
    )
    op.create_table(
        "location_holds",
        sa.Column("location_id", sa.String(length=36), nullable=False),
        sa.Column("inventory_count_id", sa.String(length=36), nullable=False),
        sa.Column("site_id", sa.String(length=36), nullable=False),
        _fk("location_holds", "inventory_count_id", "inventory_counts"),
        _fk("location_holds", "location_id", "locations"),
        _fk("location_holds", "site_id", "sites"),
        sa.PrimaryKeyConstraint("location_id", name=op.f("pk_location_holds")),
    )
    op.create_index(
        "ix_location_holds_inventory_count_id", "location_holds", ["inventory_count_id"]
    )
    op.create_table(
        "count_tasks",
        sa.Column("inventory_count_id", sa.String(length=36), nullable=False),
        sa.Column("location_id", sa.String(length=36), nullable=False),
        sa.Column("assignee", sa.String(length=200), nullable=False),
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("assigned_by", sa.String(length=200), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        _fk("count_tasks", "inventory_count_id", "inventory_counts"),
        _fk("count_tasks", "location_id", "locations"),
        _fk("count_tasks", "site_id", "sites"),
        sa.PrimaryKeyConstraint(
            "inventory_count_id", "location_id", "assignee", name=op.f("pk_count_tasks")
        ),
    )
    op.create_index("ix_count_tasks_assignee", "count_tasks", ["assignee"])


def _create_stock_transfers() -> None:
    op.create_table(
        "stock_transfers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("product_id", sa.String(length=36), nullable=False),
        sa.Column("batch_id", sa.String(length=36), nullable=True),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("from_location_id", sa.String(length=36), nullable=False),
        sa.Column("to_location_id", sa.String(length=36), nullable=False),
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("to_site_id", sa.String(length=36), nullable=False),
        sa.Column("operation_id", sa.String(length=36), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_stock_transfers_quantity_positive")),
        sa.CheckConstraint(
            "from_location_id <> to_location_id", name=op.f("ck_stock_transfers_locations_differ")
        ),
        _fk("stock_transfers", "product_id", "products"),
        _fk("stock_transfers", "batch_id", "batches"),
        sa.ForeignKeyConstraint(
            ["from_location_id"],
            ["locations.id"],
            name=op.f("fk_stock_transfers_from_location_id_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["to_location_id"],
            ["locations.id"],
            name=op.f("fk_stock_transfers_to_location_id_locations"),
        ),
        _fk("stock_transfers", "site_id", "sites"),
        sa.ForeignKeyConstraint(
            ["to_site_id"], ["sites.id"], name=op.f("fk_stock_transfers_to_site_id_sites")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_transfers")),
    )
    op.create_index(op.f("ix_stock_transfers_operation_id"), "stock_transfers", ["operation_id"])


def downgrade() -> None:
    raise NotImplementedError(
        "0007 cannot be undone once stock sits in several locations; restore a backup instead"
    )
