"""The time clock and the period reports through the HTTP API (JSON and CSV)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from appliance.app.services import reports
from tests.conftest import new_sale
from tests.integration.backoffice.conftest import code_of, pay_cash


def test_clock_in_break_and_out_then_the_timesheet(cashier: Any, manager: Any) -> None:
    assert cashier.get("/api/v1/time-clock").json()["state"] == "off"
    assert code_of(cashier.post("/api/v1/time-clock", json={"action": "clock_out"})) == (409, "time_clock_off")
    for action, state in [("clock_in", "working"), ("break_start", "on_break"), ("break_end", "working")]:
        answer = cashier.post("/api/v1/time-clock", json={"action": action})
        assert answer.status_code == 200 and answer.json()["state"] == state, answer.text
    assert code_of(cashier.post("/api/v1/time-clock", json={"action": "clock_in"})) == (409, "time_clock_working")
    cashier.post("/api/v1/time-clock", json={"action": "break_start"})
    assert cashier.post("/api/v1/time-clock", json={"action": "clock_out"}).json()["state"] == "off"
    assert code_of(cashier.post("/api/v1/time-clock", json={"action": "nap"}))[0] == 400
    sheet = manager.get("/api/v1/reports/timesheet").json()
    assert [(r["employee"], r["still_open"]) for r in sheet["rows"]] == [("cashier", False)]
    assert code_of(cashier.get("/api/v1/reports/timesheet")) == (403, "forbidden")


def test_the_auditor_reads_reports_but_has_no_time_clock(as_role: Any) -> None:
    auditor = as_role("auditor")
    assert auditor.get("/api/v1/reports/by-day").status_code == 200
    assert code_of(auditor.post("/api/v1/time-clock", json={"action": "clock_in"})) == (403, "forbidden")


def sell_some(cashier: Any) -> list[dict[str, Any]]:
    done = []
    for codes in (("4006381333931", "96385074"), ("036000291452",), ("96385074", "96385074")):
        done.append(pay_cash(cashier, new_sale(cashier, *codes)))
    return done


@pytest.mark.parametrize("name", list(reports.REPORTS))
def test_every_report_answers_as_json_and_as_csv(cashier: Any, manager: Any, name: str) -> None:
    sell_some(cashier)
    report = manager.get(f"/api/v1/reports/{name}")
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["report"].replace("_", "-") == name
    assert all(set(row) <= set(body["columns"]) for row in body["rows"])
    as_csv = manager.get(f"/api/v1/reports/{name}?format=csv")
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in as_csv.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    # People read the CSV's first row: the columns' names, not the JSON's keys.
    assert rows[0] == [body["labels"][c] for c in body["columns"]]
    assert all(h[:1].isupper() and "_" not in h for h in rows[0]), rows[0]


def test_sales_reports_add_up(cashier: Any, manager: Any, as_role: Any) -> None:
    done = sell_some(cashier)
    total = sum(s["totals"]["total"] for s in done)
    by_day = manager.get("/api/v1/reports/by-day").json()
    assert by_day["totals"]["sales"] == 3 and by_day["totals"]["total"] == total
    assert sum(r["total"] for r in manager.get("/api/v1/reports/by-hour").json()["rows"]) == total
    employees = manager.get("/api/v1/reports/by-employee").json()["rows"]
    assert [(r["employee"], r["sales"], r["total"]) for r in employees] == [("cashier", 3, total)]
    tenders = manager.get("/api/v1/reports/by-tender").json()["rows"]
    assert [(r["method"], r["count"], r["taken"]) for r in tenders] == [("cash", 3, total)]
    taxes = manager.get("/api/v1/reports/by-tax").json()
    assert taxes["totals"]["amount"] == sum(s["totals"]["tax"] for s in done)
    top = manager.get("/api/v1/reports/top-products").json()["rows"]
    assert top[0]["sku"] == "BRD" and {r["sku"] for r in top} == {"MLK", "BRD", "APL"}
    slow = manager.get("/api/v1/reports/slow-products").json()["rows"]
    assert slow[0]["sku"] == "GUM" and slow[0]["quantity"] == 0
    # A refund shows in returns and in the tender report; a void in voids.
    supervisor = as_role("supervisor")
    refund = supervisor.post(
        f"/api/v1/sales/{done[2]['id']}/refunds", json={"lines": [{"line": 1, "quantity": 1}], "reason": "stale bread"}
    )
    assert refund.status_code == 201, refund.text
    returns = manager.get("/api/v1/reports/returns").json()
    assert [(r["reason"], r["amount"], r["items"]) for r in returns["rows"]] == [("stale bread", 349, 1)]
    assert manager.get("/api/v1/reports/by-tender").json()["rows"][0]["refunded"] == 349
    sale = new_sale(cashier, "96385074", "036000291452")
    supervisor.delete(f"/api/v1/sales/{sale['id']}/items/2")
    voids = manager.get("/api/v1/reports/voids-and-discounts").json()["rows"]
    assert [(r["employee"], r["kind"], r["count"], r["amount"]) for r in voids] == [
        ("supervisor", "voided_line", 1, 529)
    ]


def test_the_journal_balances_every_day(cashier: Any, manager: Any, as_role: Any) -> None:
    done = sell_some(cashier)
    as_role("supervisor").post(
        f"/api/v1/sales/{done[0]['id']}/refunds", json={"lines": [{"line": 1}], "reason": "bruised"}
    )
    journal = manager.get("/api/v1/reports/journal").json()
    assert journal["totals"]["debit"] == journal["totals"]["credit"] > 0
    accounts = {r["account"] for r in journal["rows"]}
    assert {"Cash", "Sales", "Tax payable: GST", "Tax payable: QST", "Sales returns"} <= accounts
    assert isinstance(journal["over_short_available"], bool)  # true once the shifts table exists


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("?format=xml", 400, "invalid_request"),
        ("?from=yesterday", 422, "invalid_date"),
        ("?from=2026-02-30", 422, "invalid_date"),
        ("?from=2026-03-02&to=2026-03-01", 422, "invalid_period"),
        ("?from=2020-01-01&to=2026-01-01", 422, "invalid_period"),
    ],
)
def test_bad_report_queries(manager: Any, query: str, status: int, code: str) -> None:
    assert code_of(manager.get(f"/api/v1/reports/by-day{query}")) == (status, code)


def test_csv_cells_never_become_spreadsheet_formulas() -> None:
    report = {"columns": ["reason"], "rows": [{"reason": "=HYPERLINK(1)"}, {"reason": "-5"}, {"reason": "ok"}]}
    assert reports.to_csv(report).splitlines() == ["Reason", "'=HYPERLINK(1)", "'-5", "ok"]


def test_a_whole_day_on_the_store_calendar(manager: Any, cashier: Any) -> None:
    sell_some(cashier)
    answer = manager.get("/api/v1/reports/by-day?from=2020-01-01&to=2020-01-31").json()
    assert len(answer["rows"]) == 31 and answer["totals"]["sales"] == 0
    assert answer["timezone"] == "America/Montreal" and answer["from"] == "2020-01-01T05:00:00.000000Z"


def test_the_back_office_is_one_page_served_without_inline_script(client: Any) -> None:
    page = client.get("/backoffice")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for name in ("manager", "backoffice"):
        assert f'<script type="module" src="/static/{name}.js"></script>' in page.text
    for name in ("office", "manager", "backoffice", "manager/catalogue", "backoffice/stock"):
        script = client.get(f"/static/{name}.js")
        assert script.status_code == 200 and "element.style" not in script.text
    assert "<script>" not in page.text and "style=" not in page.text and "onclick=" not in page.text
    assert page.text.count('id="login-form"') == 1 and page.text.count('id="password-form"') == 1


def test_the_old_manager_address_lands_in_the_back_office(client: Any) -> None:
    moved = client.get("/manager", follow_redirects=False)
    assert moved.status_code == 301 and moved.headers["location"] == "/backoffice"
    assert client.get("/manager").text == client.get("/backoffice").text
