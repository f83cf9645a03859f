"""Products that can be fixed: PATCH /api/v1/products/{sku} changes each field (and only the
fields given), refuses bad values with a reason, withdraws and puts back, is audited with
before and after, and leaves every sale already made at the price it was scanned at.
Categories are rows of their own that products and category offers point at."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appliance.app.store import db as db_module
from appliance.app.store.db import create
from tests.conftest import Store

APPLE = "4006381333931"  # APL, 1.25, standard
BREAD = "96385074"  # BRD, 3.49, exempt


def product(api: Any, sku: str) -> dict[str, Any]:
    answer = api.get(f"/api/v1/products/{sku}")
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def sell(api: Any, *codes: str, pay: bool = True) -> dict[str, Any]:
    sale = api.post("/api/v1/sales").json()
    for code in codes:
        answer = api.post(f"/api/v1/sales/{sale['id']}/items", json={"barcode": code})
        assert answer.status_code == 200, answer.text
        sale = answer.json()
    if pay:
        paid = api.post(f"/api/v1/sales/{sale['id']}/payments", json={"method": "cash", "amount": 10000})
        assert paid.status_code == 201, paid.text
        sale = paid.json()
    return sale


def audit_since(api: Any, after: int) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = api.get(f"/api/v1/audit?after={after}").json()["entries"]
    return [{**e, "details": json.loads(e["details"])} for e in entries]


def last_audit_id(api: Any) -> int:
    entries = api.get("/api/v1/audit?limit=5000").json()["entries"]
    return int(entries[-1]["id"]) if entries else 0


def test_each_field_changes_alone_and_the_rest_stays(as_role: Any) -> None:
    manager = as_role("manager")
    assert manager.post("/api/v1/categories", json={"name": "Fruit"}).status_code == 201
    start = product(manager, "APL")
    assert (start["price"], start["active"], start["category"], start["cost"]) == (125, True, None, 0)
    steps: list[tuple[dict[str, Any], dict[str, Any]]] = [
        ({"name": "  Apple Gala  "}, {"name": "Apple Gala"}),
        ({"price": 150}, {"price": 150}),
        ({"tax_class": "exempt"}, {"tax_class": "exempt"}),
        (
            {"barcodes": [APPLE, "APL-LOOSE", "012345678905"]},
            {"barcodes": ["0012345678905", "4006381333931", "APL-LOOSE"]},
        ),
        ({"category": "fruit"}, {"category": "Fruit"}),  # any case finds it, the first spelling is kept
        ({"cost": 61}, {"cost": 61}),
        ({"active": False}, {"active": False}),
        ({"active": True}, {"active": True}),
        ({"category": None}, {"category": None}),
        ({"barcodes": []}, {"barcodes": []}),
    ]
    expected = dict(start)
    for body, effect in steps:
        answer = manager.patch("/api/v1/products/APL", json=body)
        assert answer.status_code == 200, (body, answer.text)
        expected.update(effect)
        assert answer.json() == expected
        assert product(manager, "APL") == expected
    # A code taken off a product no longer finds it; one put on does.
    cashier = as_role("cashier")
    assert cashier.get(f"/api/v1/products?barcode={APPLE}").json()["products"] == []
    manager.patch("/api/v1/products/APL", json={"barcodes": ["APL-LOOSE"]})
    assert cashier.get("/api/v1/products?barcode=APL-LOOSE").json()["products"][0]["sku"] == "APL"
    # Several at once.
    both = manager.patch("/api/v1/products/BRD", json={"name": "Rye bread", "price": 399, "cost": 120})
    assert (both.json()["name"], both.json()["price"], both.json()["cost"]) == ("Rye bread", 399, 120)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 422, "nothing_to_change"),
        ({"price": -1}, 422, "invalid_price"),
        ({"price": 10**13}, 422, "invalid_price"),
        ({"price": 1.5}, 400, "invalid_request"),
        ({"price": "3.99"}, 400, "invalid_request"),
        ({"price": True}, 400, "invalid_request"),
        ({"name": ""}, 422, "invalid_name"),
        ({"name": "x" * 121}, 422, "invalid_name"),
        ({"tax_class": "luxury"}, 422, "unknown_tax_class"),
        ({"tax_class": ""}, 422, "unknown_tax_class"),
        ({"barcodes": ["4006381333932"]}, 422, "bad_check_digit"),
        ({"barcodes": ["has space"]}, 422, "invalid_barcode"),
        ({"barcodes": "4006381333931"}, 400, "invalid_request"),
        ({"category": "nowhere"}, 422, "unknown_category"),
        ({"category": "y" * 41}, 422, "invalid_category"),
        ({"cost": -5}, 422, "invalid_cost"),
        ({"active": "no"}, 400, "invalid_request"),
        ({"sku": "APPLE"}, 400, "invalid_request"),
        ({"stock": 5}, 400, "invalid_request"),
    ],
)
def test_bad_changes_are_refused_with_a_reason_and_change_nothing(
    as_role: Any, body: dict[str, Any], status: int, code: str
) -> None:
    manager = as_role("manager")
    before = product(manager, "APL")
    answer = manager.patch("/api/v1/products/APL", json=body)
    assert (answer.status_code, answer.json()["error"]["code"]) == (status, code), answer.text
    assert answer.json()["error"]["message"]
    assert product(manager, "APL") == before


def test_an_unknown_product_is_404(as_role: Any) -> None:
    manager = as_role("manager")
    answer = manager.patch("/api/v1/products/NOPE", json={"price": 100})
    assert (answer.status_code, answer.json()["error"]["code"]) == (404, "product_not_found")
    assert manager.get("/api/v1/products/NOPE").status_code == 404


def test_a_barcode_of_another_product_is_refused_naming_that_product(as_role: Any) -> None:
    manager = as_role("manager")
    taken = manager.patch("/api/v1/products/BRD", json={"barcodes": [BREAD, APPLE]})
    assert taken.status_code == 409
    error = taken.json()["error"]
    assert error["code"] == "barcode_exists"
    assert error["message"] == f"barcode {APPLE} already belongs to APL (Apple)"
    assert error["details"] == {"barcodes": [{"barcode": APPLE, "sku": "APL", "name": "Apple"}]}
    assert product(manager, "BRD")["barcodes"] == [BREAD]
    # Keeping its own code is no conflict.
    assert manager.patch("/api/v1/products/BRD", json={"barcodes": [BREAD, "BRD-2"]}).status_code == 200
    # The same words on create and on import.
    made = manager.post(
        "/api/v1/products", json={"sku": "APL2", "name": "Apple again", "price": 1, "barcodes": [APPLE]}
    )
    assert made.status_code == 409 and "already belongs to APL (Apple)" in made.json()["error"]["message"]
    csv = f"sku,name,price,barcodes\nPEAR,Pear,1.00,{APPLE}\n"
    imported = manager.post("/api/v1/products/import", content=csv.encode(), headers={"content-type": "text/csv"})
    assert imported.status_code == 422
    assert f"line 2: barcode {APPLE} already belongs to APL (Apple)" in imported.json()["error"]["message"]


def test_a_withdrawn_product_cannot_be_sold_but_stays_in_history(as_role: Any) -> None:
    manager, cashier = as_role("manager"), as_role("cashier")
    old = sell(cashier, APPLE)
    open_sale = sell(cashier, APPLE, pay=False)
    withdrawn = manager.patch("/api/v1/products/APL", json={"active": False})
    assert withdrawn.status_code == 200 and withdrawn.json()["active"] is False

    sale = cashier.post("/api/v1/sales").json()
    for body in ({"barcode": APPLE}, {"sku": "APL"}):
        refused = cashier.post(f"/api/v1/sales/{sale['id']}/items", json=body)
        assert refused.status_code == 422
        assert refused.json()["error"]["code"] == "product_withdrawn"
        assert refused.json()["error"]["message"] == "product withdrawn: Apple (APL) is no longer sold"
    # Found by its barcode (saying it is withdrawn); not offered by a text search unless asked.
    by_code = cashier.get(f"/api/v1/products?barcode={APPLE}").json()["products"]
    assert [(p["sku"], p["active"]) for p in by_code] == [("APL", False)]
    assert cashier.get("/api/v1/products?q=Apple").json()["products"] == []
    listed = manager.get("/api/v1/products?q=Apple&withdrawn=true").json()["products"]
    assert [(p["sku"], p["active"]) for p in listed] == [("APL", False)]
    assert manager.get("/api/v1/products?withdrawn=maybe").status_code == 400

    # Its sales stay: the sale, its receipt, the report, a refund.
    assert cashier.get(f"/api/v1/sales/{old['id']}").json()["lines"][0]["sku"] == "APL"
    assert "Apple" in cashier.get(f"/api/v1/sales/{old['id']}/receipt?format=text").text
    report = manager.get("/api/v1/reports/sales").json()
    assert "APL" in {p["sku"] for p in report["top_products"]}
    refund = as_role("supervisor").post(
        f"/api/v1/sales/{old['id']}/refunds", json={"lines": [{"line": 1}], "reason": "bruised"}
    )
    assert refund.status_code == 201, refund.text
    # A line scanned before it was withdrawn stays on the open sale and is paid as it is.
    paid = cashier.post(f"/api/v1/sales/{open_sale['id']}/payments", json={"method": "cash", "amount": 10000})
    assert paid.status_code == 201 and paid.json()["status"] == "completed"

    # Put back on sale: it sells again.
    assert manager.patch("/api/v1/products/APL", json={"active": True}).json()["active"] is True
    assert cashier.post(f"/api/v1/sales/{sale['id']}/items", json={"barcode": APPLE}).status_code == 200
    assert [p["sku"] for p in cashier.get("/api/v1/products?q=Apple").json()["products"]] == ["APL"]


def test_every_change_is_audited_with_only_what_changed_before_and_after(as_role: Any) -> None:
    manager, boss = as_role("manager"), as_role("boss")
    manager.post("/api/v1/categories", json={"name": "fruit"})
    mark = last_audit_id(boss)
    manager.patch("/api/v1/products/APL", json={"price": 150, "name": "Apple", "cost": 0})  # name, cost unchanged
    manager.patch("/api/v1/products/APL", json={"barcodes": ["APL-1"], "category": "fruit"})
    manager.patch("/api/v1/products/APL", json={"active": False})
    manager.patch("/api/v1/products/APL", json={"active": True, "price": 140})
    manager.patch("/api/v1/products/APL", json={"price": 140})  # no change: no entry
    manager.patch("/api/v1/products/APL", json={"price": -1})  # refused: no entry
    entries = [e for e in audit_since(boss, mark) if e["object"] == "product:APL"]
    assert [(e["action"], e["actor"], e["details"]) for e in entries] == [
        ("product_change", "manager", {"before": {"price": 125}, "after": {"price": 150}}),
        (
            "product_change",
            "manager",
            {
                "before": {"barcodes": [APPLE], "category": None},
                "after": {"barcodes": ["APL-1"], "category": "fruit"},
            },
        ),
        ("product_withdraw", "manager", {"before": {"active": True}, "after": {"active": False}}),
        (
            "product_reactivate",
            "manager",
            {"before": {"price": 150, "active": False}, "after": {"price": 140, "active": True}},
        ),
    ]


def test_sales_keep_the_price_their_lines_were_scanned_at(as_role: Any) -> None:
    """Decided: the price is read at the scan. A line already on a sale (paid, or still open
    at a till) keeps it; the next scan of the item is a new line at the new price."""
    manager, cashier, supervisor = as_role("manager"), as_role("cashier"), as_role("supervisor")
    old = sell(cashier, APPLE)
    old_receipt = cashier.get(f"/api/v1/sales/{old['id']}/receipt?format=text").text
    assert "1,25 $" in old_receipt  # the store's fr-CA
    still_open = sell(cashier, APPLE, pay=False)

    assert manager.patch("/api/v1/products/APL", json={"price": 200, "name": "Apple (big)"}).status_code == 200

    again = cashier.get(f"/api/v1/sales/{old['id']}").json()
    assert again["lines"][0]["unit_price"] == 125 and again["lines"][0]["name"] == "Apple"
    assert again["totals"] == old["totals"]
    assert cashier.get(f"/api/v1/sales/{old['id']}/receipt?format=text").text == old_receipt
    refund = supervisor.post(f"/api/v1/sales/{old['id']}/refunds", json={"lines": [{"line": 1}], "reason": "bruised"})
    assert refund.status_code == 201 and refund.json()["amount"] == old["totals"]["total"]

    scanned = cashier.get(f"/api/v1/sales/{still_open['id']}").json()
    assert [(ln["unit_price"], ln["quantity"]) for ln in scanned["lines"]] == [(125, 1)]
    more = cashier.post(f"/api/v1/sales/{still_open['id']}/items", json={"barcode": APPLE}).json()
    assert [(ln["name"], ln["unit_price"], ln["quantity"]) for ln in more["lines"]] == [
        ("Apple", 125, 1),
        ("Apple (big)", 200, 1),
    ]
    assert more["totals"]["subtotal"] == 325
    new = sell(cashier, APPLE)
    assert new["lines"][0]["unit_price"] == 200


@pytest.mark.parametrize("role", ["cashier", "supervisor", "auditor"])
def test_only_the_catalogues_managers_change_it(as_role: Any, role: str) -> None:
    api = as_role(role)
    refused = api.patch("/api/v1/products/APL", json={"price": 1})
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    assert api.get("/api/v1/products/APL").status_code == 403  # it shows the cost
    assert api.post("/api/v1/categories", json={"name": "snacks"}).status_code == 403
    assert product(as_role("manager"), "APL")["price"] == 125
    assert as_role("boss").patch("/api/v1/products/APL", json={"price": 130}).status_code == 200


def test_categories_are_listed_made_once_and_carry_category_offers(as_role: Any, store: Store) -> None:
    manager, cashier = as_role("manager"), as_role("cashier")
    assert cashier.get("/api/v1/categories").json() == {"categories": []}
    made = manager.post("/api/v1/categories", json={"name": " Dairy "})
    assert made.status_code == 201 and made.json()["name"] == "Dairy"
    dup = manager.post("/api/v1/categories", json={"name": "DAIRY"})
    assert (dup.status_code, dup.json()["error"]["code"]) == (409, "category_exists")
    assert manager.post("/api/v1/categories", json={"name": ""}).status_code == 422
    assert manager.post("/api/v1/categories", json={"name": "z" * 41}).status_code == 422
    assert manager.post("/api/v1/categories", json={}).status_code == 400
    manager.post("/api/v1/categories", json={"name": "bakery"})
    assert [c["name"] for c in cashier.get("/api/v1/categories").json()["categories"]] == ["bakery", "Dairy"]

    # A new product names one (any case); an unknown one is refused.
    yog = manager.post("/api/v1/products", json={"sku": "YOG", "name": "Yoghurt", "price": 250, "category": "dairy"})
    assert yog.status_code == 201 and yog.json()["category"] == "Dairy"
    unknown = manager.post("/api/v1/products", json={"sku": "ICE", "name": "Ice", "price": 1, "category": "frozen"})
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (422, "unknown_category")
    # An import makes the categories it names.
    csv = "sku,name,price,category\nCRM,Cream,2.00,dairy\nPIE,Pie,5.00,Desserts\n"
    assert (
        manager.post("/api/v1/products/import", content=csv.encode(), headers={"content-type": "text/csv"}).status_code
        == 201
    )
    assert product(manager, "CRM")["category"] == "Dairy"
    assert "Desserts" in {c["name"] for c in cashier.get("/api/v1/categories").json()["categories"]}

    # A category offer prices what is in the category, a product moved into it included.
    from appliance.app.services.sales import business_day

    today = business_day(store.shop).isoformat()
    offer = {"name": "Dairy 10 %", "kind": "category_percent", "category": "DAIRY", "percent": 1000}
    made_offer = manager.post("/api/v1/promotions", json={**offer, "starts": today, "ends": today})
    assert made_offer.status_code == 201 and made_offer.json()["category"] == "Dairy"
    typo = manager.post("/api/v1/promotions", json={**offer, "category": "diary", "starts": today, "ends": today})
    assert (typo.status_code, typo.json()["error"]["code"]) == (422, "unknown_category")
    manager.patch("/api/v1/products/MLK", json={"category": "dairy"})
    sale = cashier.post("/api/v1/sales").json()
    for sku in ("YOG", "MLK", "BRD"):
        sale = cashier.post(f"/api/v1/sales/{sale['id']}/items", json={"sku": sku}).json()
    discounts = {ln["sku"]: (ln["promotion"], ln["discount"]) for ln in sale["lines"]}
    assert discounts == {"YOG": ("Dairy 10 %", 25), "MLK": ("Dairy 10 %", 53), "BRD": (None, 0)}


def test_free_text_categories_become_rows_when_the_store_is_migrated(tmp_path: Path, monkeypatch: Any) -> None:
    everything = db_module.migrations()
    monkeypatch.setattr(db_module, "migrations", lambda: [m for m in everything if m[0] < 20])
    db, _ = create(tmp_path / "data")
    with db.transaction() as tx:
        tx.execute("INSERT INTO tax_classes(code, name) VALUES ('standard', 'Standard')")
        for i, category in enumerate(["Dairy", "dairy ", None, "", "Bakery"]):
            tx.execute(
                "INSERT INTO products(sku, name, price, tax_class, created_at, updated_at, category) "
                "VALUES (?, 'x', 1, 'standard', 'now', 'now', ?)",
                (f"P{i}", category),
            )
        tx.execute(
            "INSERT INTO promotions(name, kind, category, percent, starts, ends, created_at) "
            "VALUES ('Cheese week', 'category_percent', 'Cheese', 1000, '2026-01-01', '2026-01-02', 'now')"
        )
    monkeypatch.setattr(db_module, "migrations", lambda: everything)
    db.migrate()
    conn = db.conn
    assert [r[0] for r in conn.execute("SELECT name FROM categories ORDER BY id")] == ["Dairy", "Bakery", "Cheese"]
    rows = conn.execute(
        "SELECT p.sku, c.name FROM products p LEFT JOIN categories c ON c.id = p.category_id ORDER BY p.sku"
    ).fetchall()
    assert [tuple(r) for r in rows] == [("P0", "Dairy"), ("P1", "Dairy"), ("P2", None), ("P3", None), ("P4", "Bakery")]
    offer = conn.execute("SELECT c.name FROM promotions p JOIN categories c ON c.id = p.category_id").fetchone()
    assert offer[0] == "Cheese"
    assert "category" not in {r[1] for r in conn.execute("PRAGMA table_info(products)")}
    db.close()


def test_the_gift_card_product_cannot_be_put_on_sale_or_changed(as_role: Any, store: Store) -> None:
    from appliance.app.services import gift_cards

    with store.shop.db.transaction() as tx:
        gift_cards.ensure_product(tx, store.shop.now())
    manager = as_role("manager")
    for body in ({"active": True}, {"price": 100}):
        refused = manager.patch(f"/api/v1/products/{gift_cards.PRODUCT_SKU}", json=body)
        assert (refused.status_code, refused.json()["error"]["code"]) == (409, "product_reserved")
    assert product(manager, gift_cards.PRODUCT_SKU)["active"] is False


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=10,
)
CHANGES = st.dictionaries(
    st.sampled_from(["name", "price", "tax_class", "barcodes", "category", "cost", "active", "sku", "extra"]),
    JSONISH,
    max_size=4,
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=CHANGES | JSONISH, sku=st.sampled_from(["BRD", "GUM", "NOPE", "%20", "a/b"]))
def test_no_change_to_a_product_gets_a_500(as_role: Any, body: Any, sku: str) -> None:
    api = as_role.cached if hasattr(as_role, "cached") else None
    if api is None:
        api = as_role.cached = as_role("manager")
    answer = api.client.request(
        "PATCH",
        f"/api/v1/products/{sku}",
        content=json.dumps(body).encode(),
        headers={"authorization": f"Bearer {api.token}", "content-type": "application/json"},
    )
    assert answer.status_code < 500, (sku, body, answer.text)
    if answer.status_code >= 400:
        assert answer.json()["error"]["message"]
