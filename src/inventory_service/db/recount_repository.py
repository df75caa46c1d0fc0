"""Queries of recounts: the lines a request marks (locked), the lines still awaiting their
recount, and a line's history (every entry that touched it)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from inventory_service.db.keyset import keyset_page, keyset_statement
from inventory_service.db.models import CountItem, StoredCountEntry
from inventory_service.domain.enums import CountItemStatus
from inventory_service.domain.paging import Page, PageRequest

_AWAITING = CountItemStatus.RECOUNT_REQUESTED.value
# Built once (GetInventoryCount runs it on every call).
_AWAITING_PER_COUNT = (
    select(CountItem.inventory_count_id, func.count())
    .where(CountItem.inventory_count_id.in_(bindparam("count_ids", expanding=True)))
    .where(CountItem.status == _AWAITING)
    .group_by(CountItem.inventory_count_id)
)


class RecountRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lines_for_update(self, count_id: str, line_ids: Sequence[str]) -> list[CountItem]:
        """The count's lines of these ids, locked FOR UPDATE in id order (as the recorder
        locks lines, so the two never wait on each other in a cycle)."""
        stmt = (
            select(CountItem)
            .where(CountItem.inventory_count_id == count_id, CountItem.id.in_(set(line_ids)))
            .order_by(CountItem.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return list(self.session.scalars(stmt))

    def line(self, count_id: str, line_id: str) -> CountItem | None:
        return self.session.scalar(
            select(CountItem).where(
                CountItem.inventory_count_id == count_id, CountItem.id == line_id
            )
        )

    def awaiting(self, count_id: str) -> list[str]:
        """The ids of the count's lines awaiting their recount, in the order first recorded."""
        stmt = (
            select(CountItem.id)
            .where(CountItem.inventory_count_id == count_id, CountItem.status == _AWAITING)
            .order_by(CountItem.first_counted_at, CountItem.id)
        )
        return list(self.session.scalars(stmt))

    def awaiting_per_count(self, count_ids: Sequence[str]) -> dict[str, int]:
        """Count id -> lines awaiting their recount (counts without any are left out)."""
        if not count_ids:
            return {}
        rows = self.session.execute(_AWAITING_PER_COUNT, {"count_ids": list(set(count_ids))})
        return {count_id: n for count_id, n in rows}

    def entries_page(self, line_id: str, page: PageRequest) -> Page[StoredCountEntry]:
        """Every entry stored on the line, oldest first."""
        stmt = select(StoredCountEntry).where(StoredCountEntry.count_item_id == line_id)
        return keyset_page(self.session, stmt, _HISTORY_ORDER, page)


_HISTORY_ORDER = [StoredCountEntry.stored_at, StoredCountEntry.entry_id]


def history_statement(line_id: str, page: PageRequest) -> Select[tuple[StoredCountEntry]]:
    """The statement of a page of a line's history (benchmarks/history_pages.py explains it)."""
    stmt = select(StoredCountEntry).where(StoredCountEntry.count_item_id == line_id)
    return keyset_statement(stmt, _HISTORY_ORDER, page)
