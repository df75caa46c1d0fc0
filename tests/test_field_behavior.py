"""AIP-203 field behaviour in the contract matches what the server does: an empty request to an
RPC with REQUIRED fields is INVALID_ARGUMENT, and every field it names is marked REQUIRED; an
RPC without REQUIRED fields takes an empty request."""

from __future__ import annotations

import re
from pathlib import Path

import grpc
import pytest
from google.api import field_behavior_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor
from google.protobuf.message_factory import GetMessageClass

from inventory_service.api.server import SERVICES
from inventory_service.domain.identity import Role
from tests.helpers import Clients, auth, expect_error, field_violations

PROTOS = Path(__file__).resolve().parent.parent / "protos" / "inventory" / "v1"
UNARY = [
    method
    for service in SERVICES
    for method in service.methods
    if not (method.client_streaming or method.server_streaming)
]


def behaviors(field: FieldDescriptor) -> list[int]:
    return list(field.GetOptions().Extensions[field_behavior_pb2.field_behavior])


def required_fields(message: Descriptor) -> list[str]:
    return [f.name for f in message.fields if field_behavior_pb2.REQUIRED in behaviors(f)]


def field_along(message: Descriptor, path: str) -> list[FieldDescriptor]:
    """The fields a violation's path ("product.sku", "movements[0].product_id") goes through."""
    fields = []
    for part in path.split("."):
        field = message.fields_by_name[re.sub(r"\[\d+\]$", "", part)]
        fields.append(field)
        if field.message_type is not None:
            message = field.message_type
    return fields


def call(api: Clients, method: MethodDescriptor) -> object:
    stub = {
        "CatalogService": api.catalog,
        "InventoryCountService": api.counts,
        "StockAdjustmentService": api.adjustments,
        "SiteService": api.sites,
    }[method.containing_service.name]
    request = GetMessageClass(method.input_type)()
    return getattr(stub, method.name)(request, metadata=auth(Role.ADMIN))


@pytest.mark.parametrize("method", UNARY, ids=lambda m: m.name)
def test_an_empty_request_is_refused_exactly_when_a_field_is_required(
    api: Clients, method: MethodDescriptor
) -> None:
    required = required_fields(method.input_type)
    if not required:
        call(api, method)  # answers
        return
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, call, api, method)
    named = field_violations(error)
    assert named, "INVALID_ARGUMENT without field violations"
    for path in named:
        for field in field_along(method.input_type, path):
            assert field_behavior_pb2.REQUIRED in behaviors(field), (
                f"{method.name} demands {path}, but {field.full_name} is not REQUIRED"
            )


def test_output_only_is_an_annotation_not_a_comment() -> None:
    for path in PROTOS.glob("*.proto"):
        assert "Output only" not in path.read_text(), path.name
