"""The transport baseline: the service's gRPC stack with no database behind it.

Serves InventoryCountService on the same grpc.aio server the service builds (same interceptors,
limits and options, from inventory_service.api.server.grpc_server); StreamCountItems acknowledges
each entry at once and AddCountItem echoes its request. Logs the same JSON "serving" line, with
the port, as `inventory-service serve`, and stops on SIGTERM.

    INVENTORY_JWT_SECRET=... python benchmarks/echo_server.py --listen 127.0.0.1:0
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator
from typing import Any

import grpc
from google.protobuf import timestamp_pb2
from google.type import money_pb2

from inventory.v1 import inventory_count_pb2 as counts_pb2
from inventory.v1 import inventory_count_pb2_grpc as counts_grpc
from inventory_service.api.caller import current_caller
from inventory_service.api.server import grpc_server, role_table, token_verifier
from inventory_service.logs import configure_logging
from inventory_service.serving import until_stop_signal
from inventory_service.settings import Settings

log = logging.getLogger("inventory_service")
Context = grpc.aio.ServicerContext[Any, Any]


def echo_item(
    count_id: str,
    product_id: str,
    quantity: int,
    location: str,
    user: str,
    now: timestamp_pb2.Timestamp,
) -> counts_pb2.CountItem:
    """A line as large as a real ack's (ids, figures, money, user, time)."""
    return counts_pb2.CountItem(
        id="00000000-0000-4000-8000-000000000000",
        inventory_count_id=count_id,
        product_id=product_id,
        sku="ECHO-SKU-0001",
        system_quantity=0,
        counted_quantity=quantity,
        variance=quantity,
        variance_value=money_pb2.Money(currency_code="USD", units=quantity, nanos=500_000_000),
        significant_discrepancy=False,
        location=location,
        counted_by=user,
        count_time=now,
    )


def now() -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.GetCurrentTime()
    return stamp


class EchoCountServicer(counts_grpc.InventoryCountServiceServicer):
    async def StreamCountItems(
        self,
        request_iterator: AsyncIterator[counts_pb2.StreamCountItemsRequest],
        context: Context,
    ) -> AsyncIterator[counts_pb2.StreamCountItemsResponse]:
        user = current_caller().user_id
        async for request in request_iterator:
            if not request.entries:
                continue
            stamp = now()
            yield counts_pb2.StreamCountItemsResponse(
                acks=[
                    counts_pb2.CountEntryAck(
                        entry_id=e.entry_id,
                        item=echo_item(
                            e.inventory_count_id, e.product.id, e.quantity, e.location, user, stamp
                        ),
                    )
                    for e in request.entries
                ]
            )

    async def AddCountItem(
        self, request: counts_pb2.AddCountItemRequest, context: Context
    ) -> counts_pb2.AddCountItemResponse:
        item = echo_item(
            request.inventory_count_id,
            request.product.id,
            request.counted_quantity,
            request.location,
            current_caller().user_id,
            now(),
        )
        return counts_pb2.AddCountItemResponse(item=item)


async def serve(settings: Settings) -> None:
    server = grpc_server(settings, token_verifier(settings), role_table())
    counts_grpc.add_InventoryCountServiceServicer_to_server(EchoCountServicer(), server)
    port = server.add_insecure_port(settings.listen)
    await server.start()
    log.info("serving", extra={"fields": {"listen": settings.listen, "port": port}})
    await until_stop_signal()
    await server.stop(1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listen", default="127.0.0.1:0")
    args = parser.parse_args()
    settings = dataclasses.replace(Settings.from_env(), listen=args.listen)
    configure_logging(settings.log_level)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
