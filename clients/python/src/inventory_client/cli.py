"""`inventory-client`: first calls from the shell, and simulated scanners.

Address from INVENTORY_ADDRESS (default 127.0.0.1:50051), token from INVENTORY_TOKEN.

    inventory-client health
    inventory-client products list
    inventory-client simulate --count-id ID --scanners 4 --random 1000
    inventory-client simulate --count-id ID --scanners 2 --csv shelf.csv --rate 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import grpc
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from inventory.v1 import catalog_pb2, catalog_pb2_grpc
from inventory_client.connection import ADDRESS_ENV, TOKEN_ENV, Endpoint
from inventory_client.scanner import CountEntry, CountEntryAck, ScannerStats, SessionFailed
from inventory_client.simulate import (
    MODES,
    PlanError,
    catalog_products,
    deal,
    entries_from_csv,
    random_entries,
    run_scanners,
)


def _error_text(error: grpc.aio.AioRpcError) -> str:
    text = f"{error.code().name}: {error.details()}"
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    for detail in status.details if status else ():
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            text += f" [{info.reason}]"
    return text


async def cmd_health(args: argparse.Namespace, endpoint: Endpoint) -> int:
    async with endpoint.channel() as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        reply = await stub.Check(health_pb2.HealthCheckRequest(service=args.service), timeout=5)
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    print(f"{endpoint.address} {args.service or '(server)'}: {status}")
    return 0 if reply.status == health_pb2.HealthCheckResponse.SERVING else 1


async def cmd_products_list(args: argparse.Namespace, endpoint: Endpoint) -> int:
    async with endpoint.channel() as channel:
        stub = catalog_pb2_grpc.CatalogServiceStub(channel)
        token = ""
        while True:
            page = await stub.ListProducts(
                catalog_pb2.ListProductsRequest(
                    page_size=args.page_size, page_token=token, show_inactive=args.inactive
                ),
                metadata=endpoint.metadata(),
                timeout=30,
            )
            for p in page.products:
                cost = f"{p.unit_cost.units}.{abs(p.unit_cost.nanos) // 10_000_000:02d}"
                print(
                    f"{p.id}  {p.sku:<16} {p.barcode or '-':<14} "
                    f"stock={p.stock_quantity:<8} cost={cost:<10} {p.name}"
                )
            token = page.next_page_token
            if not token or not args.all:
                break
    if token:
        print(f"(more: --all, or page token {token})", file=sys.stderr)
    return 0


def _print_rejection(entry: CountEntry, ack: CountEntryAck) -> None:
    if ack.WhichOneof("result") == "error":
        code = grpc.StatusCode  # google.rpc codes share gRPC's numbers
        name = next((c.name for c in code if c.value[0] == ack.error.code), str(ack.error.code))
        print(f"rejected {ack.entry_id}: {name}: {ack.error.message}", file=sys.stderr)


def _print_progress(stats: list[ScannerStats]) -> None:
    total = {
        name: sum(getattr(s, name) for s in stats)
        for name in ("queued", "sent", "acked", "rejected", "duplicates", "reconnects")
    }
    print("progress " + " ".join(f"{k}={v}" for k, v in total.items()), file=sys.stderr)


async def cmd_simulate(args: argparse.Namespace, endpoint: Endpoint) -> int:
    rng = random.Random(args.seed)
    if args.csv:
        plans = deal(entries_from_csv(Path(args.csv), args.count_id), args.scanners)
    else:
        async with endpoint.channel() as channel:
            products = await catalog_products(channel, endpoint.metadata())
        mode = MODES[args.mode]
        per_scanner = max(1, args.random // args.scanners)
        plans = [
            list(random_entries(products, args.count_id, per_scanner, mode=mode, rng=rng))
            for _ in range(args.scanners)
        ]
    result = await run_scanners(
        endpoint,
        plans,
        entries_per_message=args.entries_per_message,
        rate=args.rate,
        device_prefix=args.device_prefix,
        progress=None if args.quiet else _print_progress,
        on_ack=_print_rejection,
    )
    print(json.dumps(result.summary()))
    return 0 if result.total("rejected") == 0 else 3


Command = Callable[[argparse.Namespace, Endpoint], Coroutine[Any, Any, int]]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="inventory-client",
        description=f"Calls the service at ${ADDRESS_ENV} with the token in ${TOKEN_ENV}.",
    )
    parser.add_argument("--address", help=f"host:port (default ${ADDRESS_ENV} or 127.0.0.1:50051)")
    sub = parser.add_subparsers(dest="command", required=True)

    health = sub.add_parser("health", help="is the server serving? (no token needed)")
    health.add_argument("--service", default="", help="e.g. inventory.v1.CatalogService")
    health.set_defaults(func=cmd_health)

    products = sub.add_parser("products", help="the catalog").add_subparsers(
        dest="action", required=True
    )
    listing = products.add_parser("list", help="list products (staff token)")
    listing.add_argument("--page-size", type=int, default=50)
    listing.add_argument("--all", action="store_true", help="follow every page")
    listing.add_argument("--inactive", action="store_true", help="include inactive products")
    listing.set_defaults(func=cmd_products_list)

    simulate = sub.add_parser(
        "simulate", help="drive N scanners streaming count entries (StreamCountItems)"
    )
    simulate.add_argument("--count-id", required=True, help="an IN_PROGRESS count")
    simulate.add_argument("--scanners", type=int, default=4)
    source = simulate.add_mutually_exclusive_group()
    source.add_argument(
        "--csv", help="rows: product_id|sku|barcode, quantity, [mode, lot_number, location]"
    )
    source.add_argument(
        "--random", type=int, default=1000, help="total entries picked from the catalog"
    )
    simulate.add_argument("--mode", choices=sorted(MODES), default="add", help="for --random")
    simulate.add_argument("--entries-per-message", type=int, default=1)
    simulate.add_argument(
        "--rate", type=float, default=0.0, help="entries/s per scanner (0: as fast as acked)"
    )
    simulate.add_argument("--device-prefix", default="sim")
    simulate.add_argument("--seed", type=int)
    simulate.add_argument("--quiet", action="store_true", help="no progress lines")
    simulate.set_defaults(func=cmd_simulate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    endpoint = Endpoint.from_env()
    if args.address:
        endpoint = Endpoint(args.address, endpoint.token)
    command: Command = args.func
    try:
        return asyncio.run(command(args, endpoint))
    except grpc.aio.AioRpcError as error:
        print(f"error: {_error_text(error)}", file=sys.stderr)
        return 1
    except SessionFailed as failed:
        print(f"error: {_error_text(failed.error)}", file=sys.stderr)
        return 1
    except (PlanError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
