"""The recorder's first step: the counts (rows FOR SHARE), products and batches a batch of
entries names, found with a few set-based reads; each entry resolved or refused on its own
(unknown or closed count, unknown product or batch, a batch missing or not allowed, a product
outside a scoped count)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from inventory_service.db.count_entry_repository import CountEntryRepository, LineKey
from inventory_service.domain.catalog_keys import BatchIndex, BatchRef, ProductIndex, ProductRef
from inventory_service.domain.count_entries import (
    CountEntry,
    CountState,
    count_not_found,
    ensure_in_progress,
)
from inventory_service.domain.count_scope import out_of_scope_error
from inventory_service.domain.errors import DomainError
from inventory_service.domain.lot_rules import check_batch_named


@dataclass(slots=True)
class ResolvedEntry:
    """An entry whose count takes entries and whose product (and batch) exist."""

    index: int
    count: CountState
    product: ProductRef
    batch: BatchRef | None
    key: LineKey


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

    resolved: list[ResolvedEntry] = []
    rejected: list[tuple[int, DomainError]] = []
    for i, entry in zip(fresh, named, strict=True):
        try:
            count = counts.get(entry.inventory_count_id)
            if count is None:
                raise count_not_found(entry.inventory_count_id)
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
        except DomainError as error:
            rejected.append((i, error))
            continue
        key = (count.id, product.id, batch.id if batch else None)
        resolved.append(ResolvedEntry(i, count, product, batch, key))
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
