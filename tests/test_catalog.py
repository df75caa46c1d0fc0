"""CatalogService through a real channel: products, batches, movements and the ledger."""

from __future__ import annotations

import itertools

import grpc
from google.protobuf import field_mask_pb2

from inventory.v1 import catalog_pb2
from tests.helpers import (
    ADMIN,
    LOT,
    STAFF,
    Clients,
    as_decimal,
    create_batch,
    create_product,
    error_info,
    expect_error,
    field_violations,
    gtin,
    ledger_of,
    money,
    move,
    pages,
    stock_of,
)


def by(**selector: str) -> catalog_pb2.GetProductRequest:
    return catalog_pb2.GetProductRequest(product=catalog_pb2.ProductSelector(**selector))


def ledger(api: Clients, product_id: str, batch_id: str = "") -> list[catalog_pb2.LedgerEntry]:
    # Small pages, so reading the ledger also exercises paging.
    return ledger_of(api, product_id, batch_id, page_size=3)


def test_create_product_with_opening_balance_writes_the_ledger(api: Clients) -> None:
    product = create_product(api, "ASP-100", cost="0.125", opening=40, barcode=gtin(1))
    assert product.id
    assert product.active
    assert product.stock_quantity == 40
    assert as_decimal(product.unit_cost) == as_decimal(money("0.125"))
    assert product.unit_cost.currency_code == "USD"
    [level] = product.stock_levels
    assert (level.batch_id, level.quantity) == ("", 40)
    [entry] = ledger(api, product.id)
    assert entry.source == catalog_pb2.LEDGER_SOURCE_OPENING_BALANCE
    assert (entry.quantity_before, entry.quantity_delta, entry.quantity_after) == (0, 40, 40)
    assert entry.actor == "alice-admin"  # from the token, never from the request


def test_get_product_by_id_sku_and_barcode(api: Clients) -> None:
    product = create_product(api, "GET-1", barcode=gtin(2))
    for request in (by(id=product.id), by(sku="GET-1"), by(barcode=gtin(2))):
        assert api.catalog.GetProduct(request, metadata=STAFF).product.id == product.id


def test_list_products_pages_in_sku_order_and_hides_inactive(api: Clients) -> None:
    for sku in ["D-4", "A-1", "C-3", "E-5", "B-2"]:
        create_product(api, sku)
    hidden = create_product(api, "AA-0")
    api.catalog.UpdateProduct(
        catalog_pb2.UpdateProductRequest(
            product=catalog_pb2.Product(id=hidden.id, active=False),
            update_mask=field_mask_pb2.FieldMask(paths=["active"]),
        ),
        metadata=ADMIN,
    )
    found = pages(
        api.catalog.ListProducts, catalog_pb2.ListProductsRequest(page_size=2), "products"
    )
    assert [p.sku for page in found for p in page] == ["A-1", "B-2", "C-3", "D-4", "E-5"]
    assert len(found) == 3
    everything = api.catalog.ListProducts(
        catalog_pb2.ListProductsRequest(show_inactive=True), metadata=STAFF
    )
    assert [p.sku for p in everything.products] == ["A-1", "AA-0", "B-2", "C-3", "D-4", "E-5"]


def test_update_product_changes_only_masked_fields(api: Clients) -> None:
    product = create_product(api, "UPD-1", cost="1.00", name="Old name")
    updated = api.catalog.UpdateProduct(
        catalog_pb2.UpdateProductRequest(
            product=catalog_pb2.Product(
                id=product.id, name="New name", sku="IGNORED", unit_cost=money("3.333333")
            ),
            update_mask=field_mask_pb2.FieldMask(paths=["name", "unit_cost"]),
        ),
        metadata=ADMIN,
    ).product
    assert updated.name == "New name"
    assert updated.sku == "UPD-1"
    assert as_decimal(updated.unit_cost) == as_decimal(money("3.333333"))
    assert updated.update_time.ToDatetime() >= product.update_time.ToDatetime()


def test_batches_hold_stock_and_list_by_expiry(api: Clients) -> None:
    product = create_product(api, "BAT-1", tracking=LOT)
    late = create_batch(api, product.id, "L-LATE", opening=10, expiry=(2028, 1, 31))
    none = create_batch(api, product.id, "L-NONE", opening=6)
    early = create_batch(api, product.id, "L-EARLY", opening=20, expiry=(2027, 6, 30))
    assert (early.quantity, early.expiry_date.year) == (20, 2027)
    listed = api.catalog.ListBatches(
        catalog_pb2.ListBatchesRequest(product_id=product.id, page_size=2), metadata=STAFF
    )
    rest = api.catalog.ListBatches(
        catalog_pb2.ListBatchesRequest(product_id=product.id, page_token=listed.next_page_token),
        metadata=STAFF,
    )
    assert [b.id for b in [*listed.batches, *rest.batches]] == [early.id, late.id, none.id]
    assert rest.next_page_token == ""
    assert stock_of(api, product.id) == 36


def test_record_movements_in_one_call_and_list_the_ledger(api: Clients) -> None:
    product = create_product(api, "MOV-1", opening=10)
    lot_product = create_product(api, "MOV-LOT", tracking=LOT)
    batch = create_batch(api, lot_product.id, "LOT-A", opening=4)
    response = api.catalog.RecordStockMovements(
        catalog_pb2.RecordStockMovementsRequest(
            movements=[
                catalog_pb2.StockMovement(
                    product_id=product.id,
                    quantity_delta=25,
                    source_reference="GRN-7",
                    reason="delivery",
                ),
                catalog_pb2.StockMovement(
                    product_id=product.id, quantity_delta=-30, source_reference="SALE-9"
                ),
                catalog_pb2.StockMovement(
                    product_id=lot_product.id,
                    batch_id=batch.id,
                    quantity_delta=-4,
                    source_reference="SALE-9",
                ),
            ]
        ),
        metadata=STAFF,
    )
    got = [(e.quantity_before, e.quantity_delta, e.quantity_after) for e in response.entries]
    assert got == [(10, 25, 35), (35, -30, 5), (4, -4, 0)]
    assert all(e.source == catalog_pb2.LEDGER_SOURCE_MOVEMENT for e in response.entries)
    assert response.entries[0].source_reference == "GRN-7"
    assert response.entries[0].actor == "sam-staff"
    assert stock_of(api, product.id) == 5
    assert [e.quantity_delta for e in ledger(api, product.id)] == [10, 25, -30]
    assert [e.quantity_delta for e in ledger(api, lot_product.id, batch.id)] == [4, -4]


def test_every_level_equals_the_sum_of_its_ledger_deltas(api: Clients) -> None:
    product = create_product(api, "INV-1", tracking=LOT)
    first = create_batch(api, product.id, "B0", opening=50)
    batch = create_batch(api, product.id, "B1", opening=30)
    for delta in [5, -12, 7, -50, 3]:
        move(api, product.id, delta, batch_id=first.id)
    for delta in [-10, 2, -22]:
        move(api, product.id, delta, batch_id=batch.id)
    expect_error(
        grpc.StatusCode.FAILED_PRECONDITION, move, api, product.id, -999, batch_id=first.id
    )
    levels = {
        lv.batch_id: lv.quantity
        for lv in api.catalog.GetProduct(by(id=product.id), metadata=STAFF).product.stock_levels
    }
    for batch_id, quantity in levels.items():
        entries = ledger(api, product.id, batch_id)
        assert sum(e.quantity_delta for e in entries) == quantity
        for earlier, later in itertools.pairwise(entries):
            assert later.quantity_before == earlier.quantity_after
    assert levels == {first.id: 3, batch.id: 0}


def test_movements_are_all_or_nothing_and_never_below_zero(api: Clients) -> None:
    product = create_product(api, "NEG-1", opening=3)
    request = catalog_pb2.RecordStockMovementsRequest(
        movements=[
            catalog_pb2.StockMovement(
                product_id=product.id, quantity_delta=10, source_reference="GRN"
            ),
            catalog_pb2.StockMovement(
                product_id=product.id, quantity_delta=-14, source_reference="SALE"
            ),
        ]
    )
    error = expect_error(
        grpc.StatusCode.FAILED_PRECONDITION,
        api.catalog.RecordStockMovements,
        request,
        metadata=STAFF,
    )
    assert error_info(error).reason == "INSUFFICIENT_STOCK"
    assert stock_of(api, product.id) == 3
    assert len(ledger(api, product.id)) == 1


def test_request_id_makes_retries_safe(api: Clients) -> None:
    create = catalog_pb2.CreateProductRequest(
        product=catalog_pb2.Product(sku="IDEM-1", name="Idempotent", unit_cost=money("1")),
        opening_quantity=7,
        request_id="req-create-1",
    )
    first = api.catalog.CreateProduct(create, metadata=ADMIN).product
    again = api.catalog.CreateProduct(create, metadata=ADMIN).product
    assert again.id == first.id
    movement = catalog_pb2.RecordStockMovementsRequest(
        movements=[
            catalog_pb2.StockMovement(
                product_id=first.id, quantity_delta=5, source_reference="GRN-1"
            )
        ],
        request_id="req-move-1",
    )
    one = api.catalog.RecordStockMovements(movement, metadata=STAFF)
    two = api.catalog.RecordStockMovements(movement, metadata=STAFF)
    assert [e.sequence for e in one.entries] == [e.sequence for e in two.entries]
    assert stock_of(api, first.id) == 12


# -- validation: every error with its code and details --------------------------------------


def test_create_product_reports_every_invalid_field(api: Clients) -> None:
    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        api.catalog.CreateProduct,
        catalog_pb2.CreateProductRequest(
            product=catalog_pb2.Product(barcode="4006381333932"), opening_quantity=-1
        ),
        metadata=ADMIN,
    )
    violations = field_violations(error)
    assert set(violations) == {
        "product.sku",
        "product.name",
        "product.unit_cost",
        "product.barcode",
        "opening_quantity",
    }
    assert "check digit" in violations["product.barcode"]
    assert error_info(error).domain == "inventory.v1"


def test_create_product_rejects_bad_money(api: Clients) -> None:
    cases = {
        "negative": (money("-1.00"), "product.unit_cost"),
        "seven decimals": (money("0.0000001"), "product.unit_cost"),
        "other currency": (money("1.00", "EUR"), "product.unit_cost.currency_code"),
    }
    for sku, (cost, field) in zip(["M-1", "M-2", "M-3"], cases.values(), strict=True):
        error = expect_error(
            grpc.StatusCode.INVALID_ARGUMENT,
            api.catalog.CreateProduct,
            catalog_pb2.CreateProductRequest(
                product=catalog_pb2.Product(sku=sku, name="x", unit_cost=cost)
            ),
            metadata=ADMIN,
        )
        assert field in field_violations(error)
    listed = api.catalog.ListProducts(
        catalog_pb2.ListProductsRequest(show_inactive=True), metadata=STAFF
    )
    assert list(listed.products) == []


def test_duplicate_sku_and_barcode_are_already_exists(api: Clients) -> None:
    create_product(api, "DUP-1", barcode=gtin(9))
    error = expect_error(grpc.StatusCode.ALREADY_EXISTS, create_product, api, "DUP-1")
    assert error_info(error).reason == "SKU_TAKEN"
    error = expect_error(
        grpc.StatusCode.ALREADY_EXISTS, create_product, api, "DUP-2", barcode=gtin(9)
    )
    assert error_info(error).reason == "BARCODE_TAKEN"


def test_get_product_errors(api: Clients) -> None:
    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        api.catalog.GetProduct,
        catalog_pb2.GetProductRequest(),
        metadata=STAFF,
    )
    assert "product" in field_violations(error)
    error = expect_error(
        grpc.StatusCode.NOT_FOUND, api.catalog.GetProduct, by(sku="NOPE"), metadata=STAFF
    )
    assert error_info(error).reason == "PRODUCT_NOT_FOUND"


def test_update_product_errors(api: Clients) -> None:
    product = create_product(api, "UE-1")
    create_product(api, "UE-2")

    def update(paths: list[str], **fields: object) -> grpc.RpcError:
        return api.catalog.UpdateProduct(
            catalog_pb2.UpdateProductRequest(
                product=catalog_pb2.Product(**fields),
                update_mask=field_mask_pb2.FieldMask(paths=paths),
            ),
            metadata=ADMIN,
        )

    assert "update_mask" in field_violations(
        expect_error(grpc.StatusCode.INVALID_ARGUMENT, update, [], id=product.id)
    )
    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        update,
        ["stock_quantity"],
        id=product.id,
        stock_quantity=5,
    )
    assert "stock_quantity" in field_violations(error)["update_mask"]
    assert "product.id" in field_violations(
        expect_error(grpc.StatusCode.INVALID_ARGUMENT, update, ["name"], name="x")
    )
    expect_error(grpc.StatusCode.NOT_FOUND, update, ["name"], id="no-such-id", name="x")
    error = expect_error(grpc.StatusCode.ALREADY_EXISTS, update, ["sku"], id=product.id, sku="UE-2")
    assert error_info(error).reason == "SKU_TAKEN"
    assert api.catalog.GetProduct(by(id=product.id), metadata=STAFF).product.sku == "UE-1"


def test_create_batch_errors(api: Clients) -> None:
    product = create_product(api, "BE-1", tracking=LOT)
    create_batch(api, product.id, "LOT-1")
    expect_error(grpc.StatusCode.NOT_FOUND, create_batch, api, "missing-product", "LOT-1")
    error = expect_error(grpc.StatusCode.ALREADY_EXISTS, create_batch, api, product.id, "LOT-1")
    assert error_info(error).reason == "LOT_NUMBER_TAKEN"
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, create_batch, api, product.id, "")
    assert "batch.lot_number" in field_violations(error)
    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        create_batch,
        api,
        product.id,
        "LOT-2",
        expiry=(2027, 13, 1),
    )
    assert "batch.expiry_date" in field_violations(error)


def test_record_movements_errors(api: Clients) -> None:
    product = create_product(api, "ME-1", opening=5)
    lot_product = create_product(api, "ME-LOT", tracking=LOT)
    other = create_product(api, "ME-2", tracking=LOT)
    foreign_batch = create_batch(api, other.id, "OTHER")

    def record(*movements: catalog_pb2.StockMovement) -> object:
        return api.catalog.RecordStockMovements(
            catalog_pb2.RecordStockMovementsRequest(movements=list(movements)), metadata=STAFF
        )

    assert "movements" in field_violations(expect_error(grpc.StatusCode.INVALID_ARGUMENT, record))
    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        record,
        catalog_pb2.StockMovement(product_id=product.id, quantity_delta=0, source_reference=""),
    )
    assert set(field_violations(error)) == {
        "movements[0].quantity_delta",
        "movements[0].source_reference",
    }
    expect_error(
        grpc.StatusCode.NOT_FOUND,
        record,
        catalog_pb2.StockMovement(product_id="nope", quantity_delta=1, source_reference="R"),
    )
    error = expect_error(
        grpc.StatusCode.NOT_FOUND,
        record,
        catalog_pb2.StockMovement(
            product_id=lot_product.id,
            batch_id=foreign_batch.id,
            quantity_delta=1,
            source_reference="R",
        ),
    )
    assert error_info(error).reason == "BATCH_NOT_FOUND"
    assert stock_of(api, product.id) == 5


def test_paging_arguments_are_checked(api: Clients) -> None:
    create_product(api, "PG-1")
    create_product(api, "PG-2")
    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        api.catalog.ListProducts,
        catalog_pb2.ListProductsRequest(page_size=-1),
        metadata=STAFF,
    )
    assert "page_size" in field_violations(error)
    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        api.catalog.ListProducts,
        catalog_pb2.ListProductsRequest(page_token="b2Zmc2V0OjE"),
        metadata=STAFF,
    )
    assert "page_token" in field_violations(error)
    token = api.catalog.ListProducts(
        catalog_pb2.ListProductsRequest(page_size=1), metadata=STAFF
    ).next_page_token
    assert token
    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        api.catalog.ListProducts,
        catalog_pb2.ListProductsRequest(page_size=1, page_token=token, show_inactive=True),
        metadata=STAFF,
    )
    assert "other filters" in field_violations(error)["page_token"]
    huge = api.catalog.ListProducts(
        catalog_pb2.ListProductsRequest(page_size=100_000), metadata=STAFF
    )
    assert len(huge.products) == 2


def test_quantities_are_bounded_so_nothing_overflows(api: Clients) -> None:
    big = 10**12
    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT, create_product, api, "BIG-0", opening=big + 1
    )
    assert "opening_quantity" in field_violations(error)
    product = create_product(api, "BIG-1", opening=big)
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, move, api, product.id, 2**62)
    assert "movements[0].quantity_delta" in field_violations(error)
    error = expect_error(grpc.StatusCode.FAILED_PRECONDITION, move, api, product.id, 1)
    assert error_info(error).reason == "STOCK_LIMIT_EXCEEDED"
    assert stock_of(api, product.id) == big
