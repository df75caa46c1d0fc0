"""The recorder's first step: the counts (rows FOR SHARE), products, batches and locations a
batch of entries names, found with a few set-based reads; each entry resolved or refused on its
own (unknown or closed count, unknown product, batch or location, a batch missing or not
allowed, a product or location outside the count's scope, a location left out where the count
covers several)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from inventory_service.db.count_entry_repository import CountEntryRepository
from inventory_service.db.count_repository import LocationRow
from inventory_service.domain.catalog_keys import BatchIndex, BatchRef, ProductIndex, ProductRef
from inventory_service.domain.count_entries import (
    CountEntry,
    CountState,
    LineKey,
    count_not_found,
    ensure_in_progress,
)
from inventory_service.domain.count_scope import out_of_scope_error
from inventory_service.domain.errors import DomainError
from inventory_service.domain.lot_rules import check_batch_named
from inventory_service.domain.places import (
    LocationKey,
    location_not_found,
    location_out_of_scope,
    location_required,
)
from inventory_service.domain.site_access import site_not_allowed


@dataclass(slots=True)
class ResolvedEntry:
    """An entry whose count takes entries and whose product (and batch) exist."""

    index: int
    count: CountState
    product: ProductRef
    batch: BatchRef | None
    key: LineKey
    # The location's (code, zone), for its acks.
    location: tuple[str, str]


def resolve_entries(
    repo: CountEntryRepository, entries: Sequence[CountEntry], fresh: Sequence[int]
) -> tuple[list[ResolvedEntry], list[tuple[int, DomainError]]]:
    """Locks the counts FOR SHARE and finds each entry's product and batch (a few
    set-based reads, then the lookups of domain/catalog_keys.py)."""
    if not fresh:
        return [], []
    named = [entries[i] for i in fresh]
    counts = repo.counts_for_share(e.inventory_count_id for e in named)
    products = ProductIndex(
        repo.products(
            [e.product.id for e in named if e.product.id],
            [e.product.sku for e in named if e.product.sku and not e.product.id],
            [e.product.barcode for e in named if e.product.barcode and not e.product.id],
        )
    )
    lots = [
        (product.id, e.lot_number)
        for e in named
        if e.lot_number and not e.batch_id
        for product in [products.get(e.product)]
        if product is not None
    ]
    batches = BatchIndex(repo.batches([e.batch_id for e in named if e.batch_id], lots))
    in_scope = _in_scope(repo, named, counts, products)
    places = _Places(repo, named, counts)

    resolved: list[ResolvedEntry] = []
    rejected: list[tuple[int, DomainError]] = []
    for i, entry in zip(fresh, named, strict=True):
        try:
            count = counts.get(entry.inventory_count_id)
            if count is None:
                raise count_not_found(entry.inventory_count_id)
            if not entry.caller.may_use_site(count.site_code):
                raise site_not_allowed(count.site_code)
            ensure_in_progress(count.id, count.status)
            product = products.find(entry.product)
            check_batch_named(
                product.tracking,
                product.sku,
                names_batch=bool(entry.batch_id or entry.lot_number),
                field_name="batch_id",
            )
            batch = batches.find(product, entry.batch_id, entry.lot_number)
            if count.scoped and (count.id, product.id) not in in_scope:
                raise out_of_scope_error(count.id, product.id, product.sku)
            location = places.find(count, entry.stock_location)
        except DomainError as error:
            rejected.append((i, error))
            continue
        key = (count.id, product.id, batch.id if batch else None, location.id)
        resolved.append(
            ResolvedEntry(i, count, product, batch, key, (location.code, location.zone))
        )
    return resolved, rejected


def _in_scope(
    repo: CountEntryRepository,
    named: Sequence[CountEntry],
    counts: dict[str, CountState],
    products: ProductIndex,
) -> set[tuple[str, str]]:
    """Of the (count, product) pairs the entries name in scoped counts, those in scope."""
    pairs = {
        (count.id, product.id)
        for e in named
        for count in [counts.get(e.inventory_count_id)]
        if count is not None and count.scoped
        for product in [products.get(e.product)]
        if product is not None
    }
    return repo.in_scope(pairs) if pairs else set()


class _Places:
    """The locations the entries of a batch name, loaded in a few reads: each entry's location
    by its key, or its count's only location when it names none."""

    def __init__(
        self,
        repo: CountEntryRepository,
        named: Sequence[CountEntry],
        counts: dict[str, CountState],
    ) -> None:
        keys = [(e.stock_location, counts.get(e.inventory_count_id)) for e in named]
        unnamed = {count.id for key, count in keys if count is not None and not key.given}
        self.sole = repo.sole_locations(unnamed) if unnamed else {}
        site_codes = [key.site_code for key, _ in keys if key.site_code and not key.id]
        self.site_ids = repo.site_ids(site_codes) if site_codes else {}
        ids = [key.id for key, _ in keys if key.id]
        codes = [
            (site_id, key.code)
            for key, count in keys
            if key.code and not key.id
            for site_id in [self._site_of(key, count)]
            if site_id
        ]
        defaults = [
            self.site_ids[key.site_code]
            for key, _ in keys
            if key.site_code and not key.code and not key.id and key.site_code in self.site_ids
        ]
        found: list[LocationRow] = []
        # (count, location): the counts of the batch that cover the locations found.
        self.covered: set[tuple[str, str]] = set()
        if ids or codes or defaults:
            named_by = {count.id for key, count in keys if count is not None and key.given}
            found, self.covered = repo.locations(ids, codes, defaults, named_by)
        self.by_id: dict[str, LocationRow] = {ref.id: ref for ref in found}
        self.by_code = {(ref.site_id, ref.code): ref for ref in found}
        self.default_of = {ref.site_id: ref for ref in found if ref.is_default}

    def _site_of(self, key: LocationKey, count: CountState | None) -> str:
        if key.site_code:
            return self.site_ids.get(key.site_code, "")
        return count.site_id if count is not None else ""

    def _lookup(self, key: LocationKey, count: CountState) -> LocationRow | None:
        if key.id:
            return self.by_id.get(key.id)
        site_id = self._site_of(key, count)
        if key.code:
            return self.by_code.get((site_id, key.code))
        return self.default_of.get(site_id)

    def find(self, count: CountState, key: LocationKey) -> LocationRow:
        """The location an entry of count names (or implies)."""
        if not key.given:
            sole = self.sole.get(count.id)
            if sole is None:
                raise location_required(count.id)
            return sole
        ref = self._lookup(key, count)
        if ref is None:
            raise location_not_found(key)
        if (count.id, ref.id) not in self.covered:
            raise location_out_of_scope(count.id, ref.id, key.label())
        return ref
