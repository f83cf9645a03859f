"""A sale is never lost by the screen: the open sales of a till are found again after a new
login, logging out parks them, a re-sent scan adds once, and a shift does not close over a
sale that holds money."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import Store

BRD = 349  # Bread, exempt: its total is its price


def part_paid(api: Any, cash: int = 200) -> int:
    """An open sale of one loaf with `cash` paid on it."""
    sale_id: int = api.post("/api/v1/sales").json()["id"]
    assert api.post(f"/api/v1/sales/{sale_id}/items", json={"sku": "BRD"}).status_code == 200
    paid = api.post(f"/api/v1/sales/{sale_id}/payments", json={"method": "cash", "amount": cash})
    assert paid.status_code == 201 and paid.json()["status"] == "open", paid.text
    return sale_id


def test_an_open_sale_is_found_again_after_a_new_login(as_role: Any, store: Store) -> None:
    first = as_role("cashier")
    sale_id = part_paid(first)
    # The browser crashed: no logout; the same cashier (or the next) logs in afresh.
    again = as_role("cashier")
    found = again.get("/api/v1/sales?status=open")
    assert found.status_code == 200, found.text
    [row] = found.json()["sales"]
    assert row["id"] == sale_id and row["cashier"] == "cashier" and row["lines"] == 1
    assert (row["total"], row["paid"], row["due"], row["currency"]) == (BRD, 200, BRD - 200, "CAD")
    till = store.shop.config.terminal_id
    assert [
        s["id"] for s in as_role("supervisor").get(f"/api/v1/sales?status=open&terminal={till}").json()["sales"]
    ] == [sale_id]
    assert again.get("/api/v1/sales?status=open&terminal=T99").json()["sales"] == []
    assert again.get("/api/v1/sales?status=parked").json()["sales"] == []
    refused = again.get("/api/v1/sales?status=lost")
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "invalid_status"
    # The screen takes it up and finishes it; it is no longer open.
    done = again.post(f"/api/v1/sales/{sale_id}/payments", json={"method": "cash", "amount": 500}).json()
    assert done["status"] == "completed" and done["totals"]["paid"] == BRD
    assert again.get("/api/v1/sales?status=open").json()["sales"] == []


def test_logging_out_parks_the_open_sale_with_its_payment(as_role: Any) -> None:
    cashier = as_role("cashier")
    sale_id = part_paid(cashier)
    empty = cashier.post("/api/v1/sales").json()["id"]  # nothing on it: nothing to park
    someone_elses = as_role("supervisor").post("/api/v1/sales").json()["id"]
    as_role("supervisor").post(f"/api/v1/sales/{someone_elses}/items", json={"sku": "APL"})
    out = cashier.post("/api/v1/auth/logout")
    assert out.status_code == 200 and out.json() == {"status": "logged_out", "parked_sales": [sale_id]}
    assert cashier.get("/api/v1/sales?status=open").status_code == 401  # the session is over

    back = as_role("cashier")
    parked = back.get("/api/v1/sales?status=parked").json()["sales"]
    assert [(p["id"], p["parked_by"], p["paid"], p["due"]) for p in parked] == [(sale_id, "cashier", 200, BRD - 200)]
    still_open = [s["id"] for s in back.get("/api/v1/sales?status=open").json()["sales"]]
    assert still_open == [empty, someone_elses]  # only the sales the cashier opened were parked
    resumed = back.post(f"/api/v1/sales/{sale_id}/resume")
    assert resumed.status_code == 200 and resumed.json()["totals"]["paid"] == 200
    done = back.post(f"/api/v1/sales/{sale_id}/payments", json={"method": "cash", "amount": 149}).json()
    assert done["status"] == "completed" and done["change"] == 0
    entries = as_role("auditor").get("/api/v1/audit").json()["entries"]
    logout = next(e for e in entries if e["action"] == "logout")
    assert json.loads(logout["details"]) == {"parked_sales": [sale_id]}


def test_a_sale_holding_a_payment_parks_and_resumes_but_does_not_cancel(as_role: Any) -> None:
    cashier = as_role("cashier")
    sale_id = part_paid(cashier)
    cancelled = cashier.post(f"/api/v1/sales/{sale_id}/cancel")
    assert cancelled.status_code == 409 and cancelled.json()["error"]["code"] == "sale_has_payments"
    parked = cashier.post(f"/api/v1/sales/{sale_id}/park")
    assert parked.status_code == 200 and parked.json()["parked"] is True and parked.json()["totals"]["paid"] == 200
    taking = cashier.post(f"/api/v1/sales/{sale_id}/payments", json={"method": "cash", "amount": 149})
    assert taking.status_code == 409 and taking.json()["error"]["code"] == "sale_parked"
    assert cashier.post(f"/api/v1/sales/{sale_id}/resume").json()["totals"]["due"] == BRD - 200


def test_an_add_item_sent_twice_with_one_key_adds_one_line(as_role: Any) -> None:
    cashier = as_role("cashier")
    sale_id = cashier.post("/api/v1/sales").json()["id"]
    key = {"Idempotency-Key": "scan-0001-apple"}
    first = cashier.post(f"/api/v1/sales/{sale_id}/items", json={"sku": "APL"}, headers=key)
    again = cashier.post(f"/api/v1/sales/{sale_id}/items", json={"sku": "APL"}, headers=key)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    sale = cashier.get(f"/api/v1/sales/{sale_id}").json()
    assert [(ln["sku"], ln["quantity"]) for ln in sale["lines"]] == [("APL", 1)]
    # Another scan of the same item is another key: it adds.
    other = cashier.post(
        f"/api/v1/sales/{sale_id}/items", json={"sku": "APL"}, headers={"Idempotency-Key": "scan-0002"}
    )
    assert other.json()["lines"][0]["quantity"] == 2
    reused = cashier.post(f"/api/v1/sales/{sale_id}/items", json={"sku": "BRD"}, headers=key)
    assert reused.status_code == 409 and reused.json()["error"]["code"] == "idempotency_key_reused"
    short = cashier.post(f"/api/v1/sales/{sale_id}/items", json={"sku": "BRD"}, headers={"Idempotency-Key": "x"})
    assert short.status_code == 422 and short.json()["error"]["code"] == "invalid_idempotency_key"
    # A refused scan keeps nothing under its key: once the product exists, the retry adds it.
    third = {"Idempotency-Key": "scan-0003"}
    unknown = cashier.post(f"/api/v1/sales/{sale_id}/items", json={"sku": "TEA"}, headers=third)
    assert unknown.status_code == 422
    as_role("manager").post("/api/v1/products", json={"sku": "TEA", "name": "Tea", "price": 450})
    added = cashier.post(f"/api/v1/sales/{sale_id}/items", json={"sku": "TEA"}, headers=third)
    assert added.status_code == 200 and [ln["sku"] for ln in added.json()["lines"]] == ["APL", "TEA"]


def test_a_shift_does_not_close_over_an_open_sale_holding_cash(as_role: Any) -> None:
    cashier = as_role("cashier")
    assert cashier.post("/api/v1/shifts", json={"count": {"2000": 5}}).status_code == 201
    sale_id = part_paid(cashier, 200)
    x = cashier.get("/api/v1/shifts/current/x-report").json()
    assert x["open_sales"] == [{"id": sale_id, "parked": False, "paid": 200, "cash": 200}]  # the X report warns
    refused = cashier.post("/api/v1/shifts/current/close", json={"count": {"2000": 5, "200": 1}})
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "open_sales_hold_payments"
    assert f"sale {sale_id} (open) holds 2.00 CAD in cash" in error["message"]
    assert error["details"]["sales"] == x["open_sales"]
    # Parked, it still holds the money: still refused, and nothing of the count was kept.
    cashier.post(f"/api/v1/sales/{sale_id}/park")
    again = cashier.post("/api/v1/shifts/current/close", json={"count": {"2000": 5, "200": 1}})
    assert again.status_code == 409 and f"sale {sale_id} (parked)" in again.json()["error"]["message"]
    assert cashier.get("/api/v1/shifts/current").status_code == 200
    # Finished, the shift closes: the sale's 3.49 is in the drawer.
    cashier.post(f"/api/v1/sales/{sale_id}/resume")
    cashier.post(f"/api/v1/sales/{sale_id}/payments", json={"method": "cash", "amount": 149})
    closed = cashier.post("/api/v1/shifts/current/close", json={"count": {"2000": 5, "200": 1, "100": 1, "25": 2}})
    assert closed.status_code == 200, closed.text
    assert closed.json()["cash"]["expected"] == 10000 + BRD


def test_a_sale_whose_card_payment_waits_for_its_answer_is_not_parked(as_role: Any, store: Store) -> None:
    cashier = as_role("cashier")
    sale_id = part_paid(cashier)
    with store.shop.db.transaction() as conn:
        pass  # the writer connection: the pragma below is a no-op inside a transaction
    conn.execute("PRAGMA foreign_keys = OFF")  # a pending attempt as a crash mid-payment leaves it, token and all
    with store.shop.db.transaction() as tx:
        tx.execute(
            "INSERT INTO payment_attempts(sale_id, user_id, idempotency_key, token, amount, currency, status, "
            "created_at) SELECT ?, id, 'cmp-test-1', 'tok-test', 149, 'CAD', 'pending', '2026-01-01T00:00:00Z' "
            "FROM users WHERE username = 'cashier'",
            (sale_id,),
        )
    conn.execute("PRAGMA foreign_keys = ON")
    refused = cashier.post(f"/api/v1/sales/{sale_id}/park")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "payment_pending"
    # Logging out leaves it open, where the next login finds it, rather than park it: parked,
    # the card's approval could not land on it and would be given back.
    assert cashier.post("/api/v1/auth/logout").json()["parked_sales"] == []
    assert [s["id"] for s in as_role("cashier").get("/api/v1/sales?status=open").json()["sales"]] == [sale_id]
