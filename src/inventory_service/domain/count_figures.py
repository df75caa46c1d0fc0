"""The figures of count lines: a count's live statistics and the summary over many counts."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from inventory_service.domain.money import ZERO


@dataclass(frozen=True)
class CountStatistics:
    """Live figures of a set of count lines."""

    items_counted: int = 0
    items_with_discrepancy: int = 0
    value_missing: Decimal = ZERO
    value_in_excess: Decimal = ZERO
    net_variance: Decimal = ZERO


@dataclass(frozen=True)
class SummaryFigures:
    total_counts: int
    in_progress_counts: int
    completed_counts: int
    cancelled_counts: int
    lines: CountStatistics

    @property
    def accuracy(self) -> float:
        """Share of lines without a discrepancy; 1 when there are no lines."""
        if self.lines.items_counted == 0:
            return 1.0
        exact = self.lines.items_counted - self.lines.items_with_discrepancy
        return exact / self.lines.items_counted
