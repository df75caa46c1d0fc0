"""The Python client retries what is safe to retry after a connection-level failure (issue 16):
UNAVAILABLE, and INTERNAL or UNKNOWN made by the transport (a reset as a worker dies, which
carries none of the server's error details), never the server's own INTERNAL (a bug)."""

from __future__ import annotations

import grpc
import pytest

from inventory.v1 import catalog_pb2
from inventory_client import Backoff, InventoryClient, InventoryError, RetryPolicy
from inventory_service.domain.identity import Role
from tests.balancer_support import Balancer, Fault
from tests.helpers import money, token

QUICK_RETRY = RetryPolicy(max_attempts=4, backoff=Backoff(initial=0.02, maximum=0.1))


@pytest.mark.parametrize(
    ("code", "domain", "retried"),
    [
        (grpc.StatusCode.UNAVAILABLE, "", True),
        (grpc.StatusCode.UNAVAILABLE, "inventory.v1", True),  # e.g. DATABASE_UNAVAILABLE
        (grpc.StatusCode.INTERNAL, "", True),  # "Internal error from Core", RST_STREAM
        (grpc.StatusCode.UNKNOWN, "", True),
        (grpc.StatusCode.INTERNAL, "inventory.v1", False),  # the server's own: a bug
        (grpc.StatusCode.RESOURCE_EXHAUSTED, "inventory.v1", False),
        (grpc.StatusCode.FAILED_PRECONDITION, "inventory.v1", False),
        (grpc.StatusCode.DEADLINE_EXCEEDED, "", False),
    ],
)
def test_the_retry_rule(code: grpc.StatusCode, domain: str, retried: bool) -> None:
    failure = InventoryError(code, "x", domain=domain, reason="SOME_REASON" if domain else "")
    assert RetryPolicy.retryable(failure) is retried


def test_reads_and_request_id_writes_are_retried_after_a_transport_internal(
    balancer: Balancer,
) -> None:
    admin = token(Role.ADMIN, "retry-admin")
    with InventoryClient(f"127.0.0.1:{balancer.port}", admin, retry=QUICK_RETRY) as client:
        created = client.create_product(
            catalog_pb2.CreateProductRequest(
                product=catalog_pb2.Product(sku="RST-1", name="reset", unit_cost=money("1.00")),
                opening_quantity=10,
            )
        ).product
        selector = catalog_pb2.ProductSelector(id=created.id)
        balancer.fail_next("GetProduct", Fault(grpc.StatusCode.INTERNAL))
        assert client.get_product(catalog_pb2.GetProductRequest(product=selector)).product.id
        # Applied by the server, then the connection reset: the retry is answered once.
        balancer.fail_next(
            "RecordStockMovements",
            Fault(grpc.StatusCode.INTERNAL, after_server=True),
            Fault(grpc.StatusCode.UNKNOWN),
        )
        client.record_stock_movements(
            catalog_pb2.RecordStockMovementsRequest(
                movements=[
                    catalog_pb2.StockMovement(
                        product_id=created.id, quantity_delta=5, source_reference="GRN-4"
                    )
                ]
            )
        )
        stock = client.get_product(catalog_pb2.GetProductRequest(product=selector))
    assert stock.product.stock_quantity == 15
    assert len(balancer.requests["RecordStockMovements"]) == 3
