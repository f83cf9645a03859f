"""The contract: every JSON success body the app sends on a real day matches the OpenAPI
schema of its route. A day goes through the HTTP API (a shift, cash and card sales, a
refund, a gift card, a return, reports, the shift's close) with each response recorded,
then each 2xx JSON body is checked against the document's schema for that route.

The schemas of typed endpoints are made from the TypedDict the service returns
(Endpoint.returns) and are closed: an undeclared key, a wrong type or a missing key fails.
Every route that answers JSON is typed: only those in NOT_JSON below, which answer text,
bytes or events, name no TypedDict."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette's nudge toward httpx2, as in tests/conftest.py
    from starlette.testclient import TestClient

from appliance.app.services import terminal_payments
from appliance.app.services.devices import TillDevices
from appliance.app.services.outbox_push import ENROLLED_MARK
from appliance.app.services.terminal_desk import TerminalDesk
from appliance.app.web.app import create_app
from appliance.app.web.openapi import describe
from appliance.app.web.routes import all_endpoints
from tests.conftest import PASSWORD, Store, set_cash_needs_shift
from tests.fakes.terminal import FakeTerminal
from tests.integration.card.simulator import running_simulator
from tests.integration.http.contract_backoffice import drive_the_back_office

# The routes whose success is not a JSON body, and what it is: the only routes without a
# TypedDict (Endpoint.returns). Every route that answers JSON names the shape of its body.
NOT_JSON = {
    "GET /sales/{sale_id}/receipt": "the receipt as text or ESC/POS bytes",
    "GET /refunds/{refund_id}/slip": "the refund slip as text",
    "GET /scans/stream": "server-sent events",
    "GET /display/stream": "server-sent events",
}

FLOAT = {"2000": 5, "1000": 5, "500": 4, "200": 10, "100": 10, "25": 20}


# Routes that answer only with an office behind them: tests/office/test_returns_across_lanes.py
# checks their bodies against the same schemas, with a real office.
NEEDS_AN_OFFICE = {"GET /office/receipts/{number}", "POST /office/returns"}


def _route(ep: Any) -> str:
    return f"{ep.method} {ep.path}"


@dataclasses.dataclass
class Seen:
    method: str
    path: str
    status: int
    body: Any


@dataclasses.dataclass
class Day:
    client: TestClient
    seen: list[Seen]
    store: Store

    def login(self, username: str) -> dict[str, str]:
        answer = self.client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        self.client.cookies.clear()
        return {"authorization": f"Bearer {answer.json()['token']}"}

    def call(self, who: dict[str, str], method: str, path: str, *, ok: int = 200, **kw: Any) -> Any:
        headers = {**who, **kw.pop("headers", {})}
        answer = self.client.request(method, "/api/v1" + path, headers=headers, **kw)
        assert answer.status_code == ok, (method, path, answer.status_code, answer.text)
        return answer.json() if answer.headers.get("content-type", "").startswith("application/json") else answer.text


@pytest.fixture
def day(store: Store, tmp_path: Path) -> Iterator[Day]:
    set_cash_needs_shift(store.shop, True)  # as a store is shipped: cash needs the shift
    seen: list[Seen] = []

    def record(answer: httpx.Response) -> None:
        answer.read()
        kind = answer.headers.get("content-type", "")
        if 200 <= answer.status_code < 300 and kind.startswith("application/json"):
            seen.append(Seen(answer.request.method, answer.request.url.path, answer.status_code, answer.json()))

    with running_simulator(state=tmp_path / "acquirer.json") as url:
        store.shop.config = dataclasses.replace(store.shop.config, gateway_url=url)
        app = create_app(store.shop)
        with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
            client.event_hooks["response"] = [record]
            yield Day(client, seen, store)


def _card() -> dict[str, Any]:
    return {"number": "4111111111111111", "exp_month": 12, "exp_year": dt.date.today().year + 3}


def _sell(d: Day, who: dict[str, str], *skus: str) -> int:
    sale = int(d.call(who, "POST", "/sales", ok=201)["id"])
    for sku in skus:
        d.call(who, "POST", f"/sales/{sale}/items", json={"sku": sku})
    return sale


def _drive_the_terminal(d: Day, cashier: dict[str, str], supervisor: dict[str, str]) -> None:
    """A card on the payment terminal (the double), its refund to the same card, a customer
    the till waits for and cancels, a declined card."""
    devices = d.store.shop.devices
    assert isinstance(devices, TillDevices)
    fake = FakeTerminal()
    desk = devices.terminal = TerminalDesk(fake, in_flight_window=0.0, answer_wait=5.0)
    d.call(cashier, "GET", "/terminal/status")
    sale = _sell(d, cashier, "MLK")
    due = d.call(cashier, "GET", f"/sales/{sale}")["totals"]["due"]
    paid = d.call(
        cashier,
        "POST",
        f"/sales/{sale}/payments/terminal",
        ok=201,
        json={"amount": due},
        headers={"Idempotency-Key": "contract-terminal"},
    )
    assert paid["status"] == "completed" and paid["terminal"]["last4"] == "4242"
    d.call(cashier, "GET", f"/sales/{sale}/payments/terminal/{paid['terminal']['id']}")
    refund = d.call(
        supervisor, "POST", f"/sales/{sale}/refunds", ok=201, json={"lines": [{"line": 1}], "reason": "leaking"}
    )
    assert [r["status"] for r in refund["terminal_refunds"]] == ["approved"]

    waiting = _sell(d, cashier, "GUM")
    due = d.call(cashier, "GET", f"/sales/{waiting}")["totals"]["due"]
    fake.script, desk.answer_wait = ["wait_for_card", "decline"], 0.2
    pending = d.call(cashier, "POST", f"/sales/{waiting}/payments/terminal", ok=202, json={"amount": due})
    assert pending["terminal"]["terminal_state"] in ("in_progress", "waiting_for_card") and pending["status"] == "open"
    attempt = pending["terminal"]["id"]
    following = d.call(cashier, "GET", f"/sales/{waiting}/payments/terminal")["in_progress"]
    assert [a["id"] for a in following] == [attempt]
    cancelled = d.call(cashier, "POST", f"/sales/{waiting}/payments/terminal/{attempt}/cancel", json={})
    assert cancelled["status"] == "cancelled"
    desk.answer_wait = 5.0
    declined = d.call(cashier, "POST", f"/sales/{waiting}/payments/terminal", ok=422, json={"amount": due})
    assert declined["error"]["code"] == "card_declined"
    d.call(cashier, "POST", f"/sales/{waiting}/payments", ok=201, json={"method": "cash", "amount": 2000})
    assert d.call(cashier, "GET", "/terminal/status")["unresolved"] == 0


def _settle_what_the_terminal_left(d: Day, cashier: dict[str, str], manager: dict[str, str]) -> None:
    """A late tap on a sale paid cash meanwhile, whose reversal the terminal refuses: the
    manager lists it and gives it back on the terminal."""
    devices = d.store.shop.devices
    assert isinstance(devices, TillDevices) and devices.terminal is not None
    desk = devices.terminal
    fake = desk.terminal
    assert isinstance(fake, FakeTerminal)
    sale = _sell(d, cashier, "MLK")
    due = d.call(cashier, "GET", f"/sales/{sale}")["totals"]["due"]
    fake.script = ["in_progress", "refuse_refund"]
    pending = d.call(cashier, "POST", f"/sales/{sale}/payments/terminal", ok=202, json={"amount": due})
    d.call(cashier, "POST", f"/sales/{sale}/payments", ok=201, json={"method": "cash", "amount": due})
    reference = next(r.reference for r in fake.records.values() if r.outcome == "in_progress")
    fake.finish(reference, "approved")
    terminal_payments.resolve_open(d.store.shop, desk)
    [check] = d.call(manager, "GET", "/terminal/checks")["checks"]
    assert check["id"] == pending["terminal"]["id"]
    decided = d.call(manager, "POST", f"/terminal/checks/{check['id']}/decision", json={"decision": "refund"})
    assert decided["status"] == "reversed"


def _enrol(store: Store) -> None:
    """What `comptoir enrol` leaves that says enrolled (services/outbox_push.ENROLLED_MARK)."""
    mark = store.shop.data_dir.joinpath(*ENROLLED_MARK)
    mark.parent.mkdir(parents=True, exist_ok=True)
    mark.write_text("not a certificate: the push loop is not started in this test\n")


def _drive_a_day(d: Day) -> None:
    cashier = d.login("cashier")
    supervisor = d.login("supervisor")
    manager = d.login("manager")
    d.call(cashier, "GET", "/auth/me")
    d.call(cashier, "GET", "/settings")
    d.call(cashier, "GET", "/settings/rules")
    d.call(cashier, "GET", "/products", params={"q": "Mil"})
    d.call(cashier, "POST", "/shifts", ok=201, json={"count": FLOAT})
    d.call(cashier, "GET", "/shifts/current")

    # Cash, a changed quantity, discounts on and off, then the rest by card.
    mixed = _sell(d, cashier, "BRD", "MLK", "APL")
    d.call(cashier, "GET", f"/sales/{mixed}")
    d.call(cashier, "PATCH", f"/sales/{mixed}/items/3", json={"quantity": 3})
    d.call(cashier, "POST", f"/sales/{mixed}/items/1/discount", json={"kind": "percent", "value": 10, "reason": "dent"})
    d.call(cashier, "DELETE", f"/sales/{mixed}/items/1/discount")
    d.call(cashier, "POST", f"/sales/{mixed}/discount", json={"kind": "amount", "value": 50, "reason": "regular"})
    d.call(cashier, "DELETE", f"/sales/{mixed}/discount")
    d.call(supervisor, "DELETE", f"/sales/{mixed}/items/3")
    d.call(cashier, "POST", f"/sales/{mixed}/payments", ok=201, json={"method": "cash", "amount": 500})
    due = d.call(cashier, "GET", f"/sales/{mixed}")["totals"]["due"]
    # A card not present, keyed in: a manager, once the store's admin has allowed it.
    d.call(d.login("boss"), "PUT", "/settings/rules", json={"keyed_card_payments": True})
    paid = d.call(
        manager,
        "POST",
        f"/sales/{mixed}/payments",
        ok=201,
        json={"method": "card", "amount": due, "card": _card()},
        headers={"Idempotency-Key": "contract-card"},
    )
    assert paid["status"] == "completed"
    d.call(cashier, "GET", f"/sales/{mixed}/receipt")
    _drive_the_terminal(d, cashier, supervisor)
    _settle_what_the_terminal_left(d, cashier, manager)

    # All cash with change, then a refund of one line to its tenders.
    cash = _sell(d, cashier, "MLK", "GUM")
    d.call(cashier, "POST", f"/sales/{cash}/payments", ok=201, json={"method": "cash", "amount": 2000})
    d.call(cashier, "POST", f"/sales/{cash}/refund-quote", json={"lines": [{"line": 1}]})
    refund = d.call(
        supervisor, "POST", f"/sales/{cash}/refunds", ok=201, json={"lines": [{"line": 1}], "reason": "leaking"}
    )
    d.call(supervisor, "GET", f"/refunds/{refund['id']}/slip")
    d.call(supervisor, "POST", f"/sales/{mixed}/refunds", ok=201, json={"lines": [{"line": 2}], "reason": "sour"})

    # A gift card sold for cash, spent on bread, the bread refunded to the card.
    gift = int(d.call(cashier, "POST", "/sales", ok=201)["id"])
    sold = d.call(cashier, "POST", f"/sales/{gift}/gift-cards", json={"amount": 2500})
    code = sold["gift_card"]["code"]
    d.call(cashier, "POST", f"/sales/{gift}/payments", ok=201, json={"method": "cash", "amount": 2500})
    d.call(cashier, "POST", "/gift-cards/balance", json={"code": code})
    bread = _sell(d, cashier, "BRD")
    spend = {"method": "gift_card", "amount": 349, "gift_card": code}
    d.call(cashier, "POST", f"/sales/{bread}/payments", ok=201, json=spend)
    d.call(supervisor, "POST", f"/sales/{bread}/refunds", ok=201, json={"lines": [{"line": 1}], "reason": "stale"})
    listed = d.call(manager, "GET", "/gift-cards")["gift_cards"]
    d.call(manager, "POST", f"/gift-cards/{listed[0]['id']}/void", json={"reason": "lost, replaced"})

    # An exchange, a return without a receipt, and store credit.
    old = _sell(d, cashier, "MLK")
    d.call(cashier, "POST", f"/sales/{old}/payments", ok=201, json={"method": "cash", "amount": 1000})
    new = _sell(d, supervisor, "BRD")
    d.call(
        supervisor,
        "POST",
        f"/sales/{old}/refunds",
        ok=201,
        json={"lines": [{"line": 1}], "reason": "wrong size", "refund_to": "exchange", "exchange_into": new},
    )
    approval = d.call(
        cashier,
        "POST",
        "/auth/approve",
        json={"username": "supervisor", "password": PASSWORD, "permission": "return_without_receipt"},
    )["approval"]
    back = {"lines": [{"sku": "GUM"}], "reason": "no receipt, regular"}
    d.call(cashier, "POST", "/returns", ok=201, json=back, headers={"X-Approval": approval})
    credit = _sell(d, cashier, "APL")
    d.call(cashier, "POST", f"/sales/{credit}/payments", ok=201, json={"method": "cash", "amount": 200})
    d.call(
        manager,
        "POST",
        f"/sales/{credit}/refunds",
        ok=201,
        json={"lines": [{"line": 1}], "reason": "bruised", "refund_to": "gift_card"},
    )

    # A price overridden, an age-restricted item approved, a loyalty customer on the sale.
    wine = {"sku": "WINE", "name": "Red wine", "price": 1599, "tax_class": "standard", "age_restricted": True}
    d.call(manager, "POST", "/products", ok=201, json=wine)
    checked = _sell(d, supervisor, "WINE", "BRD")
    d.call(supervisor, "POST", f"/sales/{checked}/items/2/price", json={"price": 300, "reason": "dented"})
    ada = d.call(cashier, "POST", "/customers", ok=201, json={"name": "Ada", "consent": True})
    d.call(cashier, "PUT", f"/sales/{checked}/customer", json={"customer_id": ada["id"]})
    d.call(supervisor, "GET", f"/sales/{checked}")
    d.call(supervisor, "POST", f"/sales/{checked}/cancel")

    # Parked, resumed, cancelled; the lists a till finds sales in.
    parked = _sell(d, cashier, "APL")
    d.call(cashier, "POST", f"/sales/{parked}/park")
    d.call(cashier, "GET", "/sales", params={"status": "parked"})
    d.call(cashier, "POST", f"/sales/{parked}/resume")
    d.call(cashier, "GET", "/sales", params={"status": "open"})
    d.call(cashier, "POST", f"/sales/{parked}/cancel")
    receipt = d.call(cashier, "GET", f"/sales/{cash}")["receipt_number"]
    d.call(cashier, "GET", "/sales", params={"receipt": receipt})
    d.call(cashier, "GET", "/sales", params={"day": dt.date.today().isoformat()})

    # The drawer's and the office's figures.
    d.call(cashier, "POST", "/shifts/current/paid-in", ok=201, json={"amount": 500, "reason": "coins from safe"})
    d.call(cashier, "POST", "/shifts/current/paid-out", ok=201, json={"amount": 300, "reason": "window cleaner"})
    expected = d.call(manager, "GET", "/shifts/current/x-report")["cash"]["expected"]
    d.call(cashier, "GET", "/shifts/current/x-report")
    nickels = (expected - 20500) // 5  # the day's cash over the float, counted in 5 ¢ coins
    assert d.call(cashier, "GET", "/office/status")["enrolled"] is False
    _enrol(d.store)  # the Z of an enrolled till carries the office link's figures
    assert d.call(cashier, "GET", "/office/status")["enrolled"] is True
    closed = d.call(cashier, "POST", "/shifts/current/close", json={"count": {**FLOAT, "5": nickels}})
    assert closed["office"]["backlog"] > 0  # nothing was sent: no office answers in this test
    d.call(manager, "GET", f"/shifts/{closed['shift']}/z-report")
    d.call(manager, "GET", "/shifts/z-reports")
    d.call(manager, "GET", "/reports/sales")
    for report in ("by-day", "by-tender", "by-tax", "top-products", "returns", "gift-card-liability", "journal"):
        d.call(manager, "GET", f"/reports/{report}")
    d.call(d.login("auditor"), "GET", "/audit")

    # The till turned self-service: an attendant approves the wine a customer scanned.
    d.store.shop.config = dataclasses.replace(d.store.shop.config, mode="self_service")
    kiosk = d.call({}, "POST", "/auth/kiosk")
    d.client.cookies.clear()
    customer = {"authorization": f"Bearer {kiosk['token']}"}
    alone = _sell(d, customer, "WINE")
    attendant = {"username": "supervisor", "password": PASSWORD, "permission": "approve_restricted"}
    approval = d.call(customer, "POST", "/auth/approve", json=attendant)["approval"]
    d.call(customer, "POST", f"/sales/{alone}/approve", headers={"X-Approval": approval})


def _operation(document: dict[str, Any], method: str, path: str) -> tuple[str, dict[str, Any]]:
    """The route (as in the table) and OpenAPI operation a request went to, fixed paths first."""
    found = []
    for template, ops in document["paths"].items():
        if method.lower() in ops and re.fullmatch(re.sub(r"{\w+}", "[^/]+", template), path):
            found.append((template.count("{"), template, ops[method.lower()]))
    assert found, f"no route for {method} {path}"
    _, template, op = min(found, key=lambda f: f[0])
    return f"{method} {template.removeprefix('/api/v1')}", op


def test_every_success_body_of_a_day_matches_the_openapi_schema_of_its_route(day: Day, store: Store) -> None:
    _drive_a_day(day)
    drive_the_back_office(day, store.shop)
    document = describe()
    typed = {_route(ep) for ep in all_endpoints() if ep.returns is not None} - NEEDS_AN_OFFICE
    problems: list[str] = []
    checked: set[str] = set()
    for seen in day.seen:
        route, op = _operation(document, seen.method, seen.path)
        schema = op["responses"][str(seen.status)]["content"]["application/json"]["schema"]
        for error in Draft202012Validator(schema).iter_errors(seen.body):
            problems.append(f"{route} {seen.status}: {error.json_path}: {error.message}")
        checked.add(route)
    assert problems == [], "\n".join(problems[:40])
    assert typed <= checked, f"typed routes the day never called, so never checked: {sorted(typed - checked)}"
    assert len(checked) >= 40, sorted(checked)  # the day really went through the API


def test_every_route_that_answers_json_names_the_typeddict_of_its_body() -> None:
    untyped = {_route(ep): ep.content for ep in all_endpoints() if ep.returns is None}
    assert set(untyped) == set(NOT_JSON), "a route answering JSON names its body's TypedDict (Endpoint.returns)"
    assert "application/json" not in untyped.values()
