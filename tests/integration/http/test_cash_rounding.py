"""Cash rounding over HTTP, in a Canadian store (no cent coin since 2013): the store rule, the
payment's answer, the receipt, the drawer at the shift's close, the refunds and the journal."""

from __future__ import annotations

from typing import Any

import pytest

from appliance.app.services import audit_log
from tests.conftest import Store

RULES = "/api/v1/settings/rules"


@pytest.fixture
def cashier(as_role: Any) -> Any:
    manager = as_role("manager")
    made = manager.post(
        "/api/v1/products",
        json={"sku": "CRO", "name": "Six croissants", "price": 651, "tax_class": "exempt"},
    )
    assert made.status_code == 201, made.text
    return as_role("cashier")


def sale_of(api: Any, sku: str = "CRO") -> int:
    sale = api.post("/api/v1/sales").json()["id"]
    assert api.post(f"/api/v1/sales/{sale}/items", json={"sku": sku}).status_code == 200
    return int(sale)


def pay(api: Any, sale: int, method: str, amount: int) -> Any:
    answer = api.post(f"/api/v1/sales/{sale}/payments", json={"method": method, "amount": amount})
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_a_canadian_store_rounds_cash_to_five_cents_and_reads_fr_ca(as_role: Any) -> None:
    rules = as_role("cashier").get(RULES).json()
    assert (rules["cash_rounding"], rules["locale"]) == ("0.05", "fr-CA")
    settings = as_role("cashier").get("/api/v1/settings").json()
    assert (settings["cash_rounding"], settings["cash_increment"], settings["locale"]) == ("0.05", 5, "fr-CA")


def test_ten_dollars_on_6_51_gives_3_50_back_and_the_rounding_is_kept(cashier: Any) -> None:
    sale = sale_of(cashier)
    open_view = cashier.get(f"/api/v1/sales/{sale}").json()
    assert (open_view["totals"]["due"], open_view["totals"]["cash_due"]) == (651, 650)
    done = pay(cashier, sale, "cash", 1000)
    assert done["status"] == "completed"
    assert (done["change"], done["rounding"]) == (350, -1)
    paid = {k: v for k, v in done["payments"][0].items() if k != "id"}
    assert paid == {"method": "cash", "amount": 651, "tendered": 1000, "change": 350, "rounding": -1}
    assert done["totals"]["total"] == 651 and done["totals"]["due"] == 0
    text = cashier.get(f"/api/v1/sales/{sale}/receipt?format=text").text
    rows = text.splitlines()
    # The receipt in the store's fr-CA.
    assert any(r.startswith("Arrondi") and r.endswith("-0,01 $") for r in rows)
    assert any(r.startswith("Total payé") and r.endswith("6,50 $") for r in rows)
    assert any(r.startswith("Monnaie") and r.endswith("3,50 $") for r in rows)
    assert cashier.get(f"/api/v1/sales/{sale}").json()["rounding"] == -1  # kept, not recomputed


def test_a_partial_cash_tender_is_not_rounded_the_one_that_settles_is(cashier: Any) -> None:
    partial = sale_of(cashier)
    first = pay(cashier, partial, "cash", 500)
    assert (first["status"], first["rounding"], first["totals"]["due"], first["totals"]["cash_due"]) == (
        "open",
        0,
        151,
        150,
    )
    last = pay(cashier, partial, "cash", 200)
    assert (last["status"], last["change"], last["rounding"]) == ("completed", 50, -1)
    assert [p["rounding"] for p in last["payments"]] == [0, -1]


def test_with_the_rule_off_cash_is_paid_to_the_cent(as_role: Any, cashier: Any, store: Store) -> None:
    boss = as_role("boss")
    changed = boss.client.put(RULES, json={"cash_rounding": "none"}, headers=boss._headers(None))
    assert changed.status_code == 200 and changed.json()["cash_rounding"] == "none"
    last = audit_log.entries(store.shop)[-1]
    assert last["action"] == "settings_change" and "cash_rounding" in str(last["details"])
    done = pay(cashier, sale_of(cashier), "cash", 1000)
    assert (done["change"], done["rounding"]) == (349, 0)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"cash_rounding": "0.02"}, 400, "invalid_request"),
        ({"cash_rounding": 5}, 400, "invalid_request"),
        ({"locale": "français"}, 422, "invalid_locale"),
        ({"locale": "fr_CA"}, 422, "invalid_locale"),
        ({"locale": 3}, 400, "invalid_request"),
    ],
)
def test_bad_money_rules_are_refused_and_nothing_is_stored(as_role: Any, body: Any, status: int, code: str) -> None:
    boss = as_role("boss")
    before = boss.get(RULES).json()
    answer = boss.client.put(RULES, json=body, headers=boss._headers(None))
    assert (answer.status_code, answer.json()["error"]["code"]) == (status, code), answer.text
    assert boss.get(RULES).json() == before


def test_a_manager_without_the_permission_changes_no_rule(as_role: Any) -> None:
    manager = as_role("manager")
    answer = manager.client.put(RULES, json={"cash_rounding": "none"}, headers=manager._headers(None))
    assert answer.status_code == 403


FLOAT = {"2000": 5}  # 100.00


def test_a_shift_of_rounded_sales_and_a_cash_refund_closes_with_no_variance(as_role: Any, cashier: Any) -> None:
    assert cashier.post("/api/v1/shifts", json={"count": FLOAT}).status_code == 201
    for _ in range(3):  # 3 x 6.51 taken as 3 x 6.50
        assert pay(cashier, sale_of(cashier), "cash", 1000)["rounding"] == -1
    sale = sale_of(cashier)
    pay(cashier, sale, "cash", 500)
    pay(cashier, sale, "cash", 200)  # 5.00 then 1.51 as 1.50: 6.50 in the drawer
    refunded = as_role("supervisor").post(
        f"/api/v1/sales/{sale}/refunds", json={"lines": [{"line": 1}], "reason": "burnt"}
    )
    assert refunded.status_code == 201, refunded.text
    # 6.51 back, all to the last cash tender first: 1.51 (1.50 in coins) and 5.00.
    assert refunded.json()["tenders"] == [
        {"method": "cash", "amount": 151, "rounding": -1},
        {"method": "cash", "amount": 500, "rounding": 0},
    ]
    x = as_role("manager").get("/api/v1/shifts/current/x-report").json()["cash"]
    assert (x["sales"], x["refunds"], x["rounding"]) == (4 * 651, 651, -4 + 1)
    assert x["expected"] == 10000 + 3 * 650  # the drawer: the float and three times 6.50
    # Counted right: 100.00 and three times 6.50 (3 x 5.00, 3 x 1.00, 6 x 0.25).
    count = {"2000": 5, "500": 3, "100": 3, "25": 6}
    closed = cashier.post("/api/v1/shifts/current/close", json={"count": count})
    assert closed.status_code == 200, closed.text
    z = closed.json()
    assert (z["counted"], z["cash"]["expected"], z["variance"]) == (11950, 11950, 0)


def test_the_journal_books_rounding_on_its_own_account_and_balances(as_role: Any, cashier: Any) -> None:
    for tendered in (1000, 700, 650):  # each 6.51 taken as 6.50: rounding -1
        pay(cashier, sale_of(cashier), "cash", tendered)
    up = sale_of(cashier, "BRD")  # 3.49 is 3.50 in cash: +1
    assert pay(cashier, up, "cash", 500)["rounding"] == 1
    journal = as_role("manager").get("/api/v1/reports/journal").json()
    assert journal["totals"]["debit"] == journal["totals"]["credit"] > 0
    rows = journal["rows"]
    rounding = [r for r in rows if r["account"] == "Cash rounding"]
    assert rounding == [{**rounding[0], "debit": 2, "credit": 0, "memo": "cash rounding"}]  # -1 -1 -1 +1
    cash = sum(r["debit"] - r["credit"] for r in rows if r["account"] == "Cash")
    assert cash == 3 * 650 + 350  # what the drawer really took
    report = as_role("manager").get("/api/v1/reports/sales", params={"from": "2000-01-01", "to": "2100-01-01"})
    assert report.status_code == 200, report.text
    assert report.json()["cash_rounding"] == -2
