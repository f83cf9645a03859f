"""Prices from a date, set at the office for the chain or one store, pulled by real tills of
two stores and in force at the moment of each scan (docs/office.md, "Prices from a date")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.app.domain.errors import Invalid, NotFound
from appliance.app.services import auth, catalog, item_grid, office_feed, users
from appliance.cli import main
from appliance.office.services import audit_log, catalogue, prices
from tests.office.conftest import RunningOffice
from tests.office.two_stores import PASSWORD, Till, office_of, two_stores

APPLE = "4006381333931"
MIDNIGHT = "2026-12-07T00:00+01:00"  # Lyon's midnight, 23:00 UTC the day before
AT_MIDNIGHT = dt.datetime(2026, 12, 6, 23, 0, tzinfo=dt.UTC)
SECOND = dt.timedelta(seconds=1)


@pytest.fixture
def tills(running_office: RunningOffice, tmp_path: Path) -> Iterator[list[Till]]:
    with two_stores(running_office, tmp_path) as made:
        yield made


def test_a_future_chain_price_is_in_force_from_its_start_without_a_pull(
    running_office: RunningOffice, tills: list[Till]
) -> None:
    office = office_of(running_office)
    prices.set_price(office, "APL", "0.99", MIDNIGHT, actor="test")
    for till in tills:
        assert till.pull() == 1
        assert till.scan(APPLE) == 125  # before midnight: the catalogue's price
        till.at(AT_MIDNIGHT - SECOND)
        assert till.scan(APPLE) == 125
        till.at(AT_MIDNIGHT)  # no pull, no restart: the next scan is at the new price
        assert till.scan(APPLE) == 99


def test_a_store_price_reaches_that_store_only(running_office: RunningOffice, tills: list[Till]) -> None:
    office = office_of(running_office)
    lyon, paris = tills
    prices.set_price(office, "APL", "1.10", MIDNIGHT, store="lyon", actor="test")
    assert lyon.pull() == 1
    assert paris.pull() == 0  # the row is not even sent to Paris
    for till in tills:
        till.at(AT_MIDNIGHT)
    assert lyon.scan(APPLE) == 110
    assert paris.scan(APPLE) == 125


def test_the_latest_start_wins_and_at_one_start_the_store_beats_the_chain(
    running_office: RunningOffice, tills: list[Till]
) -> None:
    office = office_of(running_office)
    lyon, paris = tills
    prices.set_price(office, "APL", "1.00", MIDNIGHT, actor="test")
    prices.set_price(office, "APL", "1.05", MIDNIGHT, store="lyon", actor="test")
    later = "2026-12-08T00:00+01:00"
    prices.set_price(office, "APL", "0.90", later, actor="test")
    for till in tills:
        till.pull()
        till.at(AT_MIDNIGHT + dt.timedelta(hours=1))
    assert (lyon.scan(APPLE), paris.scan(APPLE)) == (105, 100)
    for till in tills:
        till.at(AT_MIDNIGHT + dt.timedelta(days=1))
    assert (lyon.scan(APPLE), paris.scan(APPLE)) == (90, 90)


def test_a_price_taken_back_before_its_start_never_applies(running_office: RunningOffice, tills: list[Till]) -> None:
    office = office_of(running_office)
    till = tills[0]
    prices.set_price(office, "APL", "0.50", MIDNIGHT, actor="test")
    till.pull()
    done = prices.cancel_price(office, "APL", MIDNIGHT, actor="test")
    assert till.pull() == 1
    assert office_feed.cursor(till.shop) == done.version
    till.at(AT_MIDNIGHT)
    assert till.scan(APPLE) == 125
    with pytest.raises(NotFound):
        prices.cancel_price(office, "APL", MIDNIGHT, actor="test")  # already taken back


def test_prices_are_audited_listed_and_checked_at_the_office(running_office: RunningOffice, tills: list[Till]) -> None:
    office = office_of(running_office)
    prices.set_price(office, "BRD", "3.19", MIDNIGHT, store="paris", actor="alice")
    again = prices.set_price(office, "BRD", "3.19", MIDNIGHT, store="paris", actor="alice")
    assert again.changed == 0  # the same price again: no version, nothing sent
    listed = prices.prices(office, "BRD")
    assert listed == [{"sku": "BRD", "price": 319, "from": "2026-12-06T23:00:00.000000Z", "store": "paris"}]
    entries = [e for e in audit_log.entries(office) if e["action"] == "catalogue_price"]
    assert len(entries) == 1 and entries[0]["actor"] == "alice" and entries[0]["object"] == "product:BRD"
    with pytest.raises(Invalid, match="offset"):
        prices.set_price(office, "BRD", "3.19", "2026-12-07T00:00", actor="test")
    with pytest.raises(NotFound):
        prices.set_price(office, "NOPE", "3.19", MIDNIGHT, actor="test")
    with pytest.raises(NotFound):
        prices.set_price(office, "BRD", "3.19", MIDNIGHT, store="nowhere", actor="test")
    with pytest.raises(Invalid):
        prices.set_price(office, "BRD", "-1", MIDNIGHT, actor="test")
    assert catalogue.status(office)["counts"]["price"] == 1


def test_a_new_price_in_a_file_takes_back_the_chains_started_price(
    running_office: RunningOffice, tills: list[Till]
) -> None:
    office = office_of(running_office)
    lyon, paris = tills
    long_ago, far_ahead = "2020-01-01T00:00Z", "2099-01-01T00:00Z"
    prices.set_price(office, "APL", "0.99", long_ago, actor="test")
    prices.set_price(office, "APL", "0.89", far_ahead, actor="test")
    prices.set_price(office, "APL", "1.09", long_ago, store="lyon", actor="test")
    for till in tills:
        till.pull()
    assert (lyon.scan(APPLE), paris.scan(APPLE)) == (109, 99)
    catalogue.import_csv(office, "sku,name\nAPL,Green apple\n", actor="test")  # no price: the dated ones hold
    paris.pull()
    assert paris.scan(APPLE) == 99
    catalogue.import_csv(office, "sku,price\nAPL,1.35\n", actor="test")
    for till in tills:
        till.pull()
    # The chain's started price is taken back; the store's own and the one to come are not.
    assert (lyon.scan(APPLE), paris.scan(APPLE)) == (109, 135)
    assert [(p["from"][:4], p["store"]) for p in prices.prices(office, "APL")] == [
        ("2020", "lyon"),
        ("2099", None),
    ]
    for till in tills:
        till.at(dt.datetime(2099, 1, 1, tzinfo=dt.UTC))
    assert (lyon.scan(APPLE), paris.scan(APPLE)) == (89, 89)


def test_prices_from_the_command_line(
    running_office: RunningOffice, tills: list[Till], capsys: pytest.CaptureFixture[str]
) -> None:
    where = ["--database", running_office.dsn, "--data-dir", str(running_office.data_dir)]
    price = ["office", "price", "set", "--sku", "BRD", "--price", "2.99", "--start", MIDNIGHT, *where]
    assert main([*price, "--store", "lyon"]) == 0
    assert "BRD at 2.99 from 2026-12-07T00:00+01:00 in lyon: set" in capsys.readouterr().out
    assert main(["office", "price", "list", "--sku", "BRD", *where]) == 0
    assert capsys.readouterr().out.split() == ["2026-12-06T23:00:00.000000Z", "2.99", "lyon"]
    assert main(["office", "price", "set", "--sku", "BRD", "--price", "2.99", "--start", "tomorrow", *where]) == 2
    assert main(["office", "price", "cancel", "--sku", "BRD", "--start", MIDNIGHT, "--store", "lyon", *where]) == 0
    lyon = tills[0]
    assert lyon.pull() == 1  # set then taken back: one row, as it is now (taken back)
    lyon.at(AT_MIDNIGHT)
    assert lyon.scan("96385074") == 349


def test_the_till_shows_the_price_a_scan_would_charge(running_office: RunningOffice, tills: list[Till]) -> None:
    office = office_of(running_office)
    lyon = tills[0]
    catalogue.import_csv(office, "sku,category\nAPL,Fruit\n", actor="test")
    prices.set_price(office, "APL", "0.99", MIDNIGHT, actor="test")
    lyon.pull()
    users.add_user(lyon.shop, None, "boss", "admin", PASSWORD)
    boss = auth.login(lyon.shop, "boss", PASSWORD, "127.0.0.1").actor
    item_grid.set_grid(lyon.shop, boss, [{"category": "Fruit", "products": ["APL"]}])

    def shown() -> tuple[int, int, int]:
        button = item_grid.grid(lyon.shop, lyon.cashier)[0]["products"][0]
        found = catalog.find(lyon.shop, lyon.cashier, text="Apple")[0]
        by_code = catalog.find(lyon.shop, lyon.cashier, barcode=APPLE)[0]
        return button["price"], found.price, by_code.price

    assert shown() == (125, 125, 125)
    lyon.at(AT_MIDNIGHT)
    assert shown() == (99, 99, 99)
