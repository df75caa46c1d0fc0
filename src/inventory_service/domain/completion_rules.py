"""The rules of completing a count: which options fit which count, and the CORRECTION each line
(and, on request, each level never counted) gets."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from inventory_service.domain.count_rules import completion_change
from inventory_service.domain.enums import CountType, StockApplyMode
from inventory_service.domain.errors import InvalidArgument

# Types that cover every stock level, so levels never counted mean something.
WHOLE_SITE_TYPES = (CountType.FULL, CountType.ANNUAL)


@dataclass(frozen=True)
class CompletionOptions:
    apply_adjustments: bool
    notes: str = ""
    apply_mode: StockApplyMode = StockApplyMode.DIFFERENCE
    zero_uncounted: bool = False
    # Completes although recounts are pending (recount_rules); recorded on the count.
    force_reason: str = ""


@dataclass(frozen=True)
class LineAtCompletion:
    """A counted line and its level's quantity at completion, before anything is applied."""

    product_id: str
    batch_id: str | None
    counted: int
    system_at_count: int
    current: int
    location_id: str
    site_id: str

    @property
    def moved(self) -> bool:
        """The level moved after the line was counted."""
        return self.current != self.system_at_count


class Level(Protocol):
    @property
    def product_id(self) -> str: ...
    @property
    def batch_id(self) -> str | None: ...
    @property
    def quantity(self) -> int: ...
    @property
    def location_id(self) -> str: ...
    @property
    def site_id(self) -> str: ...


@dataclass(frozen=True)
class Correction:
    """A change a completion makes to one level."""

    product_id: str
    batch_id: str | None
    change: int
    reason: str
    location_id: str
    site_id: str


def lists_uncounted(count_type: CountType, *, scoped: bool = False) -> bool:
    """Whole-site counts list every level never counted; scoped counts, those of their scope."""
    return scoped or count_type in WHOLE_SITE_TYPES


def check_options(count_type: CountType, options: CompletionOptions) -> None:
    if not options.zero_uncounted:
        return
    if not lists_uncounted(count_type):
        raise InvalidArgument.one(
            "zero_uncounted",
            f"only FULL and ANNUAL counts can zero uncounted levels; this count is {count_type}",
        )
    if not options.apply_adjustments:
        raise InvalidArgument.one("zero_uncounted", "needs apply_adjustments")


def corrections(
    count_name: str,
    lines: Iterable[LineAtCompletion],
    uncounted: Iterable[Level],
    options: CompletionOptions,
) -> list[Correction]:
    """The changes completion applies: each line's (per apply_mode), then with zero_uncounted
    each level never counted back to zero."""
    changes: list[Correction] = []
    for line in lines:
        change = completion_change(
            counted=line.counted,
            system_at_count=line.system_at_count,
            current=line.current,
            mode=options.apply_mode,
        )
        if change:
            why = f"inventory count {count_name!r}: counted {line.counted}"
            changes.append(
                Correction(
                    line.product_id, line.batch_id, change, why, line.location_id, line.site_id
                )
            )
    if options.zero_uncounted:
        for level in uncounted:
            if level.quantity:
                why = f"inventory count {count_name!r}: not counted, set to zero"
                changes.append(
                    Correction(
                        level.product_id,
                        level.batch_id,
                        -level.quantity,
                        why,
                        level.location_id,
                        level.site_id,
                    )
                )
    return changes
