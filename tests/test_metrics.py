"""The Prometheus endpoint answers for the whole server: what every worker recorded, added up,
and what the database knows; each metric it exposes is documented in docs/operations.md."""

from __future__ import annotations

import re
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from prometheus_client.parser import text_string_to_metric_families

from deploy.processes import ServerProcess, clean_env
from inventory.v1 import catalog_pb2
from tests.helpers import (
    STAFF,
    TEST_SECRET,
    THEFT,
    Clients,
    ScannerStream,
    adjust,
    clients,
    create_product,
    scan,
    start_count,
)

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    args = ["--listen", "127.0.0.1:0", "--workers", str(WORKERS)]
    args += ["--metrics-listen", "127.0.0.1:0"]
    args += ["--database-url", f"sqlite:///{tmp_path / 'inventory.db'}"]
    env = clean_env(INVENTORY_JWT_SECRET=TEST_SECRET)
    with ServerProcess("metrics", args, env, tmp_path) as server:
        server.wait_for(lambda r: len(server.messages("serving")) >= WORKERS)
        yield server


def scrape(port: int) -> tuple[Samples, set[str]]:
    """The samples, and the metrics by the names the guide uses (counters with _total)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        families = list(text_string_to_metric_families(response.read().decode()))
    samples = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in families
        for sample in family.samples
    }
    names = {f.name + ("_total" if f.type == "counter" else "") for f in families}
    return samples, names


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def rpc(
    method: str, code: str = "OK", service: str = "inventory.v1.CatalogService"
) -> dict[str, str]:
    return {"grpc_type": "unary", "grpc_service": service, "grpc_method": method, "grpc_code": code}


def test_metrics_add_up_every_worker_and_ask_the_database(server: ServerProcess) -> None:
    metrics_port = server.metrics_port()
    with clients(server.port) as api:
        product = create_product(api, "MET-1", cost="10.00", opening=100)
        adjust(api, product.id, THEFT, -1)  # THEFT always waits for a manager
        count_id = start_count(api).id
        stream = ScannerStream(api, STAFF, device_id="scanner-1")
        stream.send(scan(count_id, sku="MET-1"), scan(count_id, sku="NO-SUCH-SKU"))
        stream.acks(2)
        stream.send(scan(count_id, sku="MET-1"))
        stream.acks(1)
        during, _ = scrape(metrics_port)  # the stream is still open
        stream.finish()
    calls = 20
    for _ in range(calls):  # each on a new connection: the kernel spreads them over the workers
        with clients(server.port) as api:
            _get(api, product.id)
    with clients(server.port) as api, pytest.raises(grpc.RpcError):
        _get(api, "no-such-product")

    # The access log says which worker served each call: both did.
    served_by = {
        r["pid"]
        for r in server.wait_for_all(
            lambda r: str(r.get("method")).endswith("/GetProduct"), calls + 1
        )
    }
    assert len(served_by) == WORKERS

    samples, names = scrape(metrics_port)
    assert value(samples, "grpc_server_handled_total", **rpc("GetProduct")) == calls
    assert value(samples, "grpc_server_handled_total", **rpc("GetProduct", "NOT_FOUND")) == 1
    labels = {"grpc_type": "unary", "grpc_service": "inventory.v1.CatalogService"}
    assert (
        value(samples, "grpc_server_handling_seconds_count", **labels, grpc_method="GetProduct")
        == calls + 1
    )
    assert (
        value(samples, "grpc_server_started_total", **labels, grpc_method="GetProduct") == calls + 1
    )

    assert value(during, "inventory_open_streams") == 1
    assert value(samples, "inventory_open_streams") == 0
    assert value(samples, "inventory_stream_entries_total", result="stored") == 2
    assert value(samples, "inventory_stream_entries_total", result="rejected") == 1
    assert (
        value(samples, "inventory_stream_entries_rejected_total", reason="PRODUCT_NOT_FOUND") == 1
    )
    assert value(samples, "inventory_entry_batch_size_sum") == 3  # the rejected one too
    assert value(samples, "inventory_entry_batch_seconds_count") >= 1

    # Database figures are read in the background, every INVENTORY_DB_CHECK_INTERVAL_SECONDS.
    assert _settles(metrics_port, "inventory_pending_adjustments", 1)
    samples, _ = scrape(metrics_port)
    assert value(samples, "inventory_oldest_pending_adjustment_seconds") > 0
    assert value(samples, "inventory_database_up") == 1
    # Every connection checked out went back (readiness probes check one out now and then).
    assert _settles(metrics_port, "inventory_db_connections_in_use", 0)
    assert value(samples, "inventory_db_connections_max") > 0

    # Every metric exposed is in the operations guide's table, and every one there is exposed.
    exposed = {name for name in names if name.startswith(("grpc_server_", "inventory_"))}
    guide = (ROOT / "docs" / "operations.md").read_text()
    documented = set(re.findall(r"^\| `((?:grpc_server|inventory)_[a-z_]+)`", guide, re.M))
    assert exposed == documented


def _get(api: Clients, product_id: str) -> None:
    request = catalog_pb2.GetProductRequest(product=catalog_pb2.ProductSelector(id=product_id))
    api.catalog.GetProduct(request, metadata=STAFF, timeout=10)


def _settles(port: int, name: str, expected: float, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value(scrape(port)[0], name) == expected:
            return True
        time.sleep(0.1)
    return False
