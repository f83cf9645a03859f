"""Discounts with per-role limits, price overrides, promotions, scale labels, parked sales."""

from __future__ import annotations

import datetime as dt
from typing import Any

from appliance.app.domain.barcode import price_check_digit, with_check_digit
from appliance.app.services import catalog, sales
from tests.conftest import Store, approval


def sale_with(api: Any, *skus: str) -> int:
    sale_id: int = api.post("/api/v1/sales").json()["id"]
    for sku in skus:
        assert api.post(f"/api/v1/sales/{sale_id}/items", json={"sku": sku}).status_code == 200
    return sale_id


def test_a_cashier_discounts_within_the_limit_and_needs_approval_above(as_role: Any) -> None:
    cashier = as_role("cashier")
    sale_id = sale_with(cashier, "BRD")
    small = cashier.post(f"/api/v1/sales/{sale_id}/items/1/discount", json={"kind": "percent", "value": 1000})
    assert small.status_code == 200
    line = small.json()["lines"][0]
    assert line["discount"] == 35 and line["net"] == 349 - 35
    assert small.json()["totals"]["total"] == 314 and small.json()["totals"]["discount"] == 35
    big = cashier.post(f"/api/v1/sales/{sale_id}/items/1/discount", json={"kind": "percent", "value": 3000})
    assert big.status_code == 403 and big.json()["error"]["code"] == "discount_needs_approval"
    signed = approval(cashier, "supervisor", "discount_over_limit")
    approved = cashier.post(
        f"/api/v1/sales/{sale_id}/items/1/discount",
        json={"kind": "percent", "value": 3000, "reason": "regular"},
        headers=signed,
    )
    assert approved.status_code == 200 and approved.json()["lines"][0]["discount"] == 105
    over_supervisor = approval(cashier, "supervisor", "discount_over_limit")
    refused = cashier.post(
        f"/api/v1/sales/{sale_id}/items/1/discount",
        json={"kind": "percent", "value": 8000},
        headers=over_supervisor,
    )
    assert refused.status_code == 403  # beyond the supervisor's own 50 %


def test_an_order_discount_is_spread_and_frozen_on_the_receipt(as_role: Any) -> None:
    supervisor = as_role("supervisor")
    sale_id = sale_with(supervisor, "BRD", "APL")
    answer = supervisor.post(f"/api/v1/sales/{sale_id}/discount", json={"kind": "amount", "value": 100})
    body = answer.json()
    assert body["totals"]["discount"] == 100
    assert sum(ln["discount"] for ln in body["lines"]) == 100
    done = supervisor.post(f"/api/v1/sales/{sale_id}/payments", json={"method": "cash", "amount": 1000}).json()
    assert done["totals"]["discount"] == 100 and done["totals"]["total"] == body["totals"]["total"]
    text = supervisor.get(f"/api/v1/sales/{sale_id}/receipt").text
    assert "Vous économisez" in text and "1,00 $" in text  # the store's fr-CA


def test_price_override_needs_permission_reason_and_is_audited(as_role: Any) -> None:
    cashier = as_role("cashier")
    sale_id = sale_with(cashier, "MLK")
    assert (
        cashier.post(f"/api/v1/sales/{sale_id}/items/1/price", json={"price": 400, "reason": "dented"}).status_code
        == 403
    )
    supervisor = as_role("supervisor")
    sale_id = sale_with(supervisor, "MLK")
    no_reason = supervisor.post(f"/api/v1/sales/{sale_id}/items/1/price", json={"price": 400, "reason": ""})
    assert no_reason.status_code == 422
    done = supervisor.post(f"/api/v1/sales/{sale_id}/items/1/price", json={"price": 400, "reason": "dented"})
    assert done.status_code == 200
    line = done.json()["lines"][0]
    assert (line["unit_price"], line["original_price"]) == (400, 529)
    entries = as_role("auditor").get("/api/v1/audit").json()["entries"]
    override = [e for e in entries if e["action"] == "price_override"][-1]
    assert override["actor"] == "supervisor" and '"reason":"dented"' in override["details"]


def test_promotions_apply_by_themselves_and_end_without_touching_past_sales(as_role: Any, store: Store) -> None:
    manager = as_role("manager")
    today = dt.date.today()
    made = manager.post(
        "/api/v1/promotions",
        json={
            "name": "Apples 3 for 3.00",
            "kind": "multi_price",
            "sku": "APL",
            "quantity": 3,
            "price": 300,
            "starts": (today - dt.timedelta(days=1)).isoformat(),
            "ends": (today + dt.timedelta(days=1)).isoformat(),
        },
    )
    assert made.status_code == 201
    cashier = as_role("cashier")
    sale_id = sale_with(cashier)
    sale = cashier.post(f"/api/v1/sales/{sale_id}/items", json={"sku": "APL", "quantity": 4}).json()
    line = sale["lines"][0]
    assert line["promotion"] == "Apples 3 for 3.00" and line["discount"] == 75  # 3 x 1.25 - 3.00
    cashier.post(f"/api/v1/sales/{sale_id}/payments", json={"method": "cash", "amount": 1000})
    assert manager.delete(f"/api/v1/promotions/{made.json()['id']}").status_code == 200
    after = cashier.get(f"/api/v1/sales/{sale_id}").json()
    assert after["lines"][0]["discount"] == 75  # frozen at completion
    assert "Apples 3 for 3.00" in cashier.get(f"/api/v1/sales/{sale_id}/receipt").text
    fresh = sale_with(cashier)
    again = cashier.post(f"/api/v1/sales/{fresh}/items", json={"sku": "APL", "quantity": 4}).json()
    assert again["lines"][0]["discount"] == 0
    bad = manager.post(
        "/api/v1/promotions",
        json={"name": "x", "kind": "multi_price", "sku": "NOPE", "starts": "2026-01-01", "ends": "2026-01-02"},
    )
    assert bad.status_code == 422


def test_scale_labels_price_a_weighed_item(as_role: Any, store: Store) -> None:
    manager = store.actor("manager")
    catalog.create_product(
        store.shop,
        manager,
        {
            "sku": "CHS",
            "name": "Comté",
            "price": 2999,
            "sold_by": "weight",
            "barcodes": ["2312345"],
            "tax_class": "exempt",
        },
    )
    catalog.create_product(
        store.shop,
        manager,
        {"sku": "DLI", "name": "Deli salad", "price": 0, "barcodes": ["2000042"], "tax_class": "exempt"},
    )
    cashier = as_role("cashier")
    sale_id = sale_with(cashier)
    weight = with_check_digit("2312345" + str(price_check_digit("0512")) + "0512")
    answer = cashier.post(f"/api/v1/sales/{sale_id}/items", json={"barcode": weight})
    assert answer.status_code == 200, answer.text
    line = answer.json()["lines"][0]
    assert line["amount"] == 1535  # 0.512 kg x 29.99/kg = 15.35488, rounded half up
    assert line["measure"] == "0.512 kg @ 29.99/kg"
    priced = with_check_digit("2000042" + str(price_check_digit("0399")) + "0399")
    line2 = cashier.post(f"/api/v1/sales/{sale_id}/items", json={"barcode": priced}).json()["lines"][1]
    assert line2["amount"] == 399
    wrong = with_check_digit("2000042" + str((price_check_digit("0399") + 1) % 10) + "0399")
    refused = cashier.post(f"/api/v1/sales/{sale_id}/items", json={"barcode": wrong})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "bad_price_check_digit"
    by_sku = cashier.post(f"/api/v1/sales/{sale_id}/items", json={"sku": "CHS"})
    assert by_sku.status_code == 422 and by_sku.json()["error"]["code"] == "weigh_item"


def test_park_serve_the_next_customer_then_resume(as_role: Any) -> None:
    cashier = as_role("cashier")
    first = sale_with(cashier, "BRD")
    parked = cashier.post(f"/api/v1/sales/{first}/park")
    assert parked.status_code == 200 and parked.json()["parked"] is True
    assert cashier.post(f"/api/v1/sales/{first}/items", json={"sku": "APL"}).status_code == 409
    listed = cashier.get("/api/v1/sales?status=parked").json()["sales"]
    assert [s["id"] for s in listed] == [first]
    second = sale_with(cashier, "APL")
    cashier.post(f"/api/v1/sales/{second}/payments", json={"method": "cash", "amount": 500})
    resumed = cashier.post(f"/api/v1/sales/{first}/resume")
    assert resumed.status_code == 200 and resumed.json()["parked"] is False
    assert cashier.get("/api/v1/sales?status=parked").json()["sales"] == []
    done = cashier.post(f"/api/v1/sales/{first}/payments", json={"method": "cash", "amount": 500}).json()
    assert done["status"] == "completed"
    assert cashier.post(f"/api/v1/sales/{first}/resume").status_code == 409


def test_find_a_sale_by_its_receipt_barcode_or_day(as_role: Any, store: Store) -> None:
    cashier = as_role("cashier")
    sale_id = sale_with(cashier, "BRD")
    done = cashier.post(f"/api/v1/sales/{sale_id}/payments", json={"method": "cash", "amount": 500}).json()
    found = cashier.get(f"/api/v1/sales?receipt={done['receipt_number']}").json()["sales"]
    assert [s["id"] for s in found] == [sale_id]
    assert cashier.get("/api/v1/sales?receipt=T01-999999").status_code == 404
    assert cashier.get("/api/v1/sales?receipt=garbage").status_code == 422
    assert cashier.get("/api/v1/sales").status_code == 422
    today = sales.business_day(store.shop).isoformat()
    listed = cashier.get(f"/api/v1/sales?day={today}").json()["sales"]
    assert [s["receipt_number"] for s in listed] == [done["receipt_number"]]
    assert cashier.get("/api/v1/sales?day=2001-01-01").json()["sales"] == []
    assert cashier.get("/api/v1/sales?day=someday").status_code == 422


def test_a_busy_day_comes_in_pages_and_by_till(as_role: Any, store: Store) -> None:
    cashier = as_role("cashier")
    receipts = []
    for _ in range(5):
        sale_id = sale_with(cashier, "BRD")
        done = cashier.post(f"/api/v1/sales/{sale_id}/payments", json={"method": "cash", "amount": 500}).json()
        receipts.append(done["receipt_number"])
    today = sales.business_day(store.shop).isoformat()
    seen: list[str] = []
    offset: int | None = 0
    while offset is not None:
        page = cashier.get(f"/api/v1/sales?day={today}&limit=2&offset={offset}").json()
        assert len(page["sales"]) <= 2
        seen += [s["receipt_number"] for s in page["sales"]]
        offset = page["next_offset"]
    assert seen == receipts  # every sale once, in the order they completed
    till = store.shop.config.terminal_id
    assert len(cashier.get(f"/api/v1/sales?day={today}&terminal={till}").json()["sales"]) == 5
    assert cashier.get(f"/api/v1/sales?day={today}&terminal=T99").json()["sales"] == []
    assert cashier.get(f"/api/v1/sales?day={today}&offset=x").status_code == 400
