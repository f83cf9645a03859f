"""A change to an open sale starts from the copy this process kept of it (services/open_sales.py)
only while the store's revision is the one it wrote: whatever else changed the sale (another
till on the same sale, a change that keeps no copy, a park and a resume, another process
writing the store, a promotion started) shows in the next answer, which is always what a
fresh read of the sale shows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from appliance.app.store.db import Database
from tests.conftest import Store, approval

APPLE, BREAD, MILK = "4006381333931", "96385074", "036000291452"


def scan(api: Any, sale_id: int, code: str, **more: Any) -> Any:
    answer = api.post(f"/api/v1/sales/{sale_id}/items", json={"barcode": code, **more})
    assert answer.status_code == 200, answer.text
    return answer.json()


def fresh(api: Any, sale_id: int) -> Any:
    return api.get(f"/api/v1/sales/{sale_id}").json()


def test_each_answer_is_what_a_fresh_read_shows(as_role: Any) -> None:
    cashier = as_role("cashier")
    sale_id = cashier.post("/api/v1/sales").json()["id"]
    scan(cashier, sale_id, APPLE)
    scan(cashier, sale_id, APPLE)  # the same line, two now
    answer = scan(cashier, sale_id, BREAD, quantity=3)
    assert answer == fresh(cashier, sale_id)
    assert [(ln["sku"], ln["quantity"]) for ln in answer["lines"]] == [("APL", 2), ("BRD", 3)]
    changed = cashier.patch(f"/api/v1/sales/{sale_id}/items/2", json={"quantity": 1}).json()
    assert changed == fresh(cashier, sale_id) and changed["lines"][1]["quantity"] == 1
    paid = cashier.post(f"/api/v1/sales/{sale_id}/payments", json={"method": "cash", "amount": 1000}).json()
    assert paid["status"] == "completed" and paid == fresh(cashier, sale_id)


def test_two_clients_on_one_sale_see_each_others_lines(as_role: Any) -> None:
    till, tablet = as_role("cashier"), as_role("supervisor")
    sale_id = till.post("/api/v1/sales").json()["id"]
    scan(till, sale_id, APPLE)
    scan(tablet, sale_id, BREAD)
    answer = scan(till, sale_id, MILK)
    assert [ln["sku"] for ln in answer["lines"]] == ["APL", "BRD", "MLK"]
    assert answer == fresh(till, sale_id)


def test_a_change_that_keeps_no_copy_is_seen_by_the_next_scan(as_role: Any) -> None:
    cashier = as_role("cashier")
    sale_id = cashier.post("/api/v1/sales").json()["id"]
    scan(cashier, sale_id, APPLE)
    scan(cashier, sale_id, BREAD)
    voided = cashier.delete(f"/api/v1/sales/{sale_id}/items/1", headers=approval(cashier, "supervisor", "void_line"))
    assert voided.status_code == 200, voided.text
    discounted = cashier.post(f"/api/v1/sales/{sale_id}/items/2/discount", json={"kind": "percent", "value": 1000})
    assert discounted.status_code == 200, discounted.text
    answer = scan(cashier, sale_id, MILK)
    assert [ln["voided"] for ln in answer["lines"]] == [True, False, False]
    assert answer["lines"][1]["line_discount"] == {"kind": "percent", "value": 1000, "reason": ""}
    assert answer == fresh(cashier, sale_id)


def test_a_parked_sale_is_refused_and_taken_up_again_whole(as_role: Any) -> None:
    cashier = as_role("cashier")
    sale_id = cashier.post("/api/v1/sales").json()["id"]
    scan(cashier, sale_id, APPLE)
    assert cashier.post(f"/api/v1/sales/{sale_id}/park").status_code == 200
    refused = cashier.post(f"/api/v1/sales/{sale_id}/items", json={"barcode": BREAD})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "sale_parked"
    assert cashier.post(f"/api/v1/sales/{sale_id}/resume").status_code == 200
    answer = scan(cashier, sale_id, BREAD)
    assert answer["parked"] is False and [ln["sku"] for ln in answer["lines"]] == ["APL", "BRD"]
    assert answer == fresh(cashier, sale_id)


def test_a_refused_change_leaves_nothing_behind(as_role: Any) -> None:
    cashier = as_role("cashier")
    sale_id = cashier.post("/api/v1/sales").json()["id"]
    scan(cashier, sale_id, APPLE)
    too_many = cashier.post(f"/api/v1/sales/{sale_id}/items", json={"barcode": APPLE, "quantity": 9999})
    assert too_many.status_code == 422  # 1 + 9999 is over the quantity a line may hold
    answer = scan(cashier, sale_id, APPLE)
    assert answer["lines"][0]["quantity"] == 2 and answer == fresh(cashier, sale_id)


def test_another_process_writing_the_sale_is_seen(as_role: Any, store: Store) -> None:
    cashier = as_role("cashier")
    sale_id = cashier.post("/api/v1/sales").json()["id"]
    scan(cashier, sale_id, APPLE)
    scan(cashier, sale_id, BREAD)
    # Another process (its own connection, its own writer queue): the quantity of line 1.
    other = Database(store.shop.db.path, store.shop.db.provider)
    try:
        with other.transaction() as tx:
            tx.execute("UPDATE sale_lines SET quantity = 5 WHERE sale_id = ? AND line_no = 1", (sale_id,))
    finally:
        other.close()
    answer = scan(cashier, sale_id, MILK)
    assert [ln["quantity"] for ln in answer["lines"]] == [5, 1, 1]
    assert answer == fresh(cashier, sale_id)


def test_a_promotion_started_meanwhile_prices_the_next_scan(as_role: Any) -> None:
    cashier, manager = as_role("cashier"), as_role("manager")
    sale_id = cashier.post("/api/v1/sales").json()["id"]
    scan(cashier, sale_id, APPLE, quantity=3)
    today = dt.date.today()
    offer = {
        "name": "Apples 3 for 3.00",
        "kind": "multi_price",
        "sku": "APL",
        "quantity": 3,
        "price": 300,
        "starts": (today - dt.timedelta(days=1)).isoformat(),
        "ends": (today + dt.timedelta(days=1)).isoformat(),
    }
    assert manager.post("/api/v1/promotions", json=offer).status_code == 201
    answer = scan(cashier, sale_id, BREAD)
    assert answer["lines"][0]["promotion"] == "Apples 3 for 3.00" and answer["lines"][0]["discount"] == 75
    assert answer == fresh(cashier, sale_id)
