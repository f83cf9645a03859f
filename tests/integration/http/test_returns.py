"""Returns: by receipt to the original tenders or as store credit, and without a receipt."""

from __future__ import annotations

from typing import Any

from tests.conftest import PASSWORD, approval


def paid_sale(api: Any, *skus: str) -> dict[str, Any]:
    sale_id = api.post("/api/v1/sales").json()["id"]
    for sku in skus:
        api.post(f"/api/v1/sales/{sale_id}/items", json={"sku": sku})
    done: dict[str, Any] = api.post(f"/api/v1/sales/{sale_id}/payments", json={"method": "cash", "amount": 5000}).json()
    return done


def stock(api: Any, sku: str) -> int:
    found = api.get(f"/api/v1/products?q={sku}").json()["products"]
    return int(next(p["stock"] for p in found if p["sku"] == sku))


def test_a_return_found_by_its_receipt_barcode_goes_back_as_store_credit(as_role: Any) -> None:
    cashier = as_role("cashier")
    sale = paid_sale(cashier, "BRD", "MLK")
    manager = as_role("manager")
    found = manager.get(f"/api/v1/sales?receipt={sale['receipt_number']}").json()["sales"][0]
    line = next(ln for ln in found["lines"] if ln["sku"] == "MLK")
    supervisor = as_role("supervisor")
    refused = supervisor.post(
        f"/api/v1/sales/{found['id']}/refunds",
        json={"lines": [{"line": line["line"]}], "reason": "leaking", "refund_to": "gift_card"},
    )
    assert refused.status_code == 403  # store credit is a manager's call
    done = manager.post(
        f"/api/v1/sales/{found['id']}/refunds",
        json={"lines": [{"line": line["line"]}], "reason": "leaking", "refund_to": "gift_card"},
    )
    assert done.status_code == 201, done.text
    body = done.json()
    assert body["tenders"] == [] and body["gift_card"]["balance"] == body["amount"] == 529 + 26 + 53
    again = manager.post(
        f"/api/v1/sales/{found['id']}/refunds", json={"lines": [{"line": line["line"]}], "reason": "leaking"}
    )
    assert again.status_code == 422 and again.json()["error"]["code"] == "refund_exceeds_sold"


def test_a_return_without_a_receipt_needs_permission_and_a_reason(as_role: Any) -> None:
    cashier = as_role("cashier")
    before = stock(cashier, "BRD")
    item = {"lines": [{"sku": "BRD", "quantity": 2}], "reason": "no receipt, regular customer"}
    assert cashier.post("/api/v1/returns", json=item).status_code == 403
    signed = approval(cashier, "supervisor", "return_without_receipt")
    done = cashier.post("/api/v1/returns", json=item, headers=signed)
    assert done.status_code == 201, done.text
    assert done.json()["amount"] == 2 * 349 and done.json()["refund_to"] == "cash"
    assert stock(cashier, "BRD") == before + 2
    supervisor = as_role("supervisor")
    assert supervisor.post("/api/v1/returns", json={**item, "reason": ""}).status_code == 422
    higher = supervisor.post("/api/v1/returns", json={"lines": [{"sku": "BRD", "unit_price": 9999}], "reason": "x y z"})
    assert higher.status_code == 422
    unknown = supervisor.post("/api/v1/returns", json={"lines": [{"sku": "NOPE"}], "reason": "x y z"})
    assert unknown.status_code == 422
    entries = as_role("auditor").get("/api/v1/audit").json()["entries"]
    made = [e for e in entries if e["action"] == "return_without_receipt"]
    assert made and made[-1]["actor"] == "cashier" and '"approved_by":"supervisor"' in made[-1]["details"]


def test_a_refund_of_more_than_was_sold_is_refused(as_role: Any) -> None:
    cashier = as_role("cashier")
    sale = paid_sale(cashier, "BRD")
    supervisor = as_role("supervisor")
    answer = supervisor.post(
        f"/api/v1/sales/{sale['id']}/refunds", json={"lines": [{"line": 1, "quantity": 2}], "reason": "two?"}
    )
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "refund_exceeds_sold"
    assert (
        supervisor.post(
            f"/api/v1/sales/{sale['id']}/refunds", json={"lines": [{"line": 9}], "reason": "no such line"}
        ).status_code
        == 404
    )


def test_an_exchange_pays_the_new_goods_with_the_returned_ones(as_role: Any) -> None:
    cashier = as_role("cashier")
    old = paid_sale(cashier, "MLK")  # 5.29 + GST 0.26 + QST 0.53 = 6.08
    supervisor = as_role("supervisor")
    new = supervisor.post("/api/v1/sales").json()["id"]
    supervisor.post(f"/api/v1/sales/{new}/items", json={"sku": "BRD"})  # 3.49, exempt
    done = supervisor.post(
        f"/api/v1/sales/{old['id']}/refunds",
        json={"lines": [{"line": 1}], "reason": "wrong size", "refund_to": "exchange", "exchange_into": new},
    )
    assert done.status_code == 201, done.text
    body = done.json()
    assert body["amount"] == 608
    assert body["exchange_sale"]["status"] == "completed"
    assert body["exchange_sale"]["payments"][0]["method"] == "exchange"
    assert body["exchange_sale"]["payments"][0]["amount"] == 349
    # The rest back in cash, 2.59 rounded to 2.60.
    assert body["tenders"] == [{"method": "cash", "amount": 608 - 349, "rounding": 1}]
    # The slip says both: what paid the new sale (by its receipt) and the rest in cash, in the
    # store's fr-CA.
    slip = supervisor.get(f"/api/v1/refunds/{body['id']}/slip").text.splitlines()
    new_receipt = body["exchange_sale"]["receipt_number"]
    assert next(ln for ln in slip if ln.startswith(f"Échange vers le reçu {new_receipt}")).endswith("3,49 $")
    assert next(ln for ln in slip if ln.startswith("Comptant")).endswith("2,59 $")
    assert next(ln for ln in slip if ln.startswith("  Comptant remis")).endswith("2,60 $")
    bad = supervisor.post(
        f"/api/v1/sales/{old['id']}/refunds",
        json={"lines": [{"line": 1}], "reason": "again", "refund_to": "exchange"},
    )
    assert bad.status_code == 422


def test_a_refund_to_a_gift_card_tender_puts_the_money_back_on_that_card(as_role: Any) -> None:
    cashier = as_role("cashier")
    sale = cashier.post("/api/v1/sales").json()
    sold = cashier.post(f"/api/v1/sales/{sale['id']}/gift-cards", json={"amount": 1000}).json()
    code = sold["gift_card"]["code"]
    cashier.post(f"/api/v1/sales/{sale['id']}/payments", json={"method": "cash", "amount": 1000})
    bought = cashier.post("/api/v1/sales").json()["id"]
    cashier.post(f"/api/v1/sales/{bought}/items", json={"sku": "BRD"})
    paid = cashier.post(
        f"/api/v1/sales/{bought}/payments", json={"method": "gift_card", "amount": 349, "gift_card": code}
    )
    assert paid.json()["status"] == "completed"
    left = cashier.post("/api/v1/gift-cards/balance", json={"code": code}).json()["balance"]
    assert left == 651
    done = as_role("supervisor").post(
        f"/api/v1/sales/{bought}/refunds", json={"lines": [{"line": 1}], "reason": "stale bread"}
    )
    assert done.status_code == 201 and done.json()["tenders"] == [{"method": "gift_card", "amount": 349}]
    assert cashier.post("/api/v1/gift-cards/balance", json={"code": code}).json()["balance"] == 1000
    # The slip names the card that got the money back by its last four only.
    slip = cashier.get(f"/api/v1/refunds/{done.json()['id']}/slip").text
    assert f"Carte-cadeau ****-****-****-{code[-4:]}" in slip  # the store's fr-CA
    assert code not in slip and code.replace("-", "") not in slip


def test_store_credit_at_a_cashier_s_till_takes_one_manager_approval(as_role: Any) -> None:
    cashier = as_role("cashier")
    sale = paid_sale(cashier, "BRD")
    body = {"lines": [{"line": 1}], "reason": "stale", "refund_to": "gift_card"}
    url = f"/api/v1/sales/{sale['id']}/refunds"
    # A supervisor may approve the refund, but not the store credit it would be.
    refused = cashier.post(
        "/api/v1/auth/approve", json={"username": "supervisor", "password": PASSWORD, "permission": "store_credit"}
    )
    assert refused.status_code == 403
    assert cashier.post(url, json=body, headers=approval(cashier, "supervisor", "refund")).status_code == 403
    done = cashier.post(url, json=body, headers=approval(cashier, "manager", "store_credit"))
    assert done.status_code == 201, done.text
    assert done.json()["gift_card"]["balance"] == 349
    entries = as_role("auditor").get("/api/v1/audit").json()["entries"]
    refund = [e for e in entries if e["action"] == "refund"][-1]
    assert refund["actor"] == "cashier" and '"approved_by":"manager"' in refund["details"]


def test_a_receiptless_return_as_store_credit_takes_one_manager_approval(as_role: Any) -> None:
    supervisor = as_role("supervisor")
    item = {"lines": [{"sku": "BRD"}], "reason": "a gift, no receipt", "refund_to": "gift_card"}
    # The supervisor may take it back without a receipt, but not give store credit for it.
    assert supervisor.post("/api/v1/returns", json=item).status_code == 403
    done = supervisor.post("/api/v1/returns", json=item, headers=approval(supervisor, "manager", "store_credit"))
    assert done.status_code == 201, done.text
    assert done.json()["refund_to"] == "gift_card"


def test_a_refund_quote_is_what_the_refund_then_gives_back_and_writes_nothing(as_role: Any) -> None:
    cashier = as_role("cashier")
    sale = paid_sale(cashier, "BRD", "MLK", "MLK")  # bread exempt; milk taxed
    lines = [{"line": 1}, {"line": 2, "quantity": 1}]
    quote = cashier.post(f"/api/v1/sales/{sale['id']}/refund-quote", json={"lines": lines})
    assert quote.status_code == 200, quote.text
    body = quote.json()
    assert body["amount"] == 349 + 529 + 26 + 53 and body["tax"] == 26 + 53
    assert body["lines"] == [{"line": 1, "quantity": 1, "amount": 349}, {"line": 2, "quantity": 1, "amount": 529}]
    assert cashier.post(f"/api/v1/sales/{sale['id']}/refund-quote", json={"lines": lines}).json() == body
    supervisor = as_role("supervisor")
    done = supervisor.post(f"/api/v1/sales/{sale['id']}/refunds", json={"lines": lines, "reason": "changed mind"})
    assert done.status_code == 201 and done.json()["amount"] == body["amount"]
    # The rest of the sale: the last refund takes what is left.
    rest = cashier.post(f"/api/v1/sales/{sale['id']}/refund-quote", json={"lines": [{"line": 2}]}).json()
    assert rest["amount"] == sale["totals"]["total"] - body["amount"]
    too_many = cashier.post(f"/api/v1/sales/{sale['id']}/refund-quote", json={"lines": [{"line": 1}]})
    assert too_many.status_code == 422 and too_many.json()["error"]["code"] == "refund_exceeds_sold"
    assert cashier.post("/api/v1/sales/999999/refund-quote", json={"lines": [{"line": 1}]}).status_code == 404
    assert cashier.post(f"/api/v1/sales/{sale['id']}/refund-quote", json={"lines": []}).status_code in (400, 422)
    bad = cashier.post(f"/api/v1/sales/{sale['id']}/refund-quote", json={"lines": [{"line": "one"}]})
    assert bad.status_code in (400, 422)
    open_sale = cashier.post("/api/v1/sales").json()
    assert (
        cashier.post(f"/api/v1/sales/{open_sale['id']}/refund-quote", json={"lines": [{"line": 1}]}).status_code == 409
    )
    cashier.post(f"/api/v1/sales/{open_sale['id']}/cancel")
