"""A customer alone at a self-service till pays by terminal on their own sale, follows it
and cancels it; another sale's terminal payment is none of theirs (404, as the sale is)."""

from __future__ import annotations

import dataclasses
from typing import Any, cast

import pytest
from starlette.testclient import TestClient

from appliance.app.domain.errors import Invalid
from appliance.app.services import auth, card_payments
from appliance.app.services.card_desk import CardDesk
from appliance.app.services.devices import TillDevices
from appliance.app.services.terminal_desk import TerminalDesk
from tests.conftest import Api, Store, logged_in, new_sale
from tests.fakes.terminal import FakeTerminal
from tests.integration.terminal.test_terminal_http import until_state


def _with_terminal(store: Store) -> FakeTerminal:
    devices = store.shop.devices
    assert isinstance(devices, TillDevices)
    fake = FakeTerminal()
    devices.terminal = TerminalDesk(fake, in_flight_window=0.0, answer_wait=120.0)
    return fake


def _kiosk(client: TestClient, store: Store) -> Api:
    store.shop.config = dataclasses.replace(store.shop.config, mode="self_service")
    answer = client.post("/api/v1/auth/kiosk")
    assert answer.status_code == 200, answer.text
    client.cookies.clear()
    return Api(client, answer.json()["token"])


def _code(answer: Any) -> tuple[int, str]:
    return answer.status_code, answer.json()["error"]["code"]


def test_a_customer_pays_by_terminal_and_cancels_on_their_own_sale(client: TestClient, store: Store) -> None:
    fake = _with_terminal(store)
    customer = _kiosk(client, store)
    sale = new_sale(customer, "96385074")
    base = f"/api/v1/sales/{sale['id']}/payments/terminal"
    fake.script.append("wait_for_card")
    # wait 0: answered at once, not once the card is tapped, so the screen can follow and cancel
    body = {"amount": sale["totals"]["due"], "wait": 0}
    waiting = customer.post(base, json=body, headers={"Idempotency-Key": "kiosk-pay-1"})
    assert waiting.status_code == 202, waiting.text
    attempt = waiting.json()["terminal"]["id"]
    assert until_state(customer, f"{base}/{attempt}", "waiting_for_card")["state"] == "waiting_for_card"
    assert [a["id"] for a in customer.get(base).json()["in_progress"]] == [attempt]
    cancelled = customer.post(f"{base}/{attempt}/cancel", json={})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    paid = customer.post(base, json={"amount": sale["totals"]["due"]}, headers={"Idempotency-Key": "kiosk-pay-2"})
    assert paid.status_code == 201 and paid.json()["status"] == "completed"
    assert customer.get("/api/v1/terminal/status").json()["state"] == "idle"
    # Caisse-AP carries our reference in 1-32 characters, with "-reversal" or "-refund-ID" added.
    assert {len(reference) for _, reference in fake.calls} == {16}


def test_a_customer_cannot_touch_another_sales_terminal_payment(client: TestClient, store: Store) -> None:
    fake = _with_terminal(store)
    cashier = logged_in(client, "cashier")
    staff_sale = new_sale(cashier, "96385074")
    staff_base = f"/api/v1/sales/{staff_sale['id']}/payments/terminal"
    fake.script.append("wait_for_card")
    waiting = cashier.post(staff_base, json={"amount": staff_sale["totals"]["due"], "wait": 0})
    assert waiting.status_code == 202, waiting.text
    attempt = waiting.json()["terminal"]["id"]

    customer = _kiosk(client, store)
    own = new_sale(customer, "96385074")
    assert _code(customer.get(f"{staff_base}/{attempt}")) == (404, "sale_not_found")
    assert _code(customer.post(f"{staff_base}/{attempt}/cancel", json={})) == (404, "sale_not_found")
    # Their own sale's path with the other sale's attempt: no such payment on their sale.
    own_base = f"/api/v1/sales/{own['id']}/payments/terminal"
    assert _code(customer.get(f"{own_base}/{attempt}")) == (404, "attempt_not_found")
    assert _code(customer.post(f"{own_base}/{attempt}/cancel", json={})) == (404, "attempt_not_found")
    for key in (None, "kiosk-other-1"):
        headers = {"Idempotency-Key": key} if key else {}
        taken = customer.post(staff_base, json={"amount": staff_sale["totals"]["due"]}, headers=headers)
        assert _code(taken) == (404, "sale_not_found")
    # Nothing was asked of the terminal on the staff sale's account, and its payment still waits.
    assert [what for what, _ in fake.calls if what != "payment"] == []
    assert cashier.get(f"{staff_base}/{attempt}").json()["status"] == "pending"
    assert cashier.post(f"{staff_base}/{attempt}/cancel", json={}).json()["status"] == "cancelled"


def test_a_customer_never_pays_with_a_typed_card_number(client: TestClient, store: Store) -> None:
    customer = _kiosk(client, store)
    sale = new_sale(customer, "96385074")
    who = auth.kiosk_session(store.shop, "testclient").actor  # the same kiosk account
    card = {"number": "4111111111111111", "exp_month": 12, "exp_year": 2030}
    with pytest.raises(Invalid) as refused:
        card_payments.pay_card(store.shop, who, cast(CardDesk, None), sale["id"], 350, card)
    assert refused.value.code == "tender_unavailable"
