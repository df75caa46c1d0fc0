"""The ledger invariant, checked over a whole database (after a restore, or any time): every
stock level equals the sum of its ledger deltas, each level's ledger is an unbroken chain
(each entry starts where the one before ended), and each transfer is whole: one entry out of
its source and one into its destination, of its quantity. docs/operations.md quotes these
queries for psql; `inventory-service check-ledger` runs them."""

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


# A transfer's entries: exactly its two, the units out of the source and into the destination
# (and no TRANSFER entry without its transfer).
TRANSFERS_WHOLE = """
SELECT t.id, COUNT(e.sequence) AS entries,
       SUM(CASE WHEN e.location_id = t.from_location_id AND e.quantity_delta = -t.quantity
                THEN 1 ELSE 0 END) AS outs,
       SUM(CASE WHEN e.location_id = t.to_location_id AND e.quantity_delta = t.quantity
                THEN 1 ELSE 0 END) AS ins
FROM stock_transfers AS t
LEFT JOIN stock_ledger AS e ON e.transfer_id = t.id
GROUP BY t.id
HAVING COUNT(e.sequence) <> 2
    OR SUM(CASE WHEN e.location_id = t.from_location_id AND e.quantity_delta = -t.quantity
                THEN 1 ELSE 0 END) <> 1
    OR SUM(CASE WHEN e.location_id = t.to_location_id AND e.quantity_delta = t.quantity
                THEN 1 ELSE 0 END) <> 1
UNION ALL
SELECT e.transfer_id, 1, 0, 0
FROM stock_ledger AS e
WHERE e.source = 'TRANSFER'
  AND NOT EXISTS (SELECT 1 FROM stock_transfers AS t WHERE t.id = e.transfer_id)
""".strip()


@dataclass(frozen=True)
class LedgerAudit:
    levels: int
    entries: int
    problems: list[str]
    transfers: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def audit_ledger(engine: Engine) -> LedgerAudit:
    problems: list[str] = []
    with engine.connect() as connection:
        levels = connection.execute(text("SELECT COUNT(*) FROM stock_levels")).scalar_one()
        entries = connection.execute(text("SELECT COUNT(*) FROM stock_ledger")).scalar_one()
        transfers = connection.execute(text("SELECT COUNT(*) FROM stock_transfers")).scalar_one()
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
        for transfer_id, count, outs, ins in connection.execute(text(TRANSFERS_WHOLE)):
            problems.append(
                f"transfer {transfer_id}: {count} ledger entries, {outs} out of its source "
                f"and {ins} into its destination of its quantity (want 2, 1 and 1)"
            )
    return LedgerAudit(int(levels), int(entries), problems, int(transfers))
