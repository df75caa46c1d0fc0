"""The rules of a count entry on their own: no database, no gRPC."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from inventory_service.domain.catalog_keys import (
    BatchIndex,
    BatchRef,
    ProductIndex,
    ProductKey,
    ProductRef,
)
from inventory_service.domain.count_entries import (
    CountEntry,
    CountLine,
    LineTally,
    check_entry,
    ensure_in_progress,
)
from inventory_service.domain.enums import CountMode
from inventory_service.domain.errors import FailedPrecondition, InvalidArgument, NotFound
from inventory_service.domain.identity import Caller, Role
from inventory_service.domain.quantities import MAX_QUANTITY
from inventory_service.domain.thresholds import Thresholds

SAM = Caller("sam", Role.STAFF)
SUE = Caller("sue", Role.STAFF)
SOAP = ProductRef("p-1", "SOAP", "4006381333931", Decimal("2.00"))
PILLS = ProductRef("p-2", "PILLS", None, Decimal("5.00"))
LOT = BatchRef("b-1", "p-2", "L-7")
KEY = ("c-1", "p-1", None, "loc-1")
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def entry(quantity: int = 1, mode: CountMode = CountMode.ADD, **fields: object) -> CountEntry:
    values: dict[str, object] = {"entry_id": "e-1", "inventory_count_id": "c-1", "caller": SAM}
    values.update(fields)
    return CountEntry(product=ProductKey(sku="SOAP"), quantity=quantity, mode=mode, **values)  # type: ignore[arg-type]


def line_after(tally: LineTally, system: int = 10) -> CountLine:
    clock = (T0 + timedelta(seconds=s) for s in itertools.count())
    return tally.line(
        KEY,
        site_id="site-1",
        system_quantity=system,
        unit_cost=SOAP.unit_cost,
        thresholds=Thresholds(),
        clock=lambda: next(clock),
        new_id=lambda: "line-1",
    )


def test_a_well_formed_entry_passes_and_a_bad_one_names_every_field() -> None:
    check_entry(entry())
    with pytest.raises(InvalidArgument) as raised:
        check_entry(entry(-1, entry_id="", inventory_count_id="", location="x" * 201))
    fields = [v.field for v in raised.value.violations]
    assert fields == ["entry_id", "inventory_count_id", "quantity", "location"]
    with pytest.raises(InvalidArgument) as raised:
        check_entry(entry(MAX_QUANTITY + 1, entry_id="x" * 65))
    assert [v.field for v in raised.value.violations] == ["entry_id", "quantity"]


def test_only_a_count_in_progress_takes_entries() -> None:
    ensure_in_progress("c-1", "IN_PROGRESS")
    with pytest.raises(FailedPrecondition) as raised:
        ensure_in_progress("c-1", "COMPLETED")
    assert raised.value.reason == "COUNT_NOT_IN_PROGRESS"
    assert raised.value.violations[0].subject == "inventoryCounts/c-1"


def test_products_are_found_by_id_sku_or_barcode_and_batches_by_id_or_lot() -> None:
    products = ProductIndex([SOAP, PILLS])
    assert products.find(ProductKey(id="p-2")) is PILLS
    assert products.find(ProductKey(sku="SOAP")) is SOAP
    assert products.find(ProductKey(barcode="4006381333931")) is SOAP
    with pytest.raises(NotFound) as missing:
        products.find(ProductKey(barcode="0000000000000"))
    assert missing.value.resource_name == "barcode:0000000000000"
    with pytest.raises(InvalidArgument):
        products.find(ProductKey())

    batches = BatchIndex([LOT])
    assert batches.find(PILLS, "b-1", "") is LOT
    assert batches.find(PILLS, "", "L-7") is LOT
    assert batches.find(PILLS, "", "") is None
    with pytest.raises(NotFound) as foreign:  # a batch of another product
        batches.find(SOAP, "b-1", "")
    assert foreign.value.reason == "BATCH_NOT_FOUND"
    with pytest.raises(NotFound) as no_lot:
        batches.find(PILLS, "", "L-8")
    assert no_lot.value.resource_name == "PILLS/lot:L-8"


def test_set_replaces_and_add_adds_in_the_order_entries_came() -> None:
    tally = LineTally(None)
    for e in [entry(5, CountMode.ADD), entry(8, CountMode.SET), entry(3, CountMode.ADD)]:
        assert tally.add(e) is None
    line = line_after(tally, system=10)
    assert (line.counted_quantity, line.variance, line.variance_value) == (11, 1, Decimal("2"))
    assert line.id == "line-1"
    assert line.first_counted_at == line.counted_at


def test_an_entry_that_would_take_the_line_past_the_bound_is_refused_alone() -> None:
    tally = LineTally(None)
    assert tally.add(entry(MAX_QUANTITY, CountMode.SET)) is None
    refused = tally.add(entry(1))
    assert refused is not None
    assert [v.field for v in refused.violations] == ["quantity"]
    assert tally.add(entry(0)) is None
    assert line_after(tally).counted_quantity == MAX_QUANTITY


def test_a_recount_keeps_the_line_and_the_last_words_given() -> None:
    first = LineTally(None)
    first.add(entry(4, CountMode.SET, reason="damp box", location="A-1"))
    before = line_after(first)
    tally = LineTally(before)
    tally.add(entry(2, CountMode.SET, notes="recounted", caller=SUE))
    tally.add(entry(1, CountMode.ADD, location="A-2", caller=SAM))
    line = line_after(tally, system=3)
    assert line.id == before.id
    assert line.first_counted_at == before.first_counted_at
    assert (line.reason, line.notes, line.location) == ("damp box", "recounted", "A-2")
    assert line.counted_by == "sam"  # the last entry says who counted
    assert (line.counted_quantity, line.variance) == (3, 0)


def test_significance_follows_the_thresholds() -> None:
    tally = LineTally(None)
    tally.add(entry(0, CountMode.SET))
    assert line_after(tally, system=10).significant  # 10 units short: at the unit threshold
    assert not line_after(tally, system=9).significant
