"""A cashier's day through the real HTTP API on an encrypted store."""

from __future__ import annotations

from typing import Any

from tests.conftest import Store, new_sale


def test_scan_pay_cash_get_change_and_receipt(as_role: Any, store: Store) -> None:
    cashier = as_role("cashier")
    sale = new_sale(cashier, "4006381333931", "4006381333931", "96385074")
    assert [(ln["sku"], ln["quantity"]) for ln in sale["lines"]] == [("APL", 2), ("BRD", 1)]
    # Apple 2 x 1.25 taxed (GST 5% + QST 9.975%), bread exempt.
    assert sale["totals"] == {
        "subtotal": 599,
        "discount": 0,
        "tax": 13 + 25,
        "total": 637,
        "paid": 0,
        "due": 637,
        "cash_due": 635,  # a Canadian store rounds cash to 0.05
    }
    assert sale["taxes"] == [
        {"name": "GST", "rate": "5", "amount": 13},
        {"name": "QST", "rate": "9.975", "amount": 25},
    ]
    paid = cashier.post(f"/api/v1/sales/{sale['id']}/payments", json={"method": "cash", "amount": 1000})
    assert paid.status_code == 201
    body = paid.json()
    assert body["status"] == "completed" and body["change"] == 365 and body["totals"]["due"] == 0
    assert body["rounding"] == -2 and body["payments"][0]["rounding"] == -2
    assert body["receipt_number"] == "T01-000001"
    text = cashier.get(f"/api/v1/sales/{sale['id']}/receipt?format=text").text
    # In the store's language: a CAD store reads fr-CA unless a manager says otherwise.
    assert "Test Market" in text and "Reçu T01-000001" in text
    assert "TOTAL CAD" in text and "6,37 $" in text and "3,65 $" in text
    assert "Arrondi" in text and "-0,02 $" in text and "6,35 $" in text


def test_stock_moves_only_when_the_sale_completes(as_role: Any, store: Store) -> None:
    cashier = as_role("cashier")

    def stock() -> int:
        return cashier.get("/api/v1/products?barcode=96385074").json()["products"][0]["stock"]

    sale = new_sale(cashier, "96385074")
    cashier.patch(f"/api/v1/sales/{sale['id']}/items/1", json={"quantity": 3})
    assert stock() == 20
    cashier.post(f"/api/v1/sales/{sale['id']}/payments", json={"method": "cash", "amount": 5000})
    assert stock() == 17


def test_receipt_numbers_have_no_gaps(as_role: Any, store: Store) -> None:
    cashier = as_role("cashier")
    numbers = []
    for _ in range(3):
        sale = new_sale(cashier, "96385074")
        cancelled = new_sale(cashier, "96385074")  # an abandoned sale takes no number
        cashier.post(f"/api/v1/sales/{cancelled['id']}/cancel")
        done = cashier.post(f"/api/v1/sales/{sale['id']}/payments", json={"method": "cash", "amount": 349}).json()
        numbers.append(done["receipt_no"])
    assert numbers == [1, 2, 3]


def test_split_cash_tenders(as_role: Any) -> None:
    cashier = as_role("cashier")
    sale = new_sale(cashier, "96385074")
    first = cashier.post(f"/api/v1/sales/{sale['id']}/payments", json={"method": "cash", "amount": 200}).json()
    assert first["status"] == "open" and first["totals"]["due"] == 149
    second = cashier.post(f"/api/v1/sales/{sale['id']}/payments", json={"method": "cash", "amount": 200}).json()
    # The second cash settles the sale: 1.49 due rounds to 1.50 in cash; the first, partial, did not round.
    assert second["status"] == "completed" and second["change"] == 50 and second["rounding"] == 1
    assert [p["rounding"] for p in second["payments"]] == [0, 1]


def test_a_second_payment_on_a_paid_sale_is_a_conflict(as_role: Any) -> None:
    cashier = as_role("cashier")
    sale = new_sale(cashier, "96385074")
    cashier.post(f"/api/v1/sales/{sale['id']}/payments", json={"method": "cash", "amount": 349})
    again = cashier.post(f"/api/v1/sales/{sale['id']}/payments", json={"method": "cash", "amount": 100})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "sale_completed"


def test_the_same_idempotency_key_pays_once(as_role: Any, store: Store) -> None:
    cashier = as_role("cashier")
    sale = new_sale(cashier, "96385074")
    key = {"Idempotency-Key": "tender-0001-abcd"}
    first = cashier.post(f"/api/v1/sales/{sale['id']}/payments", json={"method": "cash", "amount": 200}, headers=key)
    retry = cashier.post(f"/api/v1/sales/{sale['id']}/payments", json={"method": "cash", "amount": 200}, headers=key)
    assert first.status_code == retry.status_code == 201
    assert first.json() == retry.json()
    assert len(cashier.get(f"/api/v1/sales/{sale['id']}").json()["payments"]) == 1
    other = cashier.post(f"/api/v1/sales/{sale['id']}/payments", json={"method": "cash", "amount": 300}, headers=key)
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_key_reused"


def test_void_needs_the_permission_or_a_supervisors_approval(as_role: Any, store: Store) -> None:
    cashier = as_role("cashier")
    sale = new_sale(cashier, "96385074", "4006381333931")
    denied = cashier.delete(f"/api/v1/sales/{sale['id']}/items/1")
    assert denied.status_code == 403
    wrong = cashier.post(
        "/api/v1/auth/approve",
        json={"username": "supervisor", "password": "nope-nope-1234", "permission": "void_line"},
    )
    assert wrong.status_code == 401
    approval = cashier.post(
        "/api/v1/auth/approve",
        json={"username": "supervisor", "password": "Sesame-2026-open", "permission": "void_line"},
    ).json()["approval"]
    voided = cashier.delete(f"/api/v1/sales/{sale['id']}/items/1", headers={"X-Approval": approval})
    assert voided.status_code == 200
    assert voided.json()["lines"][0]["voided"] is True
    assert voided.json()["totals"]["total"] == 125 + 6 + 12  # only the apple left
    # An approval is good for one action only.
    again = cashier.delete(f"/api/v1/sales/{sale['id']}/items/2", headers={"X-Approval": approval})
    assert again.status_code == 403
    entries = as_role("auditor").get("/api/v1/audit").json()["entries"]
    void = [e for e in entries if e["action"] == "void_line"]
    assert void and void[-1]["actor"] == "cashier" and '"approved_by":"supervisor"' in void[-1]["details"]
    assert any(e["action"] == "approval" and e["actor"] == "supervisor" for e in entries)


def test_a_supervisor_voids_directly(as_role: Any) -> None:
    supervisor = as_role("supervisor")
    sale = new_sale(supervisor, "96385074")
    assert supervisor.delete(f"/api/v1/sales/{sale['id']}/items/1").status_code == 200
    again = supervisor.delete(f"/api/v1/sales/{sale['id']}/items/1")
    assert again.status_code == 409


def test_refund_returns_money_to_the_tenders_and_stock_to_the_shelf(as_role: Any) -> None:
    cashier = as_role("cashier")
    sale = new_sale(cashier, "96385074", "96385074")
    cashier.post(f"/api/v1/sales/{sale['id']}/payments", json={"method": "cash", "amount": 1000})
    supervisor = as_role("supervisor")
    assert (
        cashier.post(
            f"/api/v1/sales/{sale['id']}/refunds",
            json={"lines": [{"line": 1, "quantity": 1}], "reason": "stale"},
        ).status_code
        == 403
    )
    too_many = supervisor.post(
        f"/api/v1/sales/{sale['id']}/refunds",
        json={"lines": [{"line": 1, "quantity": 3}], "reason": "stale"},
    )
    assert too_many.status_code == 422 and too_many.json()["error"]["code"] == "refund_exceeds_sold"
    done = supervisor.post(
        f"/api/v1/sales/{sale['id']}/refunds",
        json={"lines": [{"line": 1, "quantity": 1}], "reason": "stale"},
    )
    assert done.status_code == 201
    # 3.49 refunded in cash is 3.50 out of the drawer, as it came in.
    assert done.json()["amount"] == 349 and done.json()["tenders"] == [{"method": "cash", "amount": 349, "rounding": 1}]
    assert cashier.get("/api/v1/products?barcode=96385074").json()["products"][0]["stock"] == 19


def test_manager_adds_products_and_imports_a_catalogue(as_role: Any) -> None:
    manager = as_role("manager")
    made = manager.post(
        "/api/v1/products",
        json={"sku": "TEA", "name": "Green tea", "price": 450, "barcodes": ["5901234123457"]},
    )
    assert made.status_code == 201 and made.json()["tax_class"] == "standard"
    dup = manager.post("/api/v1/products", json={"sku": "TEA", "name": "Again", "price": 1})
    assert dup.status_code == 409
    csv = "sku,name,price,barcodes\nJAM,Jam,4.25,\nSLT,Salt,1.10,\n"
    imported = manager.post("/api/v1/products/import", content=csv.encode(), headers={"content-type": "text/csv"})
    assert imported.status_code == 201 and imported.json() == {"imported": 2}
    bad = "sku,name,price\nOK1,Fine,1.00\nBAD,Broken,1.999\nOK2,,2.00\n"
    rejected = manager.post("/api/v1/products/import", content=bad.encode(), headers={"content-type": "text/csv"})
    assert rejected.status_code == 422
    message = rejected.json()["error"]["message"]
    assert "line 3" in message and "line 4" in message and "line 2" not in message
    assert manager.get("/api/v1/products?q=Fine").json()["products"] == []
    assert as_role("cashier").post("/api/v1/products", json={"sku": "X", "name": "X", "price": 1}).status_code == 403


def test_manager_creates_staff_below_them(as_role: Any, client: Any) -> None:
    manager = as_role("manager")
    made = manager.post("/api/v1/users", json={"username": "newbie", "role": "cashier"})
    assert made.status_code == 201
    one_time = made.json()["one_time_password"]
    assert manager.post("/api/v1/users", json={"username": "boss2", "role": "admin"}).status_code == 403
    first = client.post("/api/v1/auth/login", json={"username": "newbie", "password": one_time})
    assert first.json()["user"]["must_change_password"] is True
    token = first.json()["token"]
    blocked = client.post("/api/v1/sales", headers={"authorization": f"Bearer {token}"})
    assert blocked.status_code == 403 and blocked.json()["error"]["code"] == "password_change_required"


def test_sales_report(as_role: Any) -> None:
    cashier = as_role("cashier")
    sale = new_sale(cashier, "4006381333931", "96385074")
    cashier.post(f"/api/v1/sales/{sale['id']}/payments", json={"method": "cash", "amount": 2000})
    assert cashier.get("/api/v1/reports/sales").status_code == 403
    report = as_role("manager").get("/api/v1/reports/sales").json()
    assert report["sales"] == 1 and report["total"] == sale["totals"]["total"]
    assert report["by_tender"] == [{"method": "cash", "count": 1, "amount": sale["totals"]["total"]}]
    assert {t["name"] for t in report["by_tax"]} == {"GST", "QST"}
    assert report["top_products"][0]["sku"] == "BRD"
    assert as_role("manager").get("/api/v1/reports/sales?from=garbage").status_code == 422
