"""Open scanner streams and unary calls have separate limits: a shift of scanners holding every
stream slot never refuses the unary calls of internal services, and one stream too many is
refused with RESOURCE_EXHAUSTED."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import grpc
import pytest

from inventory.v1 import catalog_pb2
from inventory_service.api.call_limits import CallLimitInterceptor
from inventory_service.domain.errors import ResourceExhausted
from tests.helpers import (
    STAFF,
    Clients,
    ScannerStream,
    ServerThread,
    clients,
    create_product,
    error_info,
    scan,
    start_count,
    test_settings,
)

STREAMS = 3


@pytest.fixture
def limited(database_url: str) -> Iterator[Clients]:
    settings = test_settings(database_url, max_open_streams=STREAMS, max_concurrent_rpcs=STREAMS)
    thread = ServerThread(settings).start()
    try:
        with clients(thread.port) as api:
            yield api
    finally:
        thread.stop()


def test_with_every_stream_slot_taken_unary_calls_pass_and_one_more_stream_is_refused(
    limited: Clients,
) -> None:
    product = create_product(limited, "LIMIT-1", opening=5)
    count_id = start_count(limited).id
    streams = [ScannerStream(limited, STAFF, device_id=f"scanner-{i}") for i in range(STREAMS)]
    for stream in streams:  # each stream is open on the server once its first ack came back
        stream.send(scan(count_id, sku="LIMIT-1"))
        assert stream.acks(1)[0].WhichOneof("result") == "item"

    for _ in range(2 * STREAMS):  # more unary calls than open streams, one after another
        got = limited.catalog.GetProduct(
            catalog_pb2.GetProductRequest(product=catalog_pb2.ProductSelector(id=product.id)),
            metadata=STAFF,
        )
        assert got.product.sku == "LIMIT-1"

    extra = ScannerStream(limited, STAFF, device_id="one-too-many")
    extra.send(scan(count_id, sku="LIMIT-1"))
    with pytest.raises(grpc.RpcError) as raised:
        extra.acks(1)
    assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert error_info(raised.value).reason == "TOO_MANY_STREAMS"

    streams[0].finish()  # a slot frees when a stream ends
    again = ScannerStream(limited, STAFF, device_id="next-shift")
    again.send(scan(count_id, sku="LIMIT-1"))
    assert again.acks(1)[0].WhichOneof("result") == "item"
    for stream in [*streams[1:], again]:
        stream.finish()


def test_unary_calls_beyond_their_limit_are_refused_until_one_ends() -> None:
    async def scenario() -> None:
        limits = CallLimitInterceptor(max_open_streams=5, max_unary_calls=2)
        context: Any = None  # the slots never look at the call's context
        async with limits.unary.hold("/m", context), limits.unary.hold("/m", context):
            with pytest.raises(ResourceExhausted) as raised:
                async with limits.unary.hold("/m", context):
                    pass
            assert raised.value.reason == "TOO_MANY_CALLS"
            async with limits.streams.hold("/s", context):  # streams count apart
                pass
        async with limits.unary.hold("/m", context):
            assert limits.unary.taken == 1

    asyncio.run(scenario())
