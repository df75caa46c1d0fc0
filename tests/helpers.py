"""What the end-to-end tests share: a real server on a free port, clients, actors per role,
rich errors, test data made through the API like any client would, scanner streams, paging."""

from __future__ import annotations

import asyncio
import itertools
import queue
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import grpc
import pytest
from cryptography.hazmat.primitives import serialization
from google.protobuf import field_mask_pb2
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2
from google.type import date_pb2, money_pb2
from grpc_status import rpc_status

from inventory.v1 import (
    catalog_pb2,
    catalog_pb2_grpc,
    inventory_count_pb2_grpc,
    site_pb2_grpc,
    stock_adjustment_pb2,
    stock_adjustment_pb2_grpc,
)
from inventory.v1 import inventory_count_pb2 as pb
from inventory_service.api.server import InventoryServer
from inventory_service.api.tokens import mint_token
from inventory_service.bootstrap import create_server
from inventory_service.domain.gtin import with_check_digit
from inventory_service.domain.identity import Role
from inventory_service.settings import Settings

TEST_SECRET = "test-secret-that-is-long-enough-for-hs256"

# -- the server and its clients -----------------------------------------------------------


class ServerThread:
    """Runs create_server(settings) on its own event loop until stop()."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.port = 0
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._grace = 1.0
        self.app: InventoryServer | None = None
        self._thread = threading.Thread(target=self._run, name="test-server", daemon=True)

    def start(self) -> ServerThread:
        self._thread.start()
        self._ready.wait(30)
        if self._error:
            raise self._error
        return self

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as error:  # surfaced to the test thread
            self._error = error
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self.app, self.port = create_server(self.settings)
        await self.app.start()
        self._ready.set()
        await self._stop.wait()
        await self.app.stop(self._grace)

    def stop(self, grace: float = 1.0) -> None:
        """Stops serving; calls still open after grace seconds are cancelled."""
        self._grace = grace
        if self._loop and self._stop and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)


def test_settings(database_url: str, **overrides: Any) -> Settings:
    return replace(
        Settings(),
        listen="127.0.0.1:0",
        database_url=database_url,
        jwt_secret=TEST_SECRET,
        db_workers=4,
        **overrides,
    )


# A helper, not a test, despite its name.
test_settings.__test__ = False  # type: ignore[attr-defined]


def write_public_key(private_key: Any, path: Path) -> Path:
    """Writes the PEM public key of an RSA or EC private key, for INVENTORY_JWT_PUBLIC_KEY_FILE."""
    path.write_bytes(
        private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return path


@contextmanager
def public_key_server(
    database_url: str, private_key: Any, key_file: Path, **overrides: Any
) -> Iterator[ServerThread]:
    """A server verifying tokens with the public half of private_key (RS256 or ES256)."""
    settings = replace(
        test_settings(database_url),
        jwt_secret=None,
        jwt_public_key_file=write_public_key(private_key, key_file),
        page_token_secret="page-token-secret-of-a-public-key-server",
        **overrides,
    )
    thread = ServerThread(settings).start()
    try:
        yield thread
    finally:
        thread.stop()


@dataclass
class Clients:
    channel: grpc.Channel
    catalog: catalog_pb2_grpc.CatalogServiceStub
    counts: inventory_count_pb2_grpc.InventoryCountServiceStub
    adjustments: stock_adjustment_pb2_grpc.StockAdjustmentServiceStub
    sites: site_pb2_grpc.SiteServiceStub


@contextmanager
def clients(port: int) -> Iterator[Clients]:
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield Clients(
            channel,
            catalog_pb2_grpc.CatalogServiceStub(channel),
            inventory_count_pb2_grpc.InventoryCountServiceStub(channel),
            stock_adjustment_pb2_grpc.StockAdjustmentServiceStub(channel),
            site_pb2_grpc.SiteServiceStub(channel),
        )
    finally:
        channel.close()


# -- actors -------------------------------------------------------------------------------

Metadata = list[tuple[str, str]]


def token(role: Role, sub: str | None = None, **kwargs: Any) -> str:
    return mint_token(TEST_SECRET, sub=sub or f"{role.name.lower()}-user", role=role, **kwargs)


def auth(role: Role, sub: str | None = None) -> Metadata:
    return [("authorization", f"Bearer {token(role, sub)}")]


ADMIN = auth(Role.ADMIN, "alice-admin")
MANAGER = auth(Role.MANAGER, "mia-manager")
STAFF = auth(Role.STAFF, "sam-staff")
# A second manager decides on what the first one created; a second counter counts beside sam.
OTHER_MANAGER = auth(Role.MANAGER, "max-manager")
OTHER_STAFF = auth(Role.STAFF, "sue-staff")

# -- errors -------------------------------------------------------------------------------


def expect_error(code: grpc.StatusCode, call: Any, *args: Any, **kwargs: Any) -> grpc.RpcError:
    """Calls call(*args, **kwargs), asserts it fails with code, and returns the error."""
    with pytest.raises(grpc.RpcError) as raised:
        call(*args, **kwargs)
    error = raised.value
    assert error.code() == code, f"expected {code.name}, got {error.code()}: {error.details()}"
    return error


def rich_status(error: grpc.RpcError) -> status_pb2.Status:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None, "error carries no google.rpc.Status"
    return status


def _detail(status: status_pb2.Status, kind: type[Message]) -> Any:
    for detail in status.details:
        if detail.Is(kind.DESCRIPTOR):
            found = kind()
            detail.Unpack(found)
            return found
    raise AssertionError(f"no {kind.DESCRIPTOR.name} detail")


def error_info(error: grpc.RpcError) -> error_details_pb2.ErrorInfo:
    info: error_details_pb2.ErrorInfo = _detail(rich_status(error), error_details_pb2.ErrorInfo)
    return info


def field_violations(error: grpc.RpcError | status_pb2.Status) -> dict[str, str]:
    """field -> description of the BadRequest detail of an error (or of an ack's status)."""
    status = error if isinstance(error, status_pb2.Status) else rich_status(error)
    bad: error_details_pb2.BadRequest = _detail(status, error_details_pb2.BadRequest)
    return {v.field: v.description for v in bad.field_violations}


def precondition_violations(
    error: grpc.RpcError,
) -> list[error_details_pb2.PreconditionFailure.Violation]:
    failure = _detail(rich_status(error), error_details_pb2.PreconditionFailure)
    return list(failure.violations)


# -- paging -------------------------------------------------------------------------------


def pages(
    call: Callable[..., Any], request: Message, field: str, *, metadata: Metadata = STAFF
) -> list[list[Any]]:
    """The items of each page of a List call, following next_page_token from request on."""
    request = type(request).FromString(request.SerializeToString())
    found: list[list[Any]] = []
    while True:
        page = call(request, metadata=metadata)
        found.append(list(getattr(page, field)))
        if not page.next_page_token:
            return found
        request.page_token = page.next_page_token  # type: ignore[attr-defined]


def all_pages(
    call: Callable[..., Any], request: Message, field: str, *, metadata: Metadata = STAFF
) -> list[Any]:
    """Every item of a List call, all pages."""
    return [item for page in pages(call, request, field, metadata=metadata) for item in page]


# -- catalog ------------------------------------------------------------------------------


def money(amount: str, currency: str = "USD") -> money_pb2.Money:
    value = Decimal(amount)
    units = int(value)
    nanos = int((value - units) * 1_000_000_000)
    return money_pb2.Money(currency_code=currency, units=units, nanos=nanos)


def as_decimal(m: money_pb2.Money) -> Decimal:
    return Decimal(m.units) + Decimal(m.nanos) / Decimal(1_000_000_000)


def gtin(n: int) -> str:
    return with_check_digit(f"{n:012d}")


def create_product(
    api: Clients,
    sku: str,
    *,
    cost: str = "2.50",
    opening: int = 0,
    barcode: str = "",
    name: str | None = None,
    tracking: Any = catalog_pb2.TRACKING_MODE_UNSPECIFIED,
) -> catalog_pb2.Product:
    response = api.catalog.CreateProduct(
        catalog_pb2.CreateProductRequest(
            product=catalog_pb2.Product(
                sku=sku,
                name=name or f"Product {sku}",
                unit_cost=money(cost),
                barcode=barcode,
                tracking=tracking,
            ),
            opening_quantity=opening,
        ),
        metadata=ADMIN,
    )
    return response.product


_skus = itertools.count(1)


LOT = catalog_pb2.TRACKING_MODE_LOT
NONE = catalog_pb2.TRACKING_MODE_NONE


def make_product(api: Clients, *, unit_cost: str = "1.00", opening: int = 1000) -> str:
    """The id of a new product with a SKU of its own."""
    return create_product(api, f"ADJ-{next(_skus)}", cost=unit_cost, opening=opening).id


def make_lot_product(api: Clients, *, unit_cost: str = "1.00") -> str:
    """The id of a new lot-tracked product (no stock until its batches are created)."""
    return create_product(api, f"LOT-{next(_skus)}", cost=unit_cost, tracking=LOT).id


def create_batch(
    api: Clients,
    product_id: str,
    lot: str,
    *,
    opening: int = 0,
    expiry: tuple[int, int, int] | None = None,
) -> catalog_pb2.Batch:
    batch = catalog_pb2.Batch(product_id=product_id, lot_number=lot)
    if expiry:
        batch.expiry_date.CopyFrom(date_pb2.Date(year=expiry[0], month=expiry[1], day=expiry[2]))
    return api.catalog.CreateBatch(
        catalog_pb2.CreateBatchRequest(batch=batch, opening_quantity=opening), metadata=ADMIN
    ).batch


def move(
    api: Clients,
    product_id: str,
    delta: int,
    *,
    batch_id: str = "",
    ref: str = "REF-1",
    location: Any = None,
    metadata: Metadata = STAFF,
) -> catalog_pb2.LedgerEntry:
    """One movement (at location, a LocationSelector; the default place without one)."""
    response = api.catalog.RecordStockMovements(
        catalog_pb2.RecordStockMovementsRequest(
            movements=[
                catalog_pb2.StockMovement(
                    product_id=product_id,
                    batch_id=batch_id,
                    quantity_delta=delta,
                    source_reference=ref,
                    location=location,
                )
            ]
        ),
        metadata=metadata,
    )
    return response.entries[0]


def set_tracking(api: Clients, product_id: str, tracking: Any) -> catalog_pb2.Product:
    """UpdateProduct of how the product is tracked (LOT or NONE)."""
    return api.catalog.UpdateProduct(
        catalog_pb2.UpdateProductRequest(
            product=catalog_pb2.Product(id=product_id, tracking=tracking),
            update_mask=field_mask_pb2.FieldMask(paths=["tracking"]),
        ),
        metadata=ADMIN,
    ).product


def get_product(api: Clients, product_id: str) -> catalog_pb2.Product:
    return api.catalog.GetProduct(
        catalog_pb2.GetProductRequest(product=catalog_pb2.ProductSelector(id=product_id)),
        metadata=STAFF,
    ).product


def stock_of(api: Clients, product_id: str) -> int:
    return get_product(api, product_id).stock_quantity


def level_of(api: Clients, product_id: str, batch_id: str = "") -> int:
    for level in get_product(api, product_id).stock_levels:
        if level.batch_id == batch_id:
            return level.quantity
    raise AssertionError(f"no level {product_id}/{batch_id or 'unbatched'}")


def ledger_of(
    api: Clients, product_id: str, batch_id: str = "", *, page_size: int = 100
) -> list[catalog_pb2.LedgerEntry]:
    """Every ledger entry of the product (or of one batch), oldest first."""
    request = catalog_pb2.ListStockMovementsRequest(
        product_id=product_id, batch_id=batch_id, page_size=page_size
    )
    return all_pages(api.catalog.ListStockMovements, request, "entries")


# -- counts -------------------------------------------------------------------------------

CYCLE = pb.INVENTORY_COUNT_TYPE_CYCLE
FULL = pb.INVENTORY_COUNT_TYPE_FULL
SPOT = pb.INVENTORY_COUNT_TYPE_SPOT
ANNUAL = pb.INVENTORY_COUNT_TYPE_ANNUAL
ADD = pb.COUNT_MODE_ADD
SET = pb.COUNT_MODE_SET


def start_count(
    api: Clients,
    name: str = "Aisle 3 cycle count",
    count_type: Any = CYCLE,
    *,
    blind: bool = False,
    metadata: Any = MANAGER,
    request_id: str = "",
) -> pb.InventoryCount:
    return api.counts.StartInventoryCount(
        pb.StartInventoryCountRequest(
            name=name, type=count_type, blind=blind, request_id=request_id
        ),
        metadata=metadata,
    ).inventory_count


def add_request(
    count_id: str,
    quantity: int,
    *,
    sku: str = "",
    product_id: str = "",
    batch_id: str = "",
    lot_number: str = "",
    mode: Any = SET,
    reason: str = "",
    request_id: str = "",
    **fields: Any,
) -> pb.AddCountItemRequest:
    selector = (
        catalog_pb2.ProductSelector(id=product_id)
        if product_id
        else catalog_pb2.ProductSelector(sku=sku)
    )
    request = pb.AddCountItemRequest(
        inventory_count_id=count_id,
        product=selector,
        counted_quantity=quantity,
        mode=mode,
        reason=reason,
        request_id=request_id,
        **fields,
    )
    if batch_id:
        request.batch_id = batch_id
    if lot_number:
        request.lot_number = lot_number
    return request


def add_item(
    api: Clients, count_id: str, quantity: int, *, metadata: Any = STAFF, **fields: Any
) -> pb.CountItem:
    return api.counts.AddCountItem(
        add_request(count_id, quantity, **fields), metadata=metadata
    ).item


def list_items(api: Clients, count_id: str, metadata: Any = MANAGER) -> list[pb.CountItem]:
    request = pb.ListCountItemsRequest(inventory_count_id=count_id)
    return all_pages(api.counts.ListCountItems, request, "items", metadata=metadata)


def lines(api: Clients, count_id: str) -> dict[tuple[str, str], int]:
    """(product id, batch id) -> counted quantity, for every line of the count."""
    return {(i.product_id, i.batch_id): i.counted_quantity for i in list_items(api, count_id)}


def get_count(api: Clients, count_id: str, metadata: Any = MANAGER) -> pb.InventoryCount:
    return api.counts.GetInventoryCount(
        pb.GetInventoryCountRequest(inventory_count_id=count_id), metadata=metadata
    ).inventory_count


def complete(
    api: Clients,
    count_id: str,
    *,
    apply: bool = True,
    mode: Any = pb.STOCK_APPLY_MODE_UNSPECIFIED,
    zero_uncounted: bool = False,
    notes: str = "",
    metadata: Any = MANAGER,
    request_id: str = "",
) -> pb.CompleteInventoryCountResponse:
    return api.counts.CompleteInventoryCount(
        pb.CompleteInventoryCountRequest(
            inventory_count_id=count_id,
            apply_adjustments=apply,
            apply_mode=mode,
            zero_uncounted=zero_uncounted,
            notes=notes,
            request_id=request_id,
        ),
        metadata=metadata,
    )


# -- scanner streams ----------------------------------------------------------------------


class ScannerStream:
    """One StreamCountItems call; requests go through a queue so a test interleaves steps."""

    def __init__(
        self, api: Clients, metadata: Sequence[tuple[str, str]] | None, device_id: str = ""
    ):
        self._requests: queue.Queue[pb.StreamCountItemsRequest | None] = queue.Queue()
        self._device_id = device_id
        self._call: Any = api.counts.StreamCountItems(
            iter(self._requests.get, None), metadata=metadata
        )
        self._responses: Iterator[pb.StreamCountItemsResponse] = iter(self._call)

    def send(self, *entries: pb.CountEntry) -> None:
        self._requests.put(
            pb.StreamCountItemsRequest(device_id=self._device_id, entries=list(entries))
        )
        self._device_id = ""  # the device id travels in the first message only

    def acks(self, n: int) -> list[pb.CountEntryAck]:
        """The acks of the next responses, until there are at least n (a response carries the
        acks of one transaction, so there may be more)."""
        acks: list[pb.CountEntryAck] = []
        while len(acks) < n:
            acks.extend(next(self._responses).acks)
        return acks

    def finish(self) -> list[pb.CountEntryAck]:
        """Ends the request side; returns the acks still to come."""
        self._requests.put(None)
        return [ack for response in self._responses for ack in response.acks]

    def cancel(self) -> None:
        self._call.cancel()
        self._requests.put(None)


def roundtrip(
    api: Clients, metadata: Sequence[tuple[str, str]], *entries: pb.CountEntry, **kw: Any
) -> list[pb.CountEntryAck]:
    """One stream: every entry in one message, every ack back."""
    stream = ScannerStream(api, metadata, **kw)
    stream.send(*entries)
    return stream.finish()


def scan(
    count_id: str,
    *,
    sku: str = "",
    barcode: str = "",
    product_id: str = "",
    quantity: int = 1,
    mode: pb.CountMode.ValueType = ADD,
    lot: str = "",
    entry_id: str | None = None,
    location: str = "",
) -> pb.CountEntry:
    product = catalog_pb2.ProductSelector()
    if product_id:
        product.id = product_id
    elif sku:
        product.sku = sku
    else:
        product.barcode = barcode
    entry = pb.CountEntry(
        entry_id=uuid.uuid4().hex if entry_id is None else entry_id,
        inventory_count_id=count_id,
        product=product,
        quantity=quantity,
        mode=mode,
        location=location,
    )
    entry.scan_time.GetCurrentTime()
    if lot:
        entry.lot_number = lot
    return entry


def error_of(ack: pb.CountEntryAck) -> tuple[grpc.StatusCode, str]:
    """(code, ErrorInfo reason) of a rejected entry."""
    assert ack.WhichOneof("result") == "error", f"entry {ack.entry_id} was not rejected"
    info = _detail(ack.error, error_details_pb2.ErrorInfo)
    code = next(c for c in grpc.StatusCode if c.value[0] == ack.error.code)
    return code, info.reason


# -- adjustments --------------------------------------------------------------------------

T = stock_adjustment_pb2.StockAdjustmentType
S = stock_adjustment_pb2.StockAdjustmentStatus
DAMAGE = T.STOCK_ADJUSTMENT_TYPE_DAMAGE
THEFT = T.STOCK_ADJUSTMENT_TYPE_THEFT
EXPIRED = T.STOCK_ADJUSTMENT_TYPE_EXPIRED
FOUND = T.STOCK_ADJUSTMENT_TYPE_FOUND
CORRECTION = T.STOCK_ADJUSTMENT_TYPE_CORRECTION
RETURN = T.STOCK_ADJUSTMENT_TYPE_RETURN
PENDING = S.STOCK_ADJUSTMENT_STATUS_PENDING
APPLIED = S.STOCK_ADJUSTMENT_STATUS_APPLIED
REJECTED = S.STOCK_ADJUSTMENT_STATUS_REJECTED


def create_request(
    product_id: str, type_: Any, change: int, *, reason: str = "shelf check", **fields: Any
) -> stock_adjustment_pb2.CreateStockAdjustmentRequest:
    return stock_adjustment_pb2.CreateStockAdjustmentRequest(
        product_id=product_id, type=type_, quantity_change=change, reason=reason, **fields
    )


def adjust(
    api: Clients,
    product_id: str,
    type_: Any,
    change: int,
    *,
    metadata: Metadata = STAFF,
    reason: str = "shelf check",
    **fields: Any,
) -> stock_adjustment_pb2.StockAdjustment:
    return api.adjustments.CreateStockAdjustment(
        create_request(product_id, type_, change, reason=reason, **fields), metadata=metadata
    ).stock_adjustment


def approve(
    api: Clients, adjustment_id: str, *, metadata: Metadata = MANAGER, notes: str = ""
) -> stock_adjustment_pb2.StockAdjustment:
    return api.adjustments.ApproveStockAdjustment(
        stock_adjustment_pb2.ApproveStockAdjustmentRequest(
            stock_adjustment_id=adjustment_id, notes=notes
        ),
        metadata=metadata,
    ).stock_adjustment


def get_adjustment(api: Clients, adjustment_id: str) -> stock_adjustment_pb2.StockAdjustment:
    return api.adjustments.GetStockAdjustment(
        stock_adjustment_pb2.GetStockAdjustmentRequest(stock_adjustment_id=adjustment_id),
        metadata=STAFF,
    ).stock_adjustment


def all_adjustments(api: Clients, **filters: Any) -> list[stock_adjustment_pb2.StockAdjustment]:
    """Every adjustment ListStockAdjustments returns for filters."""
    request = stock_adjustment_pb2.ListStockAdjustmentsRequest(page_size=500, **filters)
    return all_pages(api.adjustments.ListStockAdjustments, request, "stock_adjustments")
