"""Every report over one day of a Montreal store, through the HTTP API: cash (rounded to the
nickel), card (the simulated acquirer), a gift card sold alone and one sold with bread, a
gift card taken as payment, a cash refund, a refund to store credit, and a sale at 23:30
local time (04:30 UTC the next day). A shift runs the whole day, so the X and Z reports
read the same sales.

Gift cards sold are owed, not earned: no report counts them as sales."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from appliance.app.web.app import create_app
from tests.conftest import PASSWORD, Api, Store
from tests.integration.card.simulator import running_simulator

MONTREAL = dt.timezone(dt.timedelta(hours=-5))  # EST: 1 March is before daylight saving
# Next year's 1 March: the simulated acquirer refuses a payment stamped in its past (older
# than its in-flight window), never one stamped ahead of its clock.
YEAR = dt.date.today().year + 1
DAY = f"{YEAR}-03-01"
NEXT_DAY = f"{YEAR}-03-02"
FLOAT = {"2000": 5}
CARDS_SOLD = 5000 + 2000
ROUNDED: list[int] = []  # each payment's cash rounding, for the fixture's day


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(YEAR, 3, 1, 9, 0, tzinfo=MONTREAL)

    def __call__(self) -> dt.datetime:
        return self.now.astimezone(dt.UTC)


@dataclasses.dataclass
class Day:
    store: Store
    client: TestClient
    clock: Clock
    totals: dict[str, dict[str, Any]]
    card_code: str
    z: dict[str, Any]
    rounding: int = 0

    def at(self, hour: int, minute: int = 0, role: str = "manager") -> Api:
        """The manager (who also sells here) logged in at that local time of the day."""
        self.clock.now = dt.datetime(YEAR, 3, 1, hour, minute, tzinfo=MONTREAL)
        answer = self.client.post("/api/v1/auth/login", json={"username": role, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        self.client.cookies.clear()
        return Api(self.client, answer.json()["token"])

    def get(self, path: str) -> dict[str, Any]:
        answer = self.at(23, 50).get(path)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body


def _sell(api: Api, skus: tuple[str, ...], card: int = 0) -> dict[str, Any]:
    sale = api.post("/api/v1/sales").json()
    for sku in skus:
        sale = api.post(f"/api/v1/sales/{sale['id']}/items", json={"sku": sku}).json()
    if card:
        sale = api.post(f"/api/v1/sales/{sale['id']}/gift-cards", json={"amount": card}).json()
    return sale


def _pay(api: Api, sale: dict[str, Any], method: str, **extra: Any) -> dict[str, Any]:
    due = api.get(f"/api/v1/sales/{sale['id']}").json()["totals"]["due"]
    body = {"method": method, "amount": due, **extra}
    if method == "cash":
        body["amount"] = due + 100  # change given; the drawer takes the rounded amount
    answer = api.post(
        f"/api/v1/sales/{sale['id']}/payments", json=body, headers={"Idempotency-Key": f"report-day-pay-{sale['id']}"}
    )
    assert answer.status_code == 201, answer.text
    paid: dict[str, Any] = answer.json()
    assert paid["status"] == "completed", paid
    ROUNDED.append(paid.get("rounding", 0))
    return paid


def _card() -> dict[str, Any]:
    return {"number": "4111111111111111", "exp_month": 12, "exp_year": YEAR + 3}


@pytest.fixture
def day(store: Store, tmp_path: Path) -> Iterator[Day]:
    clock = Clock()
    store.shop.clock = clock
    with running_simulator(state=tmp_path / "acquirer.json") as url:
        store.shop.config = dataclasses.replace(store.shop.config, gateway_url=url)
        with TestClient(create_app(store.shop), base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
            d = Day(store, client, clock, {}, "", {})
            ROUNDED.clear()
            assert d.at(9).post("/api/v1/shifts", json={"count": FLOAT}).status_code == 201
            d.totals["apples_cash"] = _pay(d.at(10), _sell(d.at(10), ("APL", "APL")), "cash")["totals"]
            d.totals["milk_card"] = _pay(d.at(11), _sell(d.at(11), ("MLK",)), "card", card=_card())["totals"]
            card_sale = _sell(d.at(12), (), card=5000)
            d.card_code = card_sale["gift_card"]["code"]
            d.totals["card_alone"] = _pay(d.at(12), card_sale, "cash")["totals"]
            bread_and_card = _pay(d.at(13), _sell(d.at(13), ("BRD",), card=2000), "cash")
            d.totals["bread_and_card"] = bread_and_card["totals"]
            d.totals["milk_gift_card"] = _pay(d.at(14), _sell(d.at(14), ("MLK",)), "gift_card", gift_card=d.card_code)[
                "totals"
            ]
            apples = d.totals["apples_cash"]
            refund = d.at(15).post(
                f"/api/v1/sales/{_sale_id(d, 'apples')}/refunds",
                json={"lines": [{"line": 1, "quantity": 1}], "reason": "bruised apple"},
            )
            assert refund.status_code == 201, refund.text
            d.totals["refund_cash"] = refund.json()
            credit = d.at(15, 30).post(
                f"/api/v1/sales/{bread_and_card['id']}/refunds",
                json={"lines": [{"line": 1, "quantity": 1}], "reason": "stale bread", "refund_to": "gift_card"},
            )
            assert credit.status_code == 201, credit.text
            d.totals["refund_credit"] = credit.json()
            d.totals["late_bread"] = _pay(d.at(23, 30), _sell(d.at(23, 30), ("BRD",)), "card", card=_card())["totals"]
            closed = d.at(23, 45).post("/api/v1/shifts/current/close", json={"count": FLOAT})
            assert closed.status_code == 200, closed.text
            d.z = closed.json()
            d.rounding = sum(ROUNDED)
            assert apples["total"] > 0
            yield d


def _sale_id(d: Day, what: str) -> int:
    rows = d.store.shop.db.conn.execute("SELECT id FROM sales WHERE status = 'completed' ORDER BY id").fetchall()
    return int(rows[0][0]) if what == "apples" else int(rows[-1][0])


def _goods(d: Day) -> dict[str, int]:
    """What the day sold in goods (the gift card loads taken out) by adding up the sales."""
    t = d.totals
    sold = [t["apples_cash"], t["milk_card"], t["bread_and_card"], t["milk_gift_card"], t["late_bread"]]
    return {
        "sales": len(sold),
        "subtotal": sum(s["subtotal"] for s in sold) - 2000,
        "tax": sum(s["tax"] for s in sold),
        "total": sum(s["total"] for s in sold) - 2000,
    }


def test_the_sales_summary_leaves_gift_cards_out_of_sales(day: Day) -> None:
    report = day.get(f"/api/v1/reports/sales?from={DAY}&to={DAY}")
    goods = _goods(day)
    assert {k: report[k] for k in goods} == goods
    assert report["gift_cards"] == {"sold": CARDS_SOLD, "returned": 0, "store_credit_issued": 349}
    assert report["timezone"] == "America/Montreal" and report["from"] == f"{DAY}T05:00:00.000000Z"
    # The gift card that paid is a tender; the cash that bought the cards is cash taken.
    tenders = {t["method"]: t["amount"] for t in report["by_tender"]}
    t = day.totals
    assert tenders["gift_card"] == t["milk_gift_card"]["total"]
    assert tenders["card"] == t["milk_card"]["total"] + t["late_bread"]["total"]
    assert tenders["cash"] == t["apples_cash"]["total"] + 5000 + t["bread_and_card"]["total"]
    assert "GIFT-CARD" not in {p["sku"] for p in report["top_products"]}
    assert sum(x["amount"] for x in report["by_tax"]) == goods["tax"]
    assert report["cash_rounding"] == day.rounding != 0  # 2.87 paid as 2.85 and so on


def test_by_day_puts_the_2330_sale_on_the_store_s_day(day: Day) -> None:
    report = day.get(f"/api/v1/reports/by-day?from={DAY}&to={NEXT_DAY}")
    rows = {r["day"]: r for r in report["rows"]}
    goods = _goods(day)
    assert (rows[DAY]["sales"], rows[DAY]["total"], rows[DAY]["subtotal"]) == (
        goods["sales"],
        goods["total"],
        goods["subtotal"],
    )
    assert rows[DAY]["gift_cards_sold"] == CARDS_SOLD
    assert rows[NEXT_DAY]["sales"] == 0  # 04:30 UTC on the 2nd is 23:30 on the 1st here
    assert report["labels"]["subtotal"] == "Net sales" and report["labels"]["gift_cards_sold"].startswith("Gift")


def test_by_hour_is_the_store_s_hour_and_skips_the_card_only_sale(day: Day) -> None:
    hours = day.get(f"/api/v1/reports/by-hour?from={DAY}&to={DAY}")["rows"]
    assert hours[23]["sales"] == 1 and hours[23]["total"] == day.totals["late_bread"]["total"]
    assert hours[4]["sales"] == 0  # not the UTC hour
    assert hours[12] == {"hour": 12, "sales": 0, "total": 0, "gift_cards_sold": 5000}
    assert hours[13]["sales"] == 1 and hours[13]["total"] == day.totals["bread_and_card"]["total"] - 2000


def test_tenders_tax_products_and_employees(day: Day) -> None:
    tender = day.get(f"/api/v1/reports/by-tender?from={DAY}&to={DAY}")
    rows = {r["method"]: r for r in tender["rows"]}
    assert rows["gift_card"]["taken"] == day.totals["milk_gift_card"]["total"]
    assert rows["cash"]["refunded"] == day.totals["refund_cash"]["amount"]
    assert tender["gift_cards_sold"] == CARDS_SOLD and tender["labels"]["method"] == "Tender"
    taxes = day.get(f"/api/v1/reports/by-tax?from={DAY}&to={DAY}")
    assert taxes["totals"]["amount"] == _goods(day)["tax"]
    # The tax a refund gave back is taken off what the shop owes, as the journal books it.
    journal = day.get(f"/api/v1/reports/journal?from={DAY}&to={DAY}")["rows"]
    tax_back = sum(r["debit"] for r in journal if r["account"] == "Tax refunded")
    assert tax_back > 0 and taxes["totals"]["refunded"] == tax_back
    assert taxes["totals"]["net"] == taxes["totals"]["amount"] - tax_back
    for row in taxes["rows"]:
        assert (row["net"], row["net_base"]) == (row["amount"] - row["refunded"], row["base"] - row["refunded_base"])
    top = day.get(f"/api/v1/reports/top-products?from={DAY}&to={DAY}")["rows"]
    assert {r["sku"] for r in top} == {"APL", "MLK", "BRD"}
    people = day.get(f"/api/v1/reports/by-employee?from={DAY}&to={DAY}")["rows"]
    assert [(r["employee"], r["sales"], r["total"], r["gift_cards_sold"]) for r in people] == [
        ("manager", 5, _goods(day)["total"], CARDS_SOLD)
    ]


def test_the_journal_books_gift_cards_and_store_credit_as_liability(day: Day) -> None:
    journal = day.get(f"/api/v1/reports/journal?from={DAY}&to={DAY}")
    assert journal["totals"]["debit"] == journal["totals"]["credit"]
    lines = [(r["account"], r["debit"], r["credit"], r["memo"]) for r in journal["rows"]]
    goods = _goods(day)
    assert ("Sales", 0, goods["total"] - goods["tax"], "sales before tax") in lines
    assert ("Gift card liability", 0, CARDS_SOLD, "Gift cards sold (liability)") in lines
    assert ("Gift card liability", 0, 349, "store credit issued (liability)") in lines
    taken = day.totals["milk_gift_card"]["total"]
    assert ("Gift card liability", taken, 0, "gift_card taken") in lines  # redeemed: a tender, not a discount
    refunded = day.totals["refund_cash"]["amount"] + 349
    returns = [r for r in lines if r[0] == "Sales returns"]
    tax_back = [r for r in lines if r[0] == "Tax refunded"]
    assert returns[0][1] + (tax_back[0][1] if tax_back else 0) == refunded


def test_returns_and_timesheet_show_the_store_s_clock(day: Day) -> None:
    returns = day.get(f"/api/v1/reports/returns?from={DAY}&to={DAY}")["rows"]
    assert [r["at"] for r in returns] == [f"{DAY}T15:00:00-05:00", f"{DAY}T15:30:00-05:00"]


def test_the_x_and_z_reports_leave_gift_cards_out_of_sales(day: Day) -> None:
    z = day.z
    goods = _goods(day)
    assert z["sales"]["count"] == goods["sales"] and z["sales"]["total"] == goods["total"]
    assert z["gift_cards"] == {"count": 2, "amount": CARDS_SOLD}
    assert {t["method"] for t in z["tenders"]} == {"cash", "card", "gift_card"}
    assert (z["timezone"], z["opened_local"], z["until_local"]) == (
        "America/Montreal",
        f"{DAY} 09:00",
        f"{DAY} 23:45",
    )


def test_past_z_reports_are_listed_on_the_store_s_calendar_and_print_again(day: Day) -> None:
    listed = day.get(f"/api/v1/shifts/z-reports?from={DAY}&to={DAY}")
    (row,) = listed["rows"]
    assert row["shift"] == day.z["shift"] and row["closed_at"] == f"{DAY}T23:45:00-05:00"
    assert row["total"] == _goods(day)["total"] and row["operator"] == "manager"
    assert day.get(f"/api/v1/shifts/z-reports?from={NEXT_DAY}&to={NEXT_DAY}")["rows"] == []
    assert day.at(23, 50, "cashier").get("/api/v1/shifts/z-reports").status_code == 403

    from appliance.app.services.print_queue import pending_jobs
    from tests.fakes.escpos_printer import VirtualPrinter

    day.store.shop.config = dataclasses.replace(day.store.shop.config, printer="tcp://127.0.0.1:9")
    manager = day.at(23, 55)
    first = manager.post(f"/api/v1/shifts/{row['shift']}/z-report/print")
    again = manager.post(f"/api/v1/shifts/{row['shift']}/z-report/print")
    assert (first.status_code, again.status_code) == (201, 201)
    assert (first.json()["reprint"], again.json()["reprint"]) == (False, True)
    papers = []
    for job in [j for j in pending_jobs(day.store.shop.db.conn) if j.kind == "report"]:
        printer = VirtualPrinter()
        printer.feed(job.payload)
        papers += printer.cut_papers()
    original, copy = papers
    assert "REPRINT" not in original.text and "REPRINT" in copy.text
    assert f"{DAY} 09:00 - 23:45\nAmerica/Montreal\n" in copy.text and "UTC" not in copy.text
    assert original.line_with("Gift cards sold (liability) (2)").text.endswith("70.00")


def test_every_report_s_csv_has_readable_headers(day: Day) -> None:
    api = day.at(23, 50)
    answer = api.get(f"/api/v1/reports/by-day?from={DAY}&to={DAY}&format=csv")
    header = next(csv.reader(io.StringIO(answer.text)))
    assert header[:3] == ["Day", "Sales", "Net sales"] and "Gift cards sold (liability)" in header
