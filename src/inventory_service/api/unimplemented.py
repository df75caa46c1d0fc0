"""Servicers for RPCs whose issues have not landed: they answer UNIMPLEMENTED, honestly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, NoReturn

from inventory.v1 import inventory_count_pb2_grpc
from inventory_service.domain.errors import Unimplemented


def _unimplemented(name: str) -> NoReturn:
    raise Unimplemented(f"{name} is not implemented yet", reason="NOT_IMPLEMENTED")


class PendingInventoryCountServicer(inventory_count_pb2_grpc.InventoryCountServiceServicer):
    pass


def _fill(cls: type, service_name: str, methods: list[str]) -> None:
    for method in methods:
        if method.startswith("Stream"):

            async def stream_handler(
                self: Any, requests: Any, context: Any, _m: str = method
            ) -> AsyncIterator[Any]:
                _unimplemented(f"{service_name}.{_m}")
                yield  # an async generator, as streaming handlers are

            setattr(cls, method, stream_handler)
        else:

            async def handler(self: Any, request: Any, context: Any, _m: str = method) -> Any:
                _unimplemented(f"{service_name}.{_m}")

            setattr(cls, method, handler)


_fill(
    PendingInventoryCountServicer,
    "InventoryCountService",
    [
        "StartInventoryCount",
        "GetInventoryCount",
        "ListInventoryCounts",
        "AddCountItem",
        "ListCountItems",
        "StreamCountItems",
        "CompleteInventoryCount",
        "CancelInventoryCount",
        "GetInventorySummary",
        "ListDiscrepancies",
    ],
)
