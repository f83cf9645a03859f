"""A drawer's day: counted float, sales, paid in/out, X report, blind count, Z report."""

from __future__ import annotations

from typing import Any

from tests.conftest import Store, approval, set_cash_needs_shift

FLOAT = {"2000": 5, "1000": 5, "500": 4, "200": 10, "100": 10, "25": 20}  # 100 + 50 + 20 + 20 + 10 + 5 = 205.00


def test_a_shift_from_float_to_z_report(as_role: Any) -> None:
    cashier = as_role("cashier")
    opened = cashier.post("/api/v1/shifts", json={"count": FLOAT})
    assert opened.status_code == 201 and opened.json()["opening_float"] == 20500
    sale = cashier.post("/api/v1/sales").json()["id"]
    cashier.post(f"/api/v1/sales/{sale}/items", json={"sku": "BRD"})
    cashier.post(f"/api/v1/sales/{sale}/payments", json={"method": "cash", "amount": 2000})  # 3.50 stays
    assert (
        cashier.post("/api/v1/shifts/current/paid-out", json={"amount": 1500, "reason": "window cleaner"}).status_code
        == 201
    )
    assert (
        cashier.post("/api/v1/shifts/current/paid-in", json={"amount": 500, "reason": "coins from safe"}).status_code
        == 201
    )
    x = cashier.get("/api/v1/shifts/current/x-report").json()
    assert x["kind"] == "X" and x["sales"]["count"] == 1 and x["sales"]["total"] == 349
    assert "expected" not in x["cash"]  # the counter counts blind
    manager_x = as_role("manager").get("/api/v1/shifts/current/x-report").json()["cash"]
    assert manager_x["sales"] == 349 and manager_x["rounding"] == 1  # the sale's 3.49 was 3.50 in cash
    assert manager_x["expected"] == 20500 + 349 + 1 - 1500 + 500
    expected = 20500 + 349 + 1 - 1500 + 500  # 198.50
    count = {"2000": 5, "1000": 5, "500": 4, "200": 10, "100": 8, "25": 2}  # 198.50
    closed = cashier.post("/api/v1/shifts/current/close", json={"count": count})
    assert closed.status_code == 200, closed.text
    z = closed.json()
    assert z["kind"] == "Z" and z["cash"]["expected"] == expected and z["counted"] == 19850
    assert z["variance"] == 0  # no cent variance: there is no cent
    assert as_role("manager").get(f"/api/v1/shifts/{z['shift']}/z-report").json() == z
    assert cashier.get("/api/v1/shifts/current").status_code == 404


def test_a_variance_over_the_limit_needs_a_manager(as_role: Any) -> None:
    cashier = as_role("cashier")
    cashier.post("/api/v1/shifts", json={"count": {"2000": 5}})
    short = cashier.post("/api/v1/shifts/current/close", json={"count": {"2000": 4}})
    assert short.status_code == 403 and short.json()["error"]["code"] == "variance_needs_manager"
    assert "-2000" in short.json()["error"]["message"]  # shown now that the count is in
    signed = approval(cashier, "manager", "approve_variance")
    closed = cashier.post("/api/v1/shifts/current/close", json={"count": {"2000": 4}}, headers=signed)
    assert closed.status_code == 200 and closed.json()["approved_by"] == "manager"
    assert closed.json()["variance"] == -2000


def test_one_drawer_one_operator(as_role: Any, store: Store) -> None:
    cashier = as_role("cashier")
    cashier.post("/api/v1/shifts", json={"count": {"2000": 5}})
    supervisor = as_role("supervisor")
    again = supervisor.post("/api/v1/shifts", json={"count": {"2000": 5}})
    assert again.status_code == 409 and again.json()["error"]["code"] == "drawer_in_use"
    sale = supervisor.post("/api/v1/sales").json()["id"]
    supervisor.post(f"/api/v1/sales/{sale}/items", json={"sku": "BRD"})
    taken = supervisor.post(f"/api/v1/sales/{sale}/payments", json={"method": "cash", "amount": 500})
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "drawer_in_use"
    assert supervisor.post("/api/v1/shifts/current/paid-out", json={"amount": 1, "reason": "sneaky"}).status_code == 409


def test_a_store_can_require_a_shift_for_cash(as_role: Any, store: Store) -> None:
    set_cash_needs_shift(store.shop, True)
    cashier = as_role("cashier")
    sale = cashier.post("/api/v1/sales").json()["id"]
    cashier.post(f"/api/v1/sales/{sale}/items", json={"sku": "BRD"})
    refused = cashier.post(f"/api/v1/sales/{sale}/payments", json={"method": "cash", "amount": 500})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "no_open_shift"


def test_bad_counts_and_movements(as_role: Any) -> None:
    cashier = as_role("cashier")
    assert cashier.post("/api/v1/shifts", json={"count": {"300": 1}}).status_code == 422  # no 3.00 note
    assert cashier.post("/api/v1/shifts", json={"count": {"2000": -1}}).status_code == 422
    assert cashier.post("/api/v1/shifts", json={"count": {"2000": "5"}}).status_code == 400
    assert cashier.post("/api/v1/shifts", json={"count": {}}).status_code == 422
    assert cashier.post("/api/v1/shifts/current/paid-in", json={"amount": 100, "reason": "x y"}).status_code == 404
    cashier.post("/api/v1/shifts", json={"count": {"2000": 1}})
    assert cashier.post("/api/v1/shifts/current/paid-in", json={"amount": 0, "reason": "zero"}).status_code == 422
    assert cashier.post("/api/v1/shifts/current/paid-in", json={"amount": 100, "reason": ""}).status_code == 422


def test_a_refused_close_carries_its_figures_and_the_z_report_prints(store: Store, as_role: Any) -> None:
    import dataclasses

    from appliance.app.services.print_queue import pending_jobs
    from tests.fakes.escpos_printer import VirtualPrinter

    cashier = as_role("cashier")
    settings = cashier.get("/api/v1/settings").json()
    assert settings["denominations"][0] == 10000 and settings["currency_exponent"] == 2
    assert settings["discount_limits"]["cashier"] == 10
    cashier.post("/api/v1/shifts", json={"count": {"2000": 5}})
    refused = cashier.post("/api/v1/shifts/current/close", json={"count": {"2000": 4}})
    assert refused.json()["error"]["details"] == {"counted": 8000, "expected": 10000, "variance": -2000, "limit": 500}
    assert as_role("supervisor").get("/api/v1/shifts/current").json()["error"]["details"] == {"operator": "cashier"}
    manager = as_role("manager")
    # The manager closes it (their role may approve the variance themselves) once the cashier is gone.
    with store.shop.db.transaction() as tx:
        tx.execute("UPDATE shifts SET user_id = (SELECT id FROM users WHERE username = 'manager')")
    z = manager.post("/api/v1/shifts/current/close", json={"count": {"2000": 4}}).json()
    assert manager.post(f"/api/v1/shifts/{z['shift']}/z-report/print").status_code == 409  # no printer here
    store.shop.config = dataclasses.replace(store.shop.config, printer="tcp://127.0.0.1:9")
    assert manager.post(f"/api/v1/shifts/{z['shift']}/z-report/print").status_code == 201
    (job,) = [j for j in pending_jobs(store.shop.db.conn) if j.kind == "report"]
    printer = VirtualPrinter()
    printer.feed(job.payload)
    (paper,) = printer.cut_papers()
    assert paper.line_with("Z report").bold
    assert paper.line_with("Variance").text.endswith("-20.00")
    assert paper.line_with("Counted").text.endswith("80.00")


def test_import_errors_carry_each_row(as_role: Any) -> None:
    bad = "sku,name,price\nOK1,Fine,1.00\nBAD,Broken,1.999\n"
    answer = as_role("manager").post(
        "/api/v1/products/import", content=bad.encode(), headers={"content-type": "text/csv"}
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["details"]["rows"][0]["line"] == 3


def test_a_refunded_gift_card_comes_off_the_refunds_as_it_came_off_the_sales(as_role: Any) -> None:
    """Sales on the X/Z are net of the gift cards sold (owed, not earned): the refunds are
    net of the cards they took back, as in the sales summary, and refunds plus cards
    returned is the money the refund gave back."""
    cashier = as_role("cashier")
    assert cashier.post("/api/v1/shifts", json={"count": {"2000": 5}}).status_code == 201
    sale = cashier.post("/api/v1/sales").json()["id"]
    assert cashier.post(f"/api/v1/sales/{sale}/gift-cards", json={"amount": 2000}).status_code == 200
    cashier.post(f"/api/v1/sales/{sale}/items", json={"sku": "BRD"})
    paid = cashier.post(f"/api/v1/sales/{sale}/payments", json={"method": "cash", "amount": 2500}).json()
    lines = [{"line": ln["line"]} for ln in paid["lines"]]
    body = {"lines": lines, "reason": "changed mind"}
    refund = as_role("supervisor").post(f"/api/v1/sales/{sale}/refunds", json=body)
    assert refund.status_code == 201 and refund.json()["gift_cards_taken_back"] == 2000
    x = as_role("manager").get("/api/v1/shifts/current/x-report").json()
    assert x["sales"]["total"] == 349 and x["gift_cards"] == {"count": 1, "amount": 2000}
    assert x["refunds"] == {"count": 1, "amount": 349}
    assert x["gift_cards_returned"] == {"count": 1, "amount": 2000}
    given_back = x["refunds"]["amount"] + x["gift_cards_returned"]["amount"]
    assert given_back == refund.json()["amount"] == x["cash"]["refunds"]
    summary = as_role("manager").get("/api/v1/reports/sales").json()
    assert (summary["refunds"]["amount"], summary["gift_cards"]["returned"]) == (349, 2000)  # the back office agrees
    closed = cashier.post("/api/v1/shifts/current/close", json={"count": {"2000": 5}})
    assert closed.status_code == 200 and closed.json()["variance"] == 0
