"""Hostile input, one case of each kind the edge must refuse cleanly: NUL bytes, impossible
times, bytes that are no message, megabyte ids, tokens a verifier cannot use. Each answers
INVALID_ARGUMENT (UNAUTHENTICATED for tokens) with details and changes nothing; none is an
INTERNAL with a traceback. The properties over every RPC are in test_hostile_properties.py."""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from google.protobuf import timestamp_pb2

from inventory.v1 import catalog_pb2, inventory_count_pb2, stock_adjustment_pb2
from inventory_service.api.interceptors import AuthInterceptor
from inventory_service.api.tokens import TokenVerifier
from inventory_service.domain.errors import Unauthenticated
from tests.helpers import (
    ADMIN,
    STAFF,
    TEST_SECRET,
    Clients,
    ScannerStream,
    ServerThread,
    clients,
    create_product,
    error_info,
    expect_error,
    field_violations,
    money,
    public_key_server,
    scan,
    start_count,
)

FIRST_SECOND = -62135596800  # 0001-01-01T00:00:00Z
LAST_SECOND = 253402300799  # 9999-12-31T23:59:59Z


def _no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.exc_info], [r.message for r in caplog.records]


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.INFO):
        yield caplog
    _no_tracebacks(caplog)


def test_a_nul_byte_in_any_string_is_invalid_argument(
    api: Clients, logs: pytest.LogCaptureFixture
) -> None:
    product = create_product(api, "NUL-1")
    count_id = start_count(api).id
    cases = [
        (
            api.catalog.CreateProduct,
            catalog_pb2.CreateProductRequest(
                product=catalog_pb2.Product(sku="A\x00B", name="n", unit_cost=money("1"))
            ),
            "product.sku",
        ),
        (
            api.catalog.GetProduct,
            catalog_pb2.GetProductRequest(product=catalog_pb2.ProductSelector(id="\x00")),
            "product.id",
        ),
        (
            api.counts.AddCountItem,
            inventory_count_pb2.AddCountItemRequest(
                inventory_count_id=count_id,
                product=catalog_pb2.ProductSelector(id=product.id),
                counted_quantity=1,
                notes="shelf\x00 3",
            ),
            "notes",
        ),
        (
            api.adjustments.CreateStockAdjustment,
            stock_adjustment_pb2.CreateStockAdjustmentRequest(
                product_id=product.id,
                type=stock_adjustment_pb2.STOCK_ADJUSTMENT_TYPE_FOUND,
                quantity_change=1,
                reason="found",
                request_id="r\x00",
            ),
            "request_id",
        ),
    ]
    for call, request, field in cases:
        error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, call, request, metadata=ADMIN)
        assert field in field_violations(error), field
    stream = ScannerStream(api, STAFF, device_id="scanner-1")
    bad = scan(count_id, product_id=product.id, entry_id="e\x001")
    stream.send(bad)
    with pytest.raises(grpc.RpcError) as raised:
        stream.finish()
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "entries[0].entry_id" in field_violations(raised.value)
    assert (
        api.catalog.GetProduct(
            catalog_pb2.GetProductRequest(product=catalog_pb2.ProductSelector(id=product.id)),
            metadata=STAFF,
        ).product.stock_quantity
        == 0
    )


@pytest.mark.parametrize(
    ("seconds", "nanos"),
    [(FIRST_SECOND - 1, 0), (LAST_SECOND + 1, 0), (0, -1), (0, 1_000_000_000), (-(2**62), 0)],
)
def test_timestamps_outside_the_calendar_are_invalid_argument(
    api: Clients, logs: pytest.LogCaptureFixture, seconds: int, nanos: int
) -> None:
    stamp = timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos)
    for call, request, field in [
        (
            api.counts.GetInventorySummary,
            inventory_count_pb2.GetInventorySummaryRequest(start_time_from=stamp),
            "start_time_from",
        ),
        (
            api.adjustments.ListStockAdjustments,
            stock_adjustment_pb2.ListStockAdjustmentsRequest(create_time_to=stamp),
            "create_time_to",
        ),
    ]:
        error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, call, request, metadata=STAFF)
        assert field in field_violations(error)
    product = create_product(api, f"TIME-{seconds}-{nanos}".replace("-", "M"))
    count_id = start_count(api, name=f"c{seconds}{nanos}").id
    entry = scan(count_id, product_id=product.id)
    entry.scan_time.CopyFrom(stamp)
    stream = ScannerStream(api, STAFF, device_id="scanner-1")
    stream.send(entry)
    with pytest.raises(grpc.RpcError) as raised:
        stream.finish()
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "entries[0].scan_time" in field_violations(raised.value)


def test_the_first_and_last_second_of_the_calendar_are_fine(api: Clients) -> None:
    request = inventory_count_pb2.GetInventorySummaryRequest(
        start_time_from=timestamp_pb2.Timestamp(seconds=FIRST_SECOND),
        start_time_to=timestamp_pb2.Timestamp(seconds=LAST_SECOND, nanos=999_999_999),
    )
    assert api.counts.GetInventorySummary(request, metadata=STAFF).overall.total_counts == 0


@pytest.mark.parametrize("payload", [b"\xff\xff\xff\xff", b"\x0a\x05ab", b"\x08"])
def test_bytes_that_are_no_message_are_invalid_argument(
    api: Clients, logs: pytest.LogCaptureFixture, payload: bytes
) -> None:
    unary = api.channel.unary_unary("/inventory.v1.CatalogService/GetProduct")
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, unary, payload, metadata=STAFF)
    assert "request" in field_violations(error)
    stream = api.channel.stream_stream("/inventory.v1.InventoryCountService/StreamCountItems")
    with pytest.raises(grpc.RpcError) as raised:
        list(stream(iter([payload]), metadata=STAFF))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "request" in field_violations(raised.value)


def test_a_megabyte_id_is_refused_by_its_length_not_echoed(
    api: Clients, logs: pytest.LogCaptureFixture
) -> None:
    huge = "x" * 1_000_000
    for call, request, field in [
        (
            api.catalog.GetProduct,
            catalog_pb2.GetProductRequest(product=catalog_pb2.ProductSelector(id=huge)),
            "product.id",
        ),
        (
            api.counts.GetInventoryCount,
            inventory_count_pb2.GetInventoryCountRequest(inventory_count_id=huge),
            "inventory_count_id",
        ),
        (
            api.adjustments.GetStockAdjustment,
            stock_adjustment_pb2.GetStockAdjustmentRequest(stock_adjustment_id=huge),
            "stock_adjustment_id",
        ),
    ]:
        error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, call, request, metadata=STAFF)
        assert field in field_violations(error)
        assert len(error.details() or "") < 200


def _bearer(value: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {value}")]


def _hs256(**claims: object) -> str:
    return jwt.encode(
        {"role": "staff", "exp": int(time.time()) + 300, **claims}, TEST_SECRET, algorithm="HS256"
    )


def test_a_validly_signed_token_with_an_unstorable_subject_is_unauthenticated(
    api: Clients, logs: pytest.LogCaptureFixture
) -> None:
    list_products = catalog_pb2.ListProductsRequest()
    for subject in ["u" * 201, "alice\x00admin", "x" * 5000]:
        error = expect_error(
            grpc.StatusCode.UNAUTHENTICATED,
            api.catalog.ListProducts,
            list_products,
            metadata=_bearer(_hs256(sub=subject)),
        )
        assert error_info(error).reason == "TOKEN_INVALID"
    # The longest subject that can be stored still works.
    assert api.catalog.ListProducts(list_products, metadata=_bearer(_hs256(sub="u" * 200)))


def test_an_authorization_value_with_a_tab_after_bearer_is_unauthenticated() -> None:
    """grpc's own clients refuse to send a tab in metadata (the caller sees their local
    INTERNAL "Invalid metadata"), so the server's reading of the header is tested directly."""

    class Context:
        def __init__(self, header: str) -> None:
            self.header = header

        def peer(self) -> str:
            return "ipv4:127.0.0.1:1"

        def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
            return (("authorization", self.header),)

    good = _hs256(sub="tab-user")
    auth = AuthInterceptor(TokenVerifier.from_secret(TEST_SECRET), {})
    for header in [f"Bearer\t{good}", f"Bearer\t\t{good}", "Bearer\t", f"\tBearer {good}"]:
        context: Any = Context(header)
        with pytest.raises(Unauthenticated):
            contextvars.copy_context().run(auth.authenticate, context)


@pytest.fixture
def rs256_server(database_url: str, tmp_path: Path) -> Iterator[tuple[ServerThread, object]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with public_key_server(database_url, key, tmp_path / "rsa.pub.pem") as thread:
        yield thread, key


def test_an_es256_token_presented_to_an_rs256_server_is_unauthenticated(
    rs256_server: tuple[ServerThread, rsa.RSAPrivateKey], logs: pytest.LogCaptureFixture
) -> None:
    thread, rsa_key = rs256_server
    claims = {"sub": "svc", "role": "staff", "exp": int(time.time()) + 300}
    es256 = jwt.encode(claims, ec.generate_private_key(ec.SECP256R1()), algorithm="ES256")
    with clients(thread.port) as api:
        error = expect_error(
            grpc.StatusCode.UNAUTHENTICATED,
            api.catalog.ListProducts,
            catalog_pb2.ListProductsRequest(),
            metadata=_bearer(es256),
        )
        assert error_info(error).reason == "TOKEN_INVALID"
        good = jwt.encode(claims, rsa_key, algorithm="RS256")
        assert api.catalog.ListProducts(catalog_pb2.ListProductsRequest(), metadata=_bearer(good))
