"""Stock through the HTTP API: adjustments, counts, purchase orders, low stock, value."""

from __future__ import annotations

from typing import Any

import pytest

from appliance.app.services import audit_log
from tests.conftest import Store, new_sale
from tests.integration.backoffice.conftest import code_of, pay_cash


def on_hand(api: Any, sku: str) -> int:
    rows = api.get(f"/api/v1/stock?q={sku}").json()["products"]
    return int(next(r["on_hand"] for r in rows if r["sku"] == sku))


def test_an_adjustment_moves_on_hand_with_its_reason_and_is_audited(manager: Any, store: Store) -> None:
    answer = manager.post("/api/v1/stock/adjustments", json={"sku": "MLK", "quantity": -2, "reason": "damaged"})
    assert answer.status_code == 201, answer.text
    assert answer.json()["on_hand"] == 8
    assert on_hand(manager, "MLK") == 8
    moves = manager.get("/api/v1/stock/movements?sku=MLK").json()["movements"]
    assert [(m["kind"], m["quantity"], m["on_hand"], m["reason"], m["user"]) for m in moves] == [
        ("adjustment", -2, 8, "damaged", "manager")
    ]
    entries = audit_log.entries(store.shop)
    assert any(e["action"] == "stock_adjust" and e["object"] == "product:MLK" for e in entries)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"sku": "MLK", "quantity": 0, "reason": "damaged"}, 422, "invalid_quantity"),
        ({"sku": "MLK", "quantity": 10**9, "reason": "damaged"}, 422, "invalid_quantity"),
        ({"sku": "MLK", "quantity": 2**70, "reason": "damaged"}, 400, "invalid_request"),  # past 64 bits
        ({"sku": "MLK", "quantity": 1.5, "reason": "damaged"}, 400, "invalid_request"),
        ({"sku": "MLK", "quantity": 1, "reason": "because"}, 422, "unknown_reason"),
        ({"sku": "MLK", "quantity": 1}, 400, "invalid_request"),
        ({"sku": "NOPE", "quantity": 1, "reason": "found"}, 404, "product_not_found"),
        ({"sku": "MLK", "quantity": 1, "reason": "found", "extra": 1}, 400, "invalid_request"),
    ],
)
def test_bad_adjustments(manager: Any, body: dict[str, Any], status: int, code: str) -> None:
    assert code_of(manager.post("/api/v1/stock/adjustments", json=body)) == (status, code)


def test_a_cashier_cannot_touch_stock(cashier: Any) -> None:
    answer = cashier.post("/api/v1/stock/adjustments", json={"sku": "MLK", "quantity": 1, "reason": "found"})
    assert code_of(answer) == (403, "forbidden")


def test_a_count_sets_on_hand_and_reports_the_variance(manager: Any) -> None:
    answer = manager.post(
        "/api/v1/stock/counts",
        json={"reason": "monthly count", "lines": [{"sku": "APL", "counted": 97}, {"sku": "GUM", "counted": 5}]},
    )
    assert answer.status_code == 201, answer.text
    lines = {ln["sku"]: ln for ln in answer.json()["lines"]}
    assert lines["APL"]["variance"] == -3 and lines["GUM"]["variance"] == 0
    assert on_hand(manager, "APL") == 97
    bad = manager.post("/api/v1/stock/counts", json={"reason": "count", "lines": [{"sku": "APL", "counted": -1}]})
    assert code_of(bad) == (422, "invalid_quantity")
    twice = [{"sku": "APL", "counted": 1}, {"sku": "APL", "counted": 2}]
    assert code_of(manager.post("/api/v1/stock/counts", json={"reason": "count", "lines": twice}))[0] == 422
    assert on_hand(manager, "APL") == 97  # the bad count changed nothing


def test_receiving_against_a_purchase_order_in_parts(manager: Any) -> None:
    supplier = manager.post("/api/v1/suppliers", json={"name": "Dairy Co"}).json()
    assert code_of(manager.post("/api/v1/suppliers", json={"name": "Dairy Co"})) == (409, "supplier_exists")
    manager.patch("/api/v1/stock/products/MLK", json={"cost": 300})
    order = manager.post(
        "/api/v1/purchase-orders",
        json={"supplier_id": supplier["id"], "lines": [{"sku": "MLK", "quantity": 10, "unit_cost": 400}]},
    )
    assert order.status_code == 201, order.text
    po = order.json()
    assert po["status"] == "draft" and po["value"] == 4000
    assert manager.post(f"/api/v1/purchase-orders/{po['id']}/send").json()["status"] == "ordered"
    part = manager.post(f"/api/v1/purchase-orders/{po['id']}/receipts", json={"lines": [{"sku": "MLK", "quantity": 4}]})
    assert part.status_code == 201 and part.json()["status"] == "partial"
    assert on_hand(manager, "MLK") == 14
    too_many = manager.post(
        f"/api/v1/purchase-orders/{po['id']}/receipts", json={"lines": [{"sku": "MLK", "quantity": 7}]}
    )
    assert code_of(too_many) == (422, "receipt_exceeds_order")
    rest = manager.post(f"/api/v1/purchase-orders/{po['id']}/receipts", json={"lines": [{"sku": "MLK", "quantity": 6}]})
    assert rest.json()["status"] == "received"
    assert on_hand(manager, "MLK") == 20
    level = manager.get("/api/v1/stock?q=MLK").json()["products"][0]
    assert level["cost"] == 350  # 10 at 3.00 and 10 at 4.00
    closed = manager.post(
        f"/api/v1/purchase-orders/{po['id']}/receipts", json={"lines": [{"sku": "MLK", "quantity": 1}]}
    )
    assert code_of(closed) == (409, "purchase_order_closed")
    assert code_of(manager.post(f"/api/v1/purchase-orders/{po['id']}/cancel")) == (409, "purchase_order_closed")


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/api/v1/purchase-orders", {"supplier_id": 999, "lines": [{"sku": "MLK", "quantity": 1}]}, 404),
        ("/api/v1/purchase-orders", {"supplier_id": 1, "lines": []}, 400),
        ("/api/v1/purchase-orders/999/receipts", {"lines": [{"sku": "MLK", "quantity": 1}]}, 404),
        ("/api/v1/purchase-orders/abc/receipts", {"lines": [{"sku": "MLK", "quantity": 1}]}, 400),
        ("/api/v1/purchase-orders/999/send", None, 404),
    ],
)
def test_unknown_orders_and_suppliers(manager: Any, path: str, body: Any, status: int) -> None:
    manager.post("/api/v1/suppliers", json={"name": "Somebody"})
    assert manager.post(path, json=body).status_code == status


def test_low_stock_suggests_draft_orders_per_supplier(manager: Any, cashier: Any) -> None:
    supplier = manager.post("/api/v1/suppliers", json={"name": "Candy Inc"}).json()
    rules = {"reorder_point": 3, "reorder_quantity": 10, "supplier_id": supplier["id"], "cost": 40}
    assert manager.patch("/api/v1/stock/products/GUM", json=rules).status_code == 200
    assert manager.patch("/api/v1/stock/products/BRD", json={"reorder_point": 25}).status_code == 200
    assert code_of(manager.patch("/api/v1/stock/products/GUM", json={"supplier_id": 999})) == (
        404,
        "supplier_not_found",
    )
    assert code_of(manager.patch("/api/v1/stock/products/GUM", json={"reorder_point": -1}))[0] == 422
    assert manager.get("/api/v1/stock/low").json()["products"][0]["sku"] == "BRD"
    sale = new_sale(cashier, "96385074")
    cashier.post(f"/api/v1/sales/{sale['id']}/items", json={"sku": "GUM", "quantity": 3})
    pay_cash(cashier, sale)
    low = {p["sku"]: p for p in manager.get("/api/v1/stock/low").json()["products"]}
    assert set(low) == {"GUM", "BRD"} and low["GUM"]["on_hand"] == 2 and low["GUM"]["suggested"] == 11
    suggested = manager.post("/api/v1/purchase-orders/suggest").json()
    assert [
        (o["supplier"], [(ln["sku"], ln["ordered"], ln["unit_cost"]) for ln in o["lines"]]) for o in suggested["orders"]
    ] == [("Candy Inc", [("GUM", 11, 40)])]
    assert suggested["without_supplier"] == [{"sku": "BRD", "name": "Bread", "suggested": 31}]
    # What is on order is no longer low, so a second suggestion orders nothing twice.
    assert manager.post("/api/v1/purchase-orders/suggest").json()["orders"] == []


def test_stock_value_at_cost(manager: Any, as_role: Any) -> None:
    manager.patch("/api/v1/stock/products/APL", json={"cost": 50})
    manager.patch("/api/v1/stock/products/MLK", json={"cost": 300})
    report = manager.get("/api/v1/reports/stock-value").json()
    assert report["totals"]["value"] == 100 * 50 + 10 * 300
    assert report["rows"][0] == {
        "sku": "APL",
        "name": "Apple",
        "on_hand": 100,
        "cost": 50,
        "value": 5000,
        "retail_value": 12500,
    }
    csv = manager.get("/api/v1/reports/stock-value?format=csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0] == "SKU,Product,On hand,Cost,Value,Retail value"
    assert as_role("auditor").get("/api/v1/reports/stock-value").status_code == 200


def test_one_product_by_its_exact_sku(manager: Any, cashier: Any) -> None:
    assert manager.patch("/api/v1/stock/products/MLK", json={"cost": 300, "reorder_point": 4}).status_code == 200
    milk = manager.get("/api/v1/stock/products/MLK")
    assert milk.status_code == 200, milk.text
    assert (milk.json()["sku"], milk.json()["cost"], milk.json()["reorder_point"]) == ("MLK", 300, 4)
    assert code_of(manager.get("/api/v1/stock/products/NOPE")) == (404, "product_not_found")
    assert cashier.get("/api/v1/stock/products/MLK").status_code == 403
