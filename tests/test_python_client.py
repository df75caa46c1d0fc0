"""The Python client against a real server: typed calls, errors decoded into exceptions, paged
iterators, deadlines, and retries only where repeating a call is safe (a test balancer in
between fails calls on cue)."""

from __future__ import annotations

import time
from typing import Any

import grpc
import pytest

import inventory_client.client as client_module
from inventory.v1 import catalog_pb2
from inventory.v1 import inventory_count_pb2 as counts_pb2
from inventory.v1 import stock_adjustment_pb2 as adjustments_pb2
from inventory_client import (
    Backoff,
    DeadlineExceeded,
    FailedPrecondition,
    InvalidArgument,
    InventoryClient,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    RetryPolicy,
    Unauthenticated,
    Unavailable,
)
from inventory_service.domain.identity import Role
from tests.balancer_support import Balancer, Fault
from tests.helpers import ServerThread, money, token

QUICK_RETRY = RetryPolicy(max_attempts=4, backoff=Backoff(initial=0.02, maximum=0.1))


def client_for(port: int, role: Role | None, **kwargs: Any) -> InventoryClient:
    secret = token(role, f"{role.name.lower()}-client") if role else None
    return InventoryClient(f"127.0.0.1:{port}", secret, **kwargs)


def new_product(client: InventoryClient, sku: str, opening: int = 10) -> catalog_pb2.Product:
    request = catalog_pb2.CreateProductRequest(
        product=catalog_pb2.Product(sku=sku, name=f"Product {sku}", unit_cost=money("2.00")),
        opening_quantity=opening,
    )
    return client.create_product(request).product


def damage(product_id: str, change: int) -> adjustments_pb2.CreateStockAdjustmentRequest:
    return adjustments_pb2.CreateStockAdjustmentRequest(
        product_id=product_id,
        type=adjustments_pb2.STOCK_ADJUSTMENT_TYPE_DAMAGE,
        quantity_change=change,
        reason="dropped",
    )


def test_address_and_token_come_from_the_environment(
    sqlite_server: ServerThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INVENTORY_ADDRESS", f"127.0.0.1:{sqlite_server.port}")
    monkeypatch.setenv("INVENTORY_TOKEN", token(Role.ADMIN, "env-admin"))
    with InventoryClient() as client:
        created = new_product(client, "ENV-1")
        assert created.sku == "ENV-1"
    # An argument wins over the environment.
    with (
        InventoryClient(token=token(Role.STAFF, "arg-staff")) as staff,
        pytest.raises(PermissionDenied) as raised,
    ):
        new_product(staff, "ENV-2")
    assert raised.value.reason == "ROLE_TOO_LOW"


def test_paged_iterators_follow_every_page(balancer: Balancer) -> None:
    with client_for(balancer.port, Role.ADMIN) as client:
        for i in range(7):
            new_product(client, f"PAGE-{i}")
        listed = client.iter_products(catalog_pb2.ListProductsRequest(page_size=3))
        assert [p.sku for p in listed] == [f"PAGE-{i}" for i in range(7)]
    pages = balancer.requests["ListProducts"]
    assert [bool(r.page_token) for r in pages] == [False, True, True]  # type: ignore[attr-defined]


def test_errors_carry_code_reason_and_details(sqlite_server: ServerThread) -> None:
    port = sqlite_server.port
    with client_for(port, Role.MANAGER) as manager, client_for(port, Role.STAFF) as staff:
        with pytest.raises(NotFound) as not_found:
            manager.get_product(
                catalog_pb2.GetProductRequest(product=catalog_pb2.ProductSelector(sku="NONE"))
            )
        assert not_found.value.code == grpc.StatusCode.NOT_FOUND
        assert not_found.value.reason == "PRODUCT_NOT_FOUND"
        assert not_found.value.domain == "inventory.v1"
        assert not_found.value.resource_type == "product"

        with pytest.raises(InvalidArgument) as invalid:
            manager.start_inventory_count(counts_pb2.StartInventoryCountRequest(name=""))
        fields = {v.field for v in invalid.value.field_violations}
        assert {"name", "type"} <= fields

        first = manager.start_inventory_count(
            counts_pb2.StartInventoryCountRequest(
                name="Aisle 1", type=counts_pb2.INVENTORY_COUNT_TYPE_CYCLE
            )
        ).inventory_count
        with pytest.raises(FailedPrecondition) as busy:
            manager.start_inventory_count(
                counts_pb2.StartInventoryCountRequest(
                    name="Aisle 2", type=counts_pb2.INVENTORY_COUNT_TYPE_CYCLE
                )
            )
        assert busy.value.reason == "COUNT_IN_PROGRESS"
        assert busy.value.metadata["inventory_count_id"] == first.id
        [violation] = busy.value.precondition_violations
        assert violation.subject == f"inventoryCounts/{first.id}"
        assert "COUNT_IN_PROGRESS" in busy.value.summary()

        with pytest.raises(PermissionDenied) as denied:
            staff.cancel_inventory_count(
                counts_pb2.CancelInventoryCountRequest(inventory_count_id=first.id)
            )
        assert denied.value.reason == "ROLE_TOO_LOW"
    with client_for(port, None) as anonymous, pytest.raises(Unauthenticated) as unauthenticated:
        anonymous.list_products()
    assert unauthenticated.value.reason == "TOKEN_MISSING"


def test_reads_are_retried_while_unavailable(balancer: Balancer) -> None:
    with client_for(balancer.port, Role.ADMIN, retry=QUICK_RETRY) as client:
        product = new_product(client, "READ-1")
        balancer.fail_next("GetProduct", Fault(), Fault())
        got = client.get_product(
            catalog_pb2.GetProductRequest(product=catalog_pb2.ProductSelector(id=product.id))
        )
    assert got.product.sku == "READ-1"
    assert len(balancer.requests["GetProduct"]) == 3


def test_a_write_whose_reply_was_lost_is_retried_with_its_request_id_and_applied_once(
    balancer: Balancer,
) -> None:
    with client_for(balancer.port, Role.ADMIN, retry=QUICK_RETRY) as client:
        product = new_product(client, "ONCE-1", opening=20)
        request = damage(product.id, -2)
        # The server applies it, then the reply is lost on the way back.
        balancer.fail_next("CreateStockAdjustment", Fault(after_server=True))
        created = client.create_stock_adjustment(request).stock_adjustment
        history = list(
            client.iter_product_adjustments(
                adjustments_pb2.ListProductAdjustmentsRequest(product_id=product.id)
            )
        )
        stock = client.get_product(
            catalog_pb2.GetProductRequest(product=catalog_pb2.ProductSelector(id=product.id))
        ).product.stock_quantity

    sent = balancer.requests["CreateStockAdjustment"]
    ids = {r.request_id for r in sent}  # type: ignore[attr-defined]
    assert len(sent) == 2
    assert len(ids) == 1
    assert ids != {""}
    assert request.request_id == ""  # the caller's message is left alone
    assert [a.id for a in history] == [created.id]
    assert stock == 18


def test_a_fresh_request_id_for_each_call_of_a_reused_message(balancer: Balancer) -> None:
    with client_for(balancer.port, Role.ADMIN) as client:
        product = new_product(client, "TWICE-1", opening=20)
        request = damage(product.id, -1)
        first = client.create_stock_adjustment(request).stock_adjustment
        second = client.create_stock_adjustment(request).stock_adjustment
    assert first.id != second.id


def test_writes_without_a_request_id_are_sent_once(balancer: Balancer) -> None:
    port = balancer.port
    with (
        client_for(port, Role.STAFF, retry=QUICK_RETRY) as staff,
        client_for(port, Role.MANAGER, retry=QUICK_RETRY) as manager,
        client_for(port, Role.ADMIN) as admin,
    ):
        product = new_product(admin, "THEFT-1", opening=20)
        pending = staff.create_stock_adjustment(
            adjustments_pb2.CreateStockAdjustmentRequest(
                product_id=product.id,
                type=adjustments_pb2.STOCK_ADJUSTMENT_TYPE_THEFT,
                quantity_change=-1,
                reason="missing",
            )
        ).stock_adjustment
        assert pending.status == adjustments_pb2.STOCK_ADJUSTMENT_STATUS_PENDING
        balancer.fail_next("ApproveStockAdjustment", Fault())
        with pytest.raises(Unavailable):
            manager.approve_stock_adjustment(
                adjustments_pb2.ApproveStockAdjustmentRequest(stock_adjustment_id=pending.id)
            )
    assert len(balancer.requests["ApproveStockAdjustment"]) == 1


def test_only_unavailable_is_retried(balancer: Balancer) -> None:
    with client_for(balancer.port, Role.STAFF, retry=QUICK_RETRY) as client:
        balancer.fail_next("ListProducts", Fault(grpc.StatusCode.RESOURCE_EXHAUSTED))
        with pytest.raises(ResourceExhausted):
            client.list_products()
        with pytest.raises(NotFound):
            client.get_inventory_count(
                counts_pb2.GetInventoryCountRequest(inventory_count_id="no-such-count")
            )
    assert len(balancer.requests["ListProducts"]) == 1
    assert len(balancer.requests["GetInventoryCount"]) == 1


def test_retries_stop_after_max_attempts(balancer: Balancer) -> None:
    policy = RetryPolicy(max_attempts=3, backoff=Backoff(initial=0.02, maximum=0.05))
    with client_for(balancer.port, Role.STAFF, retry=policy) as client:
        balancer.fail_next("ListProducts", *[Fault()] * 5)
        with pytest.raises(Unavailable):
            client.list_products()
    assert len(balancer.requests["ListProducts"]) == 3


def test_every_call_has_a_deadline(balancer: Balancer) -> None:
    slow = Fault(code=None, delay=2.0)
    with client_for(balancer.port, Role.STAFF, deadline=0.3) as client:
        balancer.fail_next("ListProducts", slow)
        started = time.monotonic()
        with pytest.raises(DeadlineExceeded):
            client.list_products()
        assert time.monotonic() - started < 1.5
        # A call may ask for more time than the default.
        balancer.fail_next("ListProducts", Fault(code=None, delay=0.5))
        assert list(client.list_products(timeout=10).products) == []


class ClientClock:
    """The client's clock (its module's `time`) in a test: time passes only while the client
    sleeps between attempts, so its decisions are the same on an idle and on a loaded machine,
    where a sleeper wakes late and an attempt started with a sliver of the deadline left ends
    DEADLINE_EXCEEDED. Each attempt still carries a real gRPC deadline: what the clock says is
    left."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_retries_share_the_deadline_and_never_outlast_it(
    balancer: Balancer, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = ClientClock()
    monkeypatch.setattr(client_module, "time", clock)
    retrying = RetryPolicy(max_attempts=50, backoff=Backoff(initial=1.0, maximum=1.0, jitter=0))
    with client_for(balancer.port, Role.STAFF, deadline=4.9, retry=retrying) as client:
        balancer.fail_next("ListProducts", *[Fault()] * 50)
        with pytest.raises(Unavailable):
            client.list_products()
    # Attempts at 0, 1, 2, 3 and 4 s: a sixth would start after the deadline, so the client
    # stops and raises what it was retrying instead of sleeping past it.
    assert clock.sleeps == [1.0] * 4
    assert clock.now < 4.9
    assert len(balancer.requests["ListProducts"]) == 5
    # Each attempt's deadline was what was left of the call's (less the trip to the balancer).
    left = dict(zip([4.9, 3.9, 2.9, 1.9, 0.9], balancer.deadlines["ListProducts"], strict=True))
    assert all(told - 0.5 < seconds <= told + 0.01 for told, seconds in left.items()), left
