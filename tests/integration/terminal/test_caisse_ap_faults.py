"""What the till learns from a Caisse-AP terminal when things go wrong mid-transaction:
a lost answer, a terminal that never answers, one that reboots, one busy with another
payment. The rule checked each time: an unknown outcome is TerminalTimeout, and status()
by our reference then says what the terminal's own journal says, never "not found" for a
transaction the terminal holds."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from appliance.drivers.terminal import TerminalResult, TerminalTimeout
from appliance.drivers.terminal_sim_caisse_ap import records, tell

from .caisse_ap_sim import Simulator, sim

__all__ = ["sim"]


def test_a_lost_answer_is_unknown_then_status_finds_the_charge(sim: Simulator) -> None:
    tell(sim.state, ["lose-answer"])
    terminal = sim.terminal()
    with pytest.raises(TerminalTimeout):
        terminal.pay("cmp-lost", 4200, "EUR", timeout=10)
    found = terminal.status("cmp-lost")
    assert (found.outcome, found.kind, found.amount, found.currency) == ("approved", "payment", 4200, "EUR")
    assert found.auth_code == records(sim.state)[0]["auth"]
    assert found.last_four == "0019"


def test_a_terminal_that_never_answers_times_out_and_stays_in_progress(sim: Simulator) -> None:
    tell(sim.state, ["timeout"])
    terminal = sim.terminal()
    with pytest.raises(TerminalTimeout):
        terminal.pay("cmp-silent", 1000, "EUR", timeout=1)
    assert terminal.status("cmp-silent").outcome == "in_progress"
    assert [r["state"] for r in records(sim.state)] == ["processing"]


def test_a_restart_mid_transaction_ends_with_the_journal_saying_nothing_was_charged(sim: Simulator) -> None:
    tell(sim.state, ["restart"])
    with pytest.raises(TerminalTimeout):
        sim.terminal().pay("cmp-reboot", 3000, "EUR", timeout=10)
    assert sim.exited() != 0
    assert [r["state"] for r in records(sim.state)] == ["processing"]
    sim.start()
    found = sim.terminal().status("cmp-reboot")
    assert (found.outcome, found.amount, found.decline_reason) == ("cancelled", 0, "Non aboutie (07)")
    [record] = records(sim.state)
    assert (record["state"], record["reason"]) == ("cancelled", "07")
    assert sim.terminal().pay("cmp-after", 3000, "EUR", timeout=10).approved


def test_while_a_card_is_awaited_the_terminal_is_busy_and_a_second_payment_is_not_taken(sim: Simulator) -> None:
    tell(sim.state, ["wait:60"])
    first: list[TerminalResult | Exception] = []

    def pay() -> None:
        try:
            first.append(sim.terminal().pay("cmp-waiting", 1500, "EUR", timeout=3))
        except TerminalTimeout as exc:
            first.append(exc)

    payer = threading.Thread(target=pay)
    payer.start()
    deadline = time.monotonic() + 10
    while not records(sim.state) and time.monotonic() < deadline:
        time.sleep(0.02)
    terminal = sim.terminal()
    assert terminal.status("cmp-waiting").outcome == "in_progress"
    assert terminal.terminal_status() == "busy"
    with pytest.raises(TerminalTimeout):
        terminal.pay("cmp-second", 900, "EUR", timeout=3)
    assert terminal.status("cmp-second").outcome == "not_found"
    payer.join()
    assert isinstance(first[0], TerminalTimeout)
    assert [r["reference"] for r in records(sim.state)] == ["cmp-waiting"]


def test_a_short_wait_for_the_card_ends_approved(sim: Simulator) -> None:
    tell(sim.state, ["wait:0.5"])
    assert sim.terminal().pay("cmp-slow", 1500, "EUR", timeout=10).approved
    assert records(sim.state)[0]["behaviour"] == "wait:0.5"


def test_a_terminal_never_served_has_an_empty_journal(tmp_path: Path) -> None:
    assert records(tmp_path / "nowhere" / "state.json") == []
    tell(tmp_path / "later" / "state.json", ["decline"])
    assert records(tmp_path / "later" / "state.json") == []


def test_a_behaviour_the_simulator_does_not_know_is_refused(sim: Simulator) -> None:
    with pytest.raises(ValueError, match="unknown behaviour"):
        tell(sim.state, ["explode"])
    with pytest.raises(ValueError, match="unknown behaviour"):
        tell(sim.state, ["wait:soon"])
