"""Set-based statements for a batch of count entries: a handful per batch, whatever its size.
Rows come back as domain values (CountState, ProductRef, BatchRef, CountLine), read with Core
statements: no mapped objects, no unit-of-work bookkeeping, on the path every entry takes.
What the writes bind is built in count_entry_rows.py."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import psycopg
from sqlalchemy import (
    ColumnElement,
    and_,
    any_,
    bindparam,
    case,
    func,
    insert,
    or_,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from inventory_service.db.count_entry_rows import (
    ACKED,
    ENTRIES,
    ENTRY_COLUMNS,
    INSERT_LINES,
    LINE_COLUMNS,
    LINE_SELECT,
    LINE_UPDATES,
    LINES,
    UPDATE_LINES,
    UPDATE_LINES_PG,
    copy_row,
    entry_row,
    line_arrays,
)
from inventory_service.db.count_repository import LOCATION_COLUMNS, LocationRow, location_labels
from inventory_service.db.models import (
    Batch,
    CountItem,
    CountLocation,
    CountScopeProduct,
    IdempotencyKey,
    InventoryCount,
    Location,
    Product,
    Site,
    StockLevel,
    StoredCountEntry,
)
from inventory_service.domain.catalog_keys import BatchRef, ProductRef
from inventory_service.domain.count_entries import (
    CountEntry,
    CountLine,
    CountState,
    LineKey,
    StoredEntry,
    request_content,
)
from inventory_service.domain.enums import CountMode
from inventory_service.domain.idempotency import fingerprint
from inventory_service.domain.recount_rules import COUNTED, RECOUNTED, REQUESTED, first_counters

LevelKey = tuple[str, str | None, str]  # (product, batch or None, location)


@dataclass(frozen=True, slots=True)
class AckedEntry:
    """An entry stored before: the line as its ack showed it, the product's SKU, the count's
    blind flag, and what the entry asked."""

    line: CountLine
    sku: str
    blind: bool
    what: StoredEntry


class CountEntryRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.postgres = session.get_bind().dialect.name == "postgresql"

    def _in(self, column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
        """column IN values. On PostgreSQL one array parameter (= ANY), so the statement text
        stays the same whatever the batch size (parsed once, then prepared)."""
        distinct = sorted(set(values))
        if self.postgres:
            return cast(
                ColumnElement[bool],
                column == any_(bindparam(None, distinct, type_=ARRAY(column.type))),
            )
        return cast(ColumnElement[bool], column.in_(distinct))

    # -- resolve --------------------------------------------------------------------------

    def counts_for_share(self, count_ids: Iterable[str]) -> dict[str, CountState]:
        """The counts, rows locked FOR SHARE in id order: entries record side by side,
        completion and cancellation (FOR UPDATE) wait for them."""
        stmt = (
            select(
                InventoryCount.id,
                InventoryCount.status,
                InventoryCount.blind,
                InventoryCount.recount_significant,
                InventoryCount.scoped,
                InventoryCount.site_id,
                Site.code,
            )
            .join(Site, Site.id == InventoryCount.site_id)
            .where(self._in(InventoryCount.id, count_ids))
            .order_by(InventoryCount.id)
            .with_for_update(of=InventoryCount, read=True)
        )
        return {row.id: CountState(*row) for row in self.session.execute(stmt)}

    def in_scope(self, pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
        """Of the (count, product) pairs, those in the count's scope."""
        wanted = set(pairs)
        if not wanted:
            return set()
        stmt = select(CountScopeProduct.inventory_count_id, CountScopeProduct.product_id).where(
            self._in(CountScopeProduct.inventory_count_id, {c for c, _ in wanted}),
            self._in(CountScopeProduct.product_id, {p for _, p in wanted}),
        )
        return {(c, p) for c, p in self.session.execute(stmt)} & wanted

    def products(
        self, ids: Sequence[str], skus: Sequence[str], barcodes: Sequence[str]
    ) -> list[ProductRef]:
        conditions = []
        if ids:
            conditions.append(self._in(Product.id, ids))
        if skus:
            conditions.append(self._in(Product.sku, skus))
        if barcodes:
            conditions.append(self._in(Product.barcode, barcodes))
        if not conditions:
            return []
        stmt = select(Product.id, Product.sku, Product.barcode, Product.unit_cost, Product.tracking)
        return [ProductRef(*row) for row in self.session.execute(stmt.where(or_(*conditions)))]

    def batches(self, ids: Sequence[str], lots: Sequence[tuple[str, str]]) -> list[BatchRef]:
        conditions = []
        if ids:
            conditions.append(self._in(Batch.id, ids))
        if lots:
            conditions.append(tuple_(Batch.product_id, Batch.lot_number).in_(sorted(set(lots))))
        if not conditions:
            return []
        stmt = select(Batch.id, Batch.product_id, Batch.lot_number, Batch.expiry_date).where(
            or_(*conditions)
        )
        return [BatchRef(*row) for row in self.session.execute(stmt)]

    # -- lock -----------------------------------------------------------------------------

    def lines_for_update(self, keys: Iterable[LineKey]) -> dict[LineKey, CountLine]:
        """The existing lines of these keys, locked FOR UPDATE in id order, so two batches
        never wait on each other in a cycle."""
        pairs = {(count_id, product_id) for count_id, product_id, _, _ in keys}
        if not pairs:
            return {}
        where: ColumnElement[bool]
        if self.postgres:  # a superset (every count x product), cut down below
            where = self._in(LINES.c.inventory_count_id, (c for c, _ in pairs)) & self._in(
                LINES.c.product_id, (p for _, p in pairs)
            )
        else:
            where = tuple_(LINES.c.inventory_count_id, LINES.c.product_id).in_(sorted(pairs))
        stmt = select(*LINE_SELECT).where(where).order_by(LINES.c.id).with_for_update()
        lines = [CountLine(**row._mapping) for row in self.session.execute(stmt)]
        return {
            (line.inventory_count_id, line.product_id, line.batch_id, line.location_id): line
            for line in lines
            if (line.inventory_count_id, line.product_id) in pairs
        }

    def first_counters(self, lines: Sequence[CountLine]) -> dict[str, frozenset[str]]:
        """Line id -> who has an entry on it from before its recount was requested (read after
        the lines are locked: what other transactions stored on them has committed). While the
        recount is awaited every entry is from before it; once recounted, those not sent as a
        recount or stored by the request's time."""
        stmt = (
            select(StoredCountEntry.count_item_id, StoredCountEntry.counted_by)
            .distinct()
            .join(CountItem, CountItem.id == StoredCountEntry.count_item_id)
            .where(self._in(StoredCountEntry.count_item_id, (line.id for line in lines)))
            .where(
                (CountItem.status == REQUESTED)
                | StoredCountEntry.recount.is_(False)
                | (StoredCountEntry.stored_at <= CountItem.recount_requested_at)
            )
        )
        found: dict[str, set[str]] = {}
        for line_id, user_id in self.session.execute(stmt):
            found.setdefault(line_id, set()).add(user_id)
        return {
            line.id: first_counters(line.status, line.counted_by, found.get(line.id, set()))
            for line in lines
        }

    def stored(self, keys: Sequence[tuple[str, str]]) -> list[tuple[str, str, AckedEntry]]:
        """Entries stored before, by (count, entry id): (count, entry id, what was stored)."""
        if not keys:
            return []
        acked = [
            CountItem.id,
            CountItem.inventory_count_id,
            CountItem.product_id,
            CountItem.batch_id,
            CountItem.location_id,
            CountItem.site_id,
            CountItem.unit_cost,
            CountItem.first_counted_at,
            *(ENTRIES.c[key] for key in ACKED),
            StoredCountEntry.counted_by,
            StoredCountEntry.stored_at.label("counted_at"),
            case((StoredCountEntry.recount, RECOUNTED), else_=COUNTED).label("status"),
        ]
        where: ColumnElement[bool]
        if self.postgres:  # a superset (every count x entry id), cut down below
            where = self._in(StoredCountEntry.inventory_count_id, (c for c, _ in keys)) & self._in(
                StoredCountEntry.entry_id, (e for _, e in keys)
            )
        else:
            where = tuple_(StoredCountEntry.inventory_count_id, StoredCountEntry.entry_id).in_(
                sorted(set(keys))
            )
        stmt = (
            select(
                StoredCountEntry.entry_id,
                StoredCountEntry.quantity,
                StoredCountEntry.mode,
                Product.sku,
                Product.barcode,
                Batch.lot_number,
                InventoryCount.blind,
                *acked,
            )
            .join(CountItem, CountItem.id == StoredCountEntry.count_item_id)
            .join(Product, Product.id == CountItem.product_id)
            .outerjoin(Batch, Batch.id == CountItem.batch_id)
            .join(InventoryCount, InventoryCount.id == StoredCountEntry.inventory_count_id)
            .where(where)
        )
        wanted = set(keys)
        found = []
        for row in self.session.execute(stmt):
            line = row._asdict()  # the columns above, named as CountLine's fields
            entry_id, blind = line.pop("entry_id"), line.pop("blind")
            quantity, mode = line.pop("quantity"), line.pop("mode")
            sku, barcode, lot = line.pop("sku"), line.pop("barcode"), line.pop("lot_number")
            key = (line["inventory_count_id"], entry_id)
            if key not in wanted:
                continue
            what = StoredEntry(
                line["product_id"], sku, barcode, line["batch_id"], lot, quantity, CountMode(mode)
            )
            found.append((*key, AckedEntry(CountLine(**line), sku, blind, what)))
        return found

    def request_keys(
        self, operation: str, request_ids: Sequence[str]
    ) -> dict[str, tuple[str, str | None]]:
        """The keys of request ids seen before: request id -> (resource id, fingerprint)."""
        if not request_ids:
            return {}
        stmt = select(
            IdempotencyKey.request_id, IdempotencyKey.resource_id, IdempotencyKey.fingerprint
        ).where(
            IdempotencyKey.operation == operation,
            self._in(IdempotencyKey.request_id, request_ids),
        )
        return {
            row.request_id: (row.resource_id, row.fingerprint) for row in self.session.execute(stmt)
        }

    def lines_of_requests(
        self, operation: str, request_ids: Sequence[str]
    ) -> dict[str, tuple[CountLine, str, bool]]:
        """Calls recorded before their entries were kept, whose idempotency key names the line
        itself: request id -> (the line as it is now, the product's SKU, the blind flag)."""
        if not request_ids:
            return {}
        stmt = (
            select(IdempotencyKey.request_id, Product.sku, InventoryCount.blind, *LINE_SELECT)
            .join(LINES, LINES.c.id == IdempotencyKey.resource_id)
            .join(Product, Product.id == LINES.c.product_id)
            .join(InventoryCount, InventoryCount.id == LINES.c.inventory_count_id)
            .where(IdempotencyKey.operation == operation)
            .where(self._in(IdempotencyKey.request_id, request_ids))
        )
        found = {}
        for row in self.session.execute(stmt):
            line = row._asdict()
            request_id, sku, blind = line.pop("request_id"), line.pop("sku"), line.pop("blind")
            found[request_id] = (CountLine(**line), sku, blind)
        return found

    def level_quantities(self, product_ids: Iterable[str]) -> dict[LevelKey, int]:
        """Every stock level of these products as committed now (system quantities)."""
        ids = set(product_ids)
        if not ids:
            return {}
        stmt = select(
            StockLevel.product_id, StockLevel.batch_id, StockLevel.location_id, StockLevel.quantity
        ).where(self._in(StockLevel.product_id, ids))
        return {
            (row.product_id, row.batch_id, row.location_id): row.quantity
            for row in self.session.execute(stmt)
        }

    # -- locations ------------------------------------------------------------------------

    def sole_locations(self, count_ids: Iterable[str]) -> dict[str, LocationRow]:
        """Count id -> its location, for those of the counts that cover exactly one."""
        ids = set(count_ids)
        if not ids:
            return {}
        sole = (
            select(
                CountLocation.inventory_count_id, func.min(CountLocation.location_id).label("id")
            )
            .where(self._in(CountLocation.inventory_count_id, ids))
            .group_by(CountLocation.inventory_count_id)
            .having(func.count() == 1)
            .subquery()
        )
        stmt = select(sole.c.inventory_count_id, *LOCATION_COLUMNS).join(
            Location, Location.id == sole.c.id
        )
        return {row[0]: LocationRow(*row[1:]) for row in self.session.execute(stmt)}

    def locations(
        self,
        ids: Sequence[str],
        codes: Sequence[tuple[str, str]],
        default_of: Sequence[str],
        count_ids: Iterable[str],
    ) -> tuple[list[LocationRow], set[tuple[str, str]]]:
        """Locations by id, by (site id, code), or the default location of sites (by id); and,
        in the same read, which of count_ids cover which of them ((count, location) pairs)."""
        conditions = []
        if ids:
            conditions.append(self._in(Location.id, ids))
        if codes:
            conditions.append(tuple_(Location.site_id, Location.code).in_(sorted(set(codes))))
        if default_of:
            conditions.append(self._in(Location.site_id, default_of) & Location.is_default)
        if not conditions:
            return [], set()
        covering = and_(
            CountLocation.location_id == Location.id,
            self._in(CountLocation.inventory_count_id, count_ids),
        )
        stmt = (
            select(*LOCATION_COLUMNS, CountLocation.inventory_count_id)
            .outerjoin(CountLocation, covering)
            .where(or_(*conditions))
        )
        found: dict[str, LocationRow] = {}
        covered: set[tuple[str, str]] = set()
        for row in self.session.execute(stmt):
            location = LocationRow(*row[:-1])
            found[location.id] = location
            if row[-1] is not None:
                covered.add((row[-1], location.id))
        return list(found.values()), covered

    def location_labels(self, location_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        return location_labels(self.session, location_ids)

    def site_ids(self, codes: Sequence[str]) -> dict[str, str]:
        """Site code -> id, for the codes that name a site."""
        if not codes:
            return {}
        stmt = select(Site.code, Site.id).where(self._in(Site.code, codes))
        return {code: site_id for code, site_id in self.session.execute(stmt)}

    # -- persist --------------------------------------------------------------------------

    def save_lines(self, new: Sequence[CountLine], changed: Sequence[CountLine]) -> None:
        """One multi-row INSERT of the new lines; one UPDATE of every changed line on
        PostgreSQL (an UPDATE per line, executemany, on SQLite). A line another transaction
        created meanwhile violates the unique index (IntegrityError)."""
        connection = self.session.connection()
        if new:
            rows = [{key: getattr(line, key) for key in LINE_COLUMNS} for line in new]
            connection.execute(INSERT_LINES, rows)
        if changed and self.postgres:
            connection.execute(UPDATE_LINES_PG, line_arrays(changed))
        elif changed:
            rows = [
                {"line_id": line.id, **{key: getattr(line, key) for key in LINE_UPDATES}}
                for line in changed
            ]
            connection.execute(UPDATE_LINES, rows)

    def insert_entries(self, stored: Sequence[tuple[CountEntry, CountLine]]) -> None:
        """A count_entries row per stored entry, with the line as its ack shows it: COPY on
        PostgreSQL, a multi-row INSERT on SQLite. An entry_id stored meanwhile by another
        transaction violates the primary key (IntegrityError either way)."""
        if not stored:
            return
        rows = [entry_row(entry, line) for entry, line in stored]
        connection = self.session.connection()
        if not self.postgres:
            connection.execute(insert(ENTRIES), rows)
            return
        driver: Any = connection.connection.driver_connection
        statement = f"COPY {ENTRIES.name} ({', '.join(ENTRY_COLUMNS)}) FROM STDIN"
        try:
            with driver.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(copy_row(row))
        except psycopg.Error as error:
            # What SQLAlchemy does for the statements it runs: a connection that died (the
            # database lost mid-batch) is invalidated, not rolled back and pooled again, and the
            # error is wrapped (IntegrityError, OperationalError, ...) for db/faults.py and the
            # constraint translation to read like any other.
            gone = bool(driver.closed or driver.broken)  # psycopg's dialect's disconnect test
            if gone:
                connection.invalidate(error)
            raise DBAPIError.instance(
                statement, None, error, psycopg.Error, connection_invalidated=gone
            ) from error

    def insert_request_ids(self, operation: str, entries: Sequence[CountEntry]) -> None:
        """The idempotency key of each entry sent with a request_id (with what it asked), in
        the transaction that stores the entry; its primary key refuses a twin stored meanwhile."""
        rows = [
            {
                "operation": operation,
                "request_id": entry.request_id,
                "resource_id": entry.entry_id,
                "actor": entry.caller.user_id,
                "fingerprint": fingerprint(operation, request_content(entry)),
            }
            for entry in entries
            if entry.request_id
        ]
        if rows:
            self.session.connection().execute(insert(IdempotencyKey), rows)
