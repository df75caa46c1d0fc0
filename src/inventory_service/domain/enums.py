"""Domain enumerations, stored by name. Their proto twins map by name in api/convert.py."""

from __future__ import annotations

import enum


class LedgerSource(enum.StrEnum):
    OPENING_BALANCE = "OPENING_BALANCE"
    MOVEMENT = "MOVEMENT"
    ADJUSTMENT = "ADJUSTMENT"
    COUNT = "COUNT"
    MIGRATION = "MIGRATION"
    TRANSFER = "TRANSFER"


class TrackingMode(enum.StrEnum):
    NONE = "NONE"
    LOT = "LOT"


class CountItemStatus(enum.StrEnum):
    COUNTED = "COUNTED"
    RECOUNT_REQUESTED = "RECOUNT_REQUESTED"
    RECOUNTED = "RECOUNTED"


class AbcClass(enum.StrEnum):
    A = "A"
    B = "B"
    C = "C"


class CountType(enum.StrEnum):
    FULL = "FULL"
    CYCLE = "CYCLE"
    SPOT = "SPOT"
    ANNUAL = "ANNUAL"


class CountStatus(enum.StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


class CountMode(enum.StrEnum):
    SET = "SET"
    ADD = "ADD"


class StockApplyMode(enum.StrEnum):
    DIFFERENCE = "DIFFERENCE"
    SET_COUNTED = "SET_COUNTED"


class AdjustmentType(enum.StrEnum):
    DAMAGE = "DAMAGE"
    THEFT = "THEFT"
    EXPIRED = "EXPIRED"
    FOUND = "FOUND"
    CORRECTION = "CORRECTION"
    RETURN = "RETURN"


class AdjustmentStatus(enum.StrEnum):
    PENDING = "PENDING"
    APPLIED = "APPLIED"
    REJECTED = "REJECTED"
