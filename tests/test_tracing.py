"""OpenTelemetry tracing is off unless an exporter is configured; configured, each call is a
span (here the console exporter, on the server's standard output)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deploy.processes import ServerProcess, clean_env
from inventory.v1 import catalog_pb2
from inventory_service.api.tracing import TracingUnavailable, start_tracing
from tests.helpers import STAFF, TEST_SECRET, clients

LIST = "/inventory.v1.CatalogService/ListProducts"


def _spans_of_a_served_call(tmp_path: Path, **env: str) -> list[dict[str, object]]:
    args = ["--listen", "127.0.0.1:0", "--workers", "1"]
    args += ["--database-url", f"sqlite:///{tmp_path / 'inventory.db'}"]
    with ServerProcess(
        "traced", args, clean_env(INVENTORY_JWT_SECRET=TEST_SECRET, **env), tmp_path
    ) as server:
        with clients(server.port) as api:
            api.catalog.ListProducts(catalog_pb2.ListProductsRequest(), metadata=STAFF)
        assert server.stop() == 0  # the spans still buffered are exported on the way out
    # The console exporter prints each span as an indented JSON object.
    text = "".join(server.stdout)
    decoder = json.JSONDecoder()
    spans, position = [], text.find("{")
    while position != -1:
        span, end = decoder.raw_decode(text, position)
        spans.append(span)
        position = text.find("{", end)
    return spans


def test_tracing_is_off_by_default(tmp_path: Path) -> None:
    assert start_tracing({}) is None
    assert _spans_of_a_served_call(tmp_path) == []


def test_with_an_exporter_configured_each_call_is_a_span(tmp_path: Path) -> None:
    spans = _spans_of_a_served_call(
        tmp_path, OTEL_TRACES_EXPORTER="console", OTEL_SERVICE_NAME="inventory-test"
    )
    (span,) = [s for s in spans if s["name"] == LIST]
    assert span["kind"] == "SpanKind.SERVER"
    assert span["resource"]["attributes"]["service.name"] == "inventory-test"  # type: ignore[index]


def test_an_unknown_exporter_is_a_configuration_error() -> None:
    with pytest.raises(TracingUnavailable, match="jaeger"):
        start_tracing({"OTEL_TRACES_EXPORTER": "jaeger"})
