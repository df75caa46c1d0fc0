"""Properties of every RPC under hostile requests, generated from the contract's descriptors:
a field or an RPC added to the protos is covered without a new test.

For each method of the inventory.v1 services, hypothesis builds request messages field by
field (strings with NUL bytes, tabs, unicode and lengths past every limit, or the ids of real
records; integers at their extremes; unknown enum values; timestamps anywhere in int64) and
raw bytes that may not decode at all. Whatever it sends: the answer is never INTERNAL or
UNKNOWN, and a call that fails stores nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor
from google.protobuf.message import DecodeError, Message
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from inventory.v1 import catalog_pb2, inventory_count_pb2, site_pb2, stock_adjustment_pb2
from inventory_service.db.engine import create_db_engine
from inventory_service.db.models import Base
from tests.helpers import (
    ADMIN,
    DAMAGE,
    LOT,
    Clients,
    adjust,
    create_batch,
    create_product,
    start_count,
)

METHODS: list[MethodDescriptor] = [
    method
    for module in (catalog_pb2, inventory_count_pb2, stock_adjustment_pb2, site_pb2)
    for service in module.DESCRIPTOR.services_by_name.values()
    for method in service.methods
]
BUGS = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}
BUG_CODES = {code.value[0] for code in BUGS}

HOSTILE_TEXT = st.one_of(
    st.text(max_size=12),
    st.text(alphabet=st.sampled_from("aZ09-_ \x00\t\n\u00e9\u2028\U0001f600"), max_size=12),
    st.sampled_from([65, 129, 201, 501, 2001, 70_000]).map(lambda n: "x" * n),
)
_INTS = {
    FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SINT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_FIXED32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1),
    FieldDescriptor.TYPE_FIXED64: (0, 2**64 - 1),
}


def _integers(low: int, high: int) -> st.SearchStrategy[int]:
    edges = [v for v in (0, 1, -1, 2, 10, 1000, low, high, low + 1, high - 1) if low <= v <= high]
    return st.one_of(st.sampled_from(edges), st.integers(low, high))


def _value(field: FieldDescriptor, known: list[str], depth: int) -> st.SearchStrategy[Any]:
    kind = field.type
    if kind == FieldDescriptor.TYPE_STRING:
        return st.one_of(st.sampled_from(known), HOSTILE_TEXT)
    if kind == FieldDescriptor.TYPE_BYTES:
        return st.binary(max_size=16)
    if kind == FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if kind == FieldDescriptor.TYPE_ENUM:
        numbers = [v.number for v in field.enum_type.values]
        return st.integers(min(numbers) - 2, max(numbers) + 2)  # unknown values too
    if kind in _INTS:
        return _integers(*_INTS[kind])
    if kind in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return st.floats(width=32 if kind == FieldDescriptor.TYPE_FLOAT else 64)
    assert field.message_type is not None
    return messages(field.message_type, known, depth + 1)


def messages(
    descriptor: Descriptor, known: list[str], depth: int = 0
) -> st.SearchStrategy[Message]:
    """Messages of this type with any subset of their fields set to hostile values."""
    message_class = message_factory.GetMessageClass(descriptor)
    if depth > 3:
        return st.just(message_class())
    fields = {
        field.name: (
            st.lists(_value(field, known, depth), max_size=3)
            if field.is_repeated
            else _value(field, known, depth)
        )
        for field in descriptor.fields
    }

    def build(values: dict[str, Any]) -> Message:
        message = message_class()
        for name, value in values.items():
            field = descriptor.fields_by_name[name]
            target = getattr(message, name)
            if field.is_repeated and field.type == FieldDescriptor.TYPE_MESSAGE:
                for item in value:
                    target.add().CopyFrom(item)
            elif field.is_repeated:
                target.extend(value)
            elif field.type == FieldDescriptor.TYPE_MESSAGE:
                target.CopyFrom(value)
            else:
                setattr(message, name, value)
        return message

    return st.fixed_dictionaries({}, optional=fields).map(build)


def _path(method: MethodDescriptor) -> str:
    return f"/{method.containing_service.full_name}/{method.name}"


def _call(api: Clients, method: MethodDescriptor, payloads: list[bytes]) -> tuple[Any, list[Any]]:
    """(status code, responses) of one call with these serialized requests."""
    response_class = message_factory.GetMessageClass(method.output_type)
    path = _path(method)
    try:
        if method.client_streaming:
            call = api.channel.stream_stream(path, response_deserializer=response_class.FromString)
            responses = list(call(iter(payloads), metadata=ADMIN, timeout=30))
        else:
            unary = api.channel.unary_unary(path, response_deserializer=response_class.FromString)
            responses = [unary(payloads[0], metadata=ADMIN, timeout=30)]
    except grpc.RpcError as error:
        return error.code(), []
    return grpc.StatusCode.OK, responses


class Database:
    def __init__(self, url: str) -> None:
        self.engine: Engine = create_db_engine(url)

    def snapshot(self) -> list[list[tuple[Any, ...]]]:
        """Every row of every table, in a stable order."""
        with self.engine.connect() as connection:
            return [
                sorted(tuple(map(repr, row)) for row in connection.execute(select(table)))
                for table in Base.metadata.sorted_tables
            ]


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    try:
        yield database
    finally:
        database.engine.dispose()


@pytest.fixture
def known(api: Clients) -> list[str]:
    """Real records' ids and names, so generated requests also reach past the lookups."""
    product = create_product(api, "HOSTILE-1", opening=100)
    lot_product = create_product(api, "HOSTILE-2", tracking=LOT)
    batch = create_batch(api, lot_product.id, "LOT-1", opening=5)
    count_id = start_count(api).id
    adjustment = adjust(api, product.id, DAMAGE, -60, reason="big loss")  # pending approval
    location = api.sites.CreateLocation(
        site_pb2.CreateLocationRequest(location=site_pb2.Location(code="SHELF-1")), metadata=ADMIN
    ).location
    return [
        location.id,
        location.site_id,
        "MAIN",
        "SHELF-1",
        product.id,
        product.sku,
        lot_product.id,
        batch.id,
        batch.lot_number,
        count_id,
        adjustment.id,
        "sku",
        "name",
        "unit_cost",
        "USD",
        "",
    ]


def _assert_no_bug(method: MethodDescriptor, code: Any, responses: list[Any], sent: Any) -> None:
    assert code not in BUGS, f"{method.name} answered {code.name} to {sent!r:.2000}"
    for response in responses:  # a stream's per-entry errors are statuses too
        for ack in getattr(response, "acks", []):
            if ack.WhichOneof("result") == "error":
                assert ack.error.code not in BUG_CODES, f"{method.name}: {ack} for {sent!r:.2000}"


@pytest.mark.parametrize("method", METHODS, ids=lambda m: m.name)
@given(data=st.data())
def test_no_request_message_gets_internal_or_unknown_and_failures_store_nothing(
    api: Clients, database: Database, known: list[str], method: MethodDescriptor, data: Any
) -> None:
    requests = data.draw(
        st.lists(messages(method.input_type, known), min_size=1, max_size=2)
        if method.client_streaming
        else messages(method.input_type, known).map(lambda m: [m]),
        label="requests",
    )
    before = database.snapshot()
    code, responses = _call(api, method, [r.SerializeToString() for r in requests])
    _assert_no_bug(method, code, responses, requests)
    stored_some = any(
        ack.WhichOneof("result") == "item" for r in responses for ack in getattr(r, "acks", [])
    )
    if code != grpc.StatusCode.OK and not stored_some:
        assert database.snapshot() == before, f"{method.name} failed with {code.name} yet wrote"


def _decodes(method: MethodDescriptor, payload: bytes) -> bool:
    try:
        message_factory.GetMessageClass(method.input_type).FromString(payload)
    except DecodeError:
        return False
    return True


@pytest.mark.parametrize("method", METHODS, ids=lambda m: m.name)
@given(payload=st.binary(max_size=40))
def test_bytes_that_do_not_decode_are_invalid_argument(
    api: Clients, database: Database, method: MethodDescriptor, payload: bytes
) -> None:
    before = database.snapshot()
    code, responses = _call(api, method, [payload])
    _assert_no_bug(method, code, responses, payload)
    if not _decodes(method, payload):
        assert code == grpc.StatusCode.INVALID_ARGUMENT, f"{method.name}: {code.name}"
        assert database.snapshot() == before
