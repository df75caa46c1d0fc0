"""The lines of a count that found expired stock: batches past their expiry date on the day
they were counted, still holding counted units. Candidates for EXPIRED adjustments."""

from __future__ import annotations

from inventory_service.db.unit_of_work import UnitOfWork
from inventory_service.services.counts.count_views import CountLineView, line_views


def expired_lines(uow: UnitOfWork, count_id: str) -> list[CountLineView]:
    items = [
        item
        for item, _ in uow.counts.lines_with_levels(count_id)
        if item.batch_id and item.counted_quantity > 0
    ]
    return [line for line in line_views(uow, items) if line.expired]
