"""The ABC boundary rule (domain/cycle_plan.py) on exact small examples, the due arithmetic,
the scope rules and the plan's settings (bad values: the server refuses to start)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from inventory_service.domain.count_scope import CountScope, check_scope
from inventory_service.domain.cycle_plan import CyclePlan, classify, days_overdue
from inventory_service.domain.enums import AbcClass, CountType
from inventory_service.domain.errors import ErrorCollector
from inventory_service.settings import Settings, SettingsError

A, B, C = AbcClass.A, AbcClass.B, AbcClass.C
PLAN = CyclePlan()


def classes(*values: int, plan: CyclePlan = PLAN) -> list[AbcClass]:
    """The classes of products p0, p1, ... worth values (ids order ties)."""
    result = classify([(f"p{i}", v) for i, v in enumerate(values)], plan)
    return [result[f"p{i}"] for i in range(len(values))]


def test_a_is_every_product_that_starts_inside_the_top_80_percent() -> None:
    # before: 0, 50, 79, 94 of 100: the one starting at 79 crosses the line and is still A.
    assert classes(50, 29, 15, 6) == [A, A, A, B]


def test_b_is_the_next_15_percent_and_c_the_rest() -> None:
    # before: 0, 500, 800, 900, 960 of 1,000.
    assert classes(500, 300, 100, 60, 40) == [A, A, B, B, C]
    # Starting exactly at 95%: C; just below: B.
    assert classes(95, 5) == [A, C]
    assert classes(94, 5, 1) == [A, B, C]


def test_one_product_holding_more_than_80_percent_is_a_alone() -> None:
    assert classes(900, 60, 40) == [A, B, C]


def test_products_without_consumption_are_c_even_when_nothing_sold() -> None:
    assert classes(0, 0) == [C, C]
    assert classes(10, 0) == [A, C]


def test_ties_are_ranked_by_product_id() -> None:
    # p0 and p1 tie at 40 of 100: p0 (before 0) and p1 (before 40) are A, p2 (before 80) not.
    assert classes(40, 40, 20) == [A, A, B]


def test_shares_are_settings() -> None:
    half = CyclePlan(a_share=Decimal("0.5"), b_share=Decimal("0.5"))
    assert classes(50, 30, 20, plan=half) == [A, B, B]


def test_days_overdue_are_whole_days_rounded_down() -> None:
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    assert days_overdue(now, now) == 0
    assert days_overdue(now - timedelta(days=2, hours=23), now) == 2
    assert days_overdue(now + timedelta(hours=1), now) == -1
    assert days_overdue(now + timedelta(days=30), now) == -30


def _scope_errors(scope: CountScope, count_type: CountType) -> dict[str, str]:
    errors = ErrorCollector()
    check_scope(scope, count_type, errors)
    return {v.field: v.description for v in errors.violations}


def test_scope_rules() -> None:
    assert _scope_errors(CountScope(product_ids=("p",)), CountType.SPOT) == {}
    assert _scope_errors(CountScope(due_products=True, abc_class=A), CountType.CYCLE) == {}
    assert set(_scope_errors(CountScope(abc_class=A), CountType.CYCLE)) == {"scope_abc_class"}
    assert set(_scope_errors(CountScope(due_products=True), CountType.ANNUAL)) == {"type"}


def _env(**values: str) -> dict[str, str]:
    return {f"INVENTORY_{name}": value for name, value in values.items()}


def test_the_plan_comes_from_the_environment() -> None:
    settings = Settings.from_env(
        _env(
            CONSUMPTION_WINDOW_DAYS="90",
            ABC_A_SHARE="0.7",
            ABC_B_SHARE="0.2",
            COUNT_FREQUENCY_DAYS_A="7",
            COUNT_FREQUENCY_DAYS_B="30",
            COUNT_FREQUENCY_DAYS_C="365",
        )
    )
    assert settings.cycle_plan == CyclePlan(
        window_days=90,
        a_share=Decimal("0.7"),
        b_share=Decimal("0.2"),
        frequency_days={A: 7, B: 30, C: 365},
    )
    assert Settings.from_env({}).cycle_plan == CyclePlan()


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"ABC_A_SHARE": "1.5"}, "INVENTORY_ABC_A_SHARE"),
        ({"ABC_A_SHARE": "eighty"}, "INVENTORY_ABC_A_SHARE"),
        ({"ABC_A_SHARE": "0.9", "ABC_B_SHARE": "0.2"}, "INVENTORY_ABC_B_SHARE"),
        ({"CONSUMPTION_WINDOW_DAYS": "0"}, "INVENTORY_CONSUMPTION_WINDOW_DAYS"),
        ({"COUNT_FREQUENCY_DAYS_B": "-3"}, "INVENTORY_COUNT_FREQUENCY_DAYS_B"),
        ({"COUNT_FREQUENCY_DAYS_C": "2.5"}, "INVENTORY_COUNT_FREQUENCY_DAYS_C"),
    ],
)
def test_bad_plan_settings_are_named(values: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        Settings.from_env(_env(**values))


def test_the_server_refuses_to_start_with_a_bad_plan(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INVENTORY_")}
    env.update(
        INVENTORY_DATABASE_URL=f"sqlite:///{tmp_path / 'inventory.db'}",
        INVENTORY_ABC_A_SHARE="80",
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "inventory_service.cli",
            "serve",
            "--dev",
            "--listen",
            "127.0.0.1:0",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "INVENTORY_ABC_A_SHARE: must be a fraction above 0 and below 1" in result.stderr
