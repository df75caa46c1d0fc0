"""The rules of places and transfers that need no database: what a site or location code is,
when a place may be deactivated, what a well-formed transfer is and who may move stock between
sites; and how a product's levels sum per batch and per site. Milliseconds each."""

from __future__ import annotations

import pytest

from inventory_service.bootstrap import ServiceLayer
from inventory_service.db.models import LedgerEntry, Location, StockLevel, StockTransfer
from inventory_service.domain.errors import (
    ErrorCollector,
    FailedPrecondition,
    InvalidArgument,
    PermissionDenied,
)
from inventory_service.domain.identity import Caller, Role
from inventory_service.domain.places import LocationKey
from inventory_service.domain.site_access import site_not_allowed
from inventory_service.domain.site_rules import (
    LocationDraft,
    SiteDraft,
    check_location,
    check_location_deactivation,
    check_site,
    check_site_deactivation,
)
from inventory_service.domain.transfer_rules import TransferLine, check_cross_site, check_transfer
from inventory_service.services.catalog.catalog_views import StockLevelView
from inventory_service.services.catalog.products import summed_per_batch, summed_per_site
from tests.fakes import FakeDatabase, seed_product, with_defaults

SAM = Caller("sam", Role.STAFF)
MIA = Caller("mia", Role.MANAGER)


def site_problems(draft: SiteDraft, *, creating: bool = True) -> dict[str, str]:
    errors = ErrorCollector()
    check_site(draft, errors, creating=creating)
    return {v.field: v.description for v in errors.violations}


def location_problems(draft: LocationDraft, *, creating: bool = True) -> dict[str, str]:
    errors = ErrorCollector()
    check_location(draft, errors, creating=creating)
    return {v.field: v.description for v in errors.violations}


@pytest.mark.parametrize("code", ["MAIN", "STORE-12", "WH_2.A", "X" * 32])
def test_site_codes_that_are_fine(code: str) -> None:
    assert site_problems(SiteDraft(code=code, name="A site")) == {}


@pytest.mark.parametrize("code", ["", "store", "A B", "A/B", "X" * 33, "\u017fTORE", "K\u212a"])
def test_site_codes_that_are_not(code: str) -> None:
    # Lower case never reaches the rule (codes are taken in upper case first): here it is bad.
    assert "site.code" in site_problems(SiteDraft(code=code, name="A site"))


@pytest.mark.parametrize("code", ["A-01/03", "FRIDGE-1", "RECEIVING", "X" * 64])
def test_location_codes_may_hold_slashes(code: str) -> None:
    assert location_problems(LocationDraft(code=code)) == {}


def test_a_location_code_is_bounded_and_names_and_zones_too() -> None:
    problems = location_problems(LocationDraft(code="X" * 65, name="n" * 201, zone="z" * 101))
    assert set(problems) == {"location.code", "location.name", "location.zone"}
    assert site_problems(SiteDraft(name=" "), creating=False) == {"site.name": "required"}
    assert site_problems(SiteDraft(active=False), creating=False) == {}


def test_a_place_is_deactivated_only_when_nothing_needs_it() -> None:
    def refused_site(**facts: bool) -> str:
        with pytest.raises(FailedPrecondition) as refused:
            check_site_deactivation("s1", "NORTH", **facts)
        return refused.value.reason

    none = {"is_default": False, "holds_stock": False, "in_count": False}
    check_site_deactivation("s1", "NORTH", **none)
    check_location_deactivation("l1", "NORTH/A-1", **none)
    assert refused_site(**{**none, "is_default": True}) == "DEFAULT_SITE"
    assert refused_site(**{**none, "holds_stock": True}) == "SITE_HOLDS_STOCK"
    assert refused_site(**{**none, "in_count": True}) == "SITE_IN_COUNT"
    for fact, reason in (
        ("is_default", "DEFAULT_LOCATION"),
        ("holds_stock", "LOCATION_HOLDS_STOCK"),
        ("in_count", "LOCATION_IN_COUNT"),
    ):
        with pytest.raises(FailedPrecondition) as refused:
            check_location_deactivation("l1", "NORTH/A-1", **{**none, fact: True})
        assert refused.value.reason == reason
        assert refused.value.violations[0].subject == "locations/l1"


def test_a_transfer_names_both_ends_and_moves_a_positive_quantity() -> None:
    shelf, back = LocationKey(code="SHELF"), LocationKey(code="BACK")
    check_transfer([TransferLine("p", None, shelf, back, 3)], "restock", "TN-1")
    with pytest.raises(InvalidArgument) as bad:
        check_transfer(
            [
                TransferLine("", None, LocationKey(), back, 0),
                TransferLine("p", None, LocationKey(id="x", code="Y"), back, 10**13),
            ],
            "r" * 501,
            "",
        )
    assert {v.field for v in bad.value.violations} == {
        "lines[0].product_id",
        "lines[0].from_location",
        "lines[0].quantity",
        "lines[1].from_location",
        "lines[1].quantity",
        "reason",
    }
    with pytest.raises(InvalidArgument):
        check_transfer([], "", "")
    with pytest.raises(InvalidArgument):
        check_transfer([TransferLine("p", None, shelf, back, 1)] * 1001, "", "")


def test_staff_move_stock_within_a_site_managers_across() -> None:
    check_cross_site(SAM, "NORTH", "NORTH")
    check_cross_site(MIA, "NORTH", "SOUTH")
    with pytest.raises(PermissionDenied) as refused:
        check_cross_site(SAM, "NORTH", "SOUTH")
    assert refused.value.reason == "CROSS_SITE_TRANSFER"
    assert site_not_allowed("SOUTH").reason == "SITE_NOT_ALLOWED"


def level(batch: str | None, site: str, location: str, quantity: int) -> StockLevelView:
    return StockLevelView(
        product_id="p",
        batch_id=batch,
        lot_number=batch or "",
        quantity=quantity,
        location_id=location,
        site_id=site,
        location_code=location,
        site_code=site,
    )


def test_levels_sum_per_batch_in_the_order_they_come_and_per_site_by_code() -> None:
    levels = [
        level(None, "NORTH", "A", 1),
        level(None, "MAIN", "DEFAULT", 2),
        level("L1", "NORTH", "A", 4),
        level("L1", "MAIN", "B", 8),
    ]
    assert [(lv.batch_id, lv.quantity, lv.location_id) for lv in summed_per_batch(levels)] == [
        (None, 3, ""),
        ("L1", 12, ""),
    ]
    assert [(s.site_code, s.quantity) for s in summed_per_site(levels)] == [
        ("MAIN", 10),
        ("NORTH", 5),
    ]


def test_a_transfer_is_all_or_nothing_over_the_fake_unit_of_work(
    fake_db: FakeDatabase, fake_services: ServiceLayer
) -> None:
    soap = seed_product(fake_db, "SOAP", cost="1.00", on_hand=5)
    shelf = with_defaults(Location(site_id=fake_db.default_place.site_id, code="SHELF"))
    fake_db.table(Location)[shelf.id] = shelf
    main, to_shelf = LocationKey(site_code="MAIN"), LocationKey(code="SHELF")
    with pytest.raises(FailedPrecondition) as short:
        fake_services.transfers.transfer(
            SAM,
            [
                TransferLine(soap.id, None, main, to_shelf, 3),
                TransferLine(soap.id, None, main, to_shelf, 3),
            ],
        )
    assert short.value.reason == "INSUFFICIENT_STOCK"
    assert not fake_db.table(LedgerEntry)
    assert not fake_db.table(StockTransfer)

    [moved] = fake_services.transfers.transfer(
        SAM, [TransferLine(soap.id, None, main, to_shelf, 3)]
    )
    [row] = fake_db.table(StockTransfer).values()
    assert (row.id, row.quantity, row.from_location_id, row.to_location_id) == (
        moved.id,
        3,
        fake_db.default_place.location_id,
        shelf.id,
    )
    assert {(lv.location_id, lv.quantity) for lv in fake_db.table(StockLevel).values()} == {
        (fake_db.default_place.location_id, 2),
        (shelf.id, 3),
    }
    assert moved.from_entry.transfer_id == moved.to_entry.transfer_id == moved.id
    assert (moved.from_entry.location_code, moved.to_entry.location_code) == ("DEFAULT", "SHELF")
