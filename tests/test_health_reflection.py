"""Health and reflection answer without a token; every service is discoverable."""

from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from tests.helpers import (
    Clients,
    expect_error,
)


def test_health_serving_without_token(api: Clients) -> None:
    stub = health_pb2_grpc.HealthStub(api.channel)
    overall = stub.Check(health_pb2.HealthCheckRequest())
    assert overall.status == health_pb2.HealthCheckResponse.SERVING
    catalog = stub.Check(health_pb2.HealthCheckRequest(service="inventory.v1.CatalogService"))
    assert catalog.status == health_pb2.HealthCheckResponse.SERVING


def test_health_unknown_service_is_not_found(api: Clients) -> None:
    stub = health_pb2_grpc.HealthStub(api.channel)
    request = health_pb2.HealthCheckRequest(service="nope.v1.Nothing")
    expect_error(grpc.StatusCode.NOT_FOUND, stub.Check, request)


def test_reflection_lists_services_and_files(api: Clients) -> None:
    stub = reflection_pb2_grpc.ServerReflectionStub(api.channel)
    requests = [
        reflection_pb2.ServerReflectionRequest(list_services=""),
        reflection_pb2.ServerReflectionRequest(
            file_containing_symbol="inventory.v1.InventoryCountService"
        ),
    ]
    responses = list(stub.ServerReflectionInfo(iter(requests)))
    names = {s.name for s in responses[0].list_services_response.service}
    assert {
        "inventory.v1.CatalogService",
        "inventory.v1.InventoryCountService",
        "inventory.v1.StockAdjustmentService",
        "inventory.v1.SiteService",
        "grpc.health.v1.Health",
    } <= names
    assert responses[1].file_descriptor_response.file_descriptor_proto
