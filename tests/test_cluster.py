"""Three replicas behind HAProxy on one PostgreSQL (deploy/cluster.py, `make cluster`): a count
story and a scanner stream run through the balancer while the replica holding the stream is
killed and the next one holding it is restarted. Every acknowledged entry is stored once, the
stream resumes on another replica, and no call is answered INTERNAL.

HAProxy comes from Debian's package; `make test` installs it where it can. Without it this test
is skipped with a loud reason, except under CI (CI set), where it fails."""

from __future__ import annotations

import collections
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest
from sqlalchemy import select

from deploy.cluster import Cluster, haproxy_binary
from deploy.processes import Record
from inventory.v1 import catalog_pb2, stock_adjustment_pb2
from inventory.v1 import inventory_count_pb2 as pb
from inventory_service.db.engine import create_db_engine
from inventory_service.db.ledger_audit import audit_ledger
from inventory_service.db.models import StoredCountEntry
from tests.cluster_support import Scanner, acks_grow
from tests.conftest import UNDER_CI
from tests.helpers import (
    ADMIN,
    MANAGER,
    STAFF,
    TEST_SECRET,
    THEFT,
    Clients,
    clients,
    create_request,
    money,
)

SCANNER_REQUEST_ID = "cluster-scanner-1"
SHELF = [f"CLUSTER-S{i}" for i in range(8)]


@pytest.fixture
def cluster(postgres_url: str) -> Iterator[Cluster]:
    if haproxy_binary() is None:
        message = "haproxy is not installed (apt-get install haproxy; make test tries to)"
        if UNDER_CI:
            pytest.fail(f"{message} (CI requires it)", pytrace=False)
        pytest.skip(f"!!! SKIPPING THE CLUSTER TEST: {message}")
    with Cluster(postgres_url, TEST_SECRET, replicas=3, workers=1) as started:
        yield started


class Calls:
    """Unary calls through the balancer, every status recorded. A call that meets UNAVAILABLE
    (in flight on a replica that died) is sent again: each mutation here carries a request_id,
    so a retry applies once."""

    def __init__(self, api: Clients) -> None:
        self.api = api
        self.codes: collections.Counter[str] = collections.Counter()

    def __call__(self, method: Callable[..., Any], request: Any, metadata: Any) -> Any:
        for _ in range(10):
            try:
                response = method(request, metadata=metadata, timeout=30)
            except grpc.RpcError as error:
                self.codes[error.code().name] += 1
                if error.code() != grpc.StatusCode.UNAVAILABLE:
                    raise
                time.sleep(0.2)
                continue
            self.codes["OK"] += 1
            return response
        raise AssertionError("still UNAVAILABLE after 10 tries")


class Reader(threading.Thread):
    """Reads the catalog in a loop all along, as the internal services do."""

    def __init__(self, port: int) -> None:
        super().__init__(name="catalog-reader", daemon=True)
        self.port = port
        self.codes: collections.Counter[str] = collections.Counter()
        self.done = threading.Event()

    def run(self) -> None:
        with clients(self.port) as api:
            while not self.done.wait(0.02):
                try:
                    api.catalog.ListProducts(
                        catalog_pb2.ListProductsRequest(page_size=20), metadata=STAFF, timeout=30
                    )
                    self.codes["OK"] += 1
                except grpc.RpcError as error:
                    self.codes[error.code().name] += 1


def _opened(cluster: Cluster) -> list[tuple[str, Record, bool]]:
    """(replica, its "stream opened" line, whether that process is alive) of the scanner's
    streams, oldest first."""
    found = []
    for replica in cluster.members:
        for process in replica.processes():
            alive = process.process.poll() is None
            for record in process.messages("stream opened"):
                if record.get("request_id") == SCANNER_REQUEST_ID:
                    found.append((replica.name, record, alive))
    return sorted(found, key=lambda item: str(item[1]["time"]))


def _holder(cluster: Cluster, *, not_on: frozenset[str] = frozenset(), timeout: float = 60) -> str:
    """The replica that holds the scanner's stream now (its newest stream, on a live
    process), waiting for one that is not in not_on."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        opened = _opened(cluster)
        if opened and opened[-1][2] and opened[-1][0] not in not_on:
            return opened[-1][0]
        time.sleep(0.1)
    raise AssertionError(f"the scanner's stream did not open on a replica other than {not_on}")


def test_count_story_and_scanner_stream_survive_a_killed_and_a_restarted_replica(
    cluster: Cluster, postgres_url: str
) -> None:
    tag = uuid.uuid4().hex[:6]
    with clients(cluster.port) as api:
        call = Calls(api)

        def product(sku: str, cost: str, opening: int) -> catalog_pb2.Product:
            request = catalog_pb2.CreateProductRequest(
                product=catalog_pb2.Product(sku=sku, name=sku, unit_cost=money(cost)),
                opening_quantity=opening,
                request_id=f"{tag}-{sku}",
            )
            return call(api.catalog.CreateProduct, request, ADMIN).product

        a = product("CLUSTER-A", "2.50", 40)
        b = product("CLUSTER-B", "12.50", 20)
        shelf = {sku: product(sku, "1.00", 0) for sku in SHELF}
        count = call(
            api.counts.StartInventoryCount,
            pb.StartInventoryCountRequest(
                name="Cluster count", type=pb.INVENTORY_COUNT_TYPE_CYCLE, request_id=f"{tag}-start"
            ),
            MANAGER,
        ).inventory_count

        reader = Reader(cluster.port)
        scanner = Scanner(
            cluster.address,
            count.id,
            SHELF,
            device_id="scanner-1",
            request_id=SCANNER_REQUEST_ID,
        )
        reader.start()
        scanner.start()
        try:
            acks_grow(scanner)

            def add_item(sku: str, quantity: int) -> pb.CountItem:
                request = pb.AddCountItemRequest(
                    inventory_count_id=count.id,
                    product=catalog_pb2.ProductSelector(sku=sku),
                    counted_quantity=quantity,
                    request_id=f"{tag}-add-{sku}",
                )
                return call(api.counts.AddCountItem, request, STAFF).item

            assert add_item("CLUSTER-A", 40).variance == 0

            # A crash of the replica that holds the stream: no drain, connections reset.
            first = _holder(cluster)
            cluster.kill_replica(first)
            assert add_item("CLUSTER-B", 12).variance == -8  # sent at once, before any check
            second = _holder(cluster, not_on=frozenset({first}))
            acks_grow(scanner)
            cluster.wait_for_states({first: "DOWN"})

            movement = catalog_pb2.RecordStockMovementsRequest(
                movements=[
                    catalog_pb2.StockMovement(
                        product_id=a.id, quantity_delta=-5, source_reference="SALE-1"
                    )
                ],
                request_id=f"{tag}-sale",
            )
            call(api.catalog.RecordStockMovements, movement, STAFF)
            theft = call(
                api.adjustments.CreateStockAdjustment,
                create_request(b.id, THEFT, -1, request_id=f"{tag}-theft"),
                STAFF,
            ).stock_adjustment
            assert theft.status == stock_adjustment_pb2.STOCK_ADJUSTMENT_STATUS_PENDING

            # A restart of the replica that holds the stream now: it drains, the stream moves.
            assert cluster.stop_replica(second) == 0
            third = _holder(cluster, not_on=frozenset({first, second}))
            cluster.restart_replica(second)
            cluster.restart_replica(first)
            cluster.wait_for_states({first: "UP", second: "UP", third: "UP"})
            acks_grow(scanner)
            approved = call(
                api.adjustments.ApproveStockAdjustment,
                stock_adjustment_pb2.ApproveStockAdjustmentRequest(stock_adjustment_id=theft.id),
                MANAGER,
            ).stock_adjustment
            assert approved.status == stock_adjustment_pb2.STOCK_ADJUSTMENT_STATUS_APPLIED
        finally:
            scanner.stop.set()
            scanner.join(90)
            reader.done.set()
            reader.join(30)
        assert scanner.error is None, repr(scanner.error)

        done = call(
            api.counts.CompleteInventoryCount,
            pb.CompleteInventoryCountRequest(
                inventory_count_id=count.id, apply_adjustments=True, request_id=f"{tag}-done"
            ),
            MANAGER,
        )
        assert done.inventory_count.status == pb.INVENTORY_COUNT_STATUS_COMPLETED

        def level(product_id: str) -> int:
            selector = catalog_pb2.ProductSelector(id=product_id)
            got = call(
                api.catalog.GetProduct, catalog_pb2.GetProductRequest(product=selector), STAFF
            )
            return int(got.product.stock_quantity)

        # A: counted 40 before a sale of 5 (kept); B: counted 12 of 20, a theft of 1 approved
        # after the scan, so the difference -8 leaves 11; the shelf: what the scanner counted.
        scanned = collections.Counter(scanner.acked.values())
        assert (level(a.id), level(b.id)) == (35, 11)
        assert {sku: level(p.id) for sku, p in shelf.items()} == {
            sku: scanned[sku] for sku in SHELF
        }

    # Every acknowledged entry is stored, once (its row's primary key is its entry_id), under
    # the scanner's stream; beside them, the two AddCountItem calls (they carry a request_id).
    engine = create_db_engine(postgres_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(StoredCountEntry.entry_id, StoredCountEntry.request_id).where(
                    StoredCountEntry.inventory_count_id == count.id
                )
            ).all()
        scanned_rows = {
            entry_id for entry_id, request_id in rows if request_id == SCANNER_REQUEST_ID
        }
        assert scanned_rows == set(scanner.acked)
        assert len(rows) == len(scanner.acked) + 2
        assert audit_ledger(engine).ok
    finally:
        engine.dispose()

    # The stream moved: it was opened on all three replicas in turn.
    assert [name for name, _, _ in _opened(cluster)][-1] == third
    assert {name for name, _, _ in _opened(cluster)} >= {first, second, third}
    # Reset by the crash (CANCELLED or INTERNAL, as the balancer tells it), then ended by the
    # draining replica with UNAVAILABLE (SERVER_DRAINING): the client sees that, or a reset when
    # HAProxy's reset of the stream overtakes the trailers; either way the session resumed.
    assert len(scanner.reconnects) >= 2, scanner.reconnects
    drained = [
        r["code"]
        for process in cluster.replica(second).processes()
        for r in process.messages("rpc")
        if r.get("request_id") == SCANNER_REQUEST_ID
    ]
    assert drained == ["UNAVAILABLE"], drained
    # No call was answered INTERNAL: not by a replica, not through the balancer.
    answered = [
        r["code"]
        for replica in cluster.members
        for process in replica.processes()
        for r in process.messages("rpc")
    ]
    assert "INTERNAL" not in answered
    assert "INTERNAL" not in call.codes
    assert "INTERNAL" not in reader.codes
    assert set(reader.codes) <= {"OK", "UNAVAILABLE"}, reader.codes
    assert reader.codes["OK"] > 0
