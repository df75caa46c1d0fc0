"""ApproveStockAdjustment and RejectStockAdjustment: managers decide on PENDING adjustments,
never their own; approval applies with the stock of that moment, rejection never applies."""

from __future__ import annotations

import grpc
import pytest

from inventory.v1 import catalog_pb2, stock_adjustment_pb2
from inventory_service.domain.identity import Role
from tests.helpers import (
    ADMIN,
    APPLIED,
    DAMAGE,
    MANAGER,
    OTHER_MANAGER,
    PENDING,
    REJECTED,
    STAFF,
    THEFT,
    Clients,
    adjust,
    approve,
    auth,
    error_info,
    expect_error,
    get_adjustment,
    ledger_of,
    make_product,
    move,
    precondition_violations,
    stock_of,
)


def reject_request(
    adjustment_id: str, notes: str = "camera shows it on the shelf"
) -> stock_adjustment_pb2.RejectStockAdjustmentRequest:
    return stock_adjustment_pb2.RejectStockAdjustmentRequest(
        stock_adjustment_id=adjustment_id, notes=notes
    )


def approve_request(adjustment_id: str) -> stock_adjustment_pb2.ApproveStockAdjustmentRequest:
    return stock_adjustment_pb2.ApproveStockAdjustmentRequest(stock_adjustment_id=adjustment_id)


def test_approve_applies_with_the_stock_of_that_moment(api: Clients) -> None:
    product_id = make_product(api, opening=100)
    pending = adjust(api, product_id, DAMAGE, -60, reference_number="DR-1")
    move(api, product_id, +25)  # a delivery lands while the manager looks at it

    approved = approve(api, pending.id, notes="photos checked")

    assert approved.status == APPLIED
    assert (approved.quantity_before, approved.quantity_after) == (125, 65)
    assert approved.decided_by == "mia-manager"
    assert approved.HasField("decide_time")
    assert approved.decide_time.ToDatetime() >= approved.create_time.ToDatetime()
    assert approved.decision_notes == "photos checked"
    assert approved.requires_approval
    assert approved.created_by == "sam-staff"
    assert stock_of(api, product_id) == 65
    last = ledger_of(api, product_id)[-1]
    assert last.source == catalog_pb2.LEDGER_SOURCE_ADJUSTMENT
    assert last.stock_adjustment_id == pending.id
    assert (last.quantity_delta, last.quantity_before, last.quantity_after) == (-60, 125, 65)
    assert last.actor == "mia-manager"
    assert get_adjustment(api, pending.id) == approved


def test_admin_may_approve(api: Clients) -> None:
    product_id = make_product(api, opening=100)
    pending = adjust(api, product_id, THEFT, -2)

    approved = approve(api, pending.id, metadata=ADMIN)

    assert (approved.status, approved.decided_by) == (APPLIED, "alice-admin")
    assert stock_of(api, product_id) == 98


def test_reject_records_who_when_why_and_never_applies(api: Clients) -> None:
    product_id = make_product(api, opening=100)
    pending = adjust(api, product_id, THEFT, -4)
    ledger_before = ledger_of(api, product_id)

    rejected = api.adjustments.RejectStockAdjustment(
        reject_request(pending.id), metadata=MANAGER
    ).stock_adjustment

    assert rejected.status == REJECTED
    assert rejected.decided_by == "mia-manager"
    assert rejected.HasField("decide_time")
    assert rejected.decision_notes == "camera shows it on the shelf"
    assert not rejected.HasField("quantity_before")
    assert not rejected.HasField("quantity_after")
    assert get_adjustment(api, pending.id) == rejected
    error = expect_error(
        grpc.StatusCode.FAILED_PRECONDITION,
        api.adjustments.ApproveStockAdjustment,
        approve_request(pending.id),
        metadata=OTHER_MANAGER,
    )
    assert error_info(error).reason == "ADJUSTMENT_NOT_PENDING"
    assert stock_of(api, product_id) == 100
    assert ledger_of(api, product_id) == ledger_before


def test_reject_needs_a_reason(api: Clients) -> None:
    product_id = make_product(api, opening=100)
    pending = adjust(api, product_id, THEFT, -4)

    expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        api.adjustments.RejectStockAdjustment,
        reject_request(pending.id, notes=" "),
        metadata=MANAGER,
    )

    assert get_adjustment(api, pending.id).status == PENDING


def test_second_approval_is_failed_precondition_and_applies_nothing(api: Clients) -> None:
    product_id = make_product(api, opening=100)
    pending = adjust(api, product_id, THEFT, -4)
    approve(api, pending.id)

    error = expect_error(
        grpc.StatusCode.FAILED_PRECONDITION,
        api.adjustments.ApproveStockAdjustment,
        approve_request(pending.id),
        metadata=OTHER_MANAGER,
    )

    assert error_info(error).reason == "ADJUSTMENT_NOT_PENDING"
    assert precondition_violations(error)[0].subject == f"stockAdjustments/{pending.id}"
    assert stock_of(api, product_id) == 96
    assert [e.stock_adjustment_id for e in ledger_of(api, product_id)].count(pending.id) == 1
    assert get_adjustment(api, pending.id).decided_by == "mia-manager"


def test_an_adjustment_applied_at_once_cannot_be_approved_or_rejected(api: Clients) -> None:
    product_id = make_product(api, opening=100)
    applied = adjust(api, product_id, DAMAGE, -1)

    for call, request in [
        (api.adjustments.ApproveStockAdjustment, approve_request(applied.id)),
        (api.adjustments.RejectStockAdjustment, reject_request(applied.id)),
    ]:
        error = expect_error(grpc.StatusCode.FAILED_PRECONDITION, call, request, metadata=MANAGER)
        assert error_info(error).reason == "ADJUSTMENT_NOT_PENDING"
    assert stock_of(api, product_id) == 99


def test_nobody_approves_their_own_adjustment(api: Clients) -> None:
    product_id = make_product(api, opening=100)
    own = adjust(api, product_id, THEFT, -4, metadata=MANAGER)

    error = expect_error(
        grpc.StatusCode.PERMISSION_DENIED,
        api.adjustments.ApproveStockAdjustment,
        approve_request(own.id),
        metadata=MANAGER,
    )

    assert error_info(error).reason == "SELF_APPROVAL_FORBIDDEN"
    assert get_adjustment(api, own.id).status == PENDING
    assert stock_of(api, product_id) == 100
    # Another manager may.
    assert approve(api, own.id, metadata=OTHER_MANAGER).status == APPLIED


def test_nobody_rejects_their_own_adjustment(api: Clients) -> None:
    product_id = make_product(api, opening=100)
    own = adjust(api, product_id, THEFT, -4, metadata=MANAGER)

    error = expect_error(
        grpc.StatusCode.PERMISSION_DENIED,
        api.adjustments.RejectStockAdjustment,
        reject_request(own.id),
        metadata=MANAGER,
    )

    assert error_info(error).reason == "SELF_REJECTION_FORBIDDEN"
    assert get_adjustment(api, own.id).status == PENDING


@pytest.mark.parametrize("method", ["ApproveStockAdjustment", "RejectStockAdjustment"])
def test_staff_cannot_decide(api: Clients, method: str) -> None:
    product_id = make_product(api, opening=100)
    pending = adjust(api, product_id, THEFT, -4)
    request = (
        approve_request(pending.id) if method.startswith("Approve") else reject_request(pending.id)
    )

    error = expect_error(
        grpc.StatusCode.PERMISSION_DENIED,
        getattr(api.adjustments, method),
        request,
        metadata=auth(Role.STAFF, "staff-2"),
    )

    assert error_info(error).reason == "ROLE_TOO_LOW"
    assert get_adjustment(api, pending.id).status == PENDING
    assert stock_of(api, product_id) == 100


def test_approval_that_would_go_below_zero_fails_and_stays_pending(api: Clients) -> None:
    product_id = make_product(api, opening=100)
    pending = adjust(api, product_id, DAMAGE, -60)
    move(api, product_id, -50)  # sold meanwhile: only 50 left
    ledger_before = ledger_of(api, product_id)

    error = expect_error(
        grpc.StatusCode.FAILED_PRECONDITION,
        api.adjustments.ApproveStockAdjustment,
        approve_request(pending.id),
        metadata=MANAGER,
    )

    assert error_info(error).reason == "INSUFFICIENT_STOCK"
    after = get_adjustment(api, pending.id)
    assert after == pending
    assert not after.decided_by
    assert stock_of(api, product_id) == 50
    assert ledger_of(api, product_id) == ledger_before
    # Once stock is back, the same approval goes through.
    move(api, product_id, +20)
    assert approve(api, pending.id).quantity_after == 10


@pytest.mark.parametrize("method", ["ApproveStockAdjustment", "RejectStockAdjustment"])
def test_deciding_an_unknown_adjustment_is_not_found(api: Clients, method: str) -> None:
    unknown = "00000000-0000-0000-0000-000000000000"
    request = approve_request(unknown) if method.startswith("Approve") else reject_request(unknown)

    error = expect_error(
        grpc.StatusCode.NOT_FOUND, getattr(api.adjustments, method), request, metadata=MANAGER
    )

    assert error_info(error).reason == "STOCK_ADJUSTMENT_NOT_FOUND"


def test_get_unknown_or_missing_id(api: Clients) -> None:
    expect_error(
        grpc.StatusCode.NOT_FOUND,
        api.adjustments.GetStockAdjustment,
        stock_adjustment_pb2.GetStockAdjustmentRequest(stock_adjustment_id="nope"),
        metadata=STAFF,
    )
    expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        api.adjustments.GetStockAdjustment,
        stock_adjustment_pb2.GetStockAdjustmentRequest(),
        metadata=STAFF,
    )
