"""A manager settles what the terminal moved and the till could not put right (services/
terminal_checks.py). Each kind of flag is produced through the terminal double, then each
decision is checked against the books (the sale's payments, the till's terminal records)
and against the double's own record of what it holds."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest

from appliance.app.domain.errors import Conflict, Forbidden, Invalid, NotFound
from appliance.app.services import audit_log, returns, sale_view, sales, terminal_checks, terminal_payments
from appliance.app.services.shop import Actor, Shop, utc_now
from appliance.app.services.terminal_desk import TerminalDesk
from appliance.app.services.terminal_resolver import header
from appliance.app.store import terminal_transactions
from tests.fakes.terminal import FakeTerminal

from .conftest import actions, new_sale, row_of


def _held_charge(shop: Shop, cashier: Actor, desk: TerminalDesk, fake: FakeTerminal, *, paid: str = "cash") -> int:
    """A charge the terminal reports after its sale was paid otherwise (or cancelled), whose
    reversal the terminal refuses: the till flags it."""
    sale_id = new_sale(shop, cashier)
    fake.script = ["in_progress", "refuse_refund"]
    attempt = terminal_payments.pay(shop, cashier, desk, sale_id, 1000, "k1")
    if paid == "cash":
        sales.pay_cash(shop, cashier, sale_id, 1000)
    else:
        sales.cancel_sale(shop, cashier, sale_id)
    fake.finish(row_of(shop, attempt["id"])["reference"], "approved")
    assert terminal_payments.resolve_open(shop, desk) == ["flagged"]
    return attempt["id"]


def _refused_refund(
    shop: Shop, cashier: Actor, manager: Actor, desk: TerminalDesk, fake: FakeTerminal
) -> tuple[int, int]:
    """A card sale, then a refund the terminal refuses: (the sale, the flagged refund)."""
    sale_id = new_sale(shop, cashier)
    terminal_payments.pay(shop, cashier, desk, sale_id, 1000, "k1")
    refund = returns.refund(shop, manager, sale_id, [{"line": 1}], "wrong item")
    fake.script = ["refuse_refund"]
    [sent] = terminal_payments.send_refunds(shop, desk, refund["id"])
    assert sent["status"] == "flagged"
    return sale_id, sent["id"]


def _later(shop: Shop, seconds: float) -> None:
    shop.clock = lambda: utc_now() + dt.timedelta(seconds=seconds)


def _listed(shop: Shop, manager: Actor, desk: TerminalDesk) -> dict[int, terminal_checks.TerminalCheck]:
    return {check["id"]: check for check in terminal_checks.checks(shop, manager, desk)["checks"]}


def _methods(shop: Shop, manager: Actor, sale_id: int) -> list[tuple[str, int]]:
    return [(p["method"], p["amount"]) for p in sale_view.get_sale(shop, manager, sale_id)["payments"]]


def _decisions(shop: Shop) -> list[tuple[int, str, str]]:
    rows = shop.db.conn.execute("SELECT transaction_id, decision, note FROM terminal_decisions ORDER BY id")
    return [(int(r[0]), str(r[1]), str(r[2])) for r in rows.fetchall()]


# -- a charge held with no sale -----------------------------------------------------------------


def test_a_held_charge_is_listed_with_what_a_manager_may_do(
    shop: Shop, cashier: Actor, manager: Actor, desk: TerminalDesk, fake: FakeTerminal
) -> None:
    held = _held_charge(shop, cashier, desk, fake)
    [check] = terminal_checks.checks(shop, manager, desk)["checks"]
    row = row_of(shop, held)
    assert check == {
        "id": held,
        "kind": "charge",
        "sale_id": row["sale_id"],
        "amount": 1000,
        "currency": row["currency"],
        "reference": row["reference"],
        "terminal_reference": f"T-{row['reference']}",
        "card": "VISA 4242",
        "status": "flagged",
        "why": "charge_held",
        "reason": "insufficient funds",  # the terminal's words on the refused reversal
        "created_at": row["created_at"],
        "last_sent_at": row["last_sent_at"],
        "decisions": ["refund", "attach", "keep", "not_approved"],
        "last_decision": None,
    }
    with pytest.raises(Forbidden):
        terminal_checks.checks(shop, cashier, desk)


def test_refund_gives_a_held_charge_back_on_the_terminal_once(
    shop: Shop, cashier: Actor, manager: Actor, desk: TerminalDesk, fake: FakeTerminal
) -> None:
    held = _held_charge(shop, cashier, desk, fake)
    sale_id, reference = row_of(shop, held)["sale_id"], row_of(shop, held)["reference"]
    decided = terminal_checks.decide(shop, manager, desk, held, "refund", note="customer asked")
    assert (decided["status"], decided["settled"], decided["decided_by"]) == ("reversed", True, "manager")
    assert fake.charged() == {reference: 0}  # given back to the card
    assert row_of(shop, decided["replaced_by"] or 0)["reference"] == reference + "-reversal-2"
    assert _methods(shop, manager, sale_id) == [("cash", 1000)]  # the sale's books did not move
    assert _listed(shop, manager, desk) == {} and header(shop, cashier, desk)["flagged"] == 0
    assert actions(shop)[-2:] == ["terminal_decision", "terminal_charge_refunded"]
    # The same request again answers the same and sends nothing; another one is refused.
    refunds_sent = [c[0] for c in fake.calls].count("refund")
    assert terminal_checks.decide(shop, manager, desk, held, "refund", note="customer asked") == decided
    assert [c[0] for c in fake.calls].count("refund") == refunds_sent
    with pytest.raises(Conflict) as other:
        terminal_checks.decide(shop, manager, desk, held, "keep", note="no")
    assert other.value.code == "transaction_settled"


def test_a_refund_the_terminal_refuses_again_stays_for_a_manager_who_keeps_it(
    shop: Shop, cashier: Actor, manager: Actor, desk: TerminalDesk, fake: FakeTerminal
) -> None:
    held = _held_charge(shop, cashier, desk, fake, paid="cancelled")
    reference = row_of(shop, held)["reference"]
    fake.script = ["refuse_refund"]
    decided = terminal_checks.decide(shop, manager, desk, held, "refund")
    assert (decided["status"], decided["settled"]) == ("flagged", False)
    assert _listed(shop, manager, desk)[held]["last_decision"] == "refund"
    assert fake.charged() == {reference: 1000}
    with pytest.raises(Invalid) as bare:
        terminal_checks.decide(shop, manager, desk, held, "keep", note="  ")
    assert bare.value.code == "note_required"
    kept = terminal_checks.decide(shop, manager, desk, held, "keep", note="10.00 given back in cash from the drawer")
    assert (kept["status"], kept["settled"], kept["decision"]) == ("flagged", True, "keep")
    assert _listed(shop, manager, desk) == {} and header(shop, cashier, desk)["flagged"] == 0
    assert fake.charged() == {reference: 1000}  # the terminal still holds it: the note says how it was settled
    assert _decisions(shop) == [(held, "refund", ""), (held, "keep", "10.00 given back in cash from the drawer")]


def test_attach_puts_a_held_charge_on_an_open_sale_whose_refund_then_goes_to_the_card(
    shop: Shop, cashier: Actor, manager: Actor, desk: TerminalDesk, fake: FakeTerminal
) -> None:
    held = _held_charge(shop, cashier, desk, fake, paid="cancelled")
    reference = row_of(shop, held)["reference"]
    small = new_sale(shop, cashier)
    sales.pay_cash(shop, cashier, small, 500)  # 500 left due: the 1000 charge does not fit
    with pytest.raises(Invalid) as too_much:
        terminal_checks.decide(shop, manager, desk, held, "attach", sale_id=small)
    assert too_much.value.code == "amount_exceeds_due"
    with pytest.raises(NotFound):
        terminal_checks.decide(shop, manager, desk, held, "attach", sale_id=9999)
    with pytest.raises(Invalid) as no_sale:
        terminal_checks.decide(shop, manager, desk, held, "attach")
    assert no_sale.value.code == "sale_required"
    rung_again = new_sale(shop, cashier)
    decided = terminal_checks.decide(shop, manager, desk, held, "attach", sale_id=rung_again, note="rung again")
    assert (decided["status"], decided["settled"], decided["sale_id"]) == ("approved", True, rung_again)
    sale = sale_view.get_sale(shop, manager, rung_again)
    assert sale["status"] == "completed" and _methods(shop, manager, rung_again) == [("card", 1000)]
    assert row_of(shop, held)["sale_id"] == rung_again and fake.charged() == {reference: 1000}
    with pytest.raises(Conflict):
        terminal_checks.decide(shop, manager, desk, held, "attach", sale_id=small)
    # Now an ordinary terminal payment of that sale: its refund goes back to the same card.
    refund = returns.refund(shop, manager, rung_again, [{"line": 1}], "changed their mind")
    assert [r["status"] for r in terminal_payments.send_refunds(shop, desk, refund["id"])] == ["approved"]
    assert fake.charged() == {reference: 0}
    [entry] = [e for e in audit_log.entries(shop) if e["action"] == "terminal_decision"]
    details = json.loads(entry["details"])
    assert (details["decision"], details["to_sale"], details["note"]) == ("attach", rung_again, "rung again")
    assert "manager" in entry["actor"]


def test_not_approved_closes_a_held_charge_the_terminals_journal_does_not_show(
    shop: Shop, cashier: Actor, manager: Actor, desk: TerminalDesk, fake: FakeTerminal
) -> None:
    held = _held_charge(shop, cashier, desk, fake)
    decided = terminal_checks.decide(shop, manager, desk, held, "not_approved", note="not on the journal")
    assert (decided["status"], decided["settled"]) == ("flagged", True)
    assert _listed(shop, manager, desk) == {}


# -- a refund the terminal refused --------------------------------------------------------------


def test_a_refused_refund_sent_again_reaches_the_card(
    shop: Shop, cashier: Actor, manager: Actor, desk: TerminalDesk, fake: FakeTerminal
) -> None:
    sale_id, refused = _refused_refund(shop, cashier, manager, desk, fake)
    payment = row_of(shop, row_of(shop, refused)["original_id"])
    check = _listed(shop, manager, desk)[refused]
    assert (check["kind"], check["why"], check["decisions"]) == ("refund", "refund_refused", ["refund", "keep"])
    assert check["card"] == "VISA 4242"
    with pytest.raises(Invalid) as wrong:
        terminal_checks.decide(shop, manager, desk, refused, "attach", sale_id=sale_id)
    assert wrong.value.code == "decision_not_allowed"
    decided = terminal_checks.decide(shop, manager, desk, refused, "refund", note="acquirer back up")
    assert decided["settled"] and decided["replaced_by"] is not None
    again = row_of(shop, decided["replaced_by"])
    assert (again["kind"], again["status"], again["refund_id"]) == (
        "refund",
        "approved",
        row_of(shop, refused)["refund_id"],
    )
    assert again["reference"] == row_of(shop, refused)["reference"] + "-2"
    assert fake.charged() == {payment["reference"]: 0}
    assert _listed(shop, manager, desk) == {} and header(shop, cashier, desk)["flagged"] == 0


def test_a_refused_refund_refused_again_is_listed_as_the_new_one(
    shop: Shop, cashier: Actor, manager: Actor, desk: TerminalDesk, fake: FakeTerminal
) -> None:
    _, refused = _refused_refund(shop, cashier, manager, desk, fake)
    fake.script = ["refuse_refund"]
    decided = terminal_checks.decide(shop, manager, desk, refused, "refund")
    assert not decided["settled"] and decided["replaced_by"] is not None
    assert list(_listed(shop, manager, desk)) == [decided["replaced_by"]]  # the old one is closed
    assert header(shop, cashier, desk)["flagged"] == 1
    terminal_checks.decide(shop, manager, desk, decided["replaced_by"] or 0, "keep", note="cash")
    assert terminal_checks.decide(shop, manager, desk, refused, "refund")["settled"]  # answered anew: all done
    assert sum(fake.charged().values()) == 1000


def test_a_refused_refund_given_back_in_cash_is_kept_with_the_note(
    shop: Shop, cashier: Actor, manager: Actor, desk: TerminalDesk, fake: FakeTerminal
) -> None:
    _, refused = _refused_refund(shop, cashier, manager, desk, fake)
    decided = terminal_checks.decide(shop, manager, desk, refused, "keep", note="given back in cash")
    assert (decided["status"], decided["settled"], decided["note"]) == ("flagged", True, "given back in cash")
    assert _listed(shop, manager, desk) == {}
    assert sum(fake.charged().values()) == 1000  # the terminal gave nothing back


# -- an outcome the terminal cannot tell ---------------------------------------------------------


def _unknown_payment(shop: Shop, cashier: Actor, desk: TerminalDesk, fake: FakeTerminal) -> tuple[int, int]:
    sale_id = new_sale(shop, cashier)
    fake.script = ["in_progress"]
    attempt = terminal_payments.pay(shop, cashier, desk, sale_id, 1000, "k1")
    assert attempt["status"] == "pending"
    return sale_id, attempt["id"]


def test_an_unknown_outcome_waits_for_the_terminal_first_then_for_a_manager(
    shop: Shop, cashier: Actor, manager: Actor, desk: TerminalDesk, fake: FakeTerminal
) -> None:
    sale_id, pending = _unknown_payment(shop, cashier, desk, fake)
    assert _listed(shop, manager, desk) == {}  # the terminal may still answer
    with pytest.raises(Conflict):
        terminal_checks.decide(shop, manager, desk, pending, "not_approved")
    _later(shop, desk.timeout + desk.in_flight_window + 1)
    assert terminal_payments.resolve_open(shop, desk) == ["pending"]  # it still cannot tell
    listed = terminal_checks.checks(shop, manager, desk)
    assert [(c["id"], c["why"], c["decisions"]) for c in listed["checks"]] == [
        (pending, "outcome_unknown", ["approved", "not_approved"])
    ]
    assert listed["unresolved"] == 0
    with pytest.raises(Invalid) as keep:
        terminal_checks.decide(shop, manager, desk, pending, "keep", note="x")
    assert keep.value.code == "decision_not_allowed"
    decided = terminal_checks.decide(shop, manager, desk, pending, "not_approved", note="journal: nothing")
    assert (decided["status"], decided["settled"]) == ("declined", True)
    assert sale_view.get_sale(shop, cashier, sale_id)["card_pending"] == 0  # the sale is free
    sales.pay_cash(shop, cashier, sale_id, 1000)
    assert _methods(shop, manager, sale_id) == [("cash", 1000)]


def test_an_unknown_outcome_the_journal_shows_approved_lands_on_its_sale(
    shop: Shop, cashier: Actor, manager: Actor, desk: TerminalDesk, fake: FakeTerminal
) -> None:
    sale_id, pending = _unknown_payment(shop, cashier, desk, fake)
    _later(shop, 60)
    decided = terminal_checks.decide(shop, manager, desk, pending, "approved", note="on the journal, 10.00")
    assert (decided["status"], decided["settled"]) == ("approved", True)
    assert sale_view.get_sale(shop, cashier, sale_id)["status"] == "completed"
    assert _methods(shop, manager, sale_id) == [("card", 1000)]
    assert "terminal_decision" in actions(shop)


def test_an_approved_unknown_charge_on_a_sale_paid_otherwise_goes_back_to_the_card(
    shop: Shop, cashier: Actor, manager: Actor, desk: TerminalDesk, fake: FakeTerminal
) -> None:
    fake.tokenless = True  # as Caisse-AP: a credit to the card presented
    sale_id, pending = _unknown_payment(shop, cashier, desk, fake)
    reference = row_of(shop, pending)["reference"]
    sales.pay_cash(shop, cashier, sale_id, 1000)
    fake.finish(reference, "approved")  # the customer tapped late: the journal shows it...
    fake.cannot_tell.add(reference)  # ...but the terminal's consultation cannot say
    _later(shop, 60)
    assert terminal_payments.resolve_open(shop, desk) == ["pending"]
    decided = terminal_checks.decide(shop, manager, desk, pending, "approved")
    assert (decided["status"], decided["settled"]) == ("reversed", True)
    assert fake.charged() == {reference: 0} and _methods(shop, manager, sale_id) == [("cash", 1000)]


def test_the_terminals_own_answer_beats_a_reading_of_its_journal(
    shop: Shop, cashier: Actor, manager: Actor, desk: TerminalDesk, fake: FakeTerminal
) -> None:
    sale_id, pending = _unknown_payment(shop, cashier, desk, fake)
    fake.finish(row_of(shop, pending)["reference"], "approved")
    _later(shop, 60)  # before the resolver's next round, the terminal can tell
    with pytest.raises(Conflict) as told:
        terminal_checks.decide(shop, manager, desk, pending, "not_approved")
    assert told.value.code == "transaction_settled" and "approved" in str(told.value)
    assert _methods(shop, manager, sale_id) == [("card", 1000)]
    assert terminal_transactions.latest_decision(shop.db.conn, pending) is None


def test_an_unknown_refund_not_given_back_becomes_owed_then_is_sent_again(
    shop: Shop, cashier: Actor, manager: Actor, desk: TerminalDesk, fake: FakeTerminal
) -> None:
    sale_id = new_sale(shop, cashier)
    paid = terminal_payments.pay(shop, cashier, desk, sale_id, 1000, "k1")
    refund = returns.refund(shop, manager, sale_id, [{"line": 1}], "wrong item")
    fake.script = ["in_progress"]
    [sent] = terminal_payments.send_refunds(shop, desk, refund["id"])
    assert sent["status"] == "pending"
    refund_reference = row_of(shop, sent["id"])["reference"]
    fake.finish(refund_reference, "declined")  # the terminal rebooted on it: its journal says not done
    fake.cannot_tell.add(refund_reference)  # and its consultation cannot say
    _later(shop, 60)
    assert _listed(shop, manager, desk)[sent["id"]]["kind"] == "refund"
    owed = terminal_checks.decide(shop, manager, desk, sent["id"], "not_approved", note="not on the journal")
    assert (owed["status"], owed["settled"]) == ("flagged", False)
    assert _listed(shop, manager, desk)[sent["id"]]["why"] == "refund_refused"
    again = terminal_checks.decide(shop, manager, desk, sent["id"], "refund")
    assert again["settled"] and fake.charged() == {row_of(shop, paid["id"])["reference"]: 0}


# -- bad requests --------------------------------------------------------------------------------


def test_bad_decisions_get_their_reasons(
    shop: Shop, cashier: Actor, manager: Actor, desk: TerminalDesk, fake: FakeTerminal
) -> None:
    held = _held_charge(shop, cashier, desk, fake)
    cases: list[tuple[str, str | None, int | None, str]] = [
        ("burn", None, None, "invalid_decision"),
        ("keep", "x" * 501, None, "note_too_long"),
        ("keep", "cash back to card 4111 1111 1111 1111", None, "note_holds_card"),
        ("refund", None, 3, "sale_not_expected"),
    ]
    for decision, note, sale_id, code in cases:
        with pytest.raises(Invalid) as bad:
            terminal_checks.decide(shop, manager, desk, held, decision, note=note, sale_id=sale_id)
        assert bad.value.code == code
    with pytest.raises(NotFound):
        terminal_checks.decide(shop, manager, desk, 9999, "keep", note="x")
    with pytest.raises(Forbidden):
        terminal_checks.decide(shop, cashier, desk, held, "keep", note="x")
    done = new_sale(shop, cashier)
    approved = terminal_payments.pay(shop, cashier, desk, done, 1000, "k9")
    with pytest.raises(Conflict) as settled:
        terminal_checks.decide(shop, manager, desk, approved["id"], "refund")
    assert settled.value.code == "transaction_settled"
    assert terminal_transactions.latest_decision(shop.db.conn, held) is None  # nothing was recorded


def test_the_same_decision_sent_twice_at_once_is_made_once_and_answered_alike(
    shop: Shop, cashier: Actor, manager: Actor, desk: TerminalDesk, fake: FakeTerminal
) -> None:
    held = _held_charge(shop, cashier, desk, fake)
    start = threading.Barrier(2)
    answers: list[terminal_checks.TerminalDecided] = []

    def twin() -> None:
        start.wait()
        answers.append(terminal_checks.decide(shop, manager, desk, held, "keep", note="cash back"))

    threads = [threading.Thread(target=twin) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(answers) == 2 and answers[0] == answers[1]
    assert _decisions(shop) == [(held, "keep", "cash back")]
