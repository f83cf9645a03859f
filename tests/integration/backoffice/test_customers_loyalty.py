"""Customers and loyalty through the HTTP API: enrol, attach, earn, redeem, erase."""

from __future__ import annotations

import json
from typing import Any

import pytest

from appliance.app.services import audit_log
from tests.conftest import PASSWORD, Store, new_sale
from tests.integration.backoffice.conftest import code_of, pay_cash, put

ADA_CARD, BOB_CARD = "2900000000017", "2900000000024"  # loyalty cards' barcodes


def enrol(api: Any, name: str = "Ada Lovelace", **extra: Any) -> dict[str, Any]:
    answer = api.post("/api/v1/customers", json={"name": name, **extra})
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_a_customer_earns_a_point_per_dollar_on_a_completed_sale(cashier: Any, manager: Any) -> None:
    ada = enrol(cashier, email="Ada@Example.org", phone="+1 514 555 0101", consent=True)
    # The till sees who, not how to reach them; the back office keeps the contact details.
    assert (ada["email"], ada["phone"], ada["contact_hint"]) == (None, None, "•••• 01")
    kept = manager.get(f"/api/v1/customers/{ada['id']}").json()
    assert (kept["email"], kept["phone"], kept["consent"], kept["points"]) == (
        "ada@example.org",
        "+15145550101",
        True,
        0,
    )
    sale = new_sale(cashier, "036000291452", "036000291452")  # milk 2 x 5.29 + tax = 12.17
    attached = put(cashier, f"/api/v1/sales/{sale['id']}/customer", json={"customer_id": ada["id"]})
    assert attached.status_code == 200 and attached.json()["customer"]["id"] == ada["id"]
    done = pay_cash(cashier, sale)
    assert done["totals"]["total"] == 1217
    assert cashier.get(f"/api/v1/customers/{ada['id']}").json()["points"] == 12
    history = cashier.get(f"/api/v1/customers/{ada['id']}/purchases").json()["purchases"]
    assert [(h["sale_id"], h["total"], h["points_earned"]) for h in history] == [(sale["id"], 1217, 12)]
    assert [c["id"] for c in cashier.get("/api/v1/customers?q=ada@example.org").json()["customers"]] == [ada["id"]]
    assert [c["id"] for c in cashier.get("/api/v1/customers?q=514-555-0101").json()["customers"]] == []
    assert [c["id"] for c in cashier.get("/api/v1/customers?q=%2B15145550101").json()["customers"]] == [ada["id"]]
    assert [c["id"] for c in cashier.get("/api/v1/customers?q=love").json()["customers"]] == [ada["id"]]


def test_points_pay_part_of_a_sale_and_a_redemption_above_the_balance_is_refused(cashier: Any, manager: Any) -> None:
    ada = enrol(cashier, loyalty_card=ADA_CARD)
    manager.post(f"/api/v1/customers/{ada['id']}/points", json={"points": 300, "reason": "welcome gift"})
    sale = new_sale(cashier, "96385074")  # bread 3.49, exempt
    put(cashier, f"/api/v1/sales/{sale['id']}/customer", json={"loyalty_card": ADA_CARD})
    over = cashier.post(f"/api/v1/sales/{sale['id']}/payments", json={"method": "loyalty", "amount": 301})
    assert code_of(over) == (422, "insufficient_points")
    assert cashier.get(f"/api/v1/customers/{ada['id']}").json()["points"] == 300
    paid = cashier.post(f"/api/v1/sales/{sale['id']}/payments", json={"method": "loyalty", "amount": 300})
    assert paid.status_code == 201, paid.text
    assert paid.json()["totals"]["due"] == 49
    assert cashier.get(f"/api/v1/customers/{ada['id']}").json()["points"] == 0
    done = pay_cash(cashier, sale)
    # Points are not earned on what points paid: 0.49 earns nothing.
    assert done["status"] == "completed"
    assert cashier.get(f"/api/v1/customers/{ada['id']}").json()["points"] == 0


def test_loyalty_needs_a_customer_and_cannot_be_switched_after_redeeming(cashier: Any, manager: Any) -> None:
    ada, bob = enrol(cashier, loyalty_card=ADA_CARD), enrol(cashier, "Bob")
    manager.post(f"/api/v1/customers/{ada['id']}/points", json={"points": 100, "reason": "welcome gift"})
    sale = new_sale(cashier, "96385074")
    nobody = cashier.post(f"/api/v1/sales/{sale['id']}/payments", json={"method": "loyalty", "amount": 10})
    assert code_of(nobody) == (422, "customer_required")
    named = cashier.post(
        f"/api/v1/sales/{sale['id']}/payments", json={"method": "loyalty", "amount": 10, "loyalty_card": ADA_CARD}
    )
    assert named.status_code == 201
    switch = put(cashier, f"/api/v1/sales/{sale['id']}/customer", json={"customer_id": bob["id"]})
    assert code_of(switch) == (409, "loyalty_redeemed")
    other = cashier.post(
        f"/api/v1/sales/{sale['id']}/payments", json={"method": "loyalty", "amount": 10, "customer": bob["id"]}
    )
    assert code_of(other) == (409, "customer_mismatch")


@pytest.mark.parametrize("amount", [0, -100, 10**13])
def test_absurd_loyalty_amounts(cashier: Any, amount: int) -> None:
    enrol(cashier, loyalty_card=ADA_CARD)
    sale = new_sale(cashier, "96385074")
    answer = cashier.post(
        f"/api/v1/sales/{sale['id']}/payments", json={"method": "loyalty", "amount": amount, "loyalty_card": ADA_CARD}
    )
    assert answer.status_code == 422


def test_erasing_a_customer_keeps_the_sales_whole(cashier: Any, manager: Any, store: Store) -> None:
    ada = enrol(cashier, email="ada@example.org", consent=True)
    sale = new_sale(cashier, "96385074")
    put(cashier, f"/api/v1/sales/{sale['id']}/customer", json={"customer_id": ada["id"]})
    pay_cash(cashier, sale)
    assert code_of(cashier.post(f"/api/v1/customers/{ada['id']}/erase", json={})) == (403, "forbidden")
    erased = manager.post(f"/api/v1/customers/{ada['id']}/erase", json={"reason": "asked at the counter"})
    assert erased.status_code == 200
    body = erased.json()
    assert (body["name"], body["email"], body["phone"], body["points"], body["erased"]) == (
        "(erased)",
        None,
        None,
        0,
        True,
    )
    assert manager.get(f"/api/v1/sales/{sale['id']}").json()["totals"]["total"] == 349
    assert [p["total"] for p in manager.get(f"/api/v1/customers/{ada['id']}/purchases").json()["purchases"]] == [349]
    assert manager.get("/api/v1/customers?q=ada@example.org").json()["customers"] == []
    assert code_of(manager.post(f"/api/v1/customers/{ada['id']}/erase", json={})) == (409, "customer_erased")
    # The email is free again, and nothing of the person is in the audit log.
    assert enrol(cashier, "Ada L.", email="ada@example.org")["id"] != ada["id"]
    entries = audit_log.entries(store.shop)
    assert any(e["action"] == "customer_erase" for e in entries)
    assert "ada@example.org" not in str(entries)
    new = new_sale(cashier, "96385074")
    assert code_of(put(cashier, f"/api/v1/sales/{new['id']}/customer", json={"customer_id": ada["id"]})) == (
        409,
        "customer_erased",
    )


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"name": ""}, 422, "invalid_name"),
        ({"name": "X" * 81}, 422, "invalid_name"),
        ({"name": "Ann", "email": "not-an-email"}, 422, "invalid_email"),
        ({"name": "Ann", "phone": "call me"}, 422, "invalid_phone"),
        ({"name": "Ann", "phone": "12"}, 422, "invalid_phone"),
        ({"name": "Ann", "consent": "yes"}, 400, "invalid_request"),
        ({"name": "Ann", "address": "1 Main St"}, 400, "invalid_request"),
    ],
)
def test_bad_customers(cashier: Any, body: dict[str, Any], status: int, code: str) -> None:
    assert code_of(cashier.post("/api/v1/customers", json=body)) == (status, code)


def test_unknown_customers_and_sales_are_404(cashier: Any, manager: Any) -> None:
    assert code_of(cashier.get("/api/v1/customers/999")) == (404, "customer_not_found")
    assert code_of(cashier.get("/api/v1/customers/x1")) == (400, "invalid_request")
    assert code_of(put(cashier, "/api/v1/sales/999/customer", json={"customer_id": 1})) == (404, "sale_not_found")
    sale = new_sale(cashier, "96385074")
    assert code_of(put(cashier, f"/api/v1/sales/{sale['id']}/customer", json={"customer_id": 999}))[0] == 404
    assert code_of(manager.patch("/api/v1/customers/999", json={"name": "X"})) == (404, "customer_not_found")


def test_duplicate_contact_details_are_a_conflict(cashier: Any, manager: Any) -> None:
    enrol(cashier, email="a@example.org")
    b = enrol(cashier, "B")
    assert code_of(cashier.post("/api/v1/customers", json={"name": "C", "email": "A@example.org"})) == (
        409,
        "customer_email_exists",
    )
    assert code_of(manager.patch(f"/api/v1/customers/{b['id']}", json={"email": "a@example.org"}))[0] == 409


def test_loyalty_rules_are_store_settings(as_role: Any, cashier: Any, manager: Any) -> None:
    admin = as_role("boss")
    assert code_of(put(manager, "/api/v1/settings/rules", json={"loyalty_points_per_unit": 2})) == (403, "forbidden")
    assert code_of(put(admin, "/api/v1/settings/rules", json={"loyalty_point_value": 0}))[0] == 422
    assert code_of(put(admin, "/api/v1/settings/rules", json={"gift_card_expiry_days": -1}))[0] == 422
    changed = put(admin, "/api/v1/settings/rules", json={"loyalty_points_per_unit": 10, "loyalty_point_value": 2})
    assert changed.status_code == 200 and changed.json()["loyalty_points_per_unit"] == 10
    ada = enrol(cashier)
    sale = new_sale(cashier, "96385074")
    put(cashier, f"/api/v1/sales/{sale['id']}/customer", json={"customer_id": ada["id"]})
    pay_cash(cashier, sale)
    assert cashier.get(f"/api/v1/customers/{ada['id']}").json()["points"] == 34
    assert cashier.get(f"/api/v1/customers/{ada['id']}").json()["points_value"] == 68


def test_the_sale_names_its_customer_without_their_contact_details(cashier: Any) -> None:
    ada = enrol(cashier, email="ada@example.org", phone="+15145550101")
    sale = new_sale(cashier, "036000291452")
    assert sale["customer"] is None
    put(cashier, f"/api/v1/sales/{sale['id']}/customer", json={"customer_id": ada["id"]})
    # Every view of the sale (a reload, a resume on another till) carries the customer...
    scanned = cashier.post(f"/api/v1/sales/{sale['id']}/items", json={"barcode": "036000291452"}).json()
    again = cashier.get(f"/api/v1/sales/{sale['id']}").json()
    for view in (scanned, again):
        assert view["customer"] == {
            "id": ada["id"],
            "name": "Ada Lovelace",
            "points": 0,
            "points_value": 0,
            "points_owed": 0,
            "points_earned": 0,
        }
    # ...and the completed sale what it earned them.
    done = pay_cash(cashier, again)
    assert (done["customer"]["points_earned"], done["customer"]["points"]) == (12, 12)


def test_spending_points_needs_the_customer_s_card_or_a_supervisor(cashier: Any, manager: Any, store: Store) -> None:
    ada = enrol(cashier, loyalty_card=ADA_CARD)
    enrol(cashier, "Bob", loyalty_card=BOB_CARD)
    manager.post(f"/api/v1/customers/{ada['id']}/points", json={"points": 100, "reason": "welcome gift"})
    # Found by name, the customer is only named: their card was not seen.
    sale = new_sale(cashier, "96385074")
    put(cashier, f"/api/v1/sales/{sale['id']}/customer", json={"customer_id": ada["id"]})
    pay = f"/api/v1/sales/{sale['id']}/payments"
    unseen = cashier.post(pay, json={"method": "loyalty", "amount": 10})
    assert code_of(unseen) == (403, "forbidden") and "loyalty card" in unseen.json()["error"]["message"]
    unknown = cashier.post(pay, json={"method": "loyalty", "amount": 10, "loyalty_card": "2900000000031"})
    assert code_of(unknown) == (404, "loyalty_card_not_found")
    someone_else = cashier.post(pay, json={"method": "loyalty", "amount": 10, "loyalty_card": BOB_CARD})
    assert code_of(someone_else) == (409, "customer_mismatch")  # the sale is Ada's
    not_hers = cashier.post(
        pay, json={"method": "loyalty", "amount": 10, "customer": ada["id"], "loyalty_card": BOB_CARD}
    )
    assert code_of(not_hers) == (403, "loyalty_card_mismatch")
    assert cashier.get(f"/api/v1/customers/{ada['id']}").json()["points"] == 100
    shown = cashier.post(pay, json={"method": "loyalty", "amount": 10, "loyalty_card": ADA_CARD})
    assert shown.status_code == 201, shown.text
    # Without the card, a supervisor's approval stands in for it, once.
    approval = cashier.post(
        "/api/v1/auth/approve",
        json={"username": "supervisor", "password": PASSWORD, "permission": "points_without_card"},
    )
    assert approval.status_code == 200, approval.text
    headers = {"x-approval": approval.json()["approval"]}
    approved = cashier.post(pay, json={"method": "loyalty", "amount": 10}, headers=headers)
    assert approved.status_code == 201, approved.text
    again = cashier.post(pay, json={"method": "loyalty", "amount": 10}, headers=headers)
    assert code_of(again) == (403, "approval_invalid")
    payments = store.shop.db.conn.execute(
        "SELECT details FROM payments WHERE sale_id = ? AND method = 'loyalty' ORDER BY id", (sale["id"],)
    ).fetchall()
    assert [json.loads(p[0]).get("approved_by") for p in payments] == [None, "supervisor"]
    assert cashier.get(f"/api/v1/customers/{ada['id']}").json()["points"] == 80
    # Named by a scan of the card, the customer spends without anything more.
    scanned = new_sale(cashier, "96385074")
    put(cashier, f"/api/v1/sales/{scanned['id']}/customer", json={"loyalty_card": ADA_CARD.lower()})
    spent = cashier.post(f"/api/v1/sales/{scanned['id']}/payments", json={"method": "loyalty", "amount": 10})
    assert spent.status_code == 201, spent.text
    assert cashier.get(f"/api/v1/customers/{ada['id']}").json()["points"] == 70


def test_a_loyalty_card_finds_its_customer_and_only_the_back_office_sees_its_number(cashier: Any, manager: Any) -> None:
    ada = enrol(cashier, "Ada Lovelace", phone="+1 514 555 0101", loyalty_card=ADA_CARD)
    assert ada["loyalty_card"] == "•••• 0017"
    # A card's digits would read as a phone number; the card wins.
    found = cashier.get(f"/api/v1/customers?q={ADA_CARD}").json()
    assert [(c["id"], c["loyalty_card"]) for c in found["customers"]] == [(ada["id"], "•••• 0017")]
    assert found["by_card"] is True
    assert cashier.get("/api/v1/customers?q=%2B15145550101").json()["by_card"] is False
    assert manager.get(f"/api/v1/customers/{ada['id']}").json()["loyalty_card"] == ADA_CARD
    twice = cashier.post("/api/v1/customers", json={"name": "Bob", "loyalty_card": ADA_CARD})
    assert code_of(twice) == (409, "customer_loyalty_card_exists")
    bad = cashier.post("/api/v1/customers", json={"name": "Bob", "loyalty_card": "12-34"})
    assert code_of(bad) == (422, "invalid_loyalty_card")
    # A lost card is replaced in the back office; the old number finds nobody.
    replaced = manager.patch(f"/api/v1/customers/{ada['id']}", json={"loyalty_card": "2900000000048"})
    assert replaced.status_code == 200, replaced.text
    assert cashier.get(f"/api/v1/customers?q={ADA_CARD}").json()["customers"] == []
    sale = new_sale(cashier, "96385074")
    lost = put(cashier, f"/api/v1/sales/{sale['id']}/customer", json={"loyalty_card": ADA_CARD})
    assert code_of(lost) == (404, "loyalty_card_not_found")
    nothing = put(cashier, f"/api/v1/sales/{sale['id']}/customer", json={})
    assert nothing.status_code == 400
    erased = manager.post(f"/api/v1/customers/{ada['id']}/erase", json={"reason": "asked"})
    assert erased.status_code == 200 and erased.json()["loyalty_card"] is None
