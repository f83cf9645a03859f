"""The store rule "cash needs an open shift": on for every store unless switched off in Store
rules (audited). Without an open shift on the till, cash is neither taken nor given back
(409 no_open_shift, saying to open a shift). A card pays with no shift open:
tests/integration/card/test_card_payments.py, whose store keeps the rule as shipped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from appliance.app.services import shifts
from appliance.app.services.setup import NewStore, init_store
from appliance.app.store import settings as settings_store
from tests.conftest import Store

FLOAT = {"2000": 5}


def bread_sale(api: Any) -> int:
    sale: int = api.post("/api/v1/sales").json()["id"]
    assert api.post(f"/api/v1/sales/{sale}/items", json={"sku": "BRD"}).status_code == 200
    return sale


def pay_cash(api: Any, sale: int, amount: int = 500) -> Any:
    return api.post(f"/api/v1/sales/{sale}/payments", json={"method": "cash", "amount": amount})


def refused_for_no_shift(answer: Any) -> None:
    assert answer.status_code == 409, answer.text
    error = answer.json()["error"]
    assert error["code"] == "no_open_shift" and "open a shift" in error["message"]


def test_a_new_store_takes_cash_only_in_an_open_shift(tmp_path: Path) -> None:
    shop, _ = init_store(tmp_path / "data", NewStore(store_name="Corner Shop"))
    try:
        # Nothing stored: an older store, which never had the rule, reads it the same way.
        assert shifts.CASH_NEEDS_SHIFT not in settings_store.get_all(shop.db.conn)
        assert shifts.cash_needs_shift(settings_store.get_all(shop.db.conn)) is True
    finally:
        shop.close()


def test_cash_without_an_open_shift_is_refused_then_taken_in_one(cash_needs_shift: Store, as_role: Any) -> None:
    cashier = as_role("cashier")
    sale = bread_sale(cashier)
    refused_for_no_shift(pay_cash(cashier, sale))
    assert cashier.get(f"/api/v1/sales/{sale}").json()["totals"]["paid"] == 0  # nothing was taken

    assert cashier.post("/api/v1/shifts", json={"count": FLOAT}).status_code == 201
    paid = pay_cash(cashier, sale)
    assert paid.status_code == 201, paid.text
    assert paid.json()["status"] == "completed"


def test_cash_refunds_need_an_open_shift_too(cash_needs_shift: Store, as_role: Any) -> None:
    cashier = as_role("cashier")
    supervisor = as_role("supervisor")
    assert cashier.post("/api/v1/shifts", json={"count": FLOAT}).status_code == 201
    sale = bread_sale(cashier)
    assert pay_cash(cashier, sale).status_code == 201
    closed = cashier.post("/api/v1/shifts/current/close", json={"count": {"2000": 5, "200": 1, "100": 1, "25": 2}})
    assert closed.status_code == 200, closed.text

    line = cashier.get(f"/api/v1/sales/{sale}").json()["lines"][0]["line"]
    back = {"lines": [{"line": line}], "reason": "stale bread"}
    refused_for_no_shift(supervisor.post(f"/api/v1/sales/{sale}/refunds", json=back))
    receiptless = {"lines": [{"sku": "BRD"}], "reason": "no receipt, regular customer"}
    refused_for_no_shift(supervisor.post("/api/v1/returns", json=receiptless))

    assert supervisor.post("/api/v1/shifts", json={"count": FLOAT}).status_code == 201
    done = supervisor.post(f"/api/v1/sales/{sale}/refunds", json=back)
    assert done.status_code == 201, done.text
    assert [t["method"] for t in done.json()["tenders"]] == ["cash"]


def test_a_store_rule_lets_cash_go_without_a_shift_and_the_change_is_audited(
    cash_needs_shift: Store, as_role: Any
) -> None:
    boss, cashier = as_role("boss"), as_role("cashier")
    assert boss.get("/api/v1/settings/rules").json()["cash_requires_shift"] is True
    # A manager changes no store rule; the admin does.
    manager = as_role("manager")
    assert (
        manager.client.put(
            "/api/v1/settings/rules", json={"cash_requires_shift": False}, headers=manager._headers(None)
        ).status_code
        == 403
    )
    off = boss.client.put("/api/v1/settings/rules", json={"cash_requires_shift": False}, headers=boss._headers(None))
    assert off.status_code == 200 and off.json()["cash_requires_shift"] is False
    entries = boss.get("/api/v1/audit?after=0&limit=500").json()["entries"]
    changes = [e for e in entries if e["action"] == "settings_change"]
    assert changes and "cash_requires_shift" in str(changes[-1]["details"]) and changes[-1]["actor"] == "boss"

    sale = bread_sale(cashier)
    assert pay_cash(cashier, sale).status_code == 201

    bad = boss.client.put("/api/v1/settings/rules", json={"cash_requires_shift": "no"}, headers=boss._headers(None))
    assert 400 <= bad.status_code < 500 and boss.get("/api/v1/settings/rules").json()["cash_requires_shift"] is False
