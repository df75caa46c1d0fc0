"""Recount messages: a line's history as CountItemEntry messages."""

from __future__ import annotations

from inventory.v1 import inventory_count_pb2 as pb
from inventory_service.api.convert import enum_to_proto, to_timestamp
from inventory_service.services.counts.recounts import CountEntryView


def entry_message(entry: CountEntryView) -> pb.CountItemEntry:
    return pb.CountItemEntry(
        entry_id=entry.entry_id,
        count_item_id=entry.count_item_id,
        counted_by=entry.counted_by,
        device_id=entry.device_id,
        quantity=entry.quantity,
        mode=enum_to_proto(entry.mode, pb.CountMode, "COUNT_MODE_"),
        scan_time=to_timestamp(entry.scanned_at),
        store_time=to_timestamp(entry.stored_at),
        counted_quantity=entry.counted_quantity,
        recount=entry.recount,
        reason=entry.reason,
        location=entry.location,
        location_id=entry.location_id,
        location_code=entry.location_code,
    )
