"""The Caisse-AP driver against the simulated terminal over TCP: payments, declines,
refunds, amounts in currencies of 0, 2 and 3 decimals, and what the terminal keeps."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from appliance.drivers.terminal import TerminalRejected, TerminalState, TerminalTimeout, TerminalUnavailable, connect
from appliance.drivers.terminal_sim_caisse_ap import records, tell
from appliance.security.pan_scan import scan_paths

from .caisse_ap_sim import Simulator, free_port, sim

__all__ = ["sim"]


def test_an_approved_payment_carries_what_the_shop_keeps(sim: Simulator) -> None:
    heard: list[TerminalState] = []
    result = sim.terminal().pay("cmp-0001", 12345, "EUR", timeout=10, on_state=heard.append)
    assert (result.outcome, result.kind, result.amount, result.currency) == ("approved", "payment", 12345, "EUR")
    assert (result.brand, result.last_four) == ("Visa", "0019")
    assert result.auth_code and result.auth_code.isdigit() and result.terminal_reference == result.auth_code
    assert "NUM AUTO : " + result.auth_code in result.customer_receipt
    assert "123,45 EUR" in result.customer_receipt
    assert heard == ["in_progress"]  # Caisse-AP says nothing of the card or the PIN before the end
    [record] = records(sim.state)
    assert (record["reference"], record["action"], record["amount"], record["currency"]) == (
        "cmp-0001",
        "debit",
        12345,
        "978",
    )
    assert (record["state"], record["auth"]) == ("approved", result.auth_code)


def test_the_driver_is_reached_through_the_terminal_url(sim: Simulator) -> None:
    terminal = connect(f"caisse-ap://127.0.0.1:{sim.port}?caisse=07&lookup=journal")
    assert terminal.protocol == "caisse-ap"
    assert terminal.pay("cmp-url", 100, "EUR", timeout=10).approved
    assert records(sim.state)[0]["caisse"] == "07"


def test_the_tills_long_references_travel_as_a_digest_that_status_finds(sim: Simulator) -> None:
    # The till's references are longer than CF's 32 characters: a payment's is 36, its
    # reversal's 45. They were refused unsent ("reference"), so no card sale went through.
    payment = "trm-" + "0123456789abcdef" * 2
    reversal = payment + "-reversal"
    assert sim.terminal().pay(payment, 700, "EUR", timeout=10).approved
    assert sim.terminal().refund(reversal, 700, "EUR", timeout=10).approved
    sent = [r["reference"] for r in records(sim.state)]
    assert [len(cf) for cf in sent] == [32, 32] and sent[0] != sent[1]
    assert sim.terminal().status(payment).outcome == "approved"
    assert sim.terminal().status(payment).reference == payment
    assert sim.terminal().status(reversal).kind == "refund"
    assert sim.terminal().status(payment + "x").outcome == "not_found"


def test_a_decline_says_why_and_charges_nothing(sim: Simulator) -> None:
    tell(sim.state, ["decline"])
    result = sim.terminal().pay("cmp-0002", 5000, "EUR", timeout=10)
    assert (result.outcome, result.amount, result.decline_reason) == ("declined", 0, "Refusée (04)")
    assert not result.approved and result.settled
    assert [r["state"] for r in records(sim.state)] == ["declined"]
    assert sim.terminal().status("cmp-0002").outcome == "declined"


def test_a_refund_is_a_credit_to_the_card_presented(sim: Simulator) -> None:
    terminal = sim.terminal()
    paid = terminal.pay("cmp-0003", 2500, "EUR", timeout=10)
    refunded = terminal.refund("rfd-0003", 1000, "EUR", original=paid, timeout=10)
    assert (refunded.outcome, refunded.kind, refunded.amount) == ("approved", "refund", 1000)
    assert "CREDIT" in refunded.customer_receipt
    assert [(r["reference"], r["action"], r["amount"]) for r in records(sim.state)] == [
        ("cmp-0003", "debit", 2500),
        ("rfd-0003", "credit", 1000),
    ]
    assert terminal.status("rfd-0003").kind == "refund"


@pytest.mark.parametrize(
    ("currency", "amount", "numeric", "printed"),
    [
        ("EUR", 1, "978", "0,01 EUR"),
        ("JPY", 500, "392", "500 JPY"),
        ("TND", 1500, "788", "1,500 TND"),
        ("EUR", 999_999_999_999, "978", "9999999999,99 EUR"),
    ],
)
def test_amounts_are_exact_minor_units_whatever_the_exponent(
    sim: Simulator, currency: str, amount: int, numeric: str, printed: str
) -> None:
    result = sim.terminal().pay("cmp-amount", amount, currency, timeout=10)
    assert (result.amount, result.currency) == (amount, currency)
    assert printed in result.customer_receipt
    [record] = records(sim.state)
    assert (record["amount"], record["currency"]) == (amount, numeric)


def test_an_amount_or_currency_caisse_ap_cannot_carry_is_refused_before_sending(sim: Simulator) -> None:
    terminal = sim.terminal()
    for amount, currency, code in [
        (0, "EUR", "amount"),
        (-100, "EUR", "amount"),
        (10**12, "EUR", "amount"),
        (100, "XXX", "currency"),
    ]:
        with pytest.raises(TerminalRejected) as refused:
            terminal.pay("cmp-bad", amount, currency, timeout=10)
        assert refused.value.code == code
    with pytest.raises(TerminalRejected) as refused:
        terminal.pay("a reference with spaces", 100, "EUR", timeout=10)
    assert refused.value.code == "reference"
    assert records(sim.state) == []


def test_pin_then_approved(sim: Simulator) -> None:
    tell(sim.state, ["pin", "approve"])
    terminal = sim.terminal()
    heard: list[TerminalState] = []
    assert terminal.pay("cmp-pin", 700, "EUR", timeout=10, on_state=heard.append).approved
    # The terminal asked for the PIN; Caisse-AP does not tell the till so: "in progress" only.
    assert heard == ["in_progress"]
    assert terminal.pay("cmp-next", 800, "EUR", timeout=10).approved
    assert [(r["behaviour"], r["state"]) for r in records(sim.state)] == [("pin", "approved"), ("approve", "approved")]


def test_an_unknown_reference_is_not_found_only_when_the_terminal_says_so(sim: Simulator) -> None:
    sim.terminal().pay("cmp-known", 100, "EUR", timeout=10)
    assert sim.terminal(lookup="journal").status("cmp-never-sent").outcome == "not_found"
    # A terminal not known to search its journal cannot tell "never heard of it".
    assert sim.terminal(lookup="last").status("cmp-never-sent").outcome == "in_progress"
    assert sim.terminal(lookup="last").status("cmp-known").outcome == "approved"


def test_cancel_from_the_till_is_refused_with_its_reason(sim: Simulator) -> None:
    with pytest.raises(TerminalRejected) as refused:
        sim.terminal().cancel("cmp-0004")
    assert refused.value.code == "cancel_not_supported"


def test_terminal_status_idle_then_offline(sim: Simulator) -> None:
    assert sim.terminal().terminal_status() == "idle"
    sim.stop()
    assert sim.terminal().terminal_status() == "offline"


def test_nothing_listening_is_unavailable_and_nothing_was_sent() -> None:
    terminal = connect(f"caisse-ap://127.0.0.1:{free_port()}")
    with pytest.raises(TerminalUnavailable):
        terminal.pay("cmp-0005", 100, "EUR", timeout=5)
    with pytest.raises(TerminalUnavailable):
        terminal.status("cmp-0005")


def test_the_terminal_state_file_holds_no_card_number(sim: Simulator) -> None:
    terminal = sim.terminal()
    tell(sim.state, ["approve", "decline", "pin", "lose-answer"])
    for n in range(4):
        try:
            terminal.pay(f"cmp-day-{n}", 1000 + n, "EUR", timeout=10)
        except TerminalTimeout:  # the lost answer
            pass
    terminal.refund("rfd-day", 500, "EUR", timeout=10)
    assert len(records(sim.state)) == 5
    assert scan_paths([sim.state.parent]).findings == []
    typed = subprocess.run(
        [sys.executable, "-m", "appliance", "pan-scan", str(sim.state)],
        capture_output=True,
        text=True,
        env={**os.environ, "COMPTOIR_DATA_DIR": ""},
        check=False,
    )
    assert (typed.returncode, "no card data found" in typed.stderr) == (0, True), typed.stdout + typed.stderr
    # The scan does find a number written beside it (built here, never written in a file).
    body = "4970" + "1000" + "0000" + "001"
    pan = body + str(next(d for d in range(10) if _luhn(body + str(d))))
    (sim.state.parent / "planted.json").write_text('{"card": "' + pan + '"}')
    assert len(scan_paths([sim.state.parent]).findings) == 1


def _luhn(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0
