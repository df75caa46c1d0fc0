"""What the commands of `inventory-client` share: the App they act in, exit codes, options for
output and paging, product references and times as typed on a command line."""

from __future__ import annotations

import datetime
import itertools
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, TypeVar

import click
import grpc
from google.protobuf import timestamp_pb2
from google.protobuf.message import Message

from inventory.v1 import catalog_pb2
from inventory_client.cli.render import Column, Output
from inventory_client.client import DEFAULT_DEADLINE, InventoryClient
from inventory_client.connection import Endpoint
from inventory_client.errors import InventoryError

T = TypeVar("T")
M = TypeVar("M", bound=Message)
F = TypeVar("F", bound=Callable[..., Any])


class InputError(click.ClickException):
    """A local file the command cannot use (a CSV row without a quantity, ...)."""

    exit_code = 4

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"error: {self.format_message()}", file=file or sys.stderr)


if TYPE_CHECKING:
    _IntParam = click.ParamType[int, Any]
else:  # generic only in newer click releases
    _IntParam = click.ParamType


class Quantity(_IntParam):
    """A whole number of units as the contract carries it (int64): one error line, never a
    traceback, for a number that does not fit."""

    name = "quantity"
    LIMIT = 2**63 - 1

    def __init__(self, *, signed: bool = False) -> None:
        self.signed = signed

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            number = value
        else:
            try:
                number = int(str(value).strip())
            except ValueError:
                self.fail(f"{value!r} is not a whole number", param, ctx)
        if not self.signed and number < 0:
            self.fail(f"{number} is negative; a quantity is 0 or more", param, ctx)
        if abs(number) > self.LIMIT:
            self.fail(f"{value} is too large (at most {self.LIMIT:,})", param, ctx)
        return number


QUANTITY = Quantity()
SIGNED_QUANTITY = Quantity(signed=True)


# What each exit code says failed; the same table is in --help and the README.
EXIT_OK = 0
EXIT_OTHER = 1
EXIT_USAGE = 2
EXIT_PARTIAL = 8
EXIT_INTERRUPTED = 130
_EXIT_BY_CODE = {
    grpc.StatusCode.NOT_FOUND: 3,
    grpc.StatusCode.INVALID_ARGUMENT: 4,
    grpc.StatusCode.OUT_OF_RANGE: 4,
    grpc.StatusCode.FAILED_PRECONDITION: 5,
    grpc.StatusCode.ALREADY_EXISTS: 5,
    grpc.StatusCode.ABORTED: 5,
    grpc.StatusCode.UNAUTHENTICATED: 6,
    grpc.StatusCode.PERMISSION_DENIED: 6,
    grpc.StatusCode.UNAVAILABLE: 7,
    grpc.StatusCode.DEADLINE_EXCEEDED: 7,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 7,
}
EXIT_CODES_HELP = """\b
Exit codes:
  0  done
  1  failed otherwise (INTERNAL, UNKNOWN, ...: worth a bug report)
  2  usage: unknown command or option, missing argument, unreadable file
  3  not found (NOT_FOUND)
  4  invalid input (INVALID_ARGUMENT, OUT_OF_RANGE, or a bad row in a CSV file)
  5  refused by a rule or a conflict (FAILED_PRECONDITION, ALREADY_EXISTS, ABORTED)
  6  not allowed (UNAUTHENTICATED: no or bad token; PERMISSION_DENIED: role too low)
  7  unavailable, try again later (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED,
     or health not SERVING)
  8  partly done: some scan entries or import rows were rejected (each one is printed)
"""


def exit_code(code: grpc.StatusCode) -> int:
    return _EXIT_BY_CODE.get(code, EXIT_OTHER)


@dataclass
class App:
    """What every command gets: where to call, how long to wait, how to print."""

    endpoint: Endpoint = field(default_factory=Endpoint)
    timeout: float = DEFAULT_DEADLINE
    output: Output = field(default_factory=Output)
    _client: InventoryClient | None = field(default=None, repr=False)
    _skus: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def client(self) -> InventoryClient:
        if self._client is None:
            self._client = InventoryClient(endpoint=self.endpoint, deadline=self.timeout)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def sku_of(self, product_id: str) -> str:
        """The SKU of a product (read once per product and command): tables name products by
        SKU, not by id."""
        if product_id not in self._skus:
            request = catalog_pb2.GetProductRequest(
                product=catalog_pb2.ProductSelector(id=product_id)
            )
            try:
                self._skus[product_id] = self.client.get_product(request).product.sku
            except InventoryError:
                self._skus[product_id] = product_id
        return self._skus[product_id]


pass_app = click.make_pass_decorator(App)


def _set_json(ctx: click.Context, _: click.Parameter, value: bool) -> None:
    if value:
        ctx.ensure_object(App).output.as_json = True


def _set_ids(ctx: click.Context, _: click.Parameter, value: bool) -> None:
    if value:
        ctx.ensure_object(App).output.show_ids = True


def json_option(command: F) -> F:
    """--json and --ids on every command, so they may come after its own arguments."""
    decorated: F = click.option(
        "--json",
        "as_json",
        is_flag=True,
        expose_value=False,
        callback=_set_json,
        help="Print protobuf's canonical JSON (as buf curl does) instead of tables.",
    )(command)
    decorated = click.option(
        "--ids",
        is_flag=True,
        expose_value=False,
        callback=_set_ids,
        help="Tables show the ids too (SKUs, names and lots otherwise).",
    )(decorated)
    return decorated


def limit_options(command: F) -> F:
    """--limit / --all for lists that page."""
    command = click.option("--all", "all_pages", is_flag=True, help="Every page.")(command)
    decorated: F = click.option(
        "--limit", default=50, show_default=True, type=click.IntRange(min=1), help="At most N."
    )(command)
    return decorated


def take(items: Iterator[T], limit: int, all_pages: bool, output: Output) -> list[T]:
    """The first `limit` items (all with all_pages), saying on stderr when more are left."""
    if all_pages:
        return list(items)
    taken = list(itertools.islice(items, limit + 1))
    if len(taken) > limit:
        output.note(f"(first {limit} shown; --limit N or --all for more)")
    return taken[:limit]


def show_list(
    app: App,
    items: Iterator[M],
    columns: Sequence[Column[M]],
    *,
    title: str,
    limit: int,
    all_pages: bool,
) -> None:
    """A list command's output: its first `limit` items (or all) as a table or JSON."""
    found = take(items, limit, all_pages, app.output)
    app.output.results(found, lambda: app.output.table(found, columns, title=title))


def page_size(limit: int, all_pages: bool) -> int:
    return 500 if all_pages else min(limit + 1, 500)


def product_selector(ref: str) -> catalog_pb2.ProductSelector:
    """A product named as on the command line: a SKU, or id:<id>, or barcode:<gtin>."""
    kind, _, value = ref.partition(":")
    if value and kind in {"id", "barcode", "sku"}:
        return catalog_pb2.ProductSelector(**{kind: value})
    return catalog_pb2.ProductSelector(sku=ref)


def product_id(app: App, ref: str) -> str:
    """The id of the product a reference names (one GetProduct unless it is id:<id>)."""
    selector = product_selector(ref)
    if selector.WhichOneof("selector") == "id":
        return selector.id
    request = catalog_pb2.GetProductRequest(product=selector)
    return app.client.get_product(request).product.id


PRODUCT_HELP = "PRODUCT is a SKU, or id:<product id>, or barcode:<GTIN>."


def timestamp(text: str | None, *, end_of_day: bool = False) -> timestamp_pb2.Timestamp | None:
    """2026-11-01 or 2026-11-01T08:00 (local time unless it has an offset); a bare date as an
    upper bound means the end of that day."""
    if not text:
        return None
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError as error:
        raise click.BadParameter(f"{text!r}: use YYYY-MM-DD or YYYY-MM-DDTHH:MM") from error
    if end_of_day and len(text) == 10:
        moment += datetime.timedelta(days=1, microseconds=-1)
    if moment.tzinfo is None:
        moment = moment.astimezone()
    value = timestamp_pb2.Timestamp()
    value.FromDatetime(moment)
    return value


def choice_of(names: Iterable[str]) -> click.Choice[str]:
    return click.Choice(sorted(names), case_sensitive=False)
