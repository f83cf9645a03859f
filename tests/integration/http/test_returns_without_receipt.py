"""Returns without a receipt in the drawer and the books: the cash they hand back (in whole
coins, in this Canadian store) is counted out of the drawer's expected cash, and the X and Z
reports, the sales summary, the tender report, the returns list and the journal show them;
store credit moves no cash."""

from __future__ import annotations

from typing import Any

from tests.conftest import PASSWORD, Store

FLOAT = {"2000": 5}  # 100.00
WIDE = {"from": "2000-01-01", "to": "2100-01-01"}


def approval(api: Any, who: str, permission: str) -> dict[str, str]:
    body = {"username": who, "password": PASSWORD, "permission": permission}
    answer = api.post("/api/v1/auth/approve", json=body)
    assert answer.status_code == 200, answer.text
    return {"X-Approval": answer.json()["approval"]}


def give_back(api: Any, lines: list[dict[str, Any]], refund_to: str = "cash") -> dict[str, Any]:
    permission = "store_credit" if refund_to == "gift_card" else "return_without_receipt"
    done = api.post(
        "/api/v1/returns",
        json={"lines": lines, "reason": "no receipt, regular customer", "refund_to": refund_to},
        headers=approval(api, "manager", permission),
    )
    assert done.status_code == 201, done.text
    body: dict[str, Any] = done.json()
    return body


def cash_sale(api: Any, sku: str, tendered: int) -> None:
    sale = api.post("/api/v1/sales").json()["id"]
    assert api.post(f"/api/v1/sales/{sale}/items", json={"sku": sku}).status_code == 200
    assert api.post(f"/api/v1/sales/{sale}/payments", json={"method": "cash", "amount": tendered}).status_code == 201


def test_a_cash_return_of_3_47_hands_back_3_45_and_the_shift_closes_without_variance(as_role: Any) -> None:
    cashier = as_role("cashier")
    assert cashier.post("/api/v1/shifts", json={"count": FLOAT}).status_code == 201
    cash_sale(cashier, "MLK", 1000)  # 5.29 + tax = 6.08, 6.10 in cash: the drawer keeps 6.10
    back = give_back(cashier, [{"sku": "BRD", "unit_price": 347}])
    assert (back["amount"], back["tax"], back["rounding"]) == (347, 0, -2)  # 3.45 in coins
    x = as_role("manager").get("/api/v1/shifts/current/x-report").json()
    assert (x["cash"]["refunds"], x["cash"]["rounding"]) == (347, 2 + 2)
    assert x["cash"]["expected"] == 10000 + 610 - 345
    assert x["returns_without_receipt"] == {
        "count": 1,
        "amount": 347,
        "tax": 0,
        "cash": 347,
        "cash_rounding": -2,
        "store_credit": 0,
    }
    assert x["refunds"] == {"count": 0, "amount": 0}  # receipted refunds, as before
    # Counted: 100.00 and 2.65 (2 x 1.00, 2 x 0.25, 1 x 0.10, 1 x 0.05): what is truly there.
    count = {"2000": 5, "100": 2, "25": 2, "10": 1, "5": 1}
    closed = cashier.post("/api/v1/shifts/current/close", json={"count": count})
    assert closed.status_code == 200, closed.text
    z = closed.json()
    assert (z["counted"], z["cash"]["expected"], z["variance"]) == (10265, 10265, 0)
    assert z["returns_without_receipt"]["count"] == 1
    printed = as_role("manager").get(f"/api/v1/shifts/{z['shift']}/z-report").json()
    assert printed["returns_without_receipt"] == z["returns_without_receipt"]


def test_store_credit_without_a_receipt_moves_no_cash_but_shows_on_the_z_report(as_role: Any) -> None:
    cashier = as_role("cashier")
    assert cashier.post("/api/v1/shifts", json={"count": FLOAT}).status_code == 201
    credit = give_back(cashier, [{"sku": "MLK"}], refund_to="gift_card")
    assert credit["gift_card"]["balance"] == credit["amount"] == 608 and "rounding" not in credit
    closed = cashier.post("/api/v1/shifts/current/close", json={"count": FLOAT})
    assert closed.status_code == 200, closed.text
    z = closed.json()
    assert (z["cash"]["refunds"], z["cash"]["expected"], z["variance"]) == (0, 10000, 0)
    assert z["returns_without_receipt"] == {
        "count": 1,
        "amount": 608,
        "tax": 79,
        "cash": 0,
        "cash_rounding": 0,
        "store_credit": 608,
    }


def test_the_period_reports_count_returns_without_receipt_with_their_tax(as_role: Any, store: Store) -> None:
    cashier = as_role("cashier")
    assert cashier.post("/api/v1/shifts", json={"count": FLOAT}).status_code == 201
    cash_sale(cashier, "MLK", 1000)
    give_back(cashier, [{"sku": "BRD", "unit_price": 347}])  # cash: 3.47, 3.45 in coins
    give_back(cashier, [{"sku": "MLK"}], refund_to="gift_card")  # store credit: 6.08, tax 0.79
    manager = as_role("manager")

    summary = manager.get("/api/v1/reports/sales", params=WIDE).json()
    assert summary["returns_without_receipt"] == {
        "count": 2,
        "amount": 347 + 608,
        "tax": 79,
        "cash": 347,
        "cash_rounding": -2,
        "store_credit": 608,
    }

    tenders = manager.get("/api/v1/reports/by-tender").json()["rows"]
    cash = next(r for r in tenders if r["method"] == "cash")
    assert (cash["taken"], cash["refunded"], cash["net"]) == (608, 347, 608 - 347)

    listed = manager.get("/api/v1/reports/returns").json()
    mine = [r for r in listed["rows"] if r["return"] is not None]
    assert [(r["amount"], r["tax"], r["items"], r["receipt_number"]) for r in mine] == [
        (347, 0, 1, None),
        (608, 79, 1, None),
    ]
    assert listed["totals"]["amount"] == 347 + 608 and "return" in listed["columns"]
    csv = manager.get("/api/v1/reports/returns", params={"format": "csv"})
    assert csv.status_code == 200 and "608" in csv.text

    journal = manager.get("/api/v1/reports/journal").json()
    assert journal["totals"]["debit"] == journal["totals"]["credit"]
    rows = journal["rows"]

    def net(account: str) -> int:
        return sum(r["debit"] - r["credit"] for r in rows if r["account"] == account)

    assert net("Cash") == 610 - 345  # what the drawer really took and gave
    assert net("Sales returns") == 347 + 608 - 79
    assert net("Tax refunded") == 79
    assert net("Gift card liability") == -608
    assert net("Cash rounding") == -2 - 2  # the sale's cash kept 0.02, the return's 0.02
