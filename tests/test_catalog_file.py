"""Reading a catalog CSV strictly (inventory_client/catalog_file.py): every bad row reported in
one pass, in plain words; a shifted row is never read as something else."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

from inventory_client.catalog_file import read_catalog


def catalog(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "catalog.csv"
    path.write_text(text)
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    return [str(p) for p in read_catalog(catalog(tmp_path, text)).problems]


def test_a_row_with_a_decimal_comma_shifting_its_fields_is_refused(tmp_path: Path) -> None:
    found = read_catalog(
        catalog(
            tmp_path,
            'sku,name,unit_cost,opening_quantity\nGOOD-1,Salt,2.50,10\nBAD-3,"Cost 1,50",1,50,3\n',
        )
    )
    assert [row.sku for row in found.rows] == ["GOOD-1"]
    [problem] = found.problems
    assert str(problem).startswith("row 3: 5 fields where the header has 4")


def test_a_decimal_comma_in_a_price_is_named_with_the_fix(tmp_path: Path) -> None:
    assert problems(tmp_path, 'sku,name,unit_cost\nA,Salt,2.5\nB,Pepper,"1,50"\n') == [
        'row 3, unit_cost: "1,50" is not a price; use a point: 1.50'
    ]


def test_every_bad_row_of_the_file_is_reported_at_once(tmp_path: Path) -> None:
    text = (
        "sku,name,unit_cost,opening_quantity\n"
        "A,Salt,abc,1\n"
        "B,,1.00,2.5\n"
        "C,Pepper,1.00\n"
        "D,Oil,-1,-4\n"
    )
    assert problems(tmp_path, text) == [
        'row 2, unit_cost: "abc" is not a price',
        "row 3, name: required",
        'row 3, opening_quantity: "2.5" is not a whole number',
        "row 4: 3 fields where the header has 4",
        'row 5, unit_cost: "-1" is not a price',
        'row 5, opening_quantity: "-4" is out of range (0 to 9,223,372,036,854,775,807)',
    ]


def test_unknown_or_missing_columns_refuse_the_whole_file(tmp_path: Path) -> None:
    found = read_catalog(catalog(tmp_path, "sku,name,cost\nA,Salt,1\n"))
    assert found.header_problem.startswith(
        "missing column(s) unit_cost; unknown column(s) cost (the columns are sku, name,"
    )
    assert found.rows == []


def test_lots_of_a_lot_tracked_product_are_rows_of_their_own(tmp_path: Path) -> None:
    found = read_catalog(
        catalog(
            tmp_path,
            "sku,name,unit_cost,tracking,lot_number,expiry_date,opening_quantity\n"
            "AMOX,Amoxicillin,4.10,lot,A1,2030-06-30,40\n"
            "AMOX,Amoxicillin,4.10,lot,A2,,5\n"
            "PARA,Paracetamol,1.00,lot,,,7\n"
            "SOAP,Soap,1.00,none,L1,,1\n"
            "SALT,Salt,1.00,,,2030-01-01,\n",
        )
    )
    assert [(r.sku, r.lot_number, r.expiry_date, r.opening_quantity) for r in found.rows] == [
        ("AMOX", "A1", datetime.date(2030, 6, 30), 40),
        ("AMOX", "A2", None, 5),
    ]
    assert found.rows[0].unit_cost == Decimal("4.10")
    assert [str(p) for p in found.problems] == [
        "row 4, opening_quantity: a lot-tracked product's stock is given per lot: fill lot_number",
        "row 5, lot_number: only for tracking lot",
        "row 6, expiry_date: only with a lot_number",
    ]
