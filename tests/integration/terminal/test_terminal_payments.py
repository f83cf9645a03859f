"""Card-present payments through the terminal, exactly once whatever dies: each case checks
the till's books against the terminal double's own record of what it charged."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

import pytest

from appliance.app.domain.errors import Conflict, Invalid
from appliance.app.domain.receipt import render_text
from appliance.app.services import receipts, returns, sale_view, sales, terminal_payments
from appliance.app.services.devices import TillDevices, start_terminal
from appliance.app.services.opening import open_shop
from appliance.app.services.shop import Actor, Shop, utc_now
from appliance.app.services.terminal_desk import TerminalDesk
from appliance.app.services.terminal_payments import PaymentPending
from appliance.app.services.terminal_resolver import header
from appliance.config import Config
from appliance.drivers.terminal import TerminalResult, TerminalTimeout
from tests.fakes.terminal import FakeTerminal
from tests.integration.drivers.nexo_sim import until

from .conftest import actions, logged_in, new_sale, row_of


def test_an_approved_card_completes_the_sale_and_prints_the_terminal_lines(
    shop: Shop, cashier: Actor, desk: TerminalDesk, fake: FakeTerminal
) -> None:
    sale_id = new_sale(shop, cashier)
    attempt = terminal_payments.pay(shop, cashier, desk, sale_id, 1000, "k1")
    assert (attempt["status"], attempt["brand"], attempt["last4"]) == ("approved", "VISA", "4242")
    paid = terminal_payments.answer(shop, desk, attempt)
    assert paid["status"] == "completed" and paid["terminal"]["approved_amount"] == 1000
    reference = row_of(shop, attempt["id"])["reference"]
    assert fake.charged() == {reference: 1000}
    text = render_text(receipts.receipt(shop, cashier, sale_id))
    assert "VISA **** 4242" in text and "PAYMENT ACCEPTED" in text and "MERCHANT COPY" not in text


def test_a_retried_request_is_answered_from_the_first_and_charges_once(
    shop: Shop, cashier: Actor, desk: TerminalDesk, fake: FakeTerminal
) -> None:
    sale_id = new_sale(shop, cashier)
    first = terminal_payments.pay(shop, cashier, desk, sale_id, 1000, "k1")
    again = terminal_payments.pay(shop, cashier, desk, sale_id, 1000, "k1")
    assert again["id"] == first["id"] and again["status"] == "approved"
    assert [c for c in fake.calls if c[0] == "payment"] == [("payment", row_of(shop, first["id"])["reference"])]
    with pytest.raises(Conflict) as reused:
        terminal_payments.pay(shop, cashier, desk, sale_id, 500, "k1")
    assert reused.value.code == "idempotency_key_reused"


def test_a_lost_answer_is_asked_for_never_charged_again(
    shop: Shop, cashier: Actor, desk: TerminalDesk, fake: FakeTerminal
) -> None:
    sale_id = new_sale(shop, cashier)
    fake.script = ["lose_answer"]
    attempt = terminal_payments.pay(shop, cashier, desk, sale_id, 1000, "k1")
    reference = row_of(shop, attempt["id"])["reference"]
    assert attempt["status"] == "approved"  # found by status(), not by paying again
    assert ("status", reference) in fake.calls and fake.charged() == {reference: 1000}
    assert sale_view.get_sale(shop, cashier, sale_id)["status"] == "completed"


def test_while_the_outcome_is_unknown_the_sale_takes_no_other_card_and_a_late_tap_lands(
    shop: Shop, cashier: Actor, desk: TerminalDesk, fake: FakeTerminal
) -> None:
    sale_id = new_sale(shop, cashier)
    fake.script = ["in_progress"]
    attempt = terminal_payments.pay(shop, cashier, desk, sale_id, 1000, "k1")
    assert (attempt["status"], attempt["state"]) == ("pending", "checking")
    assert sale_view.get_sale(shop, cashier, sale_id)["card_pending"] == 1000
    with pytest.raises(PaymentPending):
        terminal_payments.pay(shop, cashier, desk, sale_id, 1000, "k2")
    reference = row_of(shop, attempt["id"])["reference"]
    fake.finish(reference, "approved")
    assert terminal_payments.resolve_open(shop, desk) == ["approved"]
    assert sale_view.get_sale(shop, cashier, sale_id)["status"] == "completed"
    assert fake.charged() == {reference: 1000}


def test_a_not_found_inside_the_window_is_not_nothing(shop: Shop, cashier: Actor, fake: FakeTerminal) -> None:
    desk = TerminalDesk(fake, timeout=5.0, in_flight_window=30.0, answer_wait=5.0)
    sale_id = new_sale(shop, cashier)
    fake.script = ["lost_request"]
    attempt = terminal_payments.pay(shop, cashier, desk, sale_id, 1000, "k1")
    assert attempt["status"] == "pending"  # "not found", but the request may still land
    shop.clock = lambda: utc_now() + dt.timedelta(seconds=31)
    assert terminal_payments.resolve_open(shop, desk) == ["failed"]
    assert row_of(shop, attempt["id"])["decline_reason"] == "not_received"
    done = terminal_payments.pay(shop, cashier, desk, sale_id, 1000, "k2")
    assert done["status"] == "approved" and sum(fake.charged().values()) == 1000


def test_a_charge_that_lands_on_a_sale_paid_cash_meanwhile_goes_back_to_the_card(
    shop: Shop, cashier: Actor, desk: TerminalDesk, fake: FakeTerminal
) -> None:
    sale_id = new_sale(shop, cashier)
    fake.script = ["in_progress"]
    attempt = terminal_payments.pay(shop, cashier, desk, sale_id, 1000, "k1")
    sales.pay_cash(shop, cashier, sale_id, 1000)
    reference = row_of(shop, attempt["id"])["reference"]
    fake.finish(reference, "approved")  # the customer tapped after all
    assert terminal_payments.resolve_open(shop, desk) == ["reversed"]
    assert fake.charged() == {reference: 0}
    sale = sale_view.get_sale(shop, cashier, sale_id)
    assert [p["method"] for p in sale["payments"]] == ["cash"]
    assert {"terminal_charge_unattached", "terminal_charge_refunded"} <= set(actions(shop))


def test_a_late_charge_the_terminal_will_not_give_back_is_flagged_for_a_manager(
    shop: Shop, cashier: Actor, desk: TerminalDesk, fake: FakeTerminal
) -> None:
    sale_id = new_sale(shop, cashier)
    fake.script = ["in_progress", "refuse_refund"]
    attempt = terminal_payments.pay(shop, cashier, desk, sale_id, 1000, "k1")
    sales.cancel_sale(shop, cashier, sale_id)
    reference = row_of(shop, attempt["id"])["reference"]
    fake.finish(reference, "approved")
    assert terminal_payments.resolve_open(shop, desk) == ["flagged"]
    assert fake.charged() == {reference: 1000}  # still held: the till says so, loudly
    assert "terminal_charge_flagged" in actions(shop)
    assert header(shop, cashier, desk)["flagged"] == 1
    assert terminal_payments.resolve_open(shop, desk) == []  # a manager's now: not retried


def test_a_declined_card_then_another_tender(
    shop: Shop, cashier: Actor, desk: TerminalDesk, fake: FakeTerminal
) -> None:
    sale_id = new_sale(shop, cashier)
    fake.script = ["decline"]
    declined = terminal_payments.pay(shop, cashier, desk, sale_id, 1000, "k1")
    assert (declined["status"], declined["decline_reason"]) == ("declined", "insufficient funds")
    with pytest.raises(Invalid) as refused:
        terminal_payments.answer(shop, desk, declined)
    assert refused.value.code == "card_declined" and "insufficient funds" in str(refused.value)
    paid = terminal_payments.pay(shop, cashier, desk, sale_id, 1000, "k2")
    assert paid["status"] == "approved" and sum(fake.charged().values()) == 1000
    assert sale_view.get_sale(shop, cashier, sale_id)["status"] == "completed"


def test_an_unreachable_terminal_on_the_first_send_charged_nothing(
    shop: Shop, cashier: Actor, desk: TerminalDesk, fake: FakeTerminal
) -> None:
    sale_id = new_sale(shop, cashier)
    fake.script = ["unavailable"]
    attempt = terminal_payments.pay(shop, cashier, desk, sale_id, 1000, "k1")
    assert attempt["status"] == "failed"
    with pytest.raises(Conflict) as failed:
        terminal_payments.answer(shop, desk, attempt)
    assert failed.value.code == "terminal_unavailable"
    sales.pay_cash(shop, cashier, sale_id, 1000)
    assert fake.charged() == {}


def test_a_refund_goes_back_to_the_same_card_once(
    shop: Shop, cashier: Actor, manager: Actor, desk: TerminalDesk, fake: FakeTerminal
) -> None:
    sale_id = new_sale(shop, cashier, apples=2)
    attempt = terminal_payments.pay(shop, cashier, desk, sale_id, 2000, "k1")
    reference = row_of(shop, attempt["id"])["reference"]
    refund = returns.refund(shop, manager, sale_id, [{"line": 1, "quantity": 1}], "bruised apple")
    fake.script = ["lose_answer"]  # the terminal refunds, the answer is lost
    sent = terminal_payments.send_refunds(shop, desk, refund["id"])
    assert [(r["amount"], r["status"]) for r in sent] == [(1000, "pending")]
    assert terminal_payments.resolve_open(shop, desk) == ["approved"]  # by status(), not sent again
    assert [c[0] for c in fake.calls].count("refund") == 1
    assert fake.charged() == {reference: 1000}
    assert terminal_payments.send_refunds(shop, desk, refund["id"])[0]["status"] == "approved"


def test_a_refund_the_terminal_refuses_is_flagged(
    shop: Shop, cashier: Actor, manager: Actor, desk: TerminalDesk, fake: FakeTerminal
) -> None:
    sale_id = new_sale(shop, cashier)
    terminal_payments.pay(shop, cashier, desk, sale_id, 1000, "k1")
    refund = returns.refund(shop, manager, sale_id, [{"line": 1}], "wrong item")
    fake.script = ["refuse_refund"]
    assert [r["status"] for r in terminal_payments.send_refunds(shop, desk, refund["id"])] == ["flagged"]
    assert "terminal_refund_flagged" in actions(shop)


def test_cancel_while_the_terminal_waits_for_the_card(
    shop: Shop, cashier: Actor, desk: TerminalDesk, fake: FakeTerminal
) -> None:
    sale_id = new_sale(shop, cashier)
    fake.script = ["wait_for_card"]
    attempt = terminal_payments.pay(shop, cashier, desk, sale_id, 1000, "k1", wait=0.2)
    # Sent; the terminal's worker tells its state as the terminal gives it (another thread).
    assert attempt["status"] == "pending" and attempt["terminal_state"] in ("in_progress", "waiting_for_card")
    until(lambda: desk.state(attempt["id"]) == "waiting_for_card")
    live = terminal_payments.attempt(shop, cashier, desk, sale_id, attempt["id"])
    assert (live["state"], live["terminal_state"]) == ("waiting_for_card", "waiting_for_card")
    cancelled = terminal_payments.cancel(shop, cashier, desk, sale_id, attempt["id"])
    assert cancelled["status"] == "cancelled" and fake.charged() == {}
    assert "terminal_payment_cancel" in actions(shop)
    assert sale_view.get_sale(shop, cashier, sale_id)["status"] == "open"
    with pytest.raises(Conflict):
        terminal_payments.cancel(shop, cashier, desk, sale_id, attempt["id"])


def test_a_card_tapped_while_the_till_waits_lands_once_with_a_retry_in_between(
    shop: Shop, cashier: Actor, desk: TerminalDesk, fake: FakeTerminal
) -> None:
    sale_id = new_sale(shop, cashier)
    fake.script = ["wait_for_card"]
    attempt = terminal_payments.pay(shop, cashier, desk, sale_id, 1000, "k1", wait=0.1)
    again = terminal_payments.pay(shop, cashier, desk, sale_id, 1000, "k1", wait=0.1)  # the page retried
    assert again["id"] == attempt["id"] and again["status"] == "pending"
    fake.present_card(row_of(shop, attempt["id"])["reference"])
    desk.wait(attempt["id"], 5)
    assert row_of(shop, attempt["id"])["status"] == "approved"
    assert [c[0] for c in fake.calls].count("payment") == 1 and sum(fake.charged().values()) == 1000


class Frozen(FakeTerminal):
    """Charges, then never answers: the till's process dies with the request answered on
    the terminal's side only. Released (as a dead connection) when the test ends."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def pay(
        self, reference: str, amount: int, currency: str, *, timeout: float, on_state: object = None
    ) -> TerminalResult:
        super().pay(reference, amount, currency, timeout=timeout)
        self.release.wait(30)
        raise TerminalTimeout("the till died")


def test_a_crash_between_the_intent_and_the_answer_is_settled_at_the_restart(
    shop: Shop, cashier: Actor, tmp_path: Path
) -> None:
    frozen = Frozen()
    desk = TerminalDesk(frozen, timeout=5.0, in_flight_window=0.0, answer_wait=0.2)
    sale_id = new_sale(shop, cashier)
    attempt = terminal_payments.pay(shop, cashier, desk, sale_id, 1000, "k1")
    assert attempt["status"] == "pending"
    reference = row_of(shop, attempt["id"])["reference"]
    assert frozen.charged() == {reference: 1000}
    try:
        # The restart: a new process opens the store and meets the same terminal.
        config = Config(data_dir=shop.config.data_dir, terminal_id=shop.config.terminal_id)
        restarted = open_shop(config)
        devices = TillDevices()
        try:
            start_terminal(restarted, devices, terminal=frozen)
            again = logged_in(restarted, "cashier")
            assert sale_view.get_sale(restarted, again, sale_id)["status"] == "completed"
            assert row_of(restarted, attempt["id"])["status"] == "approved"
            assert [c[0] for c in frozen.calls].count("payment") == 1
        finally:
            devices.close()
            restarted.close()
    finally:
        shop.close()  # the old process's worker then finds its store gone
        frozen.release.set()


def test_the_background_resolver_lands_a_late_tap_without_the_till_asking(
    shop: Shop, cashier: Actor, fake: FakeTerminal
) -> None:
    devices = TillDevices()
    desk = start_terminal(shop, devices, fake, in_flight_window=0.0, answer_wait=5.0)
    try:
        sale_id = new_sale(shop, cashier)
        fake.script = ["in_progress"]
        attempt = terminal_payments.pay(shop, cashier, desk, sale_id, 1000, "k1")
        assert attempt["status"] == "pending"
        fake.finish(row_of(shop, attempt["id"])["reference"], "approved")
        deadline = time.monotonic() + 20
        while row_of(shop, attempt["id"])["status"] == "pending" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert row_of(shop, attempt["id"])["status"] == "approved"
        assert sale_view.get_sale(shop, cashier, sale_id)["status"] == "completed"
    finally:
        devices.close()
