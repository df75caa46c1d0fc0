"""The one way a count entry is recorded, whether a scanner streams it or AddCountItem sends it:
a batch of entries per transaction, each applied exactly once.

A batch goes through four steps, each a method of _Batch below:
  resolve  the counts (rows FOR SHARE), products and batches the entries name (resolver.py);
  lock     the lines they touch (FOR UPDATE, in id order), then what was stored before;
  tally    each line as its entries change it (domain/count_entries.py: SET replaces, ADD
           adds, within the bound; figures and significance);
  persist  the lines, a count_entries row per entry (the line as its ack shows it; the line's
           history) and the request_id of AddCountItem calls that carry one.
Recounts (domain/recount_rules.py): who counted a line before its recount was requested is read
once the line is locked, so two recounters racing each see the other's committed entries.
A bad entry gets its own error and changes nothing; the others are stored. An entry_id seen
before (a scanner resending what it got no ack for, an AddCountItem retried with its
request_id) is answered with what was stored and applied zero more times; the primary keys
hold that across streams and replicas. Every entry of one line in a batch is acknowledged with
the line as the batch left it."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from inventory_service.db.constraints import ENTRY_STORED_MEANWHILE, LINE_CREATED_MEANWHILE
from inventory_service.db.count_entry_repository import CountEntryRepository
from inventory_service.db.models import new_id
from inventory_service.db.types import utcnow
from inventory_service.db.unit_of_work import UnitOfWorkFactory
from inventory_service.domain.count_entries import (
    CountEntry,
    CountLine,
    LineKey,
    LineTally,
    check_entry,
    entry_id_reused,
    request_content,
    same_content,
    same_entry,
)
from inventory_service.domain.errors import Aborted, DomainError
from inventory_service.domain.idempotency import fingerprint, request_id_reused
from inventory_service.domain.recount_rules import is_recount
from inventory_service.domain.thresholds import Thresholds
from inventory_service.services.counts.count_views import NO_LABEL, labelled
from inventory_service.services.ingestion.entries import ADD_COUNT_ITEM, EntryOutcome
from inventory_service.services.ingestion.resolver import ResolvedEntry, resolve_entries

log = logging.getLogger(__name__)
discrepancy_log = logging.getLogger("inventory_service.discrepancies")

# A batch that loses a race (the same new line or entry_id stored by another transaction
# meanwhile, or a deadlock) is rolled back and recorded again; the retry sees what the winner
# committed.
ATTEMPTS = 4
RACES = {ENTRY_STORED_MEANWHILE, LINE_CREATED_MEANWHILE, "DUPLICATE_REQUEST", "DATABASE_CONFLICT"}


class EntryRecorder:
    def __init__(self, uow_factory: UnitOfWorkFactory, thresholds: Thresholds) -> None:
        self.uow_factory = uow_factory
        self.thresholds = thresholds

    def record(self, entries: Sequence[CountEntry]) -> list[EntryOutcome]:
        """One outcome per entry, in order; every stored entry is committed on return.

        The entries may come from several streams and callers (the server gathers what
        arrives while a transaction runs into the next one)."""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with self.uow_factory() as uow:
                    batch = _Batch(uow.count_entries, self.thresholds, entries)
                    outcomes = batch.record()
                    uow.commit()
            except Aborted as error:
                if error.reason not in RACES:
                    raise
                log.info(
                    "count entry batch lost a race; again",
                    extra={"fields": {"try": attempt, "reason": error.reason}},
                )
            else:
                # The batch serves many calls: each line is logged under its last entry's call.
                for line, request_id in batch.changed:
                    log_if_significant(line, request_id=request_id)
                return outcomes
        raise Aborted("count entries kept conflicting; send them again", reason="STREAM_CONFLICT")


@dataclass(slots=True)
class _LineWork:
    """A line the batch changes: its first entry stands for its count and product."""

    first: ResolvedEntry
    tally: LineTally
    indexes: list[int]  # the entries applied to it, in order


class _Batch:
    """The work of one transaction."""

    def __init__(
        self, repo: CountEntryRepository, thresholds: Thresholds, entries: Sequence[CountEntry]
    ) -> None:
        self.repo = repo
        self.thresholds = thresholds
        self.entries = entries
        self.outcomes: list[EntryOutcome | None] = [None] * len(entries)
        # Lines written by this batch (new ones included), with the call of their last entry.
        self.changed: list[tuple[CountLine, str]] = []
        # Line id -> who counted it before its recount was requested (lines it was asked of).
        self.first_counters: dict[str, frozenset[str]] = {}
        # Entries whose key came earlier in the batch asking something else.
        self.contested: list[int] = []

    def record(self) -> list[EntryOutcome]:
        fresh, repeats = self.check()
        resolved = self.resolve(fresh)
        lines = self.lock(fresh, resolved)
        to_apply = [r for r in resolved if self.outcomes[r.index] is None]  # not stored before
        self.persist(self.tally(to_apply, lines))
        self.answer_repeats(repeats)
        answered = [o for o in self.outcomes if o is not None]
        assert len(answered) == len(self.entries), "every entry gets an outcome"
        return answered

    def answer_repeats(self, repeats: Sequence[tuple[int, int]]) -> None:
        """An entry repeated in the batch (its key, or its request_id, and what it asks) is
        answered as its first: a duplicate if stored."""
        for i, first in repeats:
            earlier = self.outcomes[first]
            assert earlier is not None
            self.outcomes[i] = EntryOutcome(
                self.entries[i].entry_id,
                line=earlier.line,
                error=earlier.error,
                duplicate=earlier.line is not None,
            )

    def _reject(self, i: int, error: DomainError) -> None:
        self.outcomes[i] = EntryOutcome(self.entries[i].entry_id, error=error)

    def check(self) -> tuple[list[int], list[tuple[int, int]]]:
        """The well-formed entries to apply, and those repeating an earlier one of the batch
        (index, index of the first), which are answered as the first one is. The same key
        (count, entry_id) or request_id asking something else is refused."""
        first_of: dict[tuple[str, str], int] = {}
        first_of_request: dict[str, tuple[int, str]] = {}  # request_id -> (index, fingerprint)
        fresh: list[int] = []
        repeats: list[tuple[int, int]] = []
        for i, entry in enumerate(self.entries):
            try:
                check_entry(entry)
            except DomainError as error:
                self._reject(i, error)
                continue
            key = (entry.inventory_count_id, entry.entry_id)
            if entry.request_id:
                asked = fingerprint(ADD_COUNT_ITEM, request_content(entry))
                earlier = first_of_request.setdefault(entry.request_id, (i, asked))
                if earlier[1] != asked:
                    self._reject(i, request_id_reused(entry.request_id))
                    continue
            if key not in first_of:
                first_of[key] = i
                fresh.append(i)
            elif same_content(entry, self.entries[first_of[key]]):
                repeats.append((i, first_of[key]))
            else:  # unless it is what was stored before (lock() looks)
                self._reject(i, entry_id_reused(*key))
                self.contested.append(i)
        return fresh, repeats

    def resolve(self, fresh: Sequence[int]) -> list[ResolvedEntry]:
        """Locks the counts FOR SHARE and finds each entry's product and batch."""
        resolved, rejected = resolve_entries(self.repo, self.entries, fresh)
        for i, error in rejected:
            self._reject(i, error)
        return resolved

    def lock(
        self, fresh: Sequence[int], resolved: Sequence[ResolvedEntry]
    ) -> dict[LineKey, CountLine]:
        """Locks the lines the entries touch, and answers the entries sent before: with what
        their acks said when they ask the same, else refused (their id was used for something
        else). Looked up once the lines are locked: a transaction that stored these entries
        meanwhile has committed by now, so they show here instead of colliding."""
        lines = self.repo.lines_for_update(r.key for r in resolved)
        awaiting = [line for line in lines.values() if is_recount(line.status)]
        self.first_counters = self.repo.first_counters(awaiting) if awaiting else {}
        kept = [i for i in fresh if self.entries[i].kept]
        seen, refused = self._request_keys(kept)
        index_of = {
            (self.entries[i].inventory_count_id, self.entries[i].entry_id): i
            for i in kept
            if i not in refused
        }
        contested: dict[tuple[str, str], list[int]] = {}
        for i in self.contested:
            entry = self.entries[i]
            contested.setdefault((entry.inventory_count_id, entry.entry_id), []).append(i)
        answered: list[tuple[int, CountLine, str, bool]] = []
        for count_id, entry_id, acked in self.repo.stored(list(index_of)):
            for i in [index_of.pop((count_id, entry_id)), *contested.get((count_id, entry_id), [])]:
                entry = self.entries[i]
                if same_entry(entry, acked.what):
                    answered.append((i, acked.line, acked.sku, acked.blind))
                elif entry.request_id:
                    self._reject(i, request_id_reused(entry.request_id))
                else:
                    self._reject(i, entry_id_reused(count_id, entry_id))
        # AddCountItem calls stored before entries were kept: their key names the line itself.
        by_request = {self.entries[i].request_id: i for i in index_of.values()}
        by_request.pop("", None)
        legacy = self.repo.lines_of_requests(ADD_COUNT_ITEM, [r for r in by_request if r in seen])
        for request_id, (line, sku, blind) in legacy.items():
            i = by_request.pop(request_id)
            if line.inventory_count_id == self.entries[i].inventory_count_id:
                answered.append((i, line, sku, blind))
            else:
                self._reject(i, request_id_reused(request_id))
        # A request_id seen before whose call stored nothing this entry could be a resend of.
        for request_id, i in by_request.items():
            if request_id in seen:
                self._reject(i, request_id_reused(request_id))
        self._answer_duplicates(answered)
        return lines

    def _request_keys(self, kept: Sequence[int]) -> tuple[set[str], set[int]]:
        """The request ids of these entries seen before, and the entries refused because their
        request_id's call asked something else."""
        request_ids = [self.entries[i].request_id for i in kept if self.entries[i].request_id]
        keys = self.repo.request_keys(ADD_COUNT_ITEM, request_ids)
        refused = set()
        for i in kept:
            entry = self.entries[i]
            _, asked = keys.get(entry.request_id, ("", None))
            if asked is not None and asked != fingerprint(ADD_COUNT_ITEM, request_content(entry)):
                self._reject(i, request_id_reused(entry.request_id))
                refused.add(i)
        return set(keys), refused

    def _answer_duplicates(self, answered: Sequence[tuple[int, CountLine, str, bool]]) -> None:
        """Answers entries stored before with their lines, labelled with their batches and
        locations."""
        if not answered:
            return
        batch_ids = [line.batch_id for _, line, _, _ in answered if line.batch_id]
        batches = {b.id: b for b in self.repo.batches(batch_ids, [])} if batch_ids else {}
        places = self.repo.location_labels([line.location_id for _, line, _, _ in answered])
        for i, line, sku, blind in answered:
            place = places.get(line.location_id, NO_LABEL)
            view = labelled(line, sku, blind, batches.get(line.batch_id or ""), place)
            self.outcomes[i] = EntryOutcome(self.entries[i].entry_id, line=view, duplicate=True)

    def tally(
        self, resolved: Sequence[ResolvedEntry], lines: dict[LineKey, CountLine]
    ) -> list[_LineWork]:
        """Each line the batch changes, with its entries in order (domain rules refuse an
        entry that would take the line's total out of bounds)."""
        work: dict[LineKey, _LineWork] = {}
        for r in resolved:
            line = work.get(r.key)
            if line is None:
                previous = lines.get(r.key)
                counters = self.first_counters.get(previous.id, ()) if previous else ()
                line = work[r.key] = _LineWork(r, LineTally(previous, counters), [])
            refused = line.tally.add(self.entries[r.index])
            if refused is not None:
                self._reject(r.index, refused)
            else:
                line.indexes.append(r.index)
        return [line for line in work.values() if line.indexes]

    def persist(self, work: Sequence[_LineWork]) -> None:
        """Writes the changed lines, then the entry rows and request ids that reference them."""
        levels = self.repo.level_quantities(w.first.product.id for w in work)
        new: list[CountLine] = []
        updated: list[CountLine] = []
        self.changed = []
        stored: list[tuple[CountEntry, CountLine]] = []
        for w in work:
            key, product = w.first.key, w.first.product
            line = w.tally.line(
                key,
                site_id=w.first.count.site_id,
                system_quantity=levels.get((key[1], key[2], key[3]), 0),
                unit_cost=product.unit_cost,
                thresholds=self.thresholds,
                clock=utcnow,
                new_id=new_id,
                recount_significant=w.first.count.recount_significant,
            )
            (new if w.tally.previous is None else updated).append(line)
            self.changed.append((line, self.entries[w.indexes[-1]].call_request_id))
            view = labelled(line, product.sku, w.first.count.blind, w.first.batch, w.first.location)
            for i in w.indexes:
                self.outcomes[i] = EntryOutcome(self.entries[i].entry_id, line=view)
                stored.append((self.entries[i], line))
        self.repo.save_lines(new, updated)  # lines first: the entry rows reference them
        self.repo.insert_entries(stored)
        self.repo.insert_request_ids(ADD_COUNT_ITEM, [entry for entry, _ in stored])


def log_if_significant(line: CountLine, *, request_id: str = "") -> None:
    """Logs a significant discrepancy (call after the line is committed); request_id names the
    call that changed it, which is not the one being served (a batch serves many)."""
    if not line.significant:
        return
    discrepancy_log.warning(
        "significant count discrepancy",
        extra={
            "fields": {
                **({"request_id": request_id} if request_id else {}),
                "event": "count_discrepancy",
                "inventory_count_id": line.inventory_count_id,
                "count_item_id": line.id,
                "product_id": line.product_id,
                "batch_id": line.batch_id,
                "system_quantity": line.system_quantity,
                "counted_quantity": line.counted_quantity,
                "variance": line.variance,
                "variance_value": str(line.variance_value),
                "counted_by": line.counted_by,
            }
        },
    )
