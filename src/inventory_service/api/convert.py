"""Conversions between protobuf messages and domain values: money, times, dates, enums."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from google.protobuf import timestamp_pb2
from google.type import date_pb2, money_pb2

from inventory_service.domain.errors import InvalidArgument
from inventory_service.domain.money import MICROS

E = TypeVar("E", bound=enum.Enum)
NANOS = Decimal("1e9")


def money_to_decimal(money: money_pb2.Money, field: str, currency: str) -> Decimal:
    """Exact amount of a Money message; rejects malformed amounts and other currencies."""
    if money.currency_code and money.currency_code.upper() != currency:
        raise InvalidArgument.one(f"{field}.currency_code", f"must be {currency} (or empty)")
    if not -999_999_999 <= money.nanos <= 999_999_999:
        raise InvalidArgument.one(f"{field}.nanos", "must be between -999999999 and 999999999")
    if (money.units > 0 and money.nanos < 0) or (money.units < 0 and money.nanos > 0):
        raise InvalidArgument.one(f"{field}", "units and nanos must have the same sign")
    return Decimal(money.units) + Decimal(money.nanos) / NANOS


def decimal_to_money(amount: Decimal, currency: str) -> money_pb2.Money:
    amount = amount.quantize(MICROS)
    units = int(amount)  # truncates toward zero, so units and nanos share the sign
    nanos = int((amount - units) * NANOS)
    return money_pb2.Money(currency_code=currency, units=units, nanos=nanos)


def to_timestamp(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(value.astimezone(UTC))
    return ts


def from_timestamp(ts: timestamp_pb2.Timestamp) -> datetime:
    return ts.ToDatetime(tzinfo=UTC)


def optional_timestamp(message: Any, field: str) -> datetime | None:
    if not message.HasField(field):
        return None
    try:
        return from_timestamp(getattr(message, field))
    except (ValueError, OverflowError) as error:  # the edge guard refuses these first
        raise InvalidArgument.one(field, "not a valid time") from error


def to_date(value: date | None) -> date_pb2.Date | None:
    if value is None:
        return None
    return date_pb2.Date(year=value.year, month=value.month, day=value.day)


def from_date(value: date_pb2.Date, field: str) -> date:
    try:
        return date(value.year, value.month, value.day)
    except ValueError as error:
        raise InvalidArgument.one(field, f"not a full calendar date: {error}") from error


def enum_from_proto(
    value: int,
    proto_enum: Any,
    prefix: str,
    domain: type[E],
    field: str,
    *,
    default: E | None = None,
) -> E:
    """Domain enum member for a proto enum value; UNSPECIFIED gives default or an error."""
    if value == 0:
        if default is not None:
            return default
        raise InvalidArgument.one(field, "required")
    try:
        name = proto_enum.Name(value)
    except ValueError as error:
        raise InvalidArgument.one(field, f"unknown value {value}") from error
    return domain[name.removeprefix(prefix)]


def enum_to_proto(member: str | enum.Enum, proto_enum: Any, prefix: str) -> Any:
    """The proto enum value (typed as the enum's ValueType by the caller's field)."""
    name = member.value if isinstance(member, enum.Enum) else member
    return proto_enum.Value(prefix + str(name))


def optional_enum_filter(
    value: int, proto_enum: Any, prefix: str, domain: type[E], field: str
) -> E | None:
    return None if value == 0 else enum_from_proto(value, proto_enum, prefix, domain, field)
