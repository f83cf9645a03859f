"""The chain's offers set at the office for every store or one, fed to real tills of two
stores and applied at their sales (docs/office.md, "Promotions")."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.app.domain.errors import Conflict, DomainError
from appliance.app.services import auth, promotions, sales, users
from appliance.cli import main
from appliance.office.services import audit_log, catalogue
from appliance.office.services import promotions as office_promotions
from tests.office.conftest import RunningOffice
from tests.office.two_stores import PASSWORD, Till, make_tills, office_of, two_stores

APPLE = "4006381333931"
DECEMBER = {"starts": "2026-12-01", "ends": "2026-12-31"}


@pytest.fixture
def tills(running_office: RunningOffice, tmp_path: Path) -> Iterator[list[Till]]:
    with two_stores(running_office, tmp_path) as made:
        yield made


def _two_apples(till: Till) -> int:
    """The total of two apples, before the 20 % VAT the stores add."""
    sale = sales.open_sale(till.shop, till.cashier)
    sales.add_item(till.shop, till.cashier, sale["id"], barcode=APPLE)
    view = sales.add_item(till.shop, till.cashier, sale["id"], barcode=APPLE)
    return int(view["totals"]["total"]) * 5 // 6


def _offers(till: Till) -> list[str]:
    return [p["name"] for p in promotions.list_active(till.shop, till.cashier)]


def test_a_chain_offer_and_a_stores_own(running_office: RunningOffice, tills: list[Till]) -> None:
    office = office_of(running_office)
    lyon, paris = tills
    office_promotions.put(
        office, "apples", name="2 apples for 2.00", kind="multi_price", sku="APL", quantity=2, price="2.00",
        actor="alice", **DECEMBER,
    )  # fmt: skip
    for till in tills:
        assert till.pull() == 1
        assert _offers(till) == ["2 apples for 2.00"]
        assert _two_apples(till) == 200
    office_promotions.put(
        office, "apples", name="2 apples for 2.00", kind="buy_n_get_one", sku="APL", quantity=1,
        store="lyon", actor="test", **DECEMBER,
    )  # fmt: skip
    assert lyon.pull() == 1
    assert paris.pull() == 0
    assert sorted(_offers(lyon)) == ["2 apples for 2.00", "2 apples for 2.00"]
    assert _two_apples(lyon) == 125  # the better of the two: the second apple free
    assert _two_apples(paris) == 200
    entries = [e for e in audit_log.entries(office) if e["action"] == "promotion"]
    assert [e["object"] for e in entries] == ["promotion:*/apples", "promotion:lyon/apples"]


def test_an_offer_changed_then_ended_at_the_office(running_office: RunningOffice, tills: list[Till]) -> None:
    office = office_of(running_office)
    lyon = tills[0]
    terms = {"kind": "multi_price", "sku": "APL", "quantity": 2, "actor": "test", **DECEMBER}
    office_promotions.put(office, "apples", name="2 for 2.00", price="2.00", **terms)  # type: ignore[arg-type]
    lyon.pull()
    office_promotions.put(office, "apples", name="2 for 1.80", price="1.80", **terms)  # type: ignore[arg-type]
    lyon.pull()
    assert _offers(lyon) == ["2 for 1.80"]  # the old terms ended, the new ones run
    assert _two_apples(lyon) == 180
    users.add_user(lyon.shop, None, "boss", "admin", PASSWORD)
    boss = auth.login(lyon.shop, "boss", PASSWORD, "127.0.0.1").actor
    running = promotions.list_active(lyon.shop, boss)[0]
    with pytest.raises(Conflict) as refused:
        promotions.end(lyon.shop, boss, running["id"])
    assert refused.value.code == "office_owned"
    office_promotions.end(office, "apples", actor="test")
    assert lyon.pull() == 1
    assert _offers(lyon) == []
    assert _two_apples(lyon) == 250


def test_a_new_till_meets_an_offer_before_the_product_it_names(
    running_office: RunningOffice, tills: list[Till], tmp_path: Path
) -> None:
    office = office_of(running_office)
    office_promotions.put(
        office, "apples", name="2 for 2.00", kind="multi_price", sku="APL", quantity=2, price="2.00",
        actor="test", **DECEMBER,
    )  # fmt: skip
    catalogue.import_csv(office, "sku,name\nAPL,Green apple\n", actor="test")  # APL's version is now later
    (fresh,) = make_tills(running_office, tmp_path, ("lyon",), first=3, pull=False)
    try:
        fresh.pull(page_size=1)  # the offer's page comes before APL's own
        assert _offers(fresh) == ["2 for 2.00"]
        assert _two_apples(fresh) == 200
    finally:
        fresh.fetch.close()
        fresh.shop.close()


def test_the_office_checks_an_offer(running_office: RunningOffice, tills: list[Till]) -> None:
    office = office_of(running_office)
    base = {"name": "x", "actor": "test", **DECEMBER}
    for bad in (
        {"kind": "multi_price", "sku": "APL", "quantity": 1, "price": "2.00"},  # N of 1
        {"kind": "multi_price", "sku": "NOPE", "quantity": 2, "price": "2.00"},
        {"kind": "category_percent", "category": "Toys", "percent": "10"},
        {"kind": "half_off", "sku": "APL"},
        {"kind": "buy_n_get_one", "sku": "APL", "quantity": 1, "store": "nowhere"},
        {"kind": "buy_n_get_one", "sku": "APL", "quantity": 1, "starts": "2026-12-31", "ends": "2026-12-01"},
    ):
        with pytest.raises(DomainError):
            office_promotions.put(office, "offer", **{**base, **bad})  # type: ignore[arg-type]
    with pytest.raises(DomainError):
        office_promotions.end(office, "offer", actor="test")
    assert office_promotions.offers(office) == []


def test_offers_from_the_command_line(
    running_office: RunningOffice, tills: list[Till], capsys: pytest.CaptureFixture[str]
) -> None:
    where = ["--database", running_office.dsn, "--data-dir", str(running_office.data_dir)]
    offer = ["office", "promotion", "set", "apples", "--name", "Apple deal", "--kind", "buy_n_get_one",
             "--sku", "APL", "--quantity", "1", "--starts", "2026-12-01", "--ends", "2026-12-31",
             "--store", "paris", *where]  # fmt: skip
    assert main(offer) == 0
    assert "Promotion apples: set" in capsys.readouterr().out
    assert main([*offer[:-4], "--ends", "someday", *where]) == 2
    tills[1].pull()
    assert _offers(tills[1]) == ["Apple deal"]
    assert main(["office", "promotion", "end", "apples", "--store", "paris", *where]) == 0
    tills[1].pull()
    assert _offers(tills[1]) == []
