"""Prometheus metrics the server records (prometheus-client); docs/operations.md says what each
means and the alert to set on it.

Call metrics follow the names of go-grpc-prometheus (grpc_server_*), which dashboards and alert
rules for gRPC services already use. With worker processes the values live in files shared
through PROMETHEUS_MULTIPROC_DIR (set by the parent before any worker starts), and the metrics
endpoint (metrics_endpoint.py) adds them up; gauges of what is open now count live processes
only (livesum), so a dead worker's streams leave the sum with it."""

from __future__ import annotations

import functools
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

_CALL_LABELS = ["grpc_type", "grpc_service", "grpc_method"]
_SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

calls_started = Counter("grpc_server_started", "RPCs started on the server.", _CALL_LABELS)
calls_handled = Counter(
    "grpc_server_handled",
    "RPCs completed on the server, by status code.",
    [*_CALL_LABELS, "grpc_code"],
)
call_seconds = Histogram(
    "grpc_server_handling_seconds",
    "Time from the start of a unary RPC to its answer (streams are left out: they last a shift).",
    _CALL_LABELS,
    buckets=_SECONDS,
)
open_streams = Gauge(
    "inventory_open_streams",
    "StreamCountItems streams open now.",
    multiprocess_mode="livesum",
)
stream_entries = Counter(
    "inventory_stream_entries",
    "Scanner entries answered on StreamCountItems, by result (stored, duplicate, rejected).",
    ["result"],
)
stream_rejections = Counter(
    "inventory_stream_entries_rejected",
    "Scanner entries rejected, by ErrorInfo reason.",
    ["reason"],
)
entry_batch_size = Histogram(
    "inventory_entry_batch_size",
    "Count entries per committed transaction (streams and AddCountItem calls share them).",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000),
)
entry_batch_seconds = Histogram(
    "inventory_entry_batch_seconds",
    "Time from handing a batch of count entries to the database threads to its commit.",
    buckets=_SECONDS,
)
db_connections_in_use = Gauge(
    "inventory_db_connections_in_use",
    "Database connections checked out of the pools now.",
    multiprocess_mode="livesum",
)
db_connections_max = Gauge(
    "inventory_db_connections_max",
    "Database connections the pools may open (pool size and overflow, every worker).",
    multiprocess_mode="livesum",
)
worker_restarts = Counter(
    "inventory_worker_restarts",
    "Worker processes that died and were started again.",
)

STREAM_TYPES = {
    (False, False): "unary",
    (True, False): "client_stream",
    (False, True): "server_stream",
    (True, True): "bidi_stream",
}


def call_type(handler: Any) -> str:  # a grpc.RpcMethodHandler
    return STREAM_TYPES[(handler.request_streaming, handler.response_streaming)]


def call_labels(grpc_type: str, method: str) -> tuple[str, str, str]:
    """('unary', 'inventory.v1.CatalogService', 'GetProduct') from '/inventory.v1.Catal...'."""
    service, _, name = method.lstrip("/").rpartition("/")
    return grpc_type, service, name


# A call's label values come from a few dozen methods and codes: the labelled children are
# looked up once each (prometheus-client's labels() checks and locks on every call).
@functools.cache
def _started(labels: tuple[str, str, str]) -> Any:
    return calls_started.labels(*labels)


@functools.cache
def _handled(labels: tuple[str, str, str], code: str) -> Any:
    return calls_handled.labels(*labels, code)


@functools.cache
def _seconds(labels: tuple[str, str, str]) -> Any:
    return call_seconds.labels(*labels)


def call_started(labels: tuple[str, str, str]) -> None:
    _started(labels).inc()


def call_handled(labels: tuple[str, str, str], code: str, seconds: float) -> None:
    """code: the status code's name (OK, NOT_FOUND, ...)."""
    _handled(labels, code).inc()
    if labels[0] == "unary":
        _seconds(labels).observe(seconds)


def count_stream_results(stored: int, duplicates: int, rejected_reasons: list[str]) -> None:
    if stored:
        stream_entries.labels("stored").inc(stored)
    if duplicates:
        stream_entries.labels("duplicate").inc(duplicates)
    if rejected_reasons:
        stream_entries.labels("rejected").inc(len(rejected_reasons))
        for reason in rejected_reasons:
            stream_rejections.labels(reason).inc()
