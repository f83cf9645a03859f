"""A cash payment reads the store rule "cash needs an open shift" from the settings the process
holds, not from the store (no settings query on the payment), and a change made in Store rules
is seen by the very next payment."""

from __future__ import annotations

from typing import Any

import pytest

from appliance.app.store import settings as settings_store
from tests.conftest import Store


def _pay(cashier: Any) -> Any:
    sale = cashier.post("/api/v1/sales").json()["id"]
    assert cashier.post(f"/api/v1/sales/{sale}/items", json={"sku": "BRD"}).status_code == 200
    return cashier.post(f"/api/v1/sales/{sale}/payments", json={"method": "cash", "amount": 500})


def _rule(boss: Any, on: bool) -> None:
    changed = boss.client.put("/api/v1/settings/rules", json={"cash_requires_shift": on}, headers=boss._headers(None))
    assert changed.status_code == 200, changed.text


def test_a_rule_changed_in_store_rules_is_seen_by_the_next_payment(as_role: Any) -> None:
    boss, cashier = as_role("boss"), as_role("cashier")
    assert _pay(cashier).status_code == 201  # the test store: cash without a shift
    _rule(boss, True)
    refused = _pay(cashier)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "no_open_shift"
    _rule(boss, False)
    assert _pay(cashier).status_code == 201


def test_a_cash_payment_reads_no_settings_from_the_store(
    as_role: Any, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    cashier = as_role("cashier")
    assert _pay(cashier).status_code == 201  # the settings are held from here on
    reads: list[object] = []
    real = settings_store.get_all

    def counted(conn: Any) -> Any:
        reads.append(conn)
        return real(conn)

    monkeypatch.setattr(settings_store, "get_all", counted)
    assert _pay(cashier).status_code == 201
    assert reads == []
