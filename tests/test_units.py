"""Fast tests of pure rules, without a server: money, GTINs, page tokens, settings."""

from __future__ import annotations

from decimal import Decimal

import pytest

from inventory.v1 import catalog_pb2, stock_adjustment_pb2
from inventory_service.api.convert import decimal_to_money, money_to_decimal
from inventory_service.api.page_tokens import PageTokens, scope_of
from inventory_service.domain.errors import InvalidArgument
from inventory_service.domain.gtin import gtin_problem, with_check_digit
from inventory_service.domain.money import from_micros, line_value, to_micros
from inventory_service.settings import Settings


@pytest.mark.parametrize("amount", ["0", "1.85", "-1.85", "-0.000001", "123456789.999999", "-7"])
def test_money_round_trips_exactly_with_units_and_nanos_of_one_sign(amount: str) -> None:
    money = decimal_to_money(Decimal(amount), "USD")
    assert not (money.units > 0 and money.nanos < 0)
    assert not (money.units < 0 and money.nanos > 0)
    assert money_to_decimal(money, "f", "USD") == Decimal(amount)
    assert from_micros(to_micros(Decimal(amount))) == Decimal(amount)


def test_line_value_is_exact() -> None:
    assert line_value(-3, Decimal("0.1")) == Decimal("-0.3")
    assert line_value(7, Decimal("1.333333")) == Decimal("9.333331")


def test_malformed_money_is_invalid() -> None:
    from google.type import money_pb2

    for bad in (
        money_pb2.Money(currency_code="USD", units=1, nanos=-5),
        money_pb2.Money(currency_code="USD", units=0, nanos=1_000_000_000),
        money_pb2.Money(currency_code="GBP", units=1),
    ):
        with pytest.raises(InvalidArgument):
            money_to_decimal(bad, "unit_cost", "USD")


def test_gtin_check_digits() -> None:
    assert gtin_problem("4006381333931") is None  # a real EAN-13
    assert gtin_problem("4006381333932") == "check digit is wrong"
    assert gtin_problem("12345") == "must have 8, 12, 13 or 14 digits"
    assert gtin_problem("40063813339a1") == "must contain digits only"
    assert with_check_digit("978030640615") == "9780306406157"
    assert gtin_problem("9780306406157") is None  # ISBN-13 978-0-306-40615-7


def test_page_tokens_are_signed_and_bound_to_their_filters() -> None:
    tokens = PageTokens(b"k" * 32)
    token = tokens.encode(("SKU-9", 42), "ListProducts:False")
    assert tokens.decode(token, "ListProducts:False") == ("SKU-9", 42)
    with pytest.raises(InvalidArgument):
        tokens.decode(token, "ListProducts:True")
    with pytest.raises(InvalidArgument):
        PageTokens(b"x" * 32).decode(token, "ListProducts:False")
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(InvalidArgument):
        tokens.decode(tampered, "ListProducts:False")
    assert "SKU-9" not in token  # opaque, not plain base64 of the key


def test_settings_read_the_environment() -> None:
    settings = Settings.from_env(
        {
            "INVENTORY_LISTEN": "0.0.0.0:6000",
            "INVENTORY_APPROVAL_VALUE": "750.50",
            "INVENTORY_CURRENCY": "eur",
            "INVENTORY_DB_WORKERS": "3",
        }
    )
    assert settings.listen == "0.0.0.0:6000"
    assert settings.thresholds.approval_value == Decimal("750.50")
    assert settings.thresholds.approval_units == 50
    assert settings.currency == "EUR"
    assert settings.db_workers == 3
    assert Settings.from_env({}).database_url == "sqlite:///var/inventory.db"


def test_a_list_call_is_scoped_by_its_request_without_the_paging_fields() -> None:
    def scope(**fields: object) -> str:
        return scope_of(stock_adjustment_pb2.ListStockAdjustmentsRequest(**fields))  # type: ignore[arg-type]

    assert scope(product_id="p-1", page_size=5, page_token="abc") == scope(product_id="p-1")
    assert scope(product_id="p-1") != scope(product_id="p-2")
    assert scope(status=stock_adjustment_pb2.STOCK_ADJUSTMENT_STATUS_PENDING) != scope()
    products = scope_of(catalog_pb2.ListProductsRequest())
    assert products != scope()  # two methods without filters still differ
