"""A manager settles what a real Caisse-AP driver and the simulated terminal (its own
process) leave for one: a payment whose consultation cannot tell (the terminal never
answered, and a terminal that cannot search its journal by our reference says "in
progress" for ever), and a refund the terminal lost in a reboot (flagged, never resent on
its own). Each decision is checked against the till's books and the terminal's journal."""

from __future__ import annotations

import datetime as dt

import pytest

from appliance.app.services import returns, sale_view, sales, terminal_checks, terminal_payments
from appliance.app.services.shop import Actor, Shop, utc_now
from appliance.app.services.terminal_desk import TerminalDesk
from appliance.drivers.terminal_caisse_ap import CaisseApTerminal
from appliance.drivers.terminal_sim_caisse_ap import records, tell

from .caisse_ap_sim import Simulator, sim
from .conftest import new_sale, row_of

__all__ = ["sim"]


def _desk(sim: Simulator, *, lookup: str) -> TerminalDesk:
    terminal = CaisseApTerminal("127.0.0.1", sim.port, currency="CAD", lookup=lookup, status_timeout=5.0)
    return TerminalDesk(terminal, timeout=1.0, in_flight_window=0.0, answer_wait=10.0)


def _later(shop: Shop) -> None:
    shop.clock = lambda: utc_now() + dt.timedelta(minutes=5)


def test_a_payment_the_terminal_cannot_tell_is_settled_by_the_managers_reading_of_its_journal(
    shop: Shop, cashier: Actor, manager: Actor, sim: Simulator
) -> None:
    desk = _desk(sim, lookup="last")  # a terminal that cannot search its journal by our reference
    sale_id = new_sale(shop, cashier)
    tell(sim.state, ["timeout"])
    attempt = terminal_payments.pay(shop, cashier, desk, sale_id, 1000, "k1")
    assert attempt["status"] == "pending"
    _later(shop)
    assert terminal_payments.resolve_open(shop, desk) == ["pending"]  # it cannot tell, ever
    [check] = terminal_checks.checks(shop, manager, desk)["checks"]
    assert (check["id"], check["why"]) == (attempt["id"], "outcome_unknown")
    assert [r["state"] for r in records(sim.state)] == ["processing"]  # nothing approved in its journal
    decided = terminal_checks.decide(shop, manager, desk, attempt["id"], "not_approved", note="journal: not done")
    assert (decided["status"], decided["settled"]) == ("declined", True)
    sales.pay_cash(shop, cashier, sale_id, 1000)
    sale = sale_view.get_sale(shop, cashier, sale_id)
    assert sale["status"] == "completed" and [p["method"] for p in sale["payments"]] == ["cash"]
    assert terminal_checks.checks(shop, manager, desk)["checks"] == []


@pytest.mark.parametrize("decision", ["refund", "keep"])
def test_a_refund_lost_in_a_reboot_is_flagged_then_sent_again_or_kept(
    shop: Shop, cashier: Actor, manager: Actor, sim: Simulator, decision: str
) -> None:
    desk = _desk(sim, lookup="journal")
    sale_id = new_sale(shop, cashier)
    assert terminal_payments.pay(shop, cashier, desk, sale_id, 1000, "k1")["status"] == "approved"
    refund = returns.refund(shop, manager, sale_id, [{"line": 1}], "wrong item")
    tell(sim.state, ["restart"])
    [sent] = terminal_payments.send_refunds(shop, desk, refund["id"])
    assert sent["status"] == "pending" and sim.exited() != 0
    sim.start()
    assert terminal_payments.resolve_open(shop, desk) == ["flagged"]  # the journal: not done (07)
    assert [r["state"] for r in records(sim.state)] == ["approved", "cancelled"]
    [check] = terminal_checks.checks(shop, manager, desk)["checks"]
    assert (check["id"], check["why"], check["kind"]) == (sent["id"], "refund_refused", "refund")
    note = "given back in cash" if decision == "keep" else ""
    decided = terminal_checks.decide(shop, manager, desk, sent["id"], decision, note=note)
    assert decided["settled"]
    journal = [(r["action"], r["state"], r["amount"]) for r in records(sim.state)]
    paid, lost = ("debit", "approved", 1000), ("credit", "cancelled", 1000)
    if decision == "refund":
        assert row_of(shop, decided["replaced_by"] or 0)["status"] == "approved"
        assert journal == [paid, lost, ("credit", "approved", 1000)]  # credited once, now
    else:
        assert journal == [paid, lost]  # the terminal did nothing more: the note says how it was settled
    assert terminal_checks.checks(shop, manager, desk)["checks"] == []
