"""ListStockAdjustments (filters, newest first), ListPendingApprovals (oldest first) and
ListProductAdjustments, each paged through with small pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import pytest

from inventory.v1 import stock_adjustment_pb2
from tests.helpers import (
    APPLIED,
    CORRECTION,
    DAMAGE,
    FOUND,
    MANAGER,
    PENDING,
    REJECTED,
    STAFF,
    THEFT,
    Clients,
    adjust,
    all_adjustments,
    approve,
    expect_error,
    field_violations,
    make_product,
    pages,
)

Adjustment = stock_adjustment_pb2.StockAdjustment


def page_through(
    call: Callable[..., Any], request_type: Any, page_size: int, **fields: Any
) -> list[list[Adjustment]]:
    """Every page of a List call, in order."""
    return pages(call, request_type(page_size=page_size, **fields), "stock_adjustments")


def ids(adjustments: list[Adjustment]) -> list[str]:
    return [a.id for a in adjustments]


def newest_first(adjustments: list[Adjustment]) -> list[str]:
    return ids(sorted(adjustments, key=lambda a: (a.create_time.ToDatetime(), a.id), reverse=True))


@pytest.fixture
def history(api: Clients) -> dict[str, Any]:
    """Two products with a mix of types and statuses, created in a known order."""
    p1 = make_product(api, opening=500)
    p2 = make_product(api, opening=500)
    made = [
        adjust(api, p1, DAMAGE, -1),  # 0 applied
        adjust(api, p2, FOUND, 2),  # 1 applied
        adjust(api, p1, THEFT, -3),  # 2 pending, approved below
        adjust(api, p1, CORRECTION, 60),  # 3 pending
        adjust(api, p2, THEFT, -1),  # 4 pending, rejected below
        adjust(api, p1, DAMAGE, -4),  # 5 applied
        adjust(api, p2, THEFT, -2),  # 6 pending
        adjust(api, p1, FOUND, 5),  # 7 applied
    ]
    approve(api, made[2].id)
    api.adjustments.RejectStockAdjustment(
        stock_adjustment_pb2.RejectStockAdjustmentRequest(
            stock_adjustment_id=made[4].id, notes="found it"
        ),
        metadata=MANAGER,
    )
    return {"p1": p1, "p2": p2, "made": made}


def test_lists_everything_newest_first_across_small_pages(
    api: Clients, history: dict[str, Any]
) -> None:
    made: list[Adjustment] = history["made"]

    pages = page_through(
        api.adjustments.ListStockAdjustments, stock_adjustment_pb2.ListStockAdjustmentsRequest, 3
    )

    assert [len(p) for p in pages] == [3, 3, 2]
    listed = [a for page in pages for a in page]
    assert ids(listed) == ids(list(reversed(made)))
    assert ids(listed) == newest_first(listed)
    statuses = {a.id: a.status for a in listed}
    assert statuses[made[2].id] == APPLIED
    assert statuses[made[4].id] == REJECTED
    assert statuses[made[6].id] == PENDING


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        pytest.param({"product": "p1"}, [7, 5, 3, 2, 0], id="product"),
        pytest.param({"type": THEFT}, [6, 4, 2], id="type"),
        pytest.param({"status": PENDING}, [6, 3], id="status"),
        pytest.param({"status": APPLIED}, [7, 5, 2, 1, 0], id="status-applied"),
        pytest.param({"product": "p2", "type": THEFT}, [6, 4], id="product-and-type"),
        pytest.param({"from": 2, "to": 5}, [5, 4, 3, 2], id="from-to-inclusive"),
        pytest.param({"from": 6}, [7, 6], id="from-only"),
        pytest.param({"to": 1}, [1, 0], id="to-only"),
        pytest.param({"from": 1, "to": 6, "type": DAMAGE}, [5], id="time-and-type"),
    ],
)
def test_filters_page_through_in_order(
    api: Clients, history: dict[str, Any], filters: dict[str, Any], expected: list[int]
) -> None:
    made: list[Adjustment] = history["made"]
    fields: dict[str, Any] = {}
    if "product" in filters:
        fields["product_id"] = history[filters["product"]]
    if "type" in filters:
        fields["type"] = filters["type"]
    if "status" in filters:
        fields["status"] = filters["status"]
    if "from" in filters:
        fields["create_time_from"] = made[filters["from"]].create_time
    if "to" in filters:
        fields["create_time_to"] = made[filters["to"]].create_time

    pages = page_through(
        api.adjustments.ListStockAdjustments,
        stock_adjustment_pb2.ListStockAdjustmentsRequest,
        2,
        **fields,
    )

    assert all(len(page) <= 2 for page in pages)
    assert [a.id for page in pages for a in page] == [made[i].id for i in expected]


def test_pending_approvals_oldest_first(api: Clients, history: dict[str, Any]) -> None:
    made: list[Adjustment] = history["made"]
    p1 = history["p1"]
    more = [adjust(api, p1, THEFT, -1) for _ in range(3)]

    pages = page_through(
        api.adjustments.ListPendingApprovals, stock_adjustment_pb2.ListPendingApprovalsRequest, 2
    )

    assert [len(p) for p in pages] == [2, 2, 1]
    listed = [a for page in pages for a in page]
    assert ids(listed) == [made[3].id, made[6].id, *ids(more)]
    assert all(a.status == PENDING for a in listed)

    approve(api, made[3].id)
    first = api.adjustments.ListPendingApprovals(
        stock_adjustment_pb2.ListPendingApprovalsRequest(page_size=1), metadata=STAFF
    )
    assert ids(list(first.stock_adjustments)) == [made[6].id]


def test_product_adjustments_newest_first(api: Clients, history: dict[str, Any]) -> None:
    made: list[Adjustment] = history["made"]

    pages = page_through(
        api.adjustments.ListProductAdjustments,
        stock_adjustment_pb2.ListProductAdjustmentsRequest,
        2,
        product_id=history["p2"],
    )

    assert [len(p) for p in pages] == [2, 1]
    assert [a.id for page in pages for a in page] == [made[6].id, made[4].id, made[1].id]


def test_product_without_adjustments_lists_nothing(api: Clients) -> None:
    product_id = make_product(api, opening=5)

    response = api.adjustments.ListProductAdjustments(
        stock_adjustment_pb2.ListProductAdjustmentsRequest(product_id=product_id),
        metadata=STAFF,
    )

    assert list(response.stock_adjustments) == []
    assert response.next_page_token == ""


def test_product_adjustments_of_unknown_or_missing_product(api: Clients) -> None:
    expect_error(
        grpc.StatusCode.NOT_FOUND,
        api.adjustments.ListProductAdjustments,
        stock_adjustment_pb2.ListProductAdjustmentsRequest(
            product_id="00000000-0000-0000-0000-000000000000"
        ),
        metadata=STAFF,
    )
    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        api.adjustments.ListProductAdjustments,
        stock_adjustment_pb2.ListProductAdjustmentsRequest(),
        metadata=STAFF,
    )
    assert set(field_violations(error)) == {"product_id"}


LIST_CALLS = [
    pytest.param("ListStockAdjustments", {}, id="all"),
    pytest.param("ListPendingApprovals", {}, id="pending"),
    pytest.param("ListProductAdjustments", {"product_id": "p1"}, id="product"),
]


def _request(history: dict[str, Any], method: str, fields: dict[str, Any], **extra: Any) -> Any:
    request_type = getattr(stock_adjustment_pb2, f"{method}Request")
    resolved = {k: history[v] if k == "product_id" else v for k, v in fields.items()}
    return request_type(**resolved, **extra)


@pytest.mark.parametrize(("method", "fields"), LIST_CALLS)
def test_bad_page_token_is_invalid_argument(
    api: Clients, history: dict[str, Any], method: str, fields: dict[str, Any]
) -> None:
    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        getattr(api.adjustments, method),
        _request(history, method, fields, page_token="not-a-token"),
        metadata=STAFF,
    )

    assert set(field_violations(error)) == {"page_token"}


@pytest.mark.parametrize(("method", "fields"), LIST_CALLS)
def test_negative_page_size_is_invalid_argument(
    api: Clients, history: dict[str, Any], method: str, fields: dict[str, Any]
) -> None:
    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        getattr(api.adjustments, method),
        _request(history, method, fields, page_size=-1),
        metadata=STAFF,
    )

    assert set(field_violations(error)) == {"page_size"}


def test_a_page_token_only_continues_the_same_filters(
    api: Clients, history: dict[str, Any]
) -> None:
    first = api.adjustments.ListStockAdjustments(
        stock_adjustment_pb2.ListStockAdjustmentsRequest(page_size=1, type=THEFT),
        metadata=STAFF,
    )
    assert first.next_page_token

    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        api.adjustments.ListStockAdjustments,
        stock_adjustment_pb2.ListStockAdjustmentsRequest(
            page_size=1, type=DAMAGE, page_token=first.next_page_token
        ),
        metadata=STAFF,
    )

    assert set(field_violations(error)) == {"page_token"}


def test_from_after_to_is_invalid_argument(api: Clients, history: dict[str, Any]) -> None:
    made: list[Adjustment] = history["made"]

    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        api.adjustments.ListStockAdjustments,
        stock_adjustment_pb2.ListStockAdjustmentsRequest(
            create_time_from=made[5].create_time, create_time_to=made[2].create_time
        ),
        metadata=STAFF,
    )

    assert set(field_violations(error)) == {"create_time_from"}


def test_unknown_product_filter_lists_nothing(api: Clients, history: dict[str, Any]) -> None:
    assert all_adjustments(api, product_id="00000000-0000-0000-0000-000000000000") == []
