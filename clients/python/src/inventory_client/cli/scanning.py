"""Streams from the terminal: `counts scan FILE.csv` (one scanner session, with a progress
bar), `simulate` (N scanners) and `health`."""

from __future__ import annotations

import asyncio
import json
import random
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import click
import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from inventory_client.cli.context import (
    EXIT_OK,
    EXIT_PARTIAL,
    App,
    InputError,
    exit_code,
    json_option,
    pass_app,
)
from inventory_client.errors import InventoryError, Unavailable, error_from_rpc, error_from_status
from inventory_client.scanner import CountEntry, CountEntryAck, ScannerSession, ScannerStats
from inventory_client.simulate import (
    MODES,
    PlanError,
    catalog_products,
    deal,
    entries_from_csv,
    numbered_entries_from_csv,
    random_entries,
    run_scanners,
)

SCAN_COLUMNS_HELP = """\b
CSV columns: one of product_id, sku, barcode; quantity; and optionally
mode (set or add; default set), lot_number, location, reason.
"""


@click.command()
@click.option("--service", default="", help="e.g. inventory.v1.CatalogService (default: server)")
@json_option
@pass_app
def health(app: App, service: str) -> int:
    """Is the server serving? (no token needed)"""
    with app.endpoint.blocking_channel() as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=app.timeout
            )
        except grpc.RpcError as error:
            raise error_from_rpc(error) from error
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    if app.output.as_json:
        app.output.json({"address": app.endpoint.address, "service": service, "status": status})
    else:
        app.output.console.print(f"{app.endpoint.address} {service or '(server)'}: {status}")
    serving = reply.status == health_pb2.HealthCheckResponse.SERVING
    return EXIT_OK if serving else exit_code(grpc.StatusCode.UNAVAILABLE)


@dataclass
class ScanReport:
    """What became of each line of the file."""

    stats: ScannerStats = field(default_factory=ScannerStats)
    seconds: float = 0.0
    rejected: list[tuple[int, str, InventoryError]] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "entries": self.stats.queued,
            "stored": self.stats.acked,
            "storedBefore": self.stats.duplicates,
            "rejected": [
                {"line": line, "entryId": entry_id, "error": error.as_dict()}
                for line, entry_id, error in self.rejected
            ],
            "resent": self.stats.resent,
            "reconnects": self.stats.reconnects,
            "seconds": round(self.seconds, 3),
        }


async def _scan(
    app: App,
    file: Path,
    entries: list[tuple[int, CountEntry]],
    *,
    device_id: str,
    per_message: int,
    patience: float,
    progress: Progress,
) -> ScanReport:
    report = ScanReport()
    lines: dict[str, int] = {}
    task = progress.add_task("scanning", total=len(entries))
    last_progress = time.monotonic()
    gave_up = asyncio.Event()

    def on_ack(_: CountEntry, ack: CountEntryAck) -> None:
        nonlocal last_progress
        last_progress = time.monotonic()
        progress.advance(task)
        if ack.WhichOneof("result") == "error":
            error = error_from_status(ack.error)
            line = lines.get(ack.entry_id, 0)
            report.rejected.append((line, ack.entry_id, error))
            progress.console.print(f"{file}:{line}: rejected: {error.summary()}", markup=False)

    def on_reconnect(attempt: int, delay: float, reason: str) -> None:
        if time.monotonic() - last_progress > patience:
            gave_up.set()
        else:
            progress.console.print(f"reconnecting in {delay:.1f} s ({reason})", markup=False)

    channel = app.endpoint.channel()
    session = ScannerSession(
        channel,
        device_id=device_id,
        metadata=app.endpoint.metadata(),
        max_entries_per_message=per_message,
        on_ack=on_ack,
        on_reconnect=on_reconnect,
    )

    async def stream_all() -> None:
        async with session:
            for line, entry in entries:
                lines[await session.put(entry)] = line

    started = time.perf_counter()
    try:
        streaming = asyncio.create_task(stream_all())
        giving_up = asyncio.create_task(gave_up.wait())
        await asyncio.wait({streaming, giving_up}, return_when=asyncio.FIRST_COMPLETED)
        giving_up.cancel()
        if not streaming.done():
            streaming.cancel()
            await asyncio.gather(streaming, return_exceptions=True)
            raise Unavailable(
                grpc.StatusCode.UNAVAILABLE,
                f"no acknowledgement for {patience:.0f} s ({session.stats.last_error}); "
                f"{session.unacked_count} of {len(entries)} entries were not stored",
            )
        streaming.result()
    finally:
        await channel.close(None)
    report.stats = session.stats
    report.seconds = time.perf_counter() - started
    return report


@click.command("scan", epilog=SCAN_COLUMNS_HELP)
@click.argument("count_id")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--device-id", default=f"cli-{socket.gethostname()}", show_default=True, help="This scanner."
)
@click.option("--entries-per-message", default=100, show_default=True, type=click.IntRange(1, 1000))
@click.option(
    "--give-up-after",
    "patience",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Seconds without an acknowledgement before giving up (the stream reconnects until).",
)
@json_option
@pass_app
def scan(
    app: App, count_id: str, file: Path, device_id: str, entries_per_message: int, patience: float
) -> int:
    """Streams the entries of FILE into count COUNT_ID, each stored exactly once.

    Every entry is kept until the server acknowledges it; a broken connection is resumed and
    what has no acknowledgement is sent again (the server applies each entry once). Each row's
    entry id comes from the row itself, so running the file again (after fixing its rejected
    rows, say) stores only the rows not stored before.
    """
    try:
        entries = numbered_entries_from_csv(file, count_id)
    except PlanError as error:
        raise InputError(str(error)) from error
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=app.output.errors,
        disable=not app.output.errors.is_terminal,
    )
    with progress:
        report = asyncio.run(
            _scan(
                app,
                file,
                entries,
                device_id=device_id,
                per_message=entries_per_message,
                patience=patience,
                progress=progress,
            )
        )
    if app.output.as_json:
        app.output.json(report.as_json())
    else:
        stats = report.stats
        app.output.console.print(
            f"{stats.queued:,} rows: {stats.duplicates:,} stored before, "
            f"{stats.acked - stats.duplicates:,} now"
            + (f", {stats.rejected:,} rejected" if stats.rejected else ""),
            markup=False,
        )
        app.output.fields(
            f"Scan of {file.name}",
            [
                ("Count", count_id),
                ("Entries", stats.queued),
                ("Stored", stats.acked),
                ("Of which stored before", stats.duplicates),
                ("Rejected", stats.rejected),
                ("Resent after a reconnect", stats.resent),
                ("Reconnects", stats.reconnects),
                ("Seconds", f"{report.seconds:.2f}"),
            ],
        )
    return EXIT_PARTIAL if report.rejected else EXIT_OK


def _print_progress(stats: list[ScannerStats]) -> None:
    total = {
        name: sum(getattr(s, name) for s in stats)
        for name in ("queued", "sent", "acked", "rejected", "duplicates", "reconnects")
    }
    print("progress " + " ".join(f"{k}={v}" for k, v in total.items()), file=sys.stderr)


def _print_rejection(entry: CountEntry, ack: CountEntryAck) -> None:
    if ack.WhichOneof("result") == "error":
        error = error_from_status(ack.error)
        print(f"rejected {ack.entry_id}: {error.summary()}", file=sys.stderr)


@click.command(epilog=SCAN_COLUMNS_HELP)
@click.option("--count-id", required=True, help="An IN_PROGRESS count.")
@click.option("--scanners", default=4, show_default=True, type=click.IntRange(min=1))
@click.option("--csv", "csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--random",
    "random_total",
    default=1000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Without --csv: total entries picked from the catalog.",
)
@click.option("--mode", type=click.Choice(sorted(MODES)), default="add", show_default=True)
@click.option("--entries-per-message", default=1, show_default=True, type=click.IntRange(1))
@click.option("--rate", default=0.0, help="Entries/s per scanner (0: as fast as acked).")
@click.option("--device-prefix", default="sim", show_default=True)
@click.option("--seed", type=int)
@click.option("--quiet", is_flag=True, help="No progress lines.")
@pass_app
def simulate(
    app: App,
    count_id: str,
    scanners: int,
    csv_file: Path | None,
    random_total: int,
    mode: str,
    entries_per_message: int,
    rate: float,
    device_prefix: str,
    seed: int | None,
    quiet: bool,
) -> int:
    """Drives N simulated scanners streaming count entries (StreamCountItems); prints a JSON
    summary."""
    endpoint = app.endpoint

    async def run() -> int:
        if csv_file:
            plans = deal(entries_from_csv(csv_file, count_id), scanners)
        else:
            async with endpoint.channel() as channel:
                try:
                    products = await catalog_products(channel, endpoint.metadata())
                except grpc.aio.AioRpcError as error:
                    raise error_from_rpc(error) from error
            rng = random.Random(seed)
            per_scanner = max(1, random_total // scanners)
            plans = [
                list(random_entries(products, count_id, per_scanner, mode=MODES[mode], rng=rng))
                for _ in range(scanners)
            ]
        result = await run_scanners(
            endpoint,
            plans,
            entries_per_message=entries_per_message,
            rate=rate,
            device_prefix=device_prefix,
            progress=None if quiet else _print_progress,
            on_ack=_print_rejection,
        )
        print(json.dumps(result.summary()))
        return EXIT_PARTIAL if result.total("rejected") else EXIT_OK

    try:
        return asyncio.run(run())
    except PlanError as error:
        raise InputError(str(error)) from error
