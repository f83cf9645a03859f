"""The terminal's routes over HTTP: what a till without a terminal answers, the 4xx with
their reasons, and a retried POST (same Idempotency-Key) charging once."""

from __future__ import annotations

import time
from typing import Any

from starlette.testclient import TestClient

from appliance.app.services import terminal_payments
from appliance.app.services.devices import TillDevices
from appliance.app.services.terminal_desk import TerminalDesk
from tests.conftest import Store, logged_in, new_sale
from tests.fakes.terminal import FakeTerminal


def _with_terminal(store: Store) -> FakeTerminal:
    devices = store.shop.devices
    assert isinstance(devices, TillDevices)
    fake = FakeTerminal()
    devices.terminal = TerminalDesk(fake, in_flight_window=0.0, answer_wait=5.0)
    return fake


def _code(answer: Any) -> tuple[int, str]:
    return answer.status_code, answer.json()["error"]["code"]


def test_a_till_without_a_terminal_says_so(client: TestClient) -> None:
    cashier = logged_in(client, "cashier")
    sale = new_sale(cashier, "96385074")
    answer = cashier.post(f"/api/v1/sales/{sale['id']}/payments/terminal", json={"amount": 349})
    assert _code(answer) == (422, "tender_unavailable")
    assert _code(cashier.get("/api/v1/terminal/status")) == (404, "terminal_not_configured")


def test_bad_requests_get_their_reasons(client: TestClient, store: Store) -> None:
    _with_terminal(store)
    cashier = logged_in(client, "cashier")
    sale = new_sale(cashier, "96385074")
    base = f"/api/v1/sales/{sale['id']}/payments/terminal"
    assert cashier.post(base, json={"amount": 0}).status_code == 400
    assert cashier.post(base, json={"amount": 349, "card": {}}).status_code == 400
    assert _code(cashier.post(base, json={"amount": 9999})) == (422, "amount_exceeds_due")
    assert cashier.get(f"{base}/abc").status_code == 400
    assert _code(cashier.get(f"{base}/99")) == (404, "attempt_not_found")
    assert _code(cashier.post(f"{base}/99/cancel", json={})) == (404, "attempt_not_found")
    assert client.post(base, json={"amount": 349}).status_code == 401


def test_a_retried_post_charges_once_and_a_settled_payment_cannot_be_cancelled(
    client: TestClient, store: Store
) -> None:
    fake = _with_terminal(store)
    cashier = logged_in(client, "cashier")
    sale = new_sale(cashier, "96385074")
    base = f"/api/v1/sales/{sale['id']}/payments/terminal"
    key = {"Idempotency-Key": "tap-once-1"}
    first = cashier.post(base, json={"amount": 349}, headers=key)
    again = cashier.post(base, json={"amount": 349}, headers=key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["terminal"]["id"] == again.json()["terminal"]["id"]
    assert sum(fake.charged().values()) == 349 and [c[0] for c in fake.calls].count("payment") == 1
    attempt = first.json()["terminal"]["id"]
    assert _code(cashier.post(f"{base}/{attempt}/cancel", json={})) == (409, "payment_settled")
    header = cashier.get("/api/v1/terminal/status").json()
    assert header == {"protocol": "fake", "state": "idle", "unresolved": 0, "flagged": 0}


def test_a_short_wait_answers_202_with_the_payment_to_follow_and_cancel(client: TestClient, store: Store) -> None:
    """The till's screen asks for a short wait to show the terminal's state and a Cancel
    button at once, rather than after the desk's answer_wait."""
    fake = _with_terminal(store)
    fake.script = ["wait_for_card"]
    cashier = logged_in(client, "cashier")
    sale = new_sale(cashier, "96385074")
    base = f"/api/v1/sales/{sale['id']}/payments/terminal"
    assert cashier.post(base, json={"amount": 349, "wait": 31}).status_code == 400
    assert cashier.post(base, json={"amount": 349, "wait": "soon"}).status_code == 400
    pending = cashier.post(base, json={"amount": 349, "wait": 0}, headers={"Idempotency-Key": "tap-wait-1"})
    assert pending.status_code == 202
    attempt = pending.json()["terminal"]
    # Answered at once: sent, or already asking for the card, as the terminal then said.
    assert attempt["status"] == "pending" and attempt["terminal_state"] in ("in_progress", "waiting_for_card")
    live = until_state(cashier, f"{base}/{attempt['id']}", "waiting_for_card")
    assert (live["state"], live["decline_reason"]) == ("waiting_for_card", None)
    [following] = cashier.get(base).json()["in_progress"]  # what a reloaded screen finds
    assert (following["id"], following["terminal_state"]) == (attempt["id"], "waiting_for_card")
    assert cashier.post(f"{base}/{attempt['id']}/cancel", json={}).json()["status"] == "cancelled"
    assert sum(fake.charged().values()) == 0


def until_state(client: TestClient, url: str, state: str) -> dict[str, Any]:
    """The payment once the terminal's worker has told its state (another thread gets there)."""
    deadline = time.monotonic() + 10
    while True:
        found: dict[str, Any] = client.get(url).json()
        if found["terminal_state"] == state or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


def test_a_manager_settles_a_held_charge_over_http_and_bad_decisions_get_reasons(
    client: TestClient, store: Store
) -> None:
    fake = _with_terminal(store)
    fake.script = ["in_progress", "refuse_refund"]
    cashier = logged_in(client, "cashier")
    manager = logged_in(client, "manager")
    sale = new_sale(cashier, "96385074")
    base = f"/api/v1/sales/{sale['id']}/payments/terminal"
    attempt = cashier.post(base, json={"amount": 349}, headers={"Idempotency-Key": "late-tap"}).json()["terminal"]
    assert (
        cashier.post(f"/api/v1/sales/{sale['id']}/payments", json={"method": "cash", "amount": 500}).status_code == 201
    )
    reference = next(iter(fake.records))
    fake.finish(reference, "approved")
    devices = store.shop.devices
    assert isinstance(devices, TillDevices) and devices.terminal is not None
    terminal_payments.resolve_open(store.shop, devices.terminal)
    assert cashier.get("/api/v1/terminal/status").json()["flagged"] == 1

    assert _code(cashier.get("/api/v1/terminal/checks")) == (403, "forbidden")
    [check] = manager.get("/api/v1/terminal/checks").json()["checks"]
    assert (check["id"], check["why"], check["amount"]) == (attempt["id"], "charge_held", 349)
    decide = f"/api/v1/terminal/checks/{check['id']}/decision"
    assert manager.post(decide, json={"decision": "burn"}).status_code == 400  # not one of the enum
    assert manager.post(decide, json={"decision": "keep", "sale": 3}).status_code == 400
    assert manager.post("/api/v1/terminal/checks/abc/decision", json={"decision": "keep"}).status_code == 400
    assert _code(manager.post(decide, json={"decision": "keep"})) == (422, "note_required")
    assert _code(manager.post(decide, json={"decision": "attach"})) == (422, "sale_required")
    assert _code(manager.post(decide, json={"decision": "approved"})) == (422, "decision_not_allowed")
    assert _code(manager.post("/api/v1/terminal/checks/999/decision", json={"decision": "refund"})) == (
        404,
        "transaction_not_found",
    )
    assert _code(manager.post(decide, json={"decision": "attach", "sale_id": sale["id"]})) == (409, "sale_completed")
    first = manager.post(decide, json={"decision": "refund", "note": "back to the card"})
    again = manager.post(decide, json={"decision": "refund", "note": "back to the card"})
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    assert first.json()["status"] == "reversed" and fake.charged() == {reference: 0}
    assert _code(manager.post(decide, json={"decision": "keep", "note": "x"})) == (409, "transaction_settled")
    assert manager.get("/api/v1/terminal/checks").json() == {"checks": [], "unresolved": 0}
