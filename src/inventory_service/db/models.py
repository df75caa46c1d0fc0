"""Tables. Cross-process rules live here as constraints (uniqueness, a location held by one
count in progress, levels never negative); the migrations in ../migrations create exactly these.

Every table of a site's rows (levels, ledger, counts and their lines, entries, holds and tasks,
adjustments, transfers) carries site_id, so a site's work never needs another site's rows
(docs/operations.md, "Distributing by site")."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from inventory_service.db.types import BigIntId, MoneyMicros, UtcDateTime, utcnow

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> str:
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    # Quantities are int64 in the contract.
    type_annotation_map = {int: BigInteger}


class Site(Base):
    """A warehouse, store or pharmacy. One is the default site (MAIN on a new installation)."""

    __tablename__ = "sites"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    is_default: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    __table_args__ = (
        # One default site.
        Index(
            "uq_sites_default",
            "is_default",
            unique=True,
            sqlite_where=text("is_default"),
            postgresql_where=text("is_default"),
        ),
    )


class Location(Base):
    """A place inside a site where stock sits. Each site has one default location (DEFAULT),
    where stock changes naming no location land."""

    __tablename__ = "locations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), default="")
    zone: Mapped[str] = mapped_column(String(100), default="")
    active: Mapped[bool] = mapped_column(default=True)
    is_default: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("site_id", "code"),
        # One default location per site.
        Index(
            "uq_locations_default",
            "site_id",
            unique=True,
            sqlite_where=text("is_default"),
            postgresql_where=text("is_default"),
        ),
        Index("ix_locations_site_id_zone", "site_id", "zone"),
    )


class Product(Base):
    __tablename__ = "products"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    barcode: Mapped[str | None] = mapped_column(String(14), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_cost: Mapped[Decimal] = mapped_column(MoneyMicros)
    active: Mapped[bool] = mapped_column(default=True)
    # NONE: unbatched stock only; LOT: every unit in a batch (domain/enums.TrackingMode).
    tracking: Mapped[str] = mapped_column(String(4), default="NONE")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    __table_args__ = (CheckConstraint("unit_cost >= 0", name="unit_cost_not_negative"),)


class Batch(Base):
    __tablename__ = "batches"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"))
    lot_number: Mapped[str] = mapped_column(String(64))
    expiry_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("product_id", "lot_number"),)


class StockLevel(Base):
    """One per (product, batch, location); batch_id NULL holds unbatched stock. site_id is the
    location's site (denormalised: a site's levels without a join)."""

    __tablename__ = "stock_levels"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"))
    batch_id: Mapped[str | None] = mapped_column(ForeignKey("batches.id"))
    quantity: Mapped[int] = mapped_column(default=0)
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"))
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))

    __table_args__ = (
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        UniqueConstraint("product_id", "batch_id", "location_id"),
        # NULLs never collide in a unique constraint, so unbatched stock needs its own index.
        Index(
            "uq_stock_levels_unbatched",
            "product_id",
            "location_id",
            unique=True,
            sqlite_where=text("batch_id IS NULL"),
            postgresql_where=text("batch_id IS NULL"),
        ),
        # A location's (and a site's) levels: counts, progress, ListStockLevels.
        Index("ix_stock_levels_location_id", "location_id"),
        Index("ix_stock_levels_site_id_product_id", "site_id", "product_id"),
    )


class LedgerEntry(Base):
    """Every change of a stock level, append-only."""

    __tablename__ = "stock_ledger"

    sequence: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    stock_level_id: Mapped[str] = mapped_column(ForeignKey("stock_levels.id"))
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"))
    batch_id: Mapped[str | None] = mapped_column(ForeignKey("batches.id"))
    quantity_delta: Mapped[int]
    quantity_before: Mapped[int]
    quantity_after: Mapped[int]
    source: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    source_reference: Mapped[str] = mapped_column(String(200), default="")
    stock_adjustment_id: Mapped[str | None] = mapped_column(String(36))
    inventory_count_id: Mapped[str | None] = mapped_column(String(36))
    # Groups the entries written by one RecordStockMovements call (for request_id replays).
    operation_id: Mapped[str | None] = mapped_column(String(36), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"))
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    # Both entries of one transfer line share it (source TRANSFER).
    transfer_id: Mapped[str | None] = mapped_column(String(36))

    __table_args__ = (
        CheckConstraint("quantity_after = quantity_before + quantity_delta", name="delta_adds_up"),
        CheckConstraint("quantity_after >= 0", name="after_not_negative"),
        Index("ix_stock_ledger_product_sequence", "product_id", "sequence"),
        # Cycle-count plans: outbound movements by product and time, quantity included
        # (db/cycle_plan_repository.py sums them per product, index only).
        Index(
            "ix_stock_ledger_consumption",
            "product_id",
            "created_at",
            "quantity_delta",
            sqlite_where=text("source = 'MOVEMENT' AND quantity_delta < 0"),
            postgresql_where=text("source = 'MOVEMENT' AND quantity_delta < 0"),
        ),
        # The same per site: a site's plan classes products by its own consumption.
        Index(
            "ix_stock_ledger_site_consumption",
            "site_id",
            "product_id",
            "created_at",
            "quantity_delta",
            sqlite_where=text("source = 'MOVEMENT' AND quantity_delta < 0"),
            postgresql_where=text("source = 'MOVEMENT' AND quantity_delta < 0"),
        ),
        Index("ix_stock_ledger_transfer_id", "transfer_id"),
    )


class IdempotencyKey(Base):
    """A request_id seen for an operation, and the resource its first call produced (AIP-155)."""

    __tablename__ = "idempotency_keys"

    operation: Mapped[str] = mapped_column(String(64), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    resource_id: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # What the request asked (domain/idempotency.fingerprint): the same id with other content is
    # refused. None for keys stored before migration 0006.
    fingerprint: Mapped[str | None] = mapped_column(String(64))


class InventoryCount(Base):
    __tablename__ = "inventory_counts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(10))
    notes: Mapped[str] = mapped_column(Text, default="")
    blind: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(12))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    started_by: Mapped[str] = mapped_column(String(200))
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    completed_by: Mapped[str | None] = mapped_column(String(200))
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancelled_by: Mapped[str | None] = mapped_column(String(200))
    close_notes: Mapped[str] = mapped_column(Text, default="")
    recount_significant: Mapped[bool] = mapped_column(default=False)
    # True when only the products in count_scope_products may be counted.
    scoped: Mapped[bool] = mapped_column(default=False)
    forced_completion_reason: Mapped[str] = mapped_column(Text, default="")
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    # The zones named at start, "\n"-separated (CYCLE and SPOT counts); the locations they
    # covered are in count_locations.
    scope_zones: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        Index("ix_inventory_counts_started_at", "started_at"),
        Index("ix_inventory_counts_site_id_started_at", "site_id", "started_at"),
    )


class CountLocation(Base):
    """A location a count covers (kept after the count ends: its history)."""

    __tablename__ = "count_locations"

    inventory_count_id: Mapped[str] = mapped_column(
        ForeignKey("inventory_counts.id"), primary_key=True
    )
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"), primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))


class LocationHold(Base):
    """A location held by a count in progress. The primary key on the location is what keeps
    two counts in progress off one location, across every server sharing the database; the
    rows go when the count completes or is cancelled."""

    __tablename__ = "location_holds"

    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"), primary_key=True)
    inventory_count_id: Mapped[str] = mapped_column(ForeignKey("inventory_counts.id"))
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))

    __table_args__ = (Index("ix_location_holds_inventory_count_id", "inventory_count_id"),)


class CountTask(Base):
    """A location of a count assigned to a counter."""

    __tablename__ = "count_tasks"

    inventory_count_id: Mapped[str] = mapped_column(
        ForeignKey("inventory_counts.id"), primary_key=True
    )
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"), primary_key=True)
    assignee: Mapped[str] = mapped_column(String(200), primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    assigned_by: Mapped[str] = mapped_column(String(200))
    assigned_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    __table_args__ = (Index("ix_count_tasks_assignee", "assignee"),)


class CountItem(Base):
    """One line per (count, product, batch, location)."""

    __tablename__ = "count_items"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    inventory_count_id: Mapped[str] = mapped_column(ForeignKey("inventory_counts.id"))
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"))
    batch_id: Mapped[str | None] = mapped_column(ForeignKey("batches.id"))
    system_quantity: Mapped[int]
    counted_quantity: Mapped[int]
    variance: Mapped[int]
    unit_cost: Mapped[Decimal] = mapped_column(MoneyMicros)
    variance_value: Mapped[Decimal] = mapped_column(MoneyMicros)
    significant: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(200), default="")
    counted_by: Mapped[str] = mapped_column(String(200))
    counted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    first_counted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # COUNTED, RECOUNT_REQUESTED or RECOUNTED (domain/enums.CountItemStatus).
    status: Mapped[str] = mapped_column(String(20), default="COUNTED")
    recount_requested_by: Mapped[str | None] = mapped_column(String(200))
    recount_requested_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    recount_reason: Mapped[str] = mapped_column(Text, default="")
    # The location counted (the level's); the free label above stays as the caller gave it.
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"))
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))

    __table_args__ = (
        CheckConstraint("counted_quantity >= 0", name="counted_not_negative"),
        UniqueConstraint("inventory_count_id", "product_id", "batch_id", "location_id"),
        Index(
            "uq_count_items_unbatched",
            "inventory_count_id",
            "product_id",
            "location_id",
            unique=True,
            sqlite_where=text("batch_id IS NULL"),
            postgresql_where=text("batch_id IS NULL"),
        ),
        # A count's progress per location.
        Index("ix_count_items_inventory_count_id_location_id", "inventory_count_id", "location_id"),
        # A site's cycle-count plan: when each product was last counted there (index only).
        Index(
            "ix_count_items_site_id_product_id_counted_at",
            "site_id",
            "product_id",
            "counted_at",
            postgresql_include=["inventory_count_id"],
        ),
    )


class StockAdjustment(Base):
    __tablename__ = "stock_adjustments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"))
    batch_id: Mapped[str | None] = mapped_column(ForeignKey("batches.id"))
    type: Mapped[str] = mapped_column(String(12))
    quantity_change: Mapped[int]
    quantity_before: Mapped[int | None]
    quantity_after: Mapped[int | None]
    reason: Mapped[str] = mapped_column(Text)
    notes: Mapped[str] = mapped_column(Text, default="")
    reference_number: Mapped[str] = mapped_column(String(200), default="")
    cost_impact: Mapped[Decimal] = mapped_column(MoneyMicros)
    requires_approval: Mapped[bool]
    status: Mapped[str] = mapped_column(String(10))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decision_notes: Mapped[str] = mapped_column(Text, default="")
    inventory_count_id: Mapped[str | None] = mapped_column(ForeignKey("inventory_counts.id"))
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"))
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))

    __table_args__ = (
        CheckConstraint("quantity_change <> 0", name="change_not_zero"),
        Index("ix_stock_adjustments_created_at", "created_at"),
        Index("ix_stock_adjustments_site_id_created_at", "site_id", "created_at"),
        Index("ix_stock_adjustments_product_id", "product_id"),
        Index("ix_stock_adjustments_status_created_at", "status", "created_at"),
    )


class StoredCountEntry(Base):
    """A count entry (streamed by a scanner or sent by AddCountItem), written in the transaction
    that applied it to its line. The primary key (count, entry_id) makes a resent entry_id
    apply once per count, across replicas; the line columns keep what its ack said, so a resend
    is answered the same."""

    __tablename__ = "count_entries"

    entry_id: Mapped[str] = mapped_column(String(64))
    inventory_count_id: Mapped[str] = mapped_column(ForeignKey("inventory_counts.id"))
    count_item_id: Mapped[str] = mapped_column(ForeignKey("count_items.id"))
    device_id: Mapped[str] = mapped_column(String(64), default="")
    quantity: Mapped[int]
    mode: Mapped[str] = mapped_column(String(3))
    scanned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    counted_by: Mapped[str] = mapped_column(String(200))
    stored_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # The line as the entry's transaction left it (its ack).
    counted_quantity: Mapped[int]
    system_quantity: Mapped[int]
    variance: Mapped[int]
    variance_value: Mapped[Decimal] = mapped_column(MoneyMicros)
    significant: Mapped[bool]
    reason: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(200), default="")
    # The call (x-request-id) whose stream stored it: the server's log lines of that call.
    request_id: Mapped[str] = mapped_column(String(64), default="")
    # Sent while a recount of its line was requested.
    recount: Mapped[bool] = mapped_column(default=False)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))

    # A line's history (ListCountItemEntries) and its counters before a recount, by line.
    __table_args__ = (
        # Entry ids are the scanner's: unique within a count, not across counts (migration 0006).
        PrimaryKeyConstraint("inventory_count_id", "entry_id"),
        Index(None, "count_item_id", "stored_at", "entry_id"),
    )


class CountScopeProduct(Base):
    """The products a scoped count covers (InventoryCount.scoped)."""

    __tablename__ = "count_scope_products"

    inventory_count_id: Mapped[str] = mapped_column(
        ForeignKey("inventory_counts.id"), primary_key=True
    )
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), primary_key=True)


class StockTransfer(Base):
    """One line of a TransferStock call: its two ledger rows carry its id as transfer_id.
    site_id is the source's site (to_site_id the destination's)."""

    __tablename__ = "stock_transfers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"))
    batch_id: Mapped[str | None] = mapped_column(ForeignKey("batches.id"))
    quantity: Mapped[int]
    from_location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"))
    to_location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"))
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    to_site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    # Groups the lines of one TransferStock call (for request_id replays).
    operation_id: Mapped[str] = mapped_column(String(36), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("from_location_id <> to_location_id", name="locations_differ"),
    )
