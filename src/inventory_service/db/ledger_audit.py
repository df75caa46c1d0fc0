"""The ledger invariant, checked over a whole database (after a restore, or any time): every
stock level equals the sum of its ledger deltas, and each level's ledger is an unbroken chain
(each entry starts where the one before ended). docs/operations.md quotes these queries for
psql; `inventory-service check-ledger` runs them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, text

LEVELS_EQUAL_LEDGER_SUMS = """
SELECT l.id, l.product_id, l.batch_id, l.quantity, COALESCE(SUM(e.quantity_delta), 0)
FROM stock_levels AS l
LEFT JOIN stock_ledger AS e ON e.stock_level_id = l.id
GROUP BY l.id, l.product_id, l.batch_id, l.quantity
HAVING l.quantity <> COALESCE(SUM(e.quantity_delta), 0)
ORDER BY l.product_id, l.batch_id
""".strip()

LEDGER_CHAINS_UNBROKEN = """
SELECT stock_level_id, sequence, quantity_before, previous_after
FROM (
  SELECT stock_level_id, sequence, quantity_before,
         LAG(quantity_after, 1, 0) OVER (PARTITION BY stock_level_id ORDER BY sequence)
           AS previous_after
  FROM stock_ledger
) AS chain
WHERE quantity_before <> previous_after
ORDER BY stock_level_id, sequence
""".strip()


@dataclass(frozen=True)
class LedgerAudit:
    levels: int
    entries: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def audit_ledger(engine: Engine) -> LedgerAudit:
    problems: list[str] = []
    with engine.connect() as connection:
        levels = connection.execute(text("SELECT COUNT(*) FROM stock_levels")).scalar_one()
        entries = connection.execute(text("SELECT COUNT(*) FROM stock_ledger")).scalar_one()
        for level_id, product_id, batch_id, quantity, total in connection.execute(
            text(LEVELS_EQUAL_LEDGER_SUMS)
        ):
            problems.append(
                f"stock level {level_id} (product {product_id}, batch {batch_id or '-'}): "
                f"quantity {quantity}, ledger deltas sum to {total}"
            )
        for level_id, sequence, before, previous in connection.execute(
            text(LEDGER_CHAINS_UNBROKEN)
        ):
            problems.append(
                f"stock level {level_id}: ledger entry {sequence} starts at {before}, "
                f"the entry before it ended at {previous}"
            )
    return LedgerAudit(int(levels), int(entries), problems)
