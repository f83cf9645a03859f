"""The back office's pages for the feed beyond the catalogue (docs/office.md, "The back
office"): prices from a date typed the office's way (a French office types 12,50), the people
of a store, a store's rules; what each role may do, checked on the server; bad input refused
with a 4xx and its reason; each change in the audit log. HTTP against a real office on a real
PostgreSQL, and one price that reaches real tills."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from appliance.office.services import (
    audit_log,
    back_office,
    catalogue,
    enrolment,
    item_grids,
    prices,
    promotions,
    store_rules,
    store_staff,
)
from appliance.office.services.office import Office, open_office
from appliance.office.web.back_office import back_office_app
from tests.office.conftest import ADMIN_PASSWORD, RunningOffice
from tests.office.test_back_office import NEW_PASSWORD, csrf, log_in
from tests.office.two_stores import CATALOGUE, Till, office_of, two_stores

MIDNIGHT = "2026-12-07T00:00+01:00"
FROM = "2026-12-06T23:00:00.000000Z"  # MIDNIGHT as the office keeps it
CLERK_PASSWORD = "Till-2026-counter"  # test accounts only


@pytest.fixture
def office(office_dsn: str, office_dir: Path) -> Iterator[Office]:
    opened = open_office(office_dsn, office_dir)
    for store in ("lyon", "paris"):
        enrolment.issue_token(opened, store, "T01", issued_by="test")
    catalogue.put_tax_class(opened, "standard", "Standard", [("VAT", "20")], actor="test")
    catalogue.import_csv(opened, CATALOGUE, actor="test")
    catalogue.import_csv(opened, "sku,category\nAPL,Fruit\nBRD,Bakery\n", actor="test")
    yield opened
    opened.close()


def browser(office: Office) -> TestClient:
    # A French office: its people type 12,50.
    app = back_office_app(office, locale="fr", currency="EUR")
    return TestClient(app, base_url="https://testserver", follow_redirects=False)


def signed_in(office: Office, username: str, password: str) -> TestClient:
    client = browser(office)
    assert log_in(client, username, password).headers["location"] == "/password"
    done = client.post("/password", data={"csrf": csrf(client), "current": password, "new": NEW_PASSWORD})
    assert done.status_code == 303, done.text
    return client


def admin(office: Office) -> TestClient:
    return signed_in(office, "admin", ADMIN_PASSWORD)


def person(office: Office, chief: TestClient, username: str, role: str, store: str = "") -> TestClient:
    added = chief.post("/staff", data={"csrf": csrf(chief), "username": username, "role": role, "store": store})
    found = re.search(r'class="secret">([^<]+)<', added.text)
    assert found, added.text
    return signed_in(office, username, found.group(1))


def audited(office: Office, action: str) -> list[dict[str, object]]:
    return [e for e in audit_log.entries(office) if e["action"] == action]


def schedule(
    client: TestClient, price: str, store: str = "", starts: str = MIDNIGHT, sku: str = "APL"
) -> httpx.Response:
    form = {"csrf": csrf(client), "sku": sku, "price": price, "starts": starts, "store": store}
    answer: httpx.Response = client.post("/prices", data=form)
    return answer


# -- prices from a date ------------------------------------------------------------------------


def test_a_chain_admin_sets_a_price_typed_the_french_way_and_takes_it_back(office: Office) -> None:
    chief = admin(office)
    shown = chief.get("/prices?sku=APL")
    assert shown.status_code == 200
    assert "1,25 EUR" in shown.text  # the catalogue's price, written the French way
    done = schedule(chief, "12,50")
    assert done.status_code == 303, done.text
    assert prices.prices(office, "APL") == [{"sku": "APL", "price": 1250, "from": FROM, "store": None}]
    page = chief.get(done.headers["location"])
    assert "12,50 EUR" in page.text and "every store" in page.text and "set; version" in page.text
    [entry] = audited(office, "catalogue_price")
    assert entry["actor"] == "office:admin" and entry["object"] == "product:APL"
    # A thousand grouped the French way is read as one.
    assert schedule(chief, "1 234,50", store="lyon").status_code == 303
    assert [p["price"] for p in prices.prices(office, "APL")] == [1250, 123450]
    taken = chief.post("/prices/cancel", data={"csrf": csrf(chief), "sku": "APL", "starts": FROM, "store": ""})
    assert taken.status_code == 303, taken.text
    assert prices.prices(office, "APL") == [{"sku": "APL", "price": 123450, "from": FROM, "store": "lyon"}]
    assert [e["actor"] for e in audited(office, "catalogue_price_cancel")] == ["office:admin"]


@pytest.mark.parametrize(
    ("price", "starts", "sku", "status", "reason"),
    [
        ("12,345", MIDNIGHT, "APL", 422, "ambiguous"),  # a thousand, or too many decimals?
        ("12,5,0", MIDNIGHT, "APL", 422, "grouped wrongly"),
        ("douze", MIDNIGHT, "APL", 422, "not an amount"),
        ("-1,00", MIDNIGHT, "APL", 422, "below zero"),
        ("", MIDNIGHT, "APL", 422, "type an amount"),
        ("12,50", "2026-12-07T00:00", "APL", 422, "offset"),
        ("12,50", "tomorrow", "APL", 422, "not a date and time"),
        ("12,50", MIDNIGHT, "NOPE", 404, "no product NOPE"),
    ],
)
def test_a_bad_price_is_refused_with_its_reason_and_nothing_changes(
    office: Office, price: str, starts: str, sku: str, status: int, reason: str
) -> None:
    chief = admin(office)
    refused = schedule(chief, price, starts=starts, sku=sku)
    assert refused.status_code == status, refused.text
    assert reason in refused.text
    assert prices.prices(office, sku) == [] and audited(office, "catalogue_price") == []


def test_a_price_for_an_unknown_store_or_an_unknown_one_taken_back_is_a_404(office: Office) -> None:
    chief = admin(office)
    assert schedule(chief, "1,00", store="nantes").status_code == 404
    gone = chief.post("/prices/cancel", data={"csrf": csrf(chief), "sku": "APL", "starts": FROM, "store": ""})
    assert gone.status_code == 404 and "no price of APL" in gone.text


def test_a_form_without_the_sessions_csrf_token_changes_nothing(office: Office) -> None:
    chief = admin(office)
    forged = chief.post("/prices", data={"sku": "APL", "price": "1,00", "starts": MIDNIGHT, "store": ""})
    assert forged.status_code == 403 and "CSRF" in forged.text
    assert prices.prices(office, "APL") == []
    anonymous = browser(office).post("/rules", data={"store": "lyon", "keyed_card_payments": "no"})
    assert anonymous.status_code == 401
    assert store_rules.rules(office, "lyon") == {}


def test_a_store_manager_prices_their_store_only_and_an_auditor_reads(office: Office) -> None:
    chief = admin(office)
    schedule(chief, "1,10", store="paris")
    manager = person(office, chief, "lena", "store_manager", "lyon")
    assert schedule(manager, "1,05", store="lyon").status_code == 303
    chain = schedule(manager, "0,99")
    assert chain.status_code == 403 and "own store" in chain.text
    assert schedule(manager, "0,99", store="paris").status_code == 403
    theirs = manager.get("/prices?sku=APL").text
    assert "1,05 EUR" in theirs and "1,10 EUR" not in theirs  # Paris's price is not theirs to see
    cancel = {"csrf": csrf(manager), "sku": "APL", "starts": FROM, "store": "paris"}
    assert manager.post("/prices/cancel", data=cancel).status_code == 403
    auditor = person(office, chief, "alma", "auditor")
    read = auditor.get("/prices?sku=APL")
    assert read.status_code == 200 and "1,05 EUR" in read.text and "1,10 EUR" in read.text
    assert "Set the price" not in read.text
    assert schedule(auditor, "0,50", store="lyon").status_code == 403
    assert sorted((p["store"], p["price"]) for p in prices.prices(office, "APL")) == [("lyon", 105), ("paris", 110)]
    assert [e["actor"] for e in audited(office, "catalogue_price")] == ["office:admin", "office:lena"]


# -- the people of a store ---------------------------------------------------------------------


def add_clerk(client: TestClient, store: str, username: str, **more: str) -> httpx.Response:
    form = {"csrf": csrf(client), "store": store, "username": username, "role": "cashier",
            "password": CLERK_PASSWORD, "pin": "4711", **more}  # fmt: skip
    answer: httpx.Response = client.post("/store-staff", data=form)
    return answer


def test_a_chain_admin_adds_a_person_to_a_store_and_disables_them(office: Office) -> None:
    chief = admin(office)
    done = add_clerk(chief, "lyon", "marc")
    assert done.status_code == 303, done.text
    page = chief.get(done.headers["location"])
    assert "marc" in page.text and "cashier" in page.text
    assert CLERK_PASSWORD not in page.text and "$argon2" not in page.text
    assert store_staff.people(office, "lyon") == [{"username": "marc", "role": "cashier", "active": True, "pin": True}]
    assert store_staff.people(office, "paris") == []
    off = chief.post("/store-staff/active", data={"csrf": csrf(chief), "store": "lyon", "username": "marc",
                                                  "active": "no"})  # fmt: skip
    assert off.status_code == 303
    assert store_staff.people(office, "lyon")[0]["active"] is False
    entries = audited(office, "staff_add") + audited(office, "staff_change")
    assert [(e["actor"], e["object"]) for e in entries] == [("office:admin", "staff:lyon/marc")] * 2
    assert CLERK_PASSWORD not in str(audit_log.entries(office))


@pytest.mark.parametrize(
    ("store", "username", "more", "status", "reason"),
    [
        ("lyon", "Marc!", {}, 422, "user name"),
        ("lyon", "marc", {"password": "short"}, 422, "12"),
        ("lyon", "marc", {"role": "boss"}, 422, "unknown role"),
        ("lyon", "marc", {"role": "auditor"}, 422, "has no PIN"),
        ("nantes", "marc", {}, 404, "no store nantes"),
    ],
)
def test_a_bad_person_is_refused_with_its_reason(
    office: Office, store: str, username: str, more: dict[str, str], status: int, reason: str
) -> None:
    chief = admin(office)
    refused = add_clerk(chief, store, username, **more)
    assert refused.status_code == status, refused.text
    assert reason in refused.text
    assert store_staff.people(office, "lyon") == [] and audited(office, "staff_add") == []


def test_the_same_person_twice_is_a_409(office: Office) -> None:
    chief = admin(office)
    add_clerk(chief, "lyon", "marc")
    again = add_clerk(chief, "lyon", "marc")
    assert again.status_code == 409 and "already has marc" in again.text


def test_a_store_manager_manages_their_stores_people_only_and_an_auditor_reads(office: Office) -> None:
    chief = admin(office)
    add_clerk(chief, "paris", "paul")
    manager = person(office, chief, "lena", "store_manager", "lyon")
    assert add_clerk(manager, "lyon", "marc").status_code == 303
    assert add_clerk(manager, "paris", "pia").status_code == 403
    assert manager.get("/store-staff?store=paris").text.count("paul") == 0  # their own store is shown
    off = {"csrf": csrf(manager), "store": "paris", "username": "paul", "active": "no"}
    assert manager.post("/store-staff/active", data=off).status_code == 403
    auditor = person(office, chief, "alma", "auditor")
    read = auditor.get("/store-staff?store=paris")
    assert read.status_code == 200 and "paul" in read.text and "Add someone" not in read.text
    assert add_clerk(auditor, "paris", "pia").status_code == 403
    assert [p["username"] for p in store_staff.people(office, "paris")] == ["paul"]
    assert store_staff.people(office, "paris")[0]["active"] is True


# -- a store's rules ---------------------------------------------------------------------------


def test_a_chain_admin_sets_a_stores_rules_the_french_way_and_gives_one_back(office: Office) -> None:
    chief = admin(office)
    form = {"csrf": csrf(chief), "store": "lyon", "loyalty_enabled": "yes", "loyalty_point_value": "0,05",
            "gift_card_expiry_days": "365", "keyed_card_payments": "no"}  # fmt: skip
    done = chief.post("/rules", data=form)
    assert done.status_code == 303, done.text
    assert store_rules.rules(office, "lyon") == {
        "loyalty_enabled": True, "loyalty_point_value": 5, "gift_card_expiry_days": 365,
        "keyed_card_payments": False,
    }  # fmt: skip
    assert store_rules.rules(office, "paris") == {}
    page = chief.get(done.headers["location"])
    assert 'value="0,05"' in page.text  # the point's value shown as the office writes an amount
    again = chief.post("/rules", data=form)
    assert again.status_code == 303 and "Nothing changed." in chief.get(again.headers["location"]).text
    released = chief.post("/rules", data={**form, "csrf": csrf(chief), "keyed_card_payments": ""})
    assert released.status_code == 303
    assert "keyed_card_payments" not in store_rules.rules(office, "lyon")
    entries = audited(office, "store_rules")
    assert [(e["actor"], e["object"]) for e in entries] == [("office:admin", "store:lyon")] * 2


@pytest.mark.parametrize(
    ("field", "typed", "reason"),
    [
        ("loyalty_point_value", "0,0555", "more decimals"),
        ("loyalty_point_value", "0,055", "ambiguous"),
        ("loyalty_point_value", "cinq", "not an amount"),
        ("gift_card_expiry_days", "un an", "whole number"),
        ("gift_card_expiry_days", "4000", "3650"),
        ("keyed_card_payments", "maybe", "yes, no"),
        ("variable_measure_prefixes", "{2: price}", "JSON"),
    ],
)
def test_a_bad_rule_is_refused_with_its_reason_and_the_form_keeps_what_was_typed(
    office: Office, field: str, typed: str, reason: str
) -> None:
    chief = admin(office)
    refused = chief.post("/rules", data={"csrf": csrf(chief), "store": "lyon", "locale": "fr-FR", field: typed})
    assert refused.status_code == 422, refused.text
    assert reason in refused.text
    assert 'value="fr-FR"' in refused.text
    assert store_rules.rules(office, "lyon") == {} and audited(office, "store_rules") == []


def test_a_store_manager_changes_their_stores_rules_only_and_an_auditor_reads(office: Office) -> None:
    chief = admin(office)
    manager = person(office, chief, "lena", "store_manager", "lyon")
    mine = manager.post("/rules", data={"csrf": csrf(manager), "store": "lyon", "cash_requires_shift": "yes"})
    assert mine.status_code == 303
    theirs = manager.post("/rules", data={"csrf": csrf(manager), "store": "paris", "cash_requires_shift": "yes"})
    assert theirs.status_code == 403
    assert manager.get("/rules?store=paris").status_code == 200  # shown their own store, whatever is asked
    auditor = person(office, chief, "alma", "auditor")
    read = auditor.get("/rules?store=lyon")
    assert read.status_code == 200 and "Cash needs an open shift" in read.text and "Save the rules" not in read.text
    refused = auditor.post("/rules", data={"csrf": csrf(auditor), "store": "lyon", "cash_requires_shift": "no"})
    assert refused.status_code == 403
    assert store_rules.rules(office, "lyon") == {"cash_requires_shift": True}
    assert store_rules.rules(office, "paris") == {}
    assert auditor.get("/rules?store=nantes").status_code == 404


# -- promotions and item grids -----------------------------------------------------------------


def offer(client: TestClient, code: str, store: str = "", **more: str) -> httpx.Response:
    form = {"csrf": csrf(client), "code": code, "name": "2 pommes", "kind": "multi_price", "sku": "APL",
            "quantity": "2", "price": "2,00", "starts": "2026-12-07", "ends": "2026-12-31", "store": store,
            **more}  # fmt: skip
    answer: httpx.Response = client.post("/promotions", data=form)
    return answer


def test_a_chain_admin_makes_an_offer_typed_the_french_way_and_ends_it(office: Office) -> None:
    chief = admin(office)
    done = offer(chief, "apples")
    assert done.status_code == 303, done.text
    [made] = promotions.offers(office)
    assert (made["price"], made["quantity"], made["store"]) == (200, 2, None)
    assert "2 for 2,00 EUR" in chief.get("/promotions").text
    fruit = offer(chief, "fruit", "lyon", kind="category_percent", sku="", category="Fruit", price="", percent="12,5")
    assert fruit.status_code == 303, fruit.text
    assert {o["code"]: o["percent"] for o in promotions.offers(office)} == {"apples": 0, "fruit": 1250}
    assert "12,5 %" in chief.get("/promotions").text
    ended = chief.post("/promotions/end", data={"csrf": csrf(chief), "code": "apples", "store": ""})
    assert ended.status_code == 303
    assert [o["code"] for o in promotions.offers(office)] == ["fruit"]
    assert [e["actor"] for e in audited(office, "promotion") + audited(office, "promotion_end")] == ["office:admin"] * 3


@pytest.mark.parametrize(
    ("more", "status", "reason"),
    [
        ({"price": "2,005"}, 422, "ambiguous"),
        ({"quantity": "deux"}, 422, "whole number"),
        ({"starts": "demain"}, 422, "YYYY-MM-DD"),
        ({"kind": "category_percent", "sku": "", "category": "Fruit", "percent": "douze"}, 422, "percentage"),
        ({"sku": "NOPE"}, 404, "no product on sale NOPE"),
        ({"code": "Des Pommes!"}, 422, "code"),
    ],
)
def test_a_bad_offer_is_refused_with_its_reason_and_the_form_keeps_it(
    office: Office, more: dict[str, str], status: int, reason: str
) -> None:
    chief = admin(office)
    refused = offer(chief, more.get("code", "apples"), **{k: v for k, v in more.items() if k != "code"})
    assert refused.status_code == status, refused.text
    assert reason in refused.text and 'value="2 pommes"' in refused.text
    assert promotions.offers(office) == [] and audited(office, "promotion") == []


def test_a_store_manager_makes_offers_and_grids_for_their_store_only(office: Office) -> None:
    chief = admin(office)
    manager = person(office, chief, "lena", "store_manager", "lyon")
    assert offer(manager, "lyon-apples", "lyon").status_code == 303
    assert offer(manager, "all-apples").status_code == 403
    assert offer(manager, "paris-apples", "paris").status_code == 403
    grid = {"csrf": csrf(manager), "tabs": "Fruit: APL", "store": "paris"}
    assert manager.post("/item-grids", data=grid).status_code == 403
    assert manager.post("/item-grids", data={**grid, "store": "lyon"}).status_code == 303
    auditor = person(office, chief, "alma", "auditor")
    assert "lyon-apples" in auditor.get("/promotions").text and "Save the offer" not in auditor.get("/promotions").text
    assert offer(auditor, "more", "lyon").status_code == 403
    end = {"csrf": csrf(auditor), "code": "lyon-apples", "store": "lyon"}
    assert auditor.post("/promotions/end", data=end).status_code == 403
    assert [o["code"] for o in promotions.offers(office)] == ["lyon-apples"]
    assert [g["store"] for g in item_grids.grids(office)] == ["lyon"]


def test_a_chain_admin_lays_out_the_chains_grid_and_a_store_gives_its_own_back(office: Office) -> None:
    chief = admin(office)
    chain = chief.post("/item-grids", data={"csrf": csrf(chief), "tabs": "Fruit: APL\n\nBakery: BRD\n", "store": ""})
    assert chain.status_code == 303, chain.text
    own = chief.post("/item-grids", data={"csrf": csrf(chief), "tabs": "Bakery: BRD, APL", "store": "lyon"})
    assert own.status_code == 303
    assert item_grids.grids(office) == [
        {
            "store": None,
            "tabs": [{"category": "Fruit", "products": ["APL"]}, {"category": "Bakery", "products": ["BRD"]}],
        },
        {"store": "lyon", "tabs": [{"category": "Bakery", "products": ["BRD", "APL"]}]},
    ]
    assert "Bakery: BRD, APL" in chief.get("/item-grids").text
    released = chief.post("/item-grids/release", data={"csrf": csrf(chief), "store": "lyon"})
    assert released.status_code == 303
    assert [g["store"] for g in item_grids.grids(office)] == [None]
    entries = audited(office, "item_grid") + audited(office, "item_grid_release")
    assert [(e["actor"], e["object"]) for e in entries] == [
        ("office:admin", "item_grid:*"), ("office:admin", "item_grid:lyon"), ("office:admin", "item_grid:lyon")
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("tabs", "reason"),
    [
        ("Fruit APL", "a tab is"),
        ("Meat: APL", "no category"),
        ("Fruit: APL, NOPE", "no product on sale NOPE"),
        ("Fruit: APL, APL", "twice"),
    ],
)
def test_a_bad_grid_is_refused_with_its_reason_and_the_form_keeps_it(office: Office, tabs: str, reason: str) -> None:
    chief = admin(office)
    refused = chief.post("/item-grids", data={"csrf": csrf(chief), "tabs": tabs, "store": ""})
    assert refused.status_code == 422, refused.text
    assert reason in refused.text and tabs in refused.text
    assert item_grids.grids(office) == []


# -- a catalogue file sent ---------------------------------------------------------------------


def upload(client: TestClient, data: bytes, name: str = "catalogue.csv", **fields: str) -> httpx.Response:
    form = {"csrf": csrf(client), "currency": "EUR", **fields}
    answer: httpx.Response = client.post("/catalogue/upload", data=form, files={"file": (name, data, "text/csv")})
    return answer


def catalogue_price(office: Office, sku: str) -> object:
    return next(r["body"]["price"] for r in back_office.products(office, sku) if r["sku"] == sku)


def test_a_chain_admin_sends_a_catalogue_file_and_it_is_imported(office: Office) -> None:
    chief = admin(office)
    page = chief.get("/catalogue").text
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page
    done = upload(chief, "\ufeffsku,name,price\nAPL,Apple,1.35\nKIW,Kiwi,0.50\n".encode())
    assert done.status_code == 303, done.text
    assert re.search(r"\d+ changed, \d+ as they were; version \d+", chief.get(done.headers["location"]).text)
    assert (catalogue_price(office, "APL"), catalogue_price(office, "KIW")) == (135, 50)
    assert [e["actor"] for e in audited(office, "catalogue_import")][-1] == "office:admin"


@pytest.mark.parametrize(
    ("data", "status", "reason"),
    [
        (b"sku,name,price\nAPL,Apple,un euro\n", 422, "nothing imported"),
        ("sku,name,price\nAPL,Pomme \u00e0 cidre,1.35\n".encode("latin-1"), 400, "not text in UTF-8"),
        (b"", 422, "is empty"),
        (b"x" * (8 * 1024 * 1024 + 1), 413, "at most 8 MiB"),
    ],
)
def test_a_bad_catalogue_file_is_refused_with_its_reason(office: Office, data: bytes, status: int, reason: str) -> None:
    chief = admin(office)
    before = len(audited(office, "catalogue_import"))
    refused = upload(chief, data)
    assert refused.status_code == status, refused.text[:500]
    assert reason in refused.text
    assert catalogue_price(office, "APL") == 125 and len(audited(office, "catalogue_import")) == before


def test_a_catalogue_file_needs_the_form_its_csrf_token_and_a_chain_admin(office: Office) -> None:
    chief = admin(office)
    plain = chief.post("/catalogue/upload", data={"csrf": csrf(chief), "file": "sku,price\nAPL,1.35\n"})
    assert plain.status_code == 415 and "multipart/form-data" in plain.text
    no_file = chief.post("/catalogue/upload", data={"csrf": csrf(chief)}, files={"other": ("x.txt", b"x")})
    assert no_file.status_code == 422 and "choose the CSV file" in no_file.text
    forged = upload(chief, b"sku,price\nAPL,1.35\n", csrf="")
    assert forged.status_code == 403 and "CSRF" in forged.text
    broken = chief.post(
        "/catalogue/upload", content=b"--b\r\nnothing", headers={"content-type": "multipart/form-data; boundary=b"}
    )
    assert broken.status_code == 400
    manager = person(office, chief, "lena", "store_manager", "lyon")
    assert upload(manager, b"sku,price\nAPL,1.35\n").status_code == 403
    assert catalogue_price(office, "APL") == 125


# -- to the tills ------------------------------------------------------------------------------


@pytest.fixture
def tills(running_office: RunningOffice, tmp_path: Path) -> Iterator[list[Till]]:
    with two_stores(running_office, tmp_path) as made:
        yield made


def test_a_price_set_on_the_page_reaches_its_stores_tills_at_its_start(
    running_office: RunningOffice, tills: list[Till]
) -> None:
    office = office_of(running_office)
    chief = admin(office)
    assert schedule(chief, "1,05", store="lyon").status_code == 303
    lyon, paris = tills
    assert (lyon.pull(), paris.pull()) == (1, 0)
    midnight = dt.datetime(2026, 12, 6, 23, 0, tzinfo=dt.UTC)
    for till in tills:
        till.at(midnight)
    assert (lyon.scan("4006381333931"), paris.scan("4006381333931")) == (105, 125)
