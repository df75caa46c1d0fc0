"""CreateStockAdjustment: when it applies at once, when it waits for approval, and what it
refuses (changing nothing). Every test runs on SQLite and PostgreSQL through a real channel."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import grpc
import pytest

from inventory.v1 import catalog_pb2, stock_adjustment_pb2
from tests.helpers import (
    APPLIED,
    CORRECTION,
    DAMAGE,
    EXPIRED,
    FOUND,
    MANAGER,
    PENDING,
    RETURN,
    STAFF,
    THEFT,
    Clients,
    adjust,
    all_adjustments,
    as_decimal,
    create_batch,
    create_request,
    error_info,
    expect_error,
    field_violations,
    get_adjustment,
    get_product,
    ledger_of,
    make_lot_product,
    make_product,
    move,
    precondition_violations,
    stock_of,
)

# -- approval thresholds ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit_cost", "type_", "change"),
    [
        pytest.param("1.00", DAMAGE, -50, id="exactly-50-units"),
        pytest.param("10.00", DAMAGE, -50, id="exactly-50-units-and-exactly-500.00"),
        pytest.param("250.00", FOUND, 2, id="exactly-500.00"),
        pytest.param("0.01", CORRECTION, 1, id="small"),
    ],
)
def test_without_any_trigger_it_is_applied_at_once(
    api: Clients, unit_cost: str, type_: Any, change: int
) -> None:
    product_id = make_product(api, unit_cost=unit_cost, opening=100)

    adjustment = adjust(api, product_id, type_, change, reference_number="DR-7", notes="aisle 4")

    assert adjustment.status == APPLIED
    assert not adjustment.requires_approval
    assert as_decimal(adjustment.cost_impact) == Decimal(unit_cost) * change
    assert adjustment.cost_impact.currency_code == "USD"
    assert adjustment.HasField("quantity_before")
    assert (adjustment.quantity_before, adjustment.quantity_after) == (100, 100 + change)
    assert adjustment.created_by == "sam-staff"
    assert adjustment.HasField("create_time")
    assert adjustment.reference_number == "DR-7"
    assert adjustment.notes == "aisle 4"
    assert not adjustment.decided_by
    assert not adjustment.HasField("decide_time")
    assert stock_of(api, product_id) == 100 + change
    last = ledger_of(api, product_id)[-1]
    assert last.source == catalog_pb2.LEDGER_SOURCE_ADJUSTMENT
    assert last.stock_adjustment_id == adjustment.id
    assert (last.quantity_delta, last.quantity_before, last.quantity_after) == (
        change,
        100,
        100 + change,
    )
    assert last.actor == "sam-staff"
    assert last.source_reference == "DR-7"
    assert get_adjustment(api, adjustment.id) == adjustment


@pytest.mark.parametrize(
    ("unit_cost", "type_", "change"),
    [
        pytest.param("1.00", DAMAGE, -51, id="51-units-alone"),
        pytest.param("0.01", FOUND, 51, id="51-units-found"),
        pytest.param("500.01", EXPIRED, -1, id="500.01-alone"),
        # 40 x 12.50025 is 500.01 exactly; a float product would land a hair below or above.
        pytest.param("12.50025", RETURN, -40, id="500.01-exact-decimal"),
        pytest.param("0.01", THEFT, -1, id="theft-of-one-unit"),
    ],
)
def test_each_trigger_alone_makes_it_pending_and_leaves_stock(
    api: Clients, unit_cost: str, type_: Any, change: int
) -> None:
    product_id = make_product(api, unit_cost=unit_cost, opening=100)
    ledger_before = ledger_of(api, product_id)

    adjustment = adjust(api, product_id, type_, change)

    assert adjustment.status == PENDING
    assert adjustment.requires_approval
    assert as_decimal(adjustment.cost_impact) == Decimal(unit_cost) * change
    assert not adjustment.HasField("quantity_before")
    assert not adjustment.HasField("quantity_after")
    assert stock_of(api, product_id) == 100
    assert ledger_of(api, product_id) == ledger_before
    assert get_adjustment(api, adjustment.id).status == PENDING


def test_adjusting_a_batch_changes_only_that_batch(api: Clients) -> None:
    product_id = make_lot_product(api)
    other_lot = create_batch(api, product_id, "LOT-0", opening=10).id
    batch_id = create_batch(api, product_id, "LOT-1", opening=30).id

    adjustment = adjust(api, product_id, EXPIRED, -5, batch_id=batch_id)

    assert adjustment.batch_id == batch_id
    assert (adjustment.quantity_before, adjustment.quantity_after) == (30, 25)
    levels = api.catalog.GetProduct(
        catalog_pb2.GetProductRequest(product=catalog_pb2.ProductSelector(id=product_id)),
        metadata=STAFF,
    ).product.stock_levels
    assert {(lv.batch_id, lv.quantity) for lv in levels} == {(other_lot, 10), (batch_id, 25)}


# -- signs and other bad input ------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "change"),
    [
        pytest.param(DAMAGE, 1, id="damage-up"),
        pytest.param(THEFT, 1, id="theft-up"),
        pytest.param(EXPIRED, 1, id="expired-up"),
        pytest.param(FOUND, -1, id="found-down"),
    ],
)
def test_wrong_sign_for_the_type_is_invalid_argument(api: Clients, type_: Any, change: int) -> None:
    product_id = make_product(api, opening=100)

    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        api.adjustments.CreateStockAdjustment,
        create_request(product_id, type_, change),
        metadata=STAFF,
    )

    assert error_info(error).reason == "QUANTITY_SIGN_MISMATCH"
    assert set(field_violations(error)) == {"quantity_change"}
    assert all_adjustments(api) == []
    assert stock_of(api, product_id) == 100


@pytest.mark.parametrize("type_", [CORRECTION, RETURN])
@pytest.mark.parametrize("change", [-3, 3])
def test_correction_and_return_take_either_sign(api: Clients, type_: Any, change: int) -> None:
    product_id = make_product(api, opening=100)

    adjustment = adjust(api, product_id, type_, change)

    assert adjustment.status == APPLIED
    assert stock_of(api, product_id) == 100 + change


def test_zero_change_is_invalid_argument(api: Clients) -> None:
    product_id = make_product(api, opening=100)

    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        api.adjustments.CreateStockAdjustment,
        create_request(product_id, CORRECTION, 0),
        metadata=STAFF,
    )

    assert "quantity_change" in field_violations(error)
    assert all_adjustments(api) == []


@pytest.mark.parametrize("reason", ["", "   "])
def test_missing_reason_is_invalid_argument(api: Clients, reason: str) -> None:
    product_id = make_product(api, opening=100)

    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        api.adjustments.CreateStockAdjustment,
        create_request(product_id, DAMAGE, -1, reason=reason),
        metadata=STAFF,
    )

    assert set(field_violations(error)) == {"reason"}
    assert all_adjustments(api) == []
    assert stock_of(api, product_id) == 100


def test_unspecified_type_is_invalid_argument(api: Clients) -> None:
    product_id = make_product(api, opening=100)
    request = create_request(product_id, 0, -1)

    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        api.adjustments.CreateStockAdjustment,
        request,
        metadata=STAFF,
    )

    assert set(field_violations(error)) == {"type"}


def test_every_problem_is_reported_at_once(api: Clients) -> None:
    request = stock_adjustment_pb2.CreateStockAdjustmentRequest(
        reference_number="x" * 201, quantity_change=0
    )

    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        api.adjustments.CreateStockAdjustment,
        request,
        metadata=STAFF,
    )

    assert set(field_violations(error)) == {
        "product_id",
        "type",
        "quantity_change",
        "reason",
        "reference_number",
    }
    assert error_info(error).reason == "INVALID_ARGUMENT"


def test_unknown_product_is_not_found(api: Clients) -> None:
    error = expect_error(
        grpc.StatusCode.NOT_FOUND,
        api.adjustments.CreateStockAdjustment,
        create_request("00000000-0000-0000-0000-000000000000", DAMAGE, -1),
        metadata=STAFF,
    )

    assert error_info(error).reason == "PRODUCT_NOT_FOUND"
    assert all_adjustments(api) == []


def test_batch_of_another_product_is_not_found(api: Clients) -> None:
    product_id = make_lot_product(api)
    create_batch(api, product_id, "LOT-1", opening=10)
    other_id = make_lot_product(api)
    other_batch = create_batch(api, other_id, "LOT-9", opening=10).id

    error = expect_error(
        grpc.StatusCode.NOT_FOUND,
        api.adjustments.CreateStockAdjustment,
        create_request(product_id, DAMAGE, -1, batch_id=other_batch),
        metadata=STAFF,
    )

    assert error_info(error).reason == "BATCH_NOT_FOUND"
    assert all_adjustments(api) == []


# -- never below zero ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "change"),
    [
        pytest.param(DAMAGE, -11, id="applied-at-once"),
        pytest.param(THEFT, -11, id="needing-approval"),
    ],
)
def test_below_zero_at_creation_fails_and_changes_nothing(
    api: Clients, type_: Any, change: int
) -> None:
    product_id = make_product(api, opening=10)
    ledger_before = ledger_of(api, product_id)

    error = expect_error(
        grpc.StatusCode.FAILED_PRECONDITION,
        api.adjustments.CreateStockAdjustment,
        create_request(product_id, type_, change),
        metadata=STAFF,
    )

    assert error_info(error).reason == "INSUFFICIENT_STOCK"
    assert precondition_violations(error)[0].type == "STOCK"
    assert precondition_violations(error)[0].subject == f"products/{product_id}"
    sku = get_product(api, product_id).sku
    # People read the message: the product by its SKU, not its id.
    assert error.details().startswith(f"stock of {sku} is 10; a change of {change}")
    assert stock_of(api, product_id) == 10
    assert ledger_of(api, product_id) == ledger_before
    assert all_adjustments(api) == []


def test_down_to_exactly_zero_is_fine(api: Clients) -> None:
    product_id = make_product(api, opening=10)

    adjustment = adjust(api, product_id, DAMAGE, -10)

    assert (adjustment.status, adjustment.quantity_after) == (APPLIED, 0)
    assert stock_of(api, product_id) == 0


# -- request_id ---------------------------------------------------------------------------


def test_a_retry_with_the_same_request_id_returns_the_first_adjustment(api: Clients) -> None:
    product_id = make_product(api, opening=100)

    first = adjust(api, product_id, DAMAGE, -3, request_id="req-1")
    retry = adjust(api, product_id, DAMAGE, -3, request_id="req-1")
    other = adjust(api, product_id, DAMAGE, -3, request_id="req-2")

    assert retry == first
    assert other.id != first.id
    assert stock_of(api, product_id) == 94
    assert {a.id for a in all_adjustments(api)} == {first.id, other.id}


def test_a_retry_of_a_pending_adjustment_creates_no_second_one(api: Clients) -> None:
    product_id = make_product(api, opening=100)

    first = adjust(api, product_id, THEFT, -3, request_id="req-theft")
    retry = adjust(api, product_id, THEFT, -3, request_id="req-theft", metadata=MANAGER)

    assert retry.id == first.id
    assert retry.created_by == "sam-staff"
    assert len(all_adjustments(api)) == 1


def test_a_request_id_that_failed_can_be_retried_once_the_problem_is_gone(
    api: Clients,
) -> None:
    product_id = make_product(api, opening=2)
    request = create_request(product_id, DAMAGE, -5, request_id="req-later")

    expect_error(
        grpc.StatusCode.FAILED_PRECONDITION,
        api.adjustments.CreateStockAdjustment,
        request,
        metadata=STAFF,
    )
    move(api, product_id, +10)  # a delivery
    adjustment = api.adjustments.CreateStockAdjustment(request, metadata=STAFF).stock_adjustment

    assert adjustment.status == APPLIED
    assert stock_of(api, product_id) == 7
