"""Drives N simulated scanners (ScannerSession each) from a CSV or random catalog picks."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from google.protobuf import timestamp_pb2

from inventory.v1 import catalog_pb2, catalog_pb2_grpc
from inventory.v1 import inventory_count_pb2 as counts_pb2
from inventory_client.connection import Endpoint
from inventory_client.retry import Backoff
from inventory_client.scanner import AckCallback, ScannerSession, ScannerStats

MODES = {"set": counts_pb2.COUNT_MODE_SET, "add": counts_pb2.COUNT_MODE_ADD}
PRODUCT_COLUMNS = ("product_id", "sku", "barcode")


class PlanError(ValueError):
    """A CSV that cannot be turned into entries."""


def entry(
    count_id: str,
    product: catalog_pb2.ProductSelector,
    quantity: int,
    mode: counts_pb2.CountMode.ValueType,
    *,
    lot_number: str = "",
    location: str = "",
    reason: str = "",
) -> counts_pb2.CountEntry:
    now = time.time_ns()
    scanned = timestamp_pb2.Timestamp(seconds=now // 1_000_000_000, nanos=now % 1_000_000_000)
    message = counts_pb2.CountEntry(
        inventory_count_id=count_id,
        product=product,
        quantity=quantity,
        mode=mode,
        scan_time=scanned,
        location=location,
        reason=reason,
    )
    if lot_number:
        message.lot_number = lot_number
    return message


def numbered_entries_from_csv(path: Path, count_id: str) -> list[tuple[int, counts_pb2.CountEntry]]:
    """(line number, entry) for rows with one of product_id/sku/barcode, quantity, and optional
    mode (set|add, default set), lot_number, location, reason."""
    entries = []
    row_ids = RowEntryIds()
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        columns = set(reader.fieldnames or ())
        if not columns & set(PRODUCT_COLUMNS) or "quantity" not in columns:
            raise PlanError(f"{path}: needs a quantity column and one of {PRODUCT_COLUMNS}")
        for row in reader:
            line = reader.line_num
            selector = catalog_pb2.ProductSelector()
            for column in PRODUCT_COLUMNS:
                value = (row.get(column) or "").strip()
                if value:
                    setattr(selector, column.removeprefix("product_"), value)
                    break
            else:
                raise PlanError(f"{path}:{line}: no product_id, sku or barcode")
            try:
                quantity = int((row.get("quantity") or "").strip())
            except ValueError as error:
                raise PlanError(f"{path}:{line}: quantity must be a whole number") from error
            mode_name = (row.get("mode") or "set").strip().lower()
            if mode_name not in MODES:
                raise PlanError(f"{path}:{line}: mode must be set or add")
            scanned = entry(
                count_id,
                selector,
                quantity,
                MODES[mode_name],
                lot_number=(row.get("lot_number") or "").strip(),
                location=(row.get("location") or "").strip(),
                reason=(row.get("reason") or "").strip(),
            )
            scanned.entry_id = row_ids.next_id(scanned)
            entries.append((line, scanned))
    return entries


class RowEntryIds:
    """Entry ids that a file's rows keep from one run to the next, so running a scan file again
    (after fixing its bad rows, say) stores only what was not stored: an id is a digest of the
    count, the row's entry as read, and how many identical rows came before it. Rows fixed,
    added or removed elsewhere in the file leave the other rows' ids as they were."""

    def __init__(self) -> None:
        self._seen: dict[bytes, int] = {}

    def next_id(self, scanned: counts_pb2.CountEntry) -> str:
        content = counts_pb2.CountEntry()
        content.CopyFrom(scanned)
        content.ClearField("scan_time")  # the time of this run, not part of the row
        key = content.SerializeToString(deterministic=True)
        occurrence = self._seen.get(key, 0)
        self._seen[key] = occurrence + 1
        digest = hashlib.sha256(key + b"#" + str(occurrence).encode()).hexdigest()
        return f"row-{digest[:40]}"


def entries_from_csv(path: Path, count_id: str) -> list[counts_pb2.CountEntry]:
    """The entries of a CSV file (see numbered_entries_from_csv)."""
    return [scanned for _, scanned in numbered_entries_from_csv(path, count_id)]


async def catalog_products(
    channel: grpc.aio.Channel, metadata: Sequence[tuple[str, str]], limit: int = 10_000
) -> list[catalog_pb2.Product]:
    """Active products, through ListProducts pages."""
    stub = catalog_pb2_grpc.CatalogServiceStub(channel)
    products: list[catalog_pb2.Product] = []
    token = ""
    while len(products) < limit:
        page = await stub.ListProducts(
            catalog_pb2.ListProductsRequest(page_size=500, page_token=token), metadata=metadata
        )
        products.extend(page.products)
        token = page.next_page_token
        if not token:
            break
    return products[:limit]


def random_entries(
    products: Sequence[catalog_pb2.Product],
    count_id: str,
    n: int,
    *,
    mode: counts_pb2.CountMode.ValueType = counts_pb2.COUNT_MODE_ADD,
    max_quantity: int = 5,
    rng: random.Random | None = None,
) -> Iterator[counts_pb2.CountEntry]:
    """n entries for random products (lazily, so a long run holds none in advance); a
    lot-tracked product is counted by lot, one of its batches picked at random."""
    shelf = [(catalog_pb2.ProductSelector(id=p.id), lots) for p in products if (lots := _lots(p))]
    if not shelf:
        raise PlanError("the catalog has no products to pick from")
    pick = rng or random.Random()
    for _ in range(n):
        selector, lots = pick.choice(shelf)
        quantity = pick.randint(1, max_quantity)
        yield entry(count_id, selector, quantity, mode, lot_number=pick.choice(lots))


def _lots(product: catalog_pb2.Product) -> list[str]:
    """The lot numbers an entry for product may name: its batches' for a LOT product (none
    when it has no batch yet), else only "" (unbatched stock)."""
    if product.tracking != catalog_pb2.TRACKING_MODE_LOT:
        return [""]
    return [level.lot_number for level in product.stock_levels if level.batch_id]


def deal(
    entries: Iterable[counts_pb2.CountEntry], scanners: int
) -> list[list[counts_pb2.CountEntry]]:
    """Splits entries across scanners, round robin, keeping each scanner's order."""
    hands: list[list[counts_pb2.CountEntry]] = [[] for _ in range(scanners)]
    for i, item in enumerate(entries):
        hands[i % scanners].append(item)
    return hands


@dataclass
class SimulationResult:
    seconds: float
    scanners: list[ScannerStats] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(int(getattr(stats, name)) for stats in self.scanners)

    @property
    def answered(self) -> int:
        return self.total("acked") + self.total("rejected")

    @property
    def rate(self) -> float:
        return self.answered / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> dict[str, float | int]:
        return {
            "scanners": len(self.scanners),
            "entries": self.total("queued"),
            "acked": self.total("acked"),
            "rejected": self.total("rejected"),
            "duplicates": self.total("duplicates"),
            "resent": self.total("resent"),
            "reconnects": self.total("reconnects"),
            "seconds": round(self.seconds, 3),
            "entries_per_second": round(self.rate, 1),
        }


ProgressCallback = Callable[[list[ScannerStats]], None]


async def run_scanners(
    endpoint: Endpoint,
    plans: Sequence[Iterable[counts_pb2.CountEntry]],
    *,
    entries_per_message: int = 1,
    rate: float = 0.0,
    device_prefix: str = "sim",
    backoff: Backoff | None = None,
    progress: ProgressCallback | None = None,
    progress_every: float = 1.0,
    max_unacked: int = 10_000,
    on_ack: AckCallback | None = None,
) -> SimulationResult:
    """One scanner (own channel, own stream) per plan; returns when every entry is answered.

    rate: entries per second per scanner (0 = as fast as the server acknowledges)."""
    channels = [endpoint.channel() for _ in plans]
    try:
        await asyncio.gather(*(channel.channel_ready() for channel in channels))
        sessions = [
            ScannerSession(
                channel,
                device_id=f"{device_prefix}-{i + 1}",
                metadata=endpoint.metadata(),
                max_entries_per_message=entries_per_message,
                max_unacked=max_unacked,
                backoff=backoff,
                on_ack=on_ack,
            )
            for i, channel in enumerate(channels)
        ]

        async def scan(session: ScannerSession, plan: Iterable[counts_pb2.CountEntry]) -> None:
            async with session:
                interval = 1.0 / rate if rate > 0 else 0.0
                next_at = time.perf_counter()
                for item in plan:
                    if interval:
                        next_at += interval
                        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
                    await session.put(item)

        async def report() -> None:
            while True:
                await asyncio.sleep(progress_every)
                if progress is not None:
                    progress([s.stats for s in sessions])

        reporter = asyncio.create_task(report())
        started = time.perf_counter()
        try:
            await asyncio.gather(*(scan(s, p) for s, p in zip(sessions, plans, strict=True)))
        finally:
            reporter.cancel()
        return SimulationResult(time.perf_counter() - started, [s.stats for s in sessions])
    finally:
        await asyncio.gather(*(channel.close(None) for channel in channels))
