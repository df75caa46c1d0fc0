"""StreamCountItems: scanner messages in, acks out. Reading, batching and recording are the
ingestion streams' (services/ingestion/streams.py); this module turns messages into entries and
outcomes into acks."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc

from inventory.v1 import inventory_count_pb2 as pb
from inventory_service.api.call_details import call_details
from inventory_service.api.caller import current_caller
from inventory_service.api.count_messages import scanned_entry
from inventory_service.api.request_ids import request_id_metadata
from inventory_service.api.status import to_status_proto
from inventory_service.domain.count_entries import check_device_id
from inventory_service.domain.errors import DomainError
from inventory_service.domain.identity import Caller
from inventory_service.logs import current_request_id
from inventory_service.services.counts.count_views import CountLineView
from inventory_service.services.ingestion.entries import EntryOutcome
from inventory_service.services.ingestion.streams import EntryStreams, Item

log = logging.getLogger(__name__)
Context = grpc.aio.ServicerContext[Any, Any]
ItemMessage = Callable[[CountLineView, Caller], pb.CountItem]


async def _entries(
    requests: AsyncIterator[pb.StreamCountItemsRequest],
    caller: Caller,
    device_id: str,
    request_id: str,
) -> AsyncIterator[list[Item]]:
    """Each request's entries; one that cannot be read is an outcome (its error) already.
    request_id: the stream's, kept with each entry it stores."""
    first = True
    async for request in requests:
        if first:  # the device id comes once, in the first message or the metadata
            device_id = request.device_id or device_id
            check_device_id(device_id)
            first = False
        items: list[Item] = []
        for message in request.entries:
            try:
                items.append(scanned_entry(message, caller, device_id, request_id))
            except DomainError as error:
                items.append(EntryOutcome(message.entry_id, error=error))
        yield items


class ScannerStreams:
    def __init__(self, streams: EntryStreams, item_message: ItemMessage) -> None:
        self.streams = streams
        self.item_message = item_message  # the one blind-aware CountItem converter

    async def handle(
        self, requests: AsyncIterator[pb.StreamCountItemsRequest], context: Context
    ) -> AsyncIterator[pb.StreamCountItemsResponse]:
        caller = current_caller()
        details = call_details(context)
        device_id = details.header("x-device-id") or ""
        log.info("stream opened", extra={"fields": {"device_id": device_id, "peer": details.peer}})
        request_id = current_request_id() or ""
        # Headers now, not with the first ack: a balancer (or a client deadline on headers)
        # would take a scanner with nothing to send yet for a server that never answered.
        await context.send_initial_metadata(request_id_metadata(request_id))
        arriving = _entries(requests, caller, device_id, request_id)
        async for outcomes in self.streams.run(arriving):
            yield self._response(outcomes, caller)

    def _response(
        self, outcomes: list[EntryOutcome], caller: Caller
    ) -> pb.StreamCountItemsResponse:
        response = pb.StreamCountItemsResponse()
        messages: dict[int, pb.CountItem] = {}  # one conversion per line view
        for outcome in outcomes:
            ack = response.acks.add(entry_id=outcome.entry_id, duplicate=outcome.duplicate)
            if outcome.line is not None:
                message = messages.get(id(outcome.line))
                if message is None:
                    message = messages[id(outcome.line)] = self.item_message(outcome.line, caller)
                ack.item.CopyFrom(message)
            elif outcome.error is not None:
                ack.error.CopyFrom(to_status_proto(outcome.error))
        return response
