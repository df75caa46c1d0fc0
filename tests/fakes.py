"""An in-memory unit of work for service-layer unit tests (as Architecture Patterns with Python
does): the same repository methods the services call, over dicts of rows. A unit of work that
leaves its block without commit() puts every row back as it was, so all-or-nothing is tested
too. Locks are not modelled: these tests run one transaction at a time (concurrency is the
end-to-end tests' job, on a real database)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace, TracebackType
from typing import Any, TypeVar

from inventory_service.db.constraints import ENTRY_STORED_MEANWHILE
from inventory_service.db.count_entry_repository import AckedEntry, entry_row
from inventory_service.db.count_repository import LocationRow
from inventory_service.db.models import (
    Base,
    Batch,
    CountItem,
    CountLocation,
    CountScopeProduct,
    IdempotencyKey,
    InventoryCount,
    LedgerEntry,
    Location,
    LocationHold,
    Product,
    Site,
    StockAdjustment,
    StockLevel,
    StockTransfer,
    StoredCountEntry,
)
from inventory_service.domain.catalog_keys import BatchRef, ProductRef
from inventory_service.domain.count_entries import (
    CountEntry,
    CountLine,
    CountState,
    StoredEntry,
    request_content,
)
from inventory_service.domain.count_figures import CountStatistics
from inventory_service.domain.enums import CountMode, TrackingMode
from inventory_service.domain.errors import Aborted, FailedPrecondition
from inventory_service.domain.idempotency import fingerprint
from inventory_service.domain.paging import Page, PageRequest
from inventory_service.domain.places import LocationKey, LocationRef, Place, SiteRef
from inventory_service.domain.recount_rules import (
    COUNTED,
    RECOUNTED,
    REQUESTED,
    first_counters,
)

R = TypeVar("R", bound=Base)
LINE_FIELDS = set(CountLine.__slots__)  # type: ignore[attr-defined]


def with_defaults(row: R) -> R:
    """The row with its columns' Python-side defaults filled in, as an INSERT would."""
    for column in row.__table__.columns:
        if getattr(row, column.key) is None and column.default is not None:
            arg = column.default.arg  # type: ignore[attr-defined]
            setattr(row, column.key, arg(None) if callable(arg) else arg)
    return row


class FakeDatabase:
    """The committed rows, by table and primary key."""

    def __init__(self) -> None:
        self.tables: dict[type[Base], dict[Any, Any]] = {}
        self.sequence = itertools.count(1)
        self.commits = 0
        # The default site and location, as migration 0007 makes them.
        site = with_defaults(Site(code="MAIN", name="Main site", is_default=True))
        self.table(Site)[site.id] = site
        location = with_defaults(
            Location(site_id=site.id, code="DEFAULT", name="Default location", is_default=True)
        )
        self.table(Location)[location.id] = location
        self.default_place = Place(location.id, site.id)

    def table(self, model: type[R]) -> dict[Any, R]:
        return self.tables.setdefault(model, {})

    def snapshot(self) -> dict[type[Base], list[tuple[Any, Any, dict[str, Any]]]]:
        return {
            model: [(pk, row, _values(row)) for pk, row in rows.items()]
            for model, rows in self.tables.items()
        }

    def restore(self, snapshot: dict[type[Base], list[tuple[Any, Any, dict[str, Any]]]]) -> None:
        self.tables = {}
        for model, rows in snapshot.items():
            table = self.table(model)
            for pk, row, values in rows:
                for name, value in values.items():
                    setattr(row, name, value)
                table[pk] = row


def with_codes(db: FakeDatabase, row: Any) -> SimpleNamespace:
    """A row's columns with its location's and site's codes, as the SQL repositories read it."""
    location = db.table(Location)[row.location_id]
    site = db.table(Site)[row.site_id]
    return SimpleNamespace(**_values(row), location_code=location.code, site_code=site.code)


def _values(row: Any) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}


def _line(item: CountItem) -> CountLine:
    """The CountLine of a stored line (the recount workflow's columns are not on it)."""
    return CountLine(**{k: v for k, v in _values(item).items() if k in LINE_FIELDS})


class _Repository:
    def __init__(self, db: FakeDatabase) -> None:
        self.db = db


class FakeProducts(_Repository):
    def add(self, product: Product) -> None:
        self.db.table(Product)[with_defaults(product).id] = product

    def get(self, product_id: str, *, lock: str | None = None) -> Product | None:
        return self.db.table(Product).get(product_id)

    def row(self, product_id: str, *, lock: str | None = None) -> Product | None:
        return self.db.table(Product).get(product_id)

    def rows(self, product_ids: Sequence[str], *, lock: str | None = None) -> dict[str, Product]:
        table = self.db.table(Product)
        return {i: table[i] for i in sorted(product_ids) if i in table}

    def by_sku(self, sku: str) -> Product | None:
        return next((p for p in self.db.table(Product).values() if p.sku == sku), None)

    def level_label(self, product_id: str, batch_id: str | None) -> str:
        label = self.db.table(Product)[product_id].sku
        return label + (f" lot {self.db.table(Batch)[batch_id].lot_number}" if batch_id else "")

    def by_barcode(self, barcode: str) -> Product | None:
        return next((p for p in self.db.table(Product).values() if p.barcode == barcode), None)

    def with_levels(
        self, column: str, value: str, site_ids: Collection[str] | None = None
    ) -> list[Any]:
        product = next(
            (p for p in self.db.table(Product).values() if getattr(p, column) == value), None
        )
        if product is None:
            return []
        levels = FakeStockLevels(self.db).with_batches([product.id], site_ids)[product.id]
        no_level = SimpleNamespace(level_id=None)
        return [SimpleNamespace(**_values(product), **vars(lv)) for lv in levels or [no_level]]


class FakeBatches(_Repository):
    def add(self, batch: Batch) -> None:
        self.db.table(Batch)[with_defaults(batch).id] = batch

    def get(self, batch_id: str) -> Batch | None:
        return self.db.table(Batch).get(batch_id)

    def by_ids(self, batch_ids: Sequence[str]) -> dict[str, Batch]:
        batches = self.db.table(Batch)
        return {b: batches[b] for b in batch_ids if b in batches}


class FakeSites(_Repository):
    def default_place(self) -> Place:
        return self.db.default_place

    def _ref(self, site: Site | None) -> SiteRef | None:
        return SiteRef(site.id, site.code, site.is_default, site.active) if site else None

    def default_ref(self) -> SiteRef:
        ref = self._ref(self.db.table(Site)[self.db.default_place.site_id])
        assert ref is not None
        return ref

    def ref_by_id(self, site_id: str) -> SiteRef | None:
        return self._ref(self.db.table(Site).get(site_id))

    def ref_by_code(self, code: str) -> SiteRef | None:
        return self._ref(next((s for s in self.db.table(Site).values() if s.code == code), None))

    def ids_by_code(self, codes: Collection[str]) -> dict[str, str]:
        return {s.code: s.id for s in self.db.table(Site).values() if s.code in codes}

    def codes_by_id(self, site_ids: Collection[str]) -> dict[str, str]:
        return {s.id: s.code for s in self.db.table(Site).values() if s.id in site_ids}


class FakeLocations(_Repository):
    def _find(self, match: Callable[[Location], bool]) -> LocationRef | None:
        found = next((loc for loc in self.db.table(Location).values() if match(loc)), None)
        if found is None:
            return None
        return LocationRef(found.id, found.site_id, found.code, found.is_default, found.active)

    def ref_by_id(self, location_id: str) -> LocationRef | None:
        return self._find(lambda loc: loc.id == location_id)

    def ref_by_code(self, site_id: str, code: str) -> LocationRef | None:
        return self._find(lambda loc: (loc.site_id, loc.code) == (site_id, code))

    def default_ref(self, site_id: str) -> LocationRef | None:
        return self._find(lambda loc: loc.site_id == site_id and loc.is_default)

    def active_ids(self, site_id: str) -> list[str]:
        rows = self.db.table(Location).values()
        return sorted(loc.id for loc in rows if loc.site_id == site_id and loc.active)

    def place(self, key: LocationKey, *, lock: bool = False) -> tuple[LocationRef, SiteRef] | None:
        sites = self.db.table(Site)
        if key.id:
            found = self._find(lambda loc: loc.id == key.id)
        else:
            site = next(
                (
                    s
                    for s in sites.values()
                    if (s.code == key.site_code if key.site_code else s.is_default)
                ),
                None,
            )
            if site is None:
                return None
            found = self.ref_by_code(site.id, key.code) if key.code else self.default_ref(site.id)
        if found is None:
            return None
        site_ref = FakeSites(self.db).ref_by_id(found.site_id)
        assert site_ref is not None
        return found, site_ref

    def names(self, location_ids: Collection[str]) -> dict[str, Any]:
        sites = self.db.table(Site)
        return {
            loc.id: SimpleNamespace(
                id=loc.id,
                code=loc.code,
                zone=loc.zone,
                site_id=loc.site_id,
                site_code=sites[loc.site_id].code,
            )
            for loc in self.db.table(Location).values()
            if loc.id in location_ids
        }


class FakeStockLevels(_Repository):
    def add(self, level: StockLevel) -> None:
        self.db.table(StockLevel)[with_defaults(level).id] = level

    def get(
        self, product_id: str, batch_id: str | None, location_id: str, *, lock: bool = False
    ) -> StockLevel | None:
        levels = self.db.table(StockLevel).values()
        wanted = (product_id, batch_id, location_id)
        return next(
            (lv for lv in levels if (lv.product_id, lv.batch_id, lv.location_id) == wanted), None
        )

    def create_missing(self, product_id: str, batch_id: str | None, place: Place) -> None:
        if self.get(product_id, batch_id, place.location_id) is None:
            self.add(
                StockLevel(
                    product_id=product_id,
                    batch_id=batch_id,
                    quantity=0,
                    location_id=place.location_id,
                    site_id=place.site_id,
                )
            )

    def for_products(
        self, product_ids: Sequence[str], site_ids: Collection[str] | None = None
    ) -> dict[str, list[StockLevel]]:
        found: dict[str, list[StockLevel]] = {pid: [] for pid in product_ids}
        for level in self.db.table(StockLevel).values():
            if level.product_id in found and (site_ids is None or level.site_id in site_ids):
                found[level.product_id].append(level)
        return found

    def with_batches(
        self, product_ids: Sequence[str], site_ids: Collection[str] | None = None
    ) -> dict[str, list[Any]]:
        batches = self.db.table(Batch)
        names = FakeLocations(self.db).names(
            {lv.location_id for lv in self.db.table(StockLevel).values()}
        )
        found: dict[str, list[Any]] = {pid: [] for pid in product_ids}
        levels = sorted(
            self.db.table(StockLevel).values(),
            key=lambda lv: (
                lv.batch_id is not None,
                lv.batch_id or "",
                names[lv.location_id].site_code,
                names[lv.location_id].code,
            ),
        )
        for level in levels:
            if level.product_id in found and (site_ids is None or level.site_id in site_ids):
                batch = batches.get(level.batch_id)
                place = names[level.location_id]
                found[level.product_id].append(
                    SimpleNamespace(
                        product_id=level.product_id,
                        level_id=level.id,
                        batch_id=level.batch_id,
                        quantity=level.quantity,
                        lot_number=batch.lot_number if batch else None,
                        expiry_date=batch.expiry_date if batch else None,
                        location_id=level.location_id,
                        site_id=level.site_id,
                        location_code=place.code,
                        zone=place.zone,
                        site_code=place.site_code,
                    )
                )
        return found

    def lot_numbers(self, batch_ids: Sequence[str]) -> dict[str, str]:
        return {b: self.db.table(Batch)[b].lot_number for b in batch_ids}


class FakeLedger(_Repository):
    def add(self, entry: LedgerEntry) -> None:
        entry.sequence = next(self.db.sequence)
        self.db.table(LedgerEntry)[entry.sequence] = with_defaults(entry)

    def rows(self) -> list[LedgerEntry]:
        return sorted(self.db.table(LedgerEntry).values(), key=lambda e: e.sequence)

    def by_operation(self, operation_id: str) -> list[Any]:
        return [with_codes(self.db, e) for e in self.rows() if e.operation_id == operation_id]


class FakeTransfers(_Repository):
    def add(self, transfer: StockTransfer) -> None:
        self.db.table(StockTransfer)[with_defaults(transfer).id] = transfer


class FakeIdempotency(_Repository):
    def get(self, operation: str, request_id: str) -> tuple[str, str | None] | None:
        key = self.db.table(IdempotencyKey).get((operation, request_id))
        return (key.resource_id, key.fingerprint) if key else None

    def add(
        self, operation: str, request_id: str, resource_id: str, actor: str, fingerprint: str
    ) -> None:
        self.db.table(IdempotencyKey)[(operation, request_id)] = IdempotencyKey(
            operation=operation,
            request_id=request_id,
            resource_id=resource_id,
            actor=actor,
            fingerprint=fingerprint,
        )


class FakeAdjustments(_Repository):
    def add(self, adjustment: StockAdjustment) -> None:
        self.db.table(StockAdjustment)[with_defaults(adjustment).id] = adjustment

    def get(self, adjustment_id: str, *, lock: bool = False) -> StockAdjustment | None:
        return self.db.table(StockAdjustment).get(adjustment_id)

    def row(self, adjustment_id: str) -> Any:
        found = self.get(adjustment_id)
        return with_codes(self.db, found) if found else None


class FakeCounts(_Repository):
    def add(self, count: InventoryCount) -> None:
        self.db.table(InventoryCount)[with_defaults(count).id] = count

    def get(self, count_id: str, *, lock: str | None = None) -> InventoryCount | None:
        return self.db.table(InventoryCount).get(count_id)

    def holding(self, location_ids: Sequence[str]) -> dict[str, InventoryCount]:
        holds = self.db.table(LocationHold)
        counts = self.db.table(InventoryCount)
        return {i: counts[holds[i].inventory_count_id] for i in location_ids if i in holds}

    def cover(self, count: InventoryCount, location_ids: Sequence[str]) -> None:
        holds = self.db.table(LocationHold)
        for location_id in location_ids:
            if location_id in holds:  # the primary key
                raise FailedPrecondition("held", reason="COUNT_IN_PROGRESS")
            row = {"inventory_count_id": count.id, "location_id": location_id}
            holds[location_id] = LocationHold(**row, site_id=count.site_id)
            self.db.table(CountLocation)[(count.id, location_id)] = CountLocation(
                **row, site_id=count.site_id
            )

    def release(self, count_id: str) -> None:
        holds = self.db.table(LocationHold)
        for location_id in [i for i, h in holds.items() if h.inventory_count_id == count_id]:
            del holds[location_id]

    def covers(self, count_id: str) -> set[str]:
        rows = self.db.table(CountLocation).values()
        return {r.location_id for r in rows if r.inventory_count_id == count_id}

    def site_locations(
        self, site_id: str, *, zones: Sequence[str] | None = None
    ) -> list[LocationRow]:
        return sorted(
            (
                location_row(loc)
                for loc in self.db.table(Location).values()
                if loc.site_id == site_id and loc.active and (zones is None or loc.zone in zones)
            ),
            key=lambda row: row.code,
        )

    def locations_by_ids(self, location_ids: Sequence[str]) -> list[LocationRow]:
        rows = self.db.table(Location)
        return [location_row(rows[i]) for i in set(location_ids) if i in rows]

    def locations_by_codes(self, site_id: str, codes: Sequence[str]) -> list[LocationRow]:
        rows = self.db.table(Location).values()
        return [location_row(r) for r in rows if r.site_id == site_id and r.code in codes]

    def default_location(self, site_id: str) -> LocationRow | None:
        rows = self.db.table(Location).values()
        return next((location_row(r) for r in rows if r.site_id == site_id and r.is_default), None)

    def location_counts(self, count_ids: Sequence[str]) -> dict[str, int]:
        return {c: n for c in count_ids if (n := len(self.covers(c)))}

    def site_codes(self, site_ids: Sequence[str]) -> dict[str, str]:
        sites = self.db.table(Site)
        return {i: sites[i].code for i in site_ids if i in sites}

    def location_labels(self, location_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        rows = self.db.table(Location)
        return {i: (rows[i].code, rows[i].zone) for i in location_ids if i in rows}

    def lines(self, count_id: str) -> list[CountItem]:
        items = self.db.table(CountItem).values()
        mine = [i for i in items if i.inventory_count_id == count_id]
        return sorted(mine, key=lambda i: (i.first_counted_at, i.id))

    def skus(self, product_ids: Sequence[str]) -> dict[str, str]:
        return {p: self.db.table(Product)[p].sku for p in product_ids}

    def blind_flags(self, count_ids: Sequence[str]) -> dict[str, bool]:
        return {c: self.db.table(InventoryCount)[c].blind for c in count_ids}

    def lock_levels_for_completion(self, count_id: str, *, include_uncounted: bool) -> None:
        pass

    def lines_with_levels(self, count_id: str) -> list[tuple[CountItem, StockLevel | None]]:
        levels = FakeStockLevels(self.db)
        return [
            (i, levels.get(i.product_id, i.batch_id, i.location_id)) for i in self.lines(count_id)
        ]

    def uncounted_levels(
        self, count_id: str, *, scoped: bool = False
    ) -> list[tuple[StockLevel, str | None]]:
        counted = {(i.product_id, i.batch_id, i.location_id) for i in self.lines(count_id)}
        products = self.db.table(Product)
        batches = self.db.table(Batch)
        scope = FakeCyclePlans(self.db).scope_of(count_id)
        covered = self.covers(count_id)
        return [
            (lv, batches[lv.batch_id].lot_number if lv.batch_id else None)
            for lv in self.db.table(StockLevel).values()
            if products[lv.product_id].active
            and lv.location_id in covered
            and (lv.product_id, lv.batch_id, lv.location_id) not in counted
            and (not scoped or lv.product_id in scope)
        ]

    def unit_costs(self, product_ids: Sequence[str]) -> dict[str, Decimal]:
        return {p: self.db.table(Product)[p].unit_cost for p in product_ids}

    def adjustments_of(self, count_id: str) -> list[StockAdjustment]:
        rows = self.db.table(StockAdjustment).values()
        return [a for a in rows if a.inventory_count_id == count_id]


class FakeCyclePlans(_Repository):
    """The scopes of counts (the ABC classes are SQL only: tests/test_cycle_plans.py)."""

    def scope_of(self, count_id: str) -> set[str]:
        rows = self.db.table(CountScopeProduct).values()
        return {r.product_id for r in rows if r.inventory_count_id == count_id}

    def existing_products(self, product_ids: Sequence[str]) -> set[str]:
        return set(product_ids) & set(self.db.table(Product))

    def scope_due_products(self, *args: Any, **kwargs: Any) -> int:
        raise NotImplementedError("the ABC classes are SQL only: tests/test_cycle_plans.py")

    def add_scope(self, count_id: str, product_ids: Sequence[str]) -> None:
        for product_id in product_ids:
            row = CountScopeProduct(inventory_count_id=count_id, product_id=product_id)
            self.db.table(CountScopeProduct)[(count_id, product_id)] = row

    def scope_sizes(self, count_ids: Sequence[str]) -> dict[str, int]:
        return {c: len(self.scope_of(c)) for c in count_ids if self.scope_of(c)}


class FakeCountReports(_Repository):
    def statistics(self, count_ids: Sequence[str]) -> dict[str, CountStatistics]:
        figures = {}
        for count_id in count_ids:
            lines = FakeCounts(self.db).lines(count_id)
            values = [line.variance_value for line in lines]
            figures[count_id] = CountStatistics(
                items_counted=len(lines),
                items_with_discrepancy=sum(1 for line in lines if line.variance),
                value_missing=-sum((v for v in values if v < 0), Decimal(0)),
                value_in_excess=sum((v for v in values if v > 0), Decimal(0)),
                net_variance=sum(values, Decimal(0)),
            )
        return figures


class FakeCountEntries(_Repository):
    """What the recorder reads and writes, over the same rows as the other fakes."""

    def counts_for_share(self, count_ids: Iterable[str]) -> dict[str, CountState]:
        counts = self.db.table(InventoryCount)
        return {
            c: CountState(
                c,
                counts[c].status,
                counts[c].blind,
                counts[c].recount_significant,
                counts[c].scoped,
                counts[c].site_id,
                self.db.table(Site)[counts[c].site_id].code,
            )
            for c in count_ids
            if c in counts
        }

    def in_scope(self, pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
        return {(c, p) for c, p in pairs if p in FakeCyclePlans(self.db).scope_of(c)}

    def products(
        self, ids: Sequence[str], skus: Sequence[str], barcodes: Sequence[str]
    ) -> list[ProductRef]:
        return [
            ProductRef(p.id, p.sku, p.barcode, p.unit_cost, p.tracking)
            for p in self.db.table(Product).values()
            if p.id in ids or p.sku in skus or (p.barcode and p.barcode in barcodes)
        ]

    def batches(self, ids: Sequence[str], lots: Sequence[tuple[str, str]]) -> list[BatchRef]:
        return [
            BatchRef(b.id, b.product_id, b.lot_number, b.expiry_date)
            for b in self.db.table(Batch).values()
            if b.id in ids or (b.product_id, b.lot_number) in lots
        ]

    def lines_for_update(self, keys: Iterable[Any]) -> dict[Any, CountLine]:
        wanted = set(keys)
        return {
            key: _line(item)
            for item in self.db.table(CountItem).values()
            if (
                key := (
                    item.inventory_count_id,
                    item.product_id,
                    item.batch_id,
                    item.location_id,
                )
            )
            in wanted
        }

    def sole_locations(self, count_ids: Iterable[str]) -> dict[str, LocationRow]:
        counts = FakeCounts(self.db)
        found = {c: counts.covers(c) for c in count_ids}
        rows = self.db.table(Location)
        return {c: location_row(rows[next(iter(ids))]) for c, ids in found.items() if len(ids) == 1}

    def location_labels(self, location_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        return FakeCounts(self.db).location_labels(location_ids)

    def locations(
        self,
        ids: Sequence[str],
        codes: Sequence[tuple[str, str]],
        default_of: Sequence[str],
        count_ids: Iterable[str],
    ) -> tuple[list[LocationRow], set[tuple[str, str]]]:
        found = [
            location_row(loc)
            for loc in self.db.table(Location).values()
            if loc.id in ids
            or (loc.site_id, loc.code) in codes
            or (loc.is_default and loc.site_id in default_of)
        ]
        counts = set(count_ids)
        covering = {(c, loc) for c, loc in self.db.table(CountLocation) if c in counts}
        return found, {(c, loc) for c, loc in covering if loc in {f.id for f in found}}

    def site_ids(self, codes: Sequence[str]) -> dict[str, str]:
        return {s.code: s.id for s in self.db.table(Site).values() if s.code in codes}

    def first_counters(self, lines: Sequence[CountLine]) -> dict[str, frozenset[str]]:
        entries = self.db.table(StoredCountEntry).values()
        return {
            line.id: first_counters(
                line.status,
                line.counted_by,
                {
                    e.counted_by
                    for e in entries
                    if e.count_item_id == line.id
                    and (
                        line.status == REQUESTED
                        or not e.recount
                        or _at_or_before(e.stored_at, line.recount_requested_at)
                    )
                },
            )
            for line in lines
        }

    def stored(self, keys: Sequence[tuple[str, str]]) -> list[tuple[str, str, AckedEntry]]:
        found = []
        for key in keys:
            row = self.db.table(StoredCountEntry).get(key)
            if row is None:
                continue
            item = self.db.table(CountItem)[row.count_item_id]
            line = CountLine(
                id=item.id,
                inventory_count_id=item.inventory_count_id,
                product_id=item.product_id,
                batch_id=item.batch_id,
                location_id=item.location_id,
                site_id=item.site_id,
                system_quantity=row.system_quantity,
                counted_quantity=row.counted_quantity,
                variance=row.variance,
                unit_cost=item.unit_cost,
                variance_value=row.variance_value,
                significant=row.significant,
                reason=row.reason,
                notes=row.notes,
                location=row.location,
                counted_by=row.counted_by,
                counted_at=row.stored_at,
                first_counted_at=item.first_counted_at,
                status=RECOUNTED if row.recount else COUNTED,
            )
            product = self.db.table(Product)[item.product_id]
            batch = self.db.table(Batch).get(item.batch_id) if item.batch_id else None
            what = StoredEntry(
                product.id,
                product.sku,
                product.barcode,
                item.batch_id,
                batch.lot_number if batch else None,
                row.quantity,
                CountMode(row.mode),
            )
            blind = self.db.table(InventoryCount)[item.inventory_count_id].blind
            found.append((*key, AckedEntry(line, product.sku, blind, what)))
        return found

    def request_keys(
        self, operation: str, request_ids: Sequence[str]
    ) -> dict[str, tuple[str, str | None]]:
        keys = self.db.table(IdempotencyKey)
        return {
            r: (keys[(operation, r)].resource_id, keys[(operation, r)].fingerprint)
            for r in request_ids
            if (operation, r) in keys
        }

    def lines_of_requests(
        self, operation: str, request_ids: Sequence[str]
    ) -> dict[str, tuple[CountLine, str, bool]]:
        found = {}
        for request_id in request_ids:
            key = self.db.table(IdempotencyKey).get((operation, request_id))
            item = self.db.table(CountItem).get(key.resource_id) if key else None
            if item is not None:
                sku = self.db.table(Product)[item.product_id].sku
                blind = self.db.table(InventoryCount)[item.inventory_count_id].blind
                found[request_id] = (_line(item), sku, blind)
        return found

    def level_quantities(
        self, product_ids: Iterable[str]
    ) -> dict[tuple[str, str | None, str], int]:
        ids = set(product_ids)
        return {
            (lv.product_id, lv.batch_id, lv.location_id): lv.quantity
            for lv in self.db.table(StockLevel).values()
            if lv.product_id in ids
        }

    def save_lines(self, new: Sequence[CountLine], changed: Sequence[CountLine]) -> None:
        items = self.db.table(CountItem)
        for line in new:
            items[line.id] = CountItem(**vars_of(line))
        for line in changed:
            for name, value in vars_of(line).items():
                setattr(items[line.id], name, value)

    def insert_entries(self, stored: Sequence[tuple[CountEntry, CountLine]]) -> None:
        rows = self.db.table(StoredCountEntry)
        for entry, line in stored:
            key = (line.inventory_count_id, entry.entry_id)
            if key in rows:  # the primary key
                raise Aborted("stored meanwhile", reason=ENTRY_STORED_MEANWHILE)
            rows[key] = StoredCountEntry(**entry_row(entry, line))

    def insert_request_ids(self, operation: str, entries: Sequence[CountEntry]) -> None:
        for entry in entries:
            if entry.request_id:
                FakeIdempotency(self.db).add(
                    operation,
                    entry.request_id,
                    entry.entry_id,
                    entry.caller.user_id,
                    fingerprint(operation, request_content(entry)),
                )


def _at_or_before(moment: datetime, limit: datetime | None) -> bool:
    return limit is not None and moment <= limit


class FakeRecounts(_Repository):
    def lines_for_update(self, count_id: str, line_ids: Sequence[str]) -> list[CountItem]:
        items = self.db.table(CountItem)
        found = [items[i] for i in set(line_ids) if i in items]
        return sorted((i for i in found if i.inventory_count_id == count_id), key=lambda i: i.id)

    def line(self, count_id: str, line_id: str) -> CountItem | None:
        item = self.db.table(CountItem).get(line_id)
        return item if item is not None and item.inventory_count_id == count_id else None

    def awaiting(self, count_id: str) -> list[str]:
        lines = FakeCounts(self.db).lines(count_id)
        return [i.id for i in lines if i.status == REQUESTED]

    def awaiting_per_count(self, count_ids: Sequence[str]) -> dict[str, int]:
        return {c: n for c in count_ids if (n := len(self.awaiting(c)))}

    def entries_page(self, line_id: str, page: PageRequest) -> Page[StoredCountEntry]:
        rows = sorted(
            (e for e in self.db.table(StoredCountEntry).values() if e.count_item_id == line_id),
            key=lambda e: (e.stored_at, e.entry_id),
        )
        if page.after is not None:
            rows = [e for e in rows if (e.stored_at, e.entry_id) > page.after]
        if len(rows) > page.size:
            last = rows[page.size - 1]
            return Page(rows[: page.size], (last.stored_at, last.entry_id))
        return Page(rows, None)


def vars_of(line: CountLine) -> dict[str, Any]:
    return {name: getattr(line, name) for name in CountLine.__slots__}  # type: ignore[attr-defined]


class FakeUnitOfWork:
    """One transaction over a FakeDatabase: rolled back on exit unless committed."""

    def __init__(self, db: FakeDatabase) -> None:
        self.db = db
        self.products = FakeProducts(db)
        self.batches = FakeBatches(db)
        self.stock_levels = FakeStockLevels(db)
        self.ledger = FakeLedger(db)
        self.idempotency = FakeIdempotency(db)
        self.counts = FakeCounts(db)
        self.count_reports = FakeCountReports(db)
        self.count_entries = FakeCountEntries(db)
        self.adjustments = FakeAdjustments(db)
        self.recounts = FakeRecounts(db)
        self.cycle_plans = FakeCyclePlans(db)
        self.sites = FakeSites(db)
        self.locations = FakeLocations(db)
        self.transfers = FakeTransfers(db)
        self.committed = False

    def __enter__(self) -> FakeUnitOfWork:
        self._before = self.db.snapshot()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self.committed:
            self.db.restore(self._before)

    def flush(self) -> None:
        pass

    def commit(self) -> None:
        self.committed = True
        self.db.commits += 1


def fake_uow_factory(db: FakeDatabase) -> Callable[..., FakeUnitOfWork]:
    def factory(*, read_only: bool = False) -> FakeUnitOfWork:
        return FakeUnitOfWork(db)

    return factory


def seed_product(
    db: FakeDatabase, sku: str, *, cost: str = "1.00", on_hand: int = 0, active: bool = True
) -> Product:
    """A product with an unbatched level, as CreateProduct leaves it (opening ledger left out)."""
    product = with_defaults(Product(sku=sku, name=sku, unit_cost=Decimal(cost), active=active))
    db.table(Product)[product.id] = product
    level = with_defaults(
        StockLevel(product_id=product.id, batch_id=None, quantity=on_hand, **_placed(db))
    )
    db.table(StockLevel)[level.id] = level
    return product


def location_row(location: Location) -> LocationRow:
    return LocationRow(
        location.id,
        location.site_id,
        location.code,
        location.zone,
        location.active,
        location.is_default,
    )


def _placed(db: FakeDatabase) -> dict[str, str]:
    """The default place's columns, where seeded rows sit."""
    return {"location_id": db.default_place.location_id, "site_id": db.default_place.site_id}


def seed_batch(db: FakeDatabase, product: Product, lot: str, *, on_hand: int = 0) -> Batch:
    """A batch of product, which is lot-tracked from now on."""
    product.tracking = TrackingMode.LOT.value
    batch = with_defaults(
        Batch(product_id=product.id, lot_number=lot, expiry_date=date(2030, 1, 1))
    )
    db.table(Batch)[batch.id] = batch
    level = with_defaults(
        StockLevel(product_id=product.id, batch_id=batch.id, quantity=on_hand, **_placed(db))
    )
    db.table(StockLevel)[level.id] = level
    return batch
