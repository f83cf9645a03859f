"""The chain's books (docs/office.md, "The chain's books"): real tills in two stores push
their sales, refunds, cash paid out and closed shifts to a real office on PostgreSQL; the
office's reports add them up across stores and lanes, and its day check finds its totals
equal to the sum of the lanes' Z reports, or names the lane that differs."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from appliance.app.domain.errors import Forbidden, Invalid
from appliance.app.services import (
    auth,
    catalog,
    gift_cards,
    outbox,
    outbox_push,
    receiptless_returns,
    reports,
    returns,
    sales,
    shifts,
    users,
)
from appliance.app.services.setup import NewStore, init_store
from appliance.app.services.shop import Actor, Shop, utc_now
from appliance.cli import main
from appliance.lane import enrolment as lane
from appliance.lane import outbox as wire
from appliance.office.services import books, enrolment
from appliance.office.services.books import Reader
from appliance.office.services.office import Office
from tests.conftest import CATALOG, PASSWORD
from tests.office.conftest import RunningOffice

# The tills keep Montreal's time (init_store's default). From 00:00 to 05:00 UTC their day is
# the UTC day before, which is when CI runs at night: every test here runs its tills at 01:00
# UTC unless it says otherwise, so that trap is sprung at any hour of the real clock.
AT_NIGHT = dt.datetime(2026, 12, 7, 1, 0, tzinfo=dt.UTC)  # 20:00 on 6 December in Montreal
IN_THE_EVENING = dt.datetime(2026, 12, 6, 23, 30, tzinfo=dt.UTC)  # 18:30, the same day on both clocks


@dataclass
class Till:
    store: str
    name: str
    shop: Shop
    manager: Actor
    z: dict[str, Any] | None = None

    @property
    def path(self) -> Path:
        return self.shop.data_dir

    def sell(self, *skus: str) -> dict[str, Any]:
        sale = sales.open_sale(self.shop, self.manager)
        for sku in skus:
            sales.add_item(self.shop, self.manager, sale["id"], sku=sku, quantity=1)
        return dict(sales.pay_cash(self.shop, self.manager, sale["id"], 10_000))

    def events(self) -> list[dict[str, Any]]:
        return [dict(e) for e in outbox.events(self.shop)]

    def push(self) -> None:
        p = outbox_push.Pusher(self.shop, outbox_push.office_sender(self.shop))
        while p.run_once():
            pass

    def close(self) -> dict[str, Any]:
        self.z = dict(shifts.close_shift(self.shop, self.manager, {"1000": 5}))
        return self.z

    @property
    def day(self) -> dt.date:
        assert self.z is not None
        until = dt.datetime.fromisoformat(self.z["until"])
        return until.astimezone(zoneinfo.ZoneInfo(self.z["timezone"])).date()

    @property
    def today(self) -> dt.date:
        """The store's day on the till's clock (not the machine's: date.today() is UTC's)."""
        return self.shop.clock().astimezone(zoneinfo.ZoneInfo(self.shop.settings.timezone)).date()


def _office(running: RunningOffice) -> Office:
    return running.office  # type: ignore[return-value]


def running_from(moment: dt.datetime) -> Callable[[], dt.datetime]:
    """A clock that reads `moment` now and runs on as the real one does."""
    started = utc_now()
    return lambda: moment + (utc_now() - started)


@pytest.fixture
def now() -> dt.datetime:
    """When the tills trade (a test parametrised on `now` picks its own hour)."""
    return AT_NIGHT


@pytest.fixture
def tills(running_office: RunningOffice, tmp_path: Path, now: dt.datetime) -> Iterator[list[Till]]:
    """Lyon's T01 and T02 and Paris's T01, enrolled, each with a shift open, their clocks at `now`."""
    made: list[Till] = []
    for store, name in (("lyon", "T01"), ("lyon", "T02"), ("paris", "T01")):
        data = tmp_path / f"{store}-{name}" / "data"
        data.parent.mkdir()
        shop, _ = init_store(data, NewStore(store_name=f"{store} {name}"))
        shop.clock = running_from(now)
        users.add_user(shop, None, "manager", "manager", PASSWORD)
        catalog.import_csv(shop, None, CATALOG)
        issued = enrolment.issue_token(_office(running_office), store, name, issued_by="test")
        lane.enrol(shop.data_dir, running_office.enrol_url, issued.token, ca_fingerprint=issued.ca_fingerprint)
        manager = auth.login(shop, "manager", PASSWORD, "127.0.0.1").actor
        shifts.open_shift(shop, manager, {"1000": 2})
        made.append(Till(store, name, shop, manager))
    auth.throttle._failures.clear()
    yield made
    for till in made:
        till.shop.close()


def a_day_of_trade(tills: list[Till]) -> None:
    """Sales on every lane, a refund, a paid out, and every shift closed."""
    lyon1, lyon2, paris = tills
    first = lyon1.sell("APL", "MLK")
    lyon1.sell("BRD")
    returns.refund(lyon1.shop, lyon1.manager, first["id"], [{"line": 1, "quantity": 1}], "bruised apple")
    lyon2.sell("GUM", "GUM", "APL")
    shifts.move_cash(lyon2.shop, lyon2.manager, "paid_out", 300, "window cleaner")
    paris.sell("MLK")
    paris.sell("APL", "BRD")
    for till in tills:
        till.close()


def test_the_office_adds_up_the_chain_and_its_day_equals_the_lanes_z_reports(
    running_office: RunningOffice, tills: list[Till]
) -> None:
    office = _office(running_office)
    a_day_of_trade(tills)
    for till in tills:
        till.push()
    day = tills[0].day.isoformat()
    for store in ("lyon", "paris"):
        found = books.day_check(office, store, day)
        assert found["equal"] is True, books.day_check_words(found)
        assert found["differing"] == [] and found["office"] == found["z"]
    lyon = books.day_check(office, "lyon", day)
    assert lyon["z_reports"] == 2 and lyon["lanes"] == ["T01", "T02"]
    assert lyon["office"]["paid_out"] == 300 and lyon["office"]["refunds_count"] == 1
    # The office's totals are the lanes' own, to the cent.
    z_total = sum(t.z["sales"]["total"] for t in tills if t.z is not None)
    summary = books.report(office, books.OFFICE_CLI, "summary", store=None, start=day, end=day)
    ((currency, totals),) = summary["totals"].items()
    assert totals["total"] == z_total and totals["sales"] == 5 and totals["refunds_count"] == 1
    assert {(r["store"], r["till"]) for r in summary["rows"]} == {("lyon", "T01"), ("lyon", "T02"), ("paris", "T01")}
    lane_two = books.report(office, books.OFFICE_CLI, "summary", store="lyon", start=day, end=day, lane="T02")
    assert lane_two["totals"][currency]["total"] == tills[1].z["sales"]["total"]  # type: ignore[index]
    tenders = books.report(office, books.OFFICE_CLI, "by-tender", store=None, start=day, end=day)
    assert [(r["method"], r["amount"]) for r in tenders["rows"]] == [("cash", z_total)]
    taxes = books.report(office, books.OFFICE_CLI, "by-tax", store="lyon", start=day, end=day)
    assert sum(r["amount"] for r in taxes["rows"]) == sum(t.z["sales"]["tax"] for t in tills[:2])  # type: ignore[index]
    top = books.report(office, books.OFFICE_CLI, "top-products", store=None, start=day, end=day)
    assert top["rows"][0]["quantity"] >= 1 and {r["sku"] for r in top["rows"]} == {"APL", "MLK", "BRD", "GUM"}
    hours = books.report(office, books.OFFICE_CLI, "by-hour", store=None, start=day, end=day)
    assert sum(r["sales"] for r in hours["rows"]) == 5
    # The journal balances on every store and day.
    journal = books.report(office, books.OFFICE_CLI, "journal", store=None, start=day, end=day)
    for store in ("lyon", "paris"):
        mine = [r for r in journal["rows"] if r["store"] == store]
        assert mine and sum(r["debit"] for r in mine) == sum(r["credit"] for r in mine)
    accounts = {(r["store"], r["account"]) for r in journal["rows"]}
    assert {
        ("lyon", "Paid out"),
        ("lyon", "Sales returns"),
        ("paris", "Sales"),
        ("paris", "Cash over/short"),
    } <= accounts


def a_day_of_gift_cards_and_refunds(till: Till) -> dict[str, int]:
    """Gift cards sold alone, with goods and topped up; a sale paid by a card and cash, refunded
    back to both; a refund to store credit; a card sold and returned on its receipt; goods
    taken back without a receipt for rounded cash. What it loaded and took back."""
    shop, who = till.shop, till.manager

    def open_sale() -> int:
        return int(sales.open_sale(shop, who)["id"])

    alone = open_sale()
    code = str(gift_cards.sell(shop, who, alone, 5000)["gift_card"]["code"])
    sales.pay_cash(shop, who, alone, 5000)
    with_goods = open_sale()
    sales.add_item(shop, who, with_goods, sku="APL", quantity=1)
    gift_cards.sell(shop, who, with_goods, 2000, code)  # a top-up beside the goods
    sales.pay_cash(shop, who, with_goods, 10_000)
    mixed = open_sale()
    sales.add_item(shop, who, mixed, sku="MLK", quantity=2)
    gift_cards.redeem(shop, who, mixed, 500, code)
    sales.pay_cash(shop, who, mixed, 10_000)
    back = returns.refund(shop, who, mixed, [{"line": 1, "quantity": 2}], "both spoiled")
    assert {t["method"] for t in back["tenders"]} == {"cash", "gift_card"}
    credited = open_sale()
    sales.add_item(shop, who, credited, sku="GUM", quantity=1)
    sales.pay_cash(shop, who, credited, 1000)
    returns.refund(shop, who, credited, [{"line": 1, "quantity": 1}], "wrong flavour", refund_to="gift_card")
    gift = open_sale()
    sales.add_item(shop, who, gift, sku="BRD", quantity=1)
    gift_cards.sell(shop, who, gift, 1000)
    sales.pay_cash(shop, who, gift, 10_000)
    returns.refund(shop, who, gift, [{"line": 2, "quantity": 1}], "changed their mind")
    receiptless_returns.without_receipt(shop, who, [{"sku": "GUM", "quantity": 1}], "no receipt kept", refund_to="cash")
    return {"loaded": 5000 + 2000 + 1000, "taken_back": 1000}


def test_gift_cards_refunds_to_mixed_tenders_and_a_rounded_return_agree_with_the_z_and_the_tills_journal(
    running_office: RunningOffice, tills: list[Till]
) -> None:
    office = _office(running_office)
    lyon1 = tills[0]
    cards = a_day_of_gift_cards_and_refunds(lyon1)
    for till in tills:
        till.close()
        till.push()
    z = lyon1.z
    assert z is not None and z["gift_cards"]["amount"] == cards["loaded"]
    assert z["returns_without_receipt"]["cash_rounding"] != 0  # the return is rounded: the journal must book it
    day = lyon1.day.isoformat()
    found = books.day_check(office, "lyon", day)
    assert found["equal"] is True, books.day_check_words(found)
    # The gift cards, the refunds' cash and the drawer's rounding are checked, not skipped.
    office_said = found["office"]
    assert office_said["gift_cards_amount"] == cards["loaded"] and office_said["gift_cards_count"] == 3
    assert office_said["gift_cards_returned"] == cards["taken_back"]
    assert (
        office_said["cash_refunded"] == z["cash"]["refunds"] and office_said["cash_rounding"] == z["cash"]["rounding"]
    )
    assert office_said["refunds_count"] == 3 and office_said["sales_total"] == z["sales"]["total"]
    # Sales net of the cards they loaded, and no sale for the one of nothing but a card.
    summary = books.report(office, books.OFFICE_CLI, "summary", store="lyon", start=day, end=day, lane="T01")
    totals = summary["totals"][z["currency"]]
    assert (totals["sales"], totals["total"], totals["tax"]) == (
        z["sales"]["count"],
        z["sales"]["total"],
        z["sales"]["tax"],
    )
    assert totals["gift_cards"] == cards["loaded"] and totals["gift_cards_returned"] == cards["taken_back"]
    assert totals["refunds_amount"] == z["refunds"]["amount"]
    by_day = books.report(office, books.OFFICE_CLI, "by-day", store="lyon", start=day, end=day, lane="T01")
    assert [(r["total"], r["gift_cards_sold"]) for r in by_day["rows"]] == [(z["sales"]["total"], cards["loaded"])]
    # Refunds split by the tender they went to, as the till's by-tender report splits them
    # (which leaves store credit out: no tender of the sale took it).
    by_tender = books.report(office, books.OFFICE_CLI, "by-tender", store="lyon", start=day, end=day, lane="T01")
    refunded = {r["method"]: r["refunded"] for r in by_tender["rows"]}
    at_till_tenders = reports.by_tender(lyon1.shop, lyon1.manager, reports.period(lyon1.shop, day, day))
    assert {m: refunded.get(m) for m in ("cash", "gift_card")} == {
        r["method"]: r["refunded"] for r in at_till_tenders["rows"] if r["method"] in ("cash", "gift_card")
    }
    assert refunded["gift_card"] == 500 and refunded["store_credit"] > 0 and "original" not in refunded
    # The office's journal of the lane is the till's own, account by account, to the cent.
    journal = books.report(office, books.OFFICE_CLI, "journal", store="lyon", start=day, end=day, lane="T01")
    at_till = reports.journal(lyon1.shop, lyon1.manager, reports.period(lyon1.shop, day, day))

    def net(rows: list[dict[str, Any]]) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in rows:
            out[r["account"]] = out.get(r["account"], 0) + r["debit"] - r["credit"]
        return {k: v for k, v in out.items() if v}

    assert net(journal["rows"]) == net(list(at_till["rows"]))  # type: ignore[arg-type]
    assert journal["totals"]["debit"] == journal["totals"]["credit"]
    accounts = {r["account"] for r in journal["rows"]}
    assert {"Gift card liability", "Cash rounding"} <= accounts and "Refunds paid" not in accounts


def test_events_from_a_till_older_than_gift_card_marks_and_refund_tenders_are_still_read(
    running_office: RunningOffice, tills: list[Till]
) -> None:
    """An older till's sale says nothing of gift cards and its refund nothing of tenders: the
    books count the sale whole and pay the refund to "Refunds paid", as they always did."""
    office = _office(running_office)
    paris = tills[2]
    sale = paris.sell("APL")
    new = [e for e in paris.events() if e["kind"] == "sale_completed"][-1]["body"]
    assert new["gift_cards"] == {"cards": 0, "amount": 0}
    old = {k: v for k, v in new.items() if k != "gift_cards"}
    lone = {"sale_id": 901, "subtotal": 700, "total": 700, "tax": 0, "taxes": [], "lines": []}
    outbox.emit(paris.shop, "sale_completed", {**old, **lone, "tenders": [{"method": "cash", "amount": 700}]})
    outbox.emit(
        paris.shop,
        "refund",
        {"refund_id": 902, "sale_id": sale["id"], "currency": old["currency"], "amount": 300, "tax": 0, "lines": []},
    )
    paris.push()
    day = old["completed_at"][:10]
    around = (
        (dt.date.fromisoformat(day) - dt.timedelta(days=1)).isoformat(),
        (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat(),
    )
    summary = books.report(office, books.OFFICE_CLI, "summary", store="paris", start=around[0], end=around[1])
    totals = summary["totals"][old["currency"]]
    assert (totals["sales"], totals["total"], totals["gift_cards"]) == (2, new["total"] + 700, 0)
    journal = books.report(office, books.OFFICE_CLI, "journal", store="paris", start=around[0], end=around[1])
    paid = [r for r in journal["rows"] if r["account"] == "Refunds paid"]
    assert [r["credit"] for r in paid] == [300]
    assert sum(r["debit"] for r in journal["rows"]) == sum(r["credit"] for r in journal["rows"])


def test_who_reads_which_stores_books(running_office: RunningOffice, tills: list[Till]) -> None:
    office = _office(running_office)
    tills[0].sell("APL")
    tills[2].sell("MLK")
    for till in tills:
        till.push()
    day = tills[2].today
    today = day.isoformat()
    week = ((day - dt.timedelta(days=3)).isoformat(), (day + dt.timedelta(days=3)).isoformat())
    manager = Reader("anne", "store_manager", "paris")
    mine = books.report(office, manager, "summary", store=None, start=week[0], end=week[1])
    assert mine["stores"] == ["paris"] and {r["store"] for r in mine["rows"]} == {"paris"}
    with pytest.raises(Forbidden):
        books.report(office, manager, "summary", store="lyon", start=today, end=today)
    with pytest.raises(Forbidden):
        books.day_check(office, "lyon", today, manager)
    auditor = books.report(office, auditor_reader(), "summary", store=None, start=week[0], end=week[1])
    assert {r["store"] for r in auditor["rows"]} == {"lyon", "paris"}
    with pytest.raises(Forbidden):
        books.report(office, Reader("x", "cashier"), "summary", store=None, start=today, end=today)
    with pytest.raises(Invalid):
        books.report(office, auditor_reader(), "summary", store=None, start=today, end="2020-01-01")
    with pytest.raises(Invalid):
        books.report(office, auditor_reader(), "summary", store=None, start="2020-01-01", end="2030-12-31")


def auditor_reader() -> Reader:
    return Reader("ida", "auditor")


def test_a_sale_withheld_names_its_lane_until_it_comes(running_office: RunningOffice, tills: list[Till]) -> None:
    office = _office(running_office)
    a_day_of_trade(tills)
    lyon1, lyon2, _ = tills
    lyon1.push()
    mine = lyon2.events()
    held_back = next(e for e in mine if e["kind"] == "sale_completed")
    # The rest of the lane's backlog comes, later events first; one sale is still on its way.
    later = [e for e in mine if e["seq"] > held_back["seq"]]
    earlier = [e for e in mine if e["seq"] < held_back["seq"]]
    wire.send(lyon2.path, later, len(mine))
    wire.send(lyon2.path, earlier, len(mine))
    found = books.day_check(office, "lyon", lyon2.day)
    assert found["equal"] is False and found["differing_lanes"] == ["T02"]
    (differs,) = [p for p in found["differing"] if p["why"] == "differs"]
    assert differs["shift"] == lyon2.z["shift"]  # type: ignore[index]
    sale_total = held_back["body"]["total"]
    assert differs["figures"]["sales_total"] == {
        "z": lyon2.z["sales"]["total"],  # type: ignore[index]
        "office": lyon2.z["sales"]["total"] - sale_total,  # type: ignore[index]
        "difference": -sale_total,
    }
    assert any(p["why"] == "events_missing" and p["till"] == "T02" for p in found["differing"])
    words = books.day_check_words(found)
    assert "DIFFERS in T02" in words[0] and any(f"sales_total Z {lyon2.z['sales']['total']}" in w for w in words)  # type: ignore[index]
    # The sale comes at last: the day is whole and equal.
    wire.send(lyon2.path, [held_back], len(mine))
    assert books.day_check(office, "lyon", lyon2.day)["equal"] is True


@pytest.mark.parametrize("now", [AT_NIGHT, IN_THE_EVENING], ids=["01h00-utc", "23h30-utc"])
def test_a_z_not_come_yet_names_its_lane(running_office: RunningOffice, tills: list[Till], now: dt.datetime) -> None:
    office = _office(running_office)
    a_day_of_trade(tills)
    paris = tills[2]
    mine = paris.events()
    closing = next(e for e in mine if e["kind"] == "shift_closed")
    wire.send(paris.path, [e for e in mine if e["seq"] < closing["seq"]], len(mine))
    # No Z of any store has come: the store's day is still Montreal's, as its shift's opening
    # said, not UTC's (at 01:00 UTC that is the day before).
    found = books.day_check(office, "paris", paris.day)
    assert found["timezone"] == "America/Montreal" and paris.day == dt.date(2026, 12, 6)
    assert found["equal"] is False and found["differing_lanes"] == ["T01"]
    whys = {p["why"] for p in found["differing"]}
    assert {"no_z_yet", "shift_open", "events_missing"} <= whys
    loose = next(p for p in found["differing"] if p["why"] == "no_z_yet")
    assert loose["sales"] == 2
    paris.push()
    assert books.day_check(office, "paris", paris.day)["equal"] is True


def test_a_z_that_disagrees_with_the_lanes_events_is_named(running_office: RunningOffice, tills: list[Till]) -> None:
    office = _office(running_office)
    a_day_of_trade(tills)
    lyon1 = tills[0]
    assert lyon1.z is not None
    # A Z whose sales are a cent over what the lane's events say (as a till whose reports
    # read a sale twice would send it), under its own shift number.
    wrong = {**lyon1.z, "shift": 99, "sales": {**lyon1.z["sales"], "total": lyon1.z["sales"]["total"] + 1}}
    outbox.event(lyon1.shop, "shift_closed", lyon1.manager, shift_id=99, currency="CAD", z=wrong)
    for till in tills:
        till.push()
    found = books.day_check(office, "lyon", lyon1.day)
    assert found["equal"] is False and found["differing_lanes"] == ["T01"]
    (differs,) = found["differing"]
    assert differs["shift"] == 99 and differs["figures"] == {
        "sales_total": {
            "z": wrong["sales"]["total"] + wrong["gift_cards"]["amount"],
            "office": lyon1.z["sales"]["total"] + lyon1.z["gift_cards"]["amount"],
            "difference": -1,
        }
    }
    assert books.day_check(office, "paris", lyon1.day)["equal"] is True


def test_the_command_line_reads_the_books_and_the_day_check_exits_1_when_a_lane_differs(
    running_office: RunningOffice, tills: list[Till], capsys: pytest.CaptureFixture[str]
) -> None:
    a_day_of_trade(tills)
    lyon1, lyon2, paris = tills
    lyon1.push()
    paris.push()
    day = paris.day.isoformat()
    where = ["--database", running_office.dsn, "--data-dir", str(running_office.data_dir)]
    capsys.readouterr()
    assert main(["office", "day-check", *where, "--store", "paris", "--day", day]) == 0
    assert "equal" in capsys.readouterr().out
    # Lyon's T02 has sent nothing yet: its shift's takings are in no Z the office holds.
    mine = lyon2.events()
    closing = next(e for e in mine if e["kind"] == "shift_closed")
    wire.send(lyon2.path, [e for e in mine if e["seq"] < closing["seq"]], len(mine))
    assert main(["office", "day-check", *where, "--store", "lyon", "--day", day]) == 1
    out = capsys.readouterr().out
    assert "DIFFERS in T02" in out and "lane T02: no Z yet for 1 sale(s)" in out
    argv = ["office", "report", "summary", *where, "--store", "paris", "--from", day, "--json"]
    assert main(argv) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["stores"] == ["paris"] and found["totals"]["CAD"]["total"] == paris.z["sales"]["total"]  # type: ignore[index]
    assert main(["office", "report", "journal", *where, "--from", day, "--to", day]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[1].split() == ["store", "date", "account", "debit", "credit", "memo"]
    assert main(["office", "report", "profits", *where, "--from", day]) == 2
    assert "no report 'profits'" in capsys.readouterr().err
    assert main(["office", "report", "summary", *where, "--from", "yesterday"]) == 2


def test_the_json_routes_answer_each_person_with_the_stores_they_may_read(
    running_office: RunningOffice, tills: list[Till]
) -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.testclient import TestClient

    from appliance.office.web import books as books_web

    a_day_of_trade(tills)
    for till in tills:
        till.push()
    day = tills[0].day.isoformat()
    people = {"admin": Reader("admin", "chain_admin"), "anne": Reader("anne", "store_manager", "paris")}

    def person(request: Request) -> Reader | None:
        return people.get(request.headers.get("x-person", ""))

    app = Starlette(routes=books_web.routes(_office(running_office), person))
    with TestClient(app) as client:
        assert client.get("/books/day-check", params={"store": "lyon", "day": day}).status_code == 401
        admin, anne = {"x-person": "admin"}, {"x-person": "anne"}
        answer = client.get("/books/day-check", params={"store": "lyon", "day": day}, headers=admin)
        assert answer.status_code == 200 and answer.json()["equal"] is True
        answer = client.get("/books/day-check", params={"store": "lyon", "day": day}, headers=anne)
        assert answer.status_code == 403 and answer.json()["error"] == "forbidden"
        answer = client.get("/books/reports/by-day", params={"from": day}, headers=anne)
        assert answer.status_code == 200 and answer.json()["stores"] == ["paris"]
        assert answer.json()["rows"][0]["total"] == tills[2].z["sales"]["total"]  # type: ignore[index]
        answer = client.get("/books/reports/journal", params={"from": day, "store": "lyon"}, headers=admin)
        assert answer.status_code == 200 and {r["store"] for r in answer.json()["rows"]} == {"lyon"}
        for params in ({"from": "6 Dec"}, {}, {"from": day, "timezone": "Mars/Olympus"}):
            answer = client.get("/books/reports/summary", params=params, headers=admin)
            assert answer.status_code == 422 and answer.json()["message"]
        assert client.get("/books/day-check", params={"store": "nice", "day": day}, headers=admin).status_code == 404


def test_an_event_the_books_cannot_read_is_an_alarm_and_the_batch_is_stored(
    running_office: RunningOffice, tills: list[Till]
) -> None:
    from appliance.office.services import lane_events

    paris = tills[2]
    paris.sell("APL")
    outbox.emit(paris.shop, "sale_completed", {"sale_id": 77, "terminal_id": "T01"})  # no time, no total
    paris.sell("MLK")
    paris.push()
    office = _office(running_office)
    held = lane_events.events(office, "paris", "T01", limit=1000)
    assert len(held) == len(paris.events())  # every event stored, the odd one too
    # The books say so, and so does every other projection that reads sales (returns across lanes).
    alarms = {a["kind"]: a for a in lane_events.alarms(office)}
    assert set(alarms) == {"books_unreadable", "unreadable_sale_event"}
    assert alarms["books_unreadable"]["details"]["event_kind"] == "sale_completed"
    # No Z has come: the report's day is the store's, as the shift's opening names its clock.
    today = paris.today.isoformat()
    found = books.report(office, books.OFFICE_CLI, "summary", store="paris", start=today, end=today)
    assert found["timezone"] == "America/Montreal"
    assert found["totals"]["CAD"]["sales"] == 2
