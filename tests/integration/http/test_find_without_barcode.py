"""Finding an item without a barcode: search by name (on sale only, names first then words
then skus, at most 50), the till's grid of item buttons (arranged by
manage_products, audited, validated, withdrawn products hidden) and PLUs for loose produce
(typed at the till, weighed when sold by weight)."""

from __future__ import annotations

import json
import re
from typing import Any

from appliance.app.services import catalog
from tests.conftest import Api, Store

MORE = """sku,name,price,tax_class,barcodes,stock,category,sold_by,plu
CRO,Croissant,1.95,exempt,,0,Bakery,unit,
PAB,Paper bag,0.10,standard,,0,Counter,unit,
BGT,Baguette,2.80,exempt,,0,Bakery,unit,
BAN,Bananas,1.49,exempt,,0,Produce,weight,4011
LIM,Limes,0.40,exempt,,0,Produce,unit,4048
OLD,Bagel (old recipe),1.00,exempt,,0,Bakery,unit,
PAC,Pain au chocolat,2.25,exempt,,0,Bakery,unit,
CRB,Crème brûlée,3.50,exempt,,0,Bakery,unit,
"""


def stocked(store: Store) -> None:
    catalog.import_csv(store.shop, None, MORE)
    withdrawn = catalog.change_product(store.shop, store.actor("manager"), "OLD", {"active": False})
    assert not withdrawn.active


def put(api: Any, body: Any) -> Any:
    return api.client.put("/api/v1/item-grid", json=body, headers=api._headers(None))


def names(answer: Any) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [p["name"] for p in answer.json()["products"]]


def audit_actions(api: Any) -> list[dict[str, Any]]:
    answer = api.get("/api/v1/audit?action=item_grid_change")
    assert answer.status_code == 200, answer.text
    entries: list[dict[str, Any]] = answer.json()["entries"]
    return entries


# -- search ---------------------------------------------------------------------------------


def test_search_finds_names_then_words_then_skus_on_sale_only(store: Store, as_role: Any) -> None:
    stocked(store)
    cashier = as_role("cashier")
    # "bag": the names starting with it (Baguette; the withdrawn Bagel never shows), then the
    # names with a word starting with it (Paper bag).
    assert names(cashier.get("/api/v1/products?q=bag")) == ["Baguette", "Paper bag"]
    assert names(cashier.get("/api/v1/products?q=CRO")) == ["Croissant"]  # any case
    assert names(cashier.get("/api/v1/products?q=BRD")) == ["Bread"]  # by sku
    everything = names(cashier.get("/api/v1/products?q=bag&withdrawn=true"))
    assert everything == ["Bagel (old recipe)", "Baguette", "Paper bag"]
    assert names(cashier.get("/api/v1/products?q=pai%20choc")) == ["Pain au chocolat"]  # words, any order
    assert names(cashier.get("/api/v1/products?q=choc%20pai")) == ["Pain au chocolat"]
    assert names(cashier.get("/api/v1/products?q=creme")) == ["Crème brûlée"]  # accents or not
    # What a search engine would read as its own syntax is only text here.
    for odd in ("%%%", '"', 'bag"*', "NOT bag", "a'b", "\\", "b_g", "bag OR", "(bag"):
        answer = cashier.get("/api/v1/products", params={"q": odd})
        assert answer.status_code == 200, (odd, answer.text)
    assert names(cashier.get("/api/v1/products", params={"q": "%%%"})) == []
    assert names(cashier.get("/api/v1/products?q=bag&limit=1")) == ["Baguette"]


def test_search_stays_in_its_limits(store: Store, as_role: Any) -> None:
    stocked(store)
    cashier = as_role("cashier")
    too_long = cashier.get("/api/v1/products?q=" + "x" * 121)
    assert too_long.status_code == 422 and too_long.json()["error"]["code"] == "search_too_long"
    for bad in ("0", "51"):
        answer = cashier.get(f"/api/v1/products?q=bread&limit={bad}")
        assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid_limit"
    assert cashier.get("/api/v1/products?q=bread&limit=ten").status_code == 400
    many = "\n".join(f"X{n:03d},Bun {n:03d},1.00,exempt,,0" for n in range(120))
    catalog.import_csv(store.shop, None, "sku,name,price,tax_class,barcodes,stock\n" + many + "\n")
    assert len(names(cashier.get("/api/v1/products?q=bun"))) == 50  # never more than 50
    assert names(cashier.get("/api/v1/products?q=bun&limit=3")) == ["Bun 000", "Bun 001", "Bun 002"]
    # A short text still finds a short sku (the return without a receipt types codes); the
    # till's scan field asks for 3 letters before it lists names.
    catalog.import_csv(store.shop, None, "sku,name,price,tax_class,barcodes,stock\nQ7,Quince,2.00,exempt,,0\n")
    assert names(cashier.get("/api/v1/products?q=Q7")) == ["Quince"]
    # No text at all lists the first products by name (the self-service menu).
    assert names(cashier.get("/api/v1/products?q=&limit=3")) == ["Apple", "Baguette", "Bananas"]


def test_search_reads_indexes_only(store: Store) -> None:
    """No part of a search reads every product (bench: 100,000 products, each search a few ms)."""
    conn = store.shop.db.conn
    plans = {
        "name": (
            "SELECT id FROM products p WHERE p.name LIKE ? ESCAPE '\\' ORDER BY p.name COLLATE NOCASE LIMIT 8",
            ("cro%",),
        ),
        "words": ("SELECT rowid FROM product_words WHERE product_words MATCH ? LIMIT 16", ('"cro"*',)),
        "sku": ("SELECT id FROM products p WHERE p.sku >= ? AND p.sku < ? ORDER BY p.sku LIMIT 8", ("CR", "CR\uffff")),
    }
    for part, (query, args) in plans.items():
        plan = " ".join(str(tuple(r)) for r in conn.execute("EXPLAIN QUERY PLAN " + query, args))
        assert not re.search(r"SCAN p(?:'| USING)", plan), (part, plan)  # no reading of every product
        assert "SEARCH" in plan or "VIRTUAL TABLE INDEX" in plan, (part, plan)


# -- the grid of item buttons -----------------------------------------------------------------


def test_the_grid_is_arranged_by_a_manager_audited_and_shown_to_the_till(store: Store, as_role: Any) -> None:
    stocked(store)
    manager, cashier = as_role("manager"), as_role("cashier")
    assert cashier.get("/api/v1/item-grid").json() == {"tabs": []}
    layout = {
        "tabs": [
            {"category": "bakery", "products": ["CRO", "BGT"]},
            {"category": "Produce", "products": ["BAN", "LIM"]},
        ]
    }
    answer = put(manager, layout)
    assert answer.status_code == 200, answer.text
    tabs = cashier.get("/api/v1/item-grid").json()["tabs"]
    assert [t["category"] for t in tabs] == ["Bakery", "Produce"]  # the name as the shop spelt it
    assert [p["sku"] for p in tabs[0]["products"]] == ["CRO", "BGT"]
    assert tabs[1]["products"][0] == {
        "sku": "BAN",
        "name": "Bananas",
        "price": 149,
        "sold_by": "weight",
        "active": True,
    }
    entries = [e for e in audit_actions(as_role("boss")) if e["action"] == "item_grid_change"]
    assert entries and entries[-1]["actor"] == "manager"
    details = entries[-1]["details"]
    details = json.loads(details) if isinstance(details, str) else details
    assert details["before"] == []
    assert details["after"][0] == {"category": "Bakery", "products": ["CRO", "BGT"]}

    # A product withdrawn later keeps its place but leaves the till's buttons.
    catalog.change_product(store.shop, store.actor("manager"), "BGT", {"active": False})
    assert [p["sku"] for p in cashier.get("/api/v1/item-grid").json()["tabs"][0]["products"]] == ["CRO"]
    everything = manager.get("/api/v1/item-grid?withdrawn=true").json()["tabs"][0]["products"]
    assert [(p["sku"], p["active"]) for p in everything] == [("CRO", True), ("BGT", False)]
    assert put(manager, layout).status_code == 200  # kept where it was: allowed
    assert cashier.get("/api/v1/item-grid?withdrawn=true").status_code == 403


def test_the_grid_refuses_what_it_cannot_show(store: Store, as_role: Any) -> None:
    stocked(store)
    manager = as_role("manager")
    cases = [
        ({"tabs": [{"category": "Nope", "products": []}]}, 422, "unknown_category"),
        ({"tabs": [{"category": "Bakery", "products": ["NOPE"]}]}, 422, "unknown_sku"),
        ({"tabs": [{"category": "Bakery", "products": ["CRO", "CRO"]}]}, 422, "duplicate_button"),
        ({"tabs": [{"category": "Bakery", "products": ["OLD"]}]}, 422, "product_withdrawn"),
        (
            {"tabs": [{"category": "Bakery", "products": []}, {"category": "BAKERY", "products": []}]},
            422,
            "duplicate_tab",
        ),
        ({"tabs": [{"category": "Bakery", "products": ["CRO"] * 49}]}, 400, None),
        ({"tabs": [{"category": "Bakery"}]}, 400, None),
        ({"tabs": "Bakery"}, 400, None),
        ({"tabs": [{"category": "Bakery", "products": [1]}]}, 400, None),
    ]
    for body, status, code in cases:
        answer = put(manager, body)
        assert answer.status_code == status, (body, answer.text)
        assert answer.json()["error"]["message"]
        if code:
            assert answer.json()["error"]["code"] == code, answer.text
    assert manager.get("/api/v1/item-grid").json() == {"tabs": []}  # nothing half-written
    for role in ("cashier", "supervisor", "auditor"):
        answer = put(as_role(role), {"tabs": []})
        assert answer.status_code == 403, (role, answer.text)
    anonymous = put(Api(manager.client), {"tabs": []})
    assert anonymous.status_code == 401


# -- PLU --------------------------------------------------------------------------------------


def test_a_plu_adds_its_product_and_a_weighed_one_asks_for_the_weight(store: Store, as_role: Any) -> None:
    stocked(store)
    cashier = as_role("cashier")
    assert names(cashier.get("/api/v1/products?plu=4011")) == ["Bananas"]
    assert names(cashier.get("/api/v1/products?plu=9999")) == []
    sale = cashier.post("/api/v1/sales").json()
    items = f"/api/v1/sales/{sale['id']}/items"
    limes = cashier.post(items, json={"plu": "4048", "quantity": 3})
    assert limes.status_code == 200, limes.text
    assert limes.json()["lines"][0]["amount"] == 120
    unweighed = cashier.post(items, json={"plu": "4011"})
    assert unweighed.status_code == 422 and unweighed.json()["error"]["code"] == "weigh_item"
    weighed = cashier.post(items, json={"plu": "4011", "grams": 1250})
    assert weighed.status_code == 200, weighed.text
    line = weighed.json()["lines"][1]
    assert line["amount"] == 186  # 1.250 kg x 1.49/kg = 1.8625, rounded half up
    assert line["measure"] == "1.250 kg @ 1.49/kg"
    by_sku = cashier.post(items, json={"sku": "BAN", "grams": 500})  # a grid button
    assert by_sku.status_code == 200 and by_sku.json()["lines"][2]["amount"] == 75
    for body, code in (
        ({"plu": "9999"}, "unknown_plu"),
        ({"plu": "4011", "grams": 0}, "invalid_weight"),
        ({"plu": "4011", "grams": 100_000}, "invalid_weight"),
        ({"plu": "4011", "grams": 300, "quantity": 2}, "invalid_quantity"),
        ({"plu": "4048", "grams": 300}, "not_weighed"),
        ({"plu": "4048", "sku": "LIM"}, "barcode_or_sku"),
    ):
        answer = cashier.post(items, json=body)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["error"]["code"] == code, answer.text
    for body in ({"plu": "401"}, {"plu": "40111a"}, {"plu": "4011", "grams": "1kg"}):
        assert cashier.post(items, json=body).status_code == 400, body


def test_a_plu_is_4_or_5_digits_and_one_product_s(store: Store, as_role: Any) -> None:
    stocked(store)
    manager = as_role("manager")
    given = manager.patch("/api/v1/products/APL", json={"plu": "4131"})
    assert given.status_code == 200 and given.json()["plu"] == "4131"
    taken = manager.patch("/api/v1/products/BRD", json={"plu": "4131"})
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "plu_exists"
    assert "APL" in taken.json()["error"]["message"]
    assert manager.patch("/api/v1/products/BRD", json={"plu": "41"}).status_code == 400
    made = manager.post("/api/v1/products", json={"sku": "KIW", "name": "Kiwi", "price": 50, "plu": "94030"})
    assert made.status_code == 201 and made.json()["plu"] == "94030"
    dup = manager.post("/api/v1/products", json={"sku": "KI2", "name": "Kiwi", "price": 50, "plu": "94030"})
    assert dup.status_code == 409
    assert manager.patch("/api/v1/products/APL", json={"plu": None}).json()["plu"] is None
    # A PLU is not a barcode: the code 4131 scanned as a barcode finds nothing.
    sale = manager.post("/api/v1/sales").json()
    scanned = manager.post(f"/api/v1/sales/{sale['id']}/items", json={"barcode": "94030"})
    assert scanned.status_code == 422 and scanned.json()["error"]["code"] == "unknown_barcode"
