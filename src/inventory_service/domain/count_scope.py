"""The scope of a count: which products a CYCLE or SPOT count may take entries for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from inventory_service.domain.enums import AbcClass, CountType
from inventory_service.domain.errors import (
    ErrorCollector,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    PreconditionViolation,
)

MAX_SCOPE_PRODUCTS = 50_000
MAX_NAMED_UNKNOWN = 20
# Types that cover every product: a scope would contradict them.
UNSCOPED_TYPES = (CountType.FULL, CountType.ANNUAL)


@dataclass(frozen=True)
class CountScope:
    """What StartInventoryCount asked to count: products by id (as sent: a repeated id counts
    once), or those due (of one class)."""

    product_ids: tuple[str, ...] = ()
    due_products: bool = False
    abc_class: AbcClass | None = None

    @property
    def scoped(self) -> bool:
        return bool(self.product_ids) or self.due_products


NO_SCOPE = CountScope()


def unique_ids(ids: Sequence[str]) -> tuple[str, ...]:
    """The ids once each, in the order first given."""
    return tuple(dict.fromkeys(ids))


def check_scope(scope: CountScope, count_type: CountType | None, errors: ErrorCollector) -> None:
    """Adds the violations of a scope's fields to errors."""
    if scope.abc_class is not None and not scope.due_products:
        errors.add("scope_abc_class", "only with scope_due_products")
    if scope.product_ids and scope.due_products:
        errors.add("scope_product_ids", "give scope_product_ids or scope_due_products, not both")
    if len(unique_ids(scope.product_ids)) > MAX_SCOPE_PRODUCTS:
        errors.add("scope_product_ids", f"at most {MAX_SCOPE_PRODUCTS} products")
    if "" in scope.product_ids:
        errors.add("scope_product_ids", "an id is empty")
    if scope.scoped and count_type in UNSCOPED_TYPES:
        errors.add(
            "type", f"a {count_type} count covers every product; scope a CYCLE or SPOT count"
        )


def unknown_products_error(unknown: Sequence[str], sent: Sequence[str]) -> InvalidArgument:
    """Names the unknown ids where they were first sent (the first few: error details travel
    in a size-limited trailer)."""
    positions: dict[str, int] = {}
    for i, product_id in enumerate(sent):
        positions.setdefault(product_id, i)
    shown = [
        FieldViolation(f"scope_product_ids[{positions[i]}]", f"no product with id {i!r}")
        for i in unknown[:MAX_NAMED_UNKNOWN]
    ]
    more = len(unknown) - len(shown)
    message = "; ".join(f"{v.field}: {v.description}" for v in shown)
    if more:
        message += f"; and {more} more unknown ids"
    return InvalidArgument(shown, reason="PRODUCT_NOT_FOUND", message=message)


def nothing_due_error(abc: AbcClass | None) -> FailedPrecondition:
    which = f"class {abc.value} products" if abc else "products"
    return FailedPrecondition(
        f"no {which} are due for a cycle count now; see ListProductsDueForCount",
        reason="NOTHING_DUE",
        violations=[
            PreconditionViolation("NOTHING_DUE", "products", f"no {which} due for counting")
        ],
    )


def out_of_scope_error(count_id: str, product_id: str, sku: str) -> FailedPrecondition:
    """An entry for a product the scoped count does not cover."""
    return FailedPrecondition(
        f"product {sku!r} ({product_id}) is not in the scope of inventory count {count_id}",
        reason="OUT_OF_SCOPE",
        violations=[
            PreconditionViolation(
                "OUT_OF_SCOPE",
                f"products/{product_id}",
                f"count {count_id} covers only the products of its scope",
            )
        ],
        metadata={"inventory_count_id": count_id, "product_id": product_id},
    )
