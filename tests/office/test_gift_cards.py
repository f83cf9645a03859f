"""Gift cards shared through a real office on PostgreSQL: two stores, three real tills
enrolled over mutual TLS (docs/office.md, "Shared balances"). A card sold on one lane is
spent on another; the office's hold refuses what the card cannot cover; a till the office
does not answer spends under the chain's offline cap; an offline overspend is an alarm."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from appliance.app.domain import gift_card as rules
from appliance.app.domain.errors import Conflict, Invalid, NotFound
from appliance.app.services import (
    auth,
    catalog,
    gift_card_office,
    gift_cards,
    outbox_push,
    receiptless_returns,
    returns,
    sale_view,
    sales,
    tenders,
    users,
)
from appliance.app.services.setup import NewStore, init_store
from appliance.app.services.shop import Actor, Shop
from appliance.app.store import gift_cards as till_cards
from appliance.app.store import settings as settings_store
from appliance.cli import main
from appliance.lane import enrolment as lane
from appliance.lane import gift_cards as wire
from appliance.office.services import audit_log, enrolment, lane_events
from appliance.office.services import gift_cards as office_cards
from appliance.office.services.office import Office, open_office
from appliance.security import pki
from tests.conftest import PASSWORD, set_cash_needs_shift
from tests.office.conftest import RunningOffice, free_port, writes_go_on_while_asked

LANES = (("lyon", "T01"), ("lyon", "T02"), ("paris", "T01"))


@dataclass
class Till:
    shop: Shop
    cashier: Actor
    lane_url: str = ""

    def sell_card(self, amount: int) -> str:
        sale = sales.open_sale(self.shop, self.cashier)
        code = str(gift_cards.sell(self.shop, self.cashier, sale["id"], amount)["gift_card"]["code"])
        sales.pay_cash(self.shop, self.cashier, sale["id"], amount)
        return code

    def top_up(self, code: str, amount: int) -> None:
        sale = sales.open_sale(self.shop, self.cashier)
        gift_cards.sell(self.shop, self.cashier, sale["id"], amount, code)
        sales.pay_cash(self.shop, self.cashier, sale["id"], amount)

    def spend(self, code: str, amount: int) -> dict[str, Any]:
        """A basket of 100.00, part of it paid with the card."""
        sale = sales.open_sale(self.shop, self.cashier)
        sales.add_item(self.shop, self.cashier, sale["id"], sku="TV", quantity=1)
        view = dict(gift_cards.redeem(self.shop, self.cashier, sale["id"], amount, code))
        (paid,) = [p for p in view["payments"] if p["method"] == "gift_card"]
        assert paid["amount"] == amount
        return view

    def manager(self) -> Actor:
        return auth.login(self.shop, "manager", PASSWORD, "127.0.0.1").actor

    def push(self) -> None:
        pusher = outbox_push.Pusher(self.shop, outbox_push.office_sender(self.shop))
        while pusher.run_once():
            pass

    def _link(self) -> Path:
        return self.shop.data_dir / "office" / "office.json"

    def office_down(self) -> None:
        """The office stops answering this till: its address leads to a port nobody serves."""
        info = json.loads(self._link().read_text())
        self.lane_url = info["lane_url"]
        self._link().write_text(json.dumps({**info, "lane_url": f"https://127.0.0.1:{free_port()}"}))

    def office_back(self) -> None:
        info = json.loads(self._link().read_text())
        self._link().write_text(json.dumps({**info, "lane_url": self.lane_url}))

    def card(self, code: str) -> Any:
        return till_cards.by_code(self.shop.db.conn, code.replace("-", ""))


def _office(running: RunningOffice) -> Office:
    return running.office  # type: ignore[return-value]


@pytest.fixture
def tills(running_office: RunningOffice, tmp_path: Path) -> Iterator[list[Till]]:
    made: list[Till] = []
    for store, till in LANES:
        data = tmp_path / f"{store}-{till}" / "data"
        data.parent.mkdir()
        shop, _ = init_store(data, NewStore(store_name=store.title(), currency="EUR", taxes=(("VAT", "20"),)))
        set_cash_needs_shift(shop, False)
        users.add_user(shop, None, "cashier", "cashier", PASSWORD)
        users.add_user(shop, None, "manager", "manager", PASSWORD)
        catalog.import_csv(shop, None, "sku,name,price,tax_class\nTV,Television,100.00,standard\n")
        issued = enrolment.issue_token(_office(running_office), store, till, issued_by="test")
        lane.enrol(shop.data_dir, running_office.enrol_url, issued.token, ca_fingerprint=issued.ca_fingerprint)
        made.append(Till(shop, auth.login(shop, "cashier", PASSWORD, "127.0.0.1").actor))
    yield made
    for t in made:
        t.shop.close()


def office_card(running: RunningOffice, till: Till, code: str) -> dict[str, Any]:
    """The card as the office answers a lane's lookup."""
    pem = (till.shop.data_dir / "office" / "client.pem").read_bytes()
    fingerprint = pki.der_fingerprint(x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER))
    return office_cards.lookup(_office(running), fingerprint, rules.card_ref(rules.normalise(code)))


def test_a_card_sold_on_one_lane_is_spent_on_two_others(running_office: RunningOffice, tills: list[Till]) -> None:
    lyon1, lyon2, paris = tills
    code = lyon1.sell_card(5000)
    lyon1.push()
    assert office_card(running_office, lyon1, code)["balance"] == 5000
    # Paris never saw the card: the office finds it, for a balance enquiry as for a tender.
    assert gift_cards.balance(paris.shop, paris.cashier, code)["balance"] == 5000
    assert paris.card(code)["office_held"] == 1
    assert "office" not in paris.spend(code, 3000)  # online: the answer says nothing of the office
    assert paris.card(code)["office_held"] == 1 and paris.card(code)["balance"] == 2000
    # Before Paris pushes, its hold already keeps the 30.00 from anyone else.
    at_office = office_card(running_office, lyon1, code)
    assert (at_office["balance"], at_office["held"], at_office["available"]) == (5000, 3000, 2000)
    with pytest.raises(Conflict) as refused:
        lyon2.spend(code, 2500)
    assert refused.value.code == "gift_card_insufficient" and "20.00" in refused.value.message
    paris.push()  # the sale's event spends the hold
    at_office = office_card(running_office, lyon1, code)
    assert (at_office["balance"], at_office["held"], at_office["available"]) == (2000, 0, 2000)
    lyon2.spend(code, 2000)
    lyon2.push()
    assert office_card(running_office, lyon1, code)["balance"] == 0
    # The lane that sold it still has 50.00 in its own copy: the office's word is final.
    assert lyon1.card(code)["balance"] == 5000
    with pytest.raises(Conflict) as refused:
        lyon1.spend(code, 500)
    assert refused.value.code == "gift_card_insufficient"
    assert gift_cards.balance(lyon1.shop, lyon1.cashier, code)["balance"] == 0  # its copy takes the office's
    paris.office_down()
    # Without the office, Paris answers from its copy: what the office last said, less its own spend.
    assert gift_cards.balance(paris.shop, paris.cashier, code)["balance"] == 2000
    paris.office_back()
    assert lane_events.alarms(_office(running_office)) == []


def test_a_card_is_topped_up_at_a_lane_that_never_saw_it_and_spent_at_a_third(
    running_office: RunningOffice, tills: list[Till]
) -> None:
    lyon1, lyon2, paris = tills
    code = lyon1.sell_card(5000)
    other = lyon1.sell_card(1000)
    lyon1.push()
    assert paris.card(code) is None
    paris.top_up(code, 3000)  # the office finds it; Paris keeps a copy and tops it up
    assert paris.card(code)["office_held"] == 1 and paris.card(code)["balance"] == 8000
    assert office_card(running_office, lyon1, code)["balance"] == 5000  # not pushed yet
    paris.push()  # the top-up's gift_card_moved reaches the office's ledger
    assert office_card(running_office, lyon1, code)["balance"] == 8000
    lyon2.spend(code, 8000)  # the whole new balance, at a lane that saw neither sale
    lyon2.push()
    assert office_card(running_office, lyon1, code)["balance"] == 0
    with pytest.raises(Conflict) as refused:
        paris.spend(code, 100)
    assert refused.value.code == "gift_card_insufficient"
    # Unknown at the office: refused, and nothing kept.
    with pytest.raises(NotFound) as missing:
        paris.top_up("0000-0000-0000-0000", 1000)
    assert missing.value.code == "gift_card_not_found"
    # Offline, a card Paris never saw cannot be topped up; one it holds a copy of can.
    paris.office_down()
    with pytest.raises(Conflict) as refused:
        paris.top_up(other, 1000)
    assert refused.value.code == "office_unavailable"
    assert paris.card(other) is None
    paris.top_up(code, 500)
    paris.office_back()
    paris.push()
    assert office_card(running_office, lyon1, code)["balance"] == 500
    assert office_card(running_office, lyon1, other)["balance"] == 1000
    assert lane_events.alarms(_office(running_office)) == []


def test_a_hold_for_more_than_the_card_has_is_refused_and_nothing_is_spent(
    running_office: RunningOffice, tills: list[Till]
) -> None:
    lyon1, _, paris = tills
    code = lyon1.sell_card(5000)
    lyon1.push()
    with pytest.raises(Conflict) as refused:
        paris.spend(code, 6000)
    assert refused.value.code == "gift_card_insufficient"
    assert "50.00" in refused.value.message
    assert paris.card(code) is None  # nothing kept of a card the till could not spend
    assert office_card(running_office, lyon1, code)["held"] == 0
    with pytest.raises(NotFound) as missing:
        paris.spend("0000-0000-0000-0000", 100)  # well formed, sold nowhere
    assert missing.value.code == "gift_card_not_found"


def test_offline_a_till_spends_up_to_the_chains_cap_and_no_further(
    running_office: RunningOffice, tills: list[Till]
) -> None:
    office = _office(running_office)
    with pytest.raises(Invalid):
        office_cards.set_offline_cap(office, 0, actor="test")  # never off
    office_cards.set_offline_cap(office, 2000, actor="test")
    lyon1, _, paris = tills
    code = lyon1.sell_card(5000)
    other = lyon1.sell_card(1000)
    lyon1.push()
    paris.spend(code, 1000)  # online: Paris learns the card and the chain's cap
    paris.office_down()
    assert paris.spend(code, 1500)["office"] == "offline"
    with pytest.raises(Conflict) as refused:
        paris.spend(code, 1000)  # 15.00 + 10.00 offline would pass the 20.00 cap
    assert refused.value.code == "gift_card_offline_cap" and "5.00" in refused.value.message
    paris.spend(code, 500)  # what is left under the cap
    # A card Paris never saw cannot be found while the office is silent.
    with pytest.raises(Conflict) as refused:
        paris.spend(other, 100)
    assert refused.value.code == "office_unavailable"
    paris.office_back()
    paris.push()
    assert office_card(running_office, lyon1, code)["balance"] == 5000 - 1000 - 1500 - 500
    assert lane_events.alarms(office) == []


def test_a_hold_whose_answer_was_lost_ends_when_the_offline_spend_arrives(
    running_office: RunningOffice, tills: list[Till], monkeypatch: pytest.MonkeyPatch
) -> None:
    lyon1, _, paris = tills
    code = lyon1.sell_card(5000)
    lyon1.push()
    paris.spend(code, 1000)  # Paris learns the card
    real_hold = gift_card_office.hold

    def answer_lost(shop: Shop, code: str, amount: int, key: str) -> gift_card_office.Held:
        real_hold(shop, code, amount, key)  # the office took it...
        raise gift_card_office.Silent("...and its answer never came")

    monkeypatch.setattr(gift_card_office, "hold", answer_lost)
    assert paris.spend(code, 1500)["office"] == "offline"
    held = office_card(running_office, lyon1, code)
    assert held["held"] == 1000 + 1500  # both of Paris's tenders, neither pushed yet
    paris.push()
    after = office_card(running_office, lyon1, code)
    assert (after["balance"], after["held"], after["available"]) == (2500, 0, 2500)


def test_an_offline_overspend_is_an_alarm_naming_the_card_and_the_lanes(
    running_office: RunningOffice, tills: list[Till]
) -> None:
    office = _office(running_office)
    lyon1, _, paris = tills
    code = lyon1.sell_card(5000)
    lyon1.push()
    paris.spend(code, 1000)
    paris.push()
    card_id = office_card(running_office, lyon1, code)["card_id"]
    lyon1.office_down()
    paris.office_down()
    lyon1.spend(code, 4000)  # its own copy still says 50.00
    paris.spend(code, 4000)  # its copy says 40.00
    lyon1.office_back()
    paris.office_back()
    lyon1.push()
    assert lane_events.alarms(office) == []  # 50 - 10 - 40: nothing below zero yet
    paris.push()
    (alarm,) = lane_events.alarms(office)
    assert alarm["kind"] == "gift_card_overspent" and (alarm["store"], alarm["till"]) == ("paris", "T01")
    details = alarm["details"]
    assert details["card_id"] == card_id and details["overspent"] == 4000 and details["currency"] == "EUR"
    assert details["lanes"] == [
        {"store": "lyon", "till": "T01", "spent": 4000, "offline": 4000},
        {"store": "paris", "till": "T01", "spent": 5000, "offline": 4000},
    ]
    assert office_card(running_office, lyon1, code)["available"] == 0


def test_a_tender_that_fails_after_its_hold_gives_the_hold_back(
    running_office: RunningOffice, tills: list[Till]
) -> None:
    lyon1, _, paris = tills
    code = lyon1.sell_card(15000)
    lyon1.push()
    with pytest.raises(Invalid) as refused:
        paris.spend(code, 13000)  # the basket is 120.00 with its tax: a card pays no more than is due
    assert refused.value.code == "amount_exceeds_due"
    at_office = office_card(running_office, lyon1, code)
    assert (at_office["held"], at_office["available"]) == (0, 15000)


def test_a_hold_asked_again_with_its_key_is_the_same_hold_and_bad_input_is_a_4xx(
    running_office: RunningOffice, tills: list[Till]
) -> None:
    lyon1, _, paris = tills
    code = lyon1.sell_card(5000)
    lyon1.push()
    ask = {"card_ref": rules.card_ref(rules.normalise(code)), "amount": 1000, "key": "paris:T01:retry-1"}
    first = wire.call(paris.shop.data_dir, "POST", "/v1/gift-cards/holds", ask)
    again = wire.call(paris.shop.data_dir, "POST", "/v1/gift-cards/holds", ask)
    assert (first.status, again.status) == (200, 200)
    assert first.body["available"] == again.body["available"] == 5000  # what was free before the hold
    assert office_card(running_office, lyon1, code)["held"] == 1000  # held once
    other = wire.call(paris.shop.data_dir, "POST", "/v1/gift-cards/holds", {**ask, "amount": 2000})
    assert (other.status, other.body["error"]) == (409, "hold_key_reused")
    for bad, error in (
        ({**ask, "amount": 0}, "invalid_amount"),
        ({**ask, "amount": "10"}, "invalid_amount"),
        ({**ask, "card_ref": code}, "invalid_card_ref"),
        ({**ask, "key": "x"}, "invalid_key"),
    ):
        answer = wire.call(paris.shop.data_dir, "POST", "/v1/gift-cards/holds", bad)
        assert (answer.status, answer.body["error"]) == (422, error)
    released = wire.call(paris.shop.data_dir, "DELETE", "/v1/gift-cards/holds/paris:T01:retry-1")
    assert (released.status, released.body) == (200, {"released": True})
    assert office_card(running_office, lyon1, code)["held"] == 0
    looked = wire.call(paris.shop.data_dir, "GET", f"/v1/gift-cards/{ask['card_ref']}")
    assert (looked.status, looked.body["balance"], looked.body["offline_cap"]) == (200, 5000, rules.DEFAULT_OFFLINE_CAP)


def test_the_offline_cap_is_shown_and_set_from_the_command_line_and_never_off(
    office_dsn: str, office_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = ["--database", office_dsn, "--data-dir", str(office_dir)]
    assert main(["office", "gift-cards", "offline-cap", *where]) == 0
    assert "may spend 50.00 EUR of a card" in capsys.readouterr().out
    assert main(["office", "gift-cards", "offline-cap", "25.00", *where]) == 0
    assert "may spend 25.00 EUR of a card" in capsys.readouterr().out
    assert main(["office", "gift-cards", "offline-cap", "0", *where]) == 2
    assert "cannot be switched off" in capsys.readouterr().err
    assert main(["office", "gift-cards", "offline-cap", "25,00€", *where]) == 2
    assert "is not an amount" in capsys.readouterr().err
    office = open_office(office_dsn, office_dir)
    assert office_cards.offline_cap(office) == 2500
    (entry,) = [e for e in audit_log.entries(office) if e["action"] == "gift_card_offline_cap"]
    assert json.loads(entry["details"]) == {"before": 5000, "after": 2500}


def test_a_card_spent_where_it_was_sold_before_the_office_heard_of_it(
    running_office: RunningOffice, tills: list[Till]
) -> None:
    lyon1, _, paris = tills
    code = lyon1.sell_card(5000)
    lyon1.spend(code, 1000)  # the office does not know the card yet: nobody else can have spent it
    assert lyon1.card(code)["balance"] == 4000
    with pytest.raises(NotFound):
        paris.spend(code, 100)  # nor can another lane find it before its till pushes
    lyon1.push()
    assert office_card(running_office, lyon1, code)["balance"] == 4000
    paris.spend(code, 4000)
    paris.push()
    assert office_card(running_office, lyon1, code)["balance"] == 0
    assert lane_events.alarms(_office(running_office)) == []


def test_a_card_expired_where_it_was_sold_is_expired_at_every_lane(
    running_office: RunningOffice, tills: list[Till]
) -> None:
    lyon1, _, paris = tills
    with lyon1.shop.db.transaction() as tx:
        settings_store.put(tx, "gift_card_expiry_days", 30)
    code = lyon1.sell_card(5000)
    expires = lyon1.card(code)["expires_at"]
    lyon1.push()
    paris.spend(code, 1000)
    assert paris.card(code)["expires_at"] == expires  # Paris's copy learnt it from the office
    office = _office(running_office)
    real = office.now
    office.now = lambda: real() + dt.timedelta(days=31)
    try:
        with pytest.raises(Invalid) as refused:
            lyon2 = tills[1]
            lyon2.spend(code, 1000)
    finally:
        office.now = real
    assert refused.value.code == "gift_card_expired"


def test_store_credit_given_in_one_store_is_spent_in_another_and_a_refund_there_puts_it_back(
    running_office: RunningOffice, tills: list[Till]
) -> None:
    lyon1, _, paris = tills
    back = receiptless_returns.without_receipt(
        lyon1.shop, lyon1.manager(), [{"sku": "TV"}], "unopened", refund_to="gift_card"
    )
    credit = back["gift_card"]
    code, amount = credit["code"], credit["balance"]
    assert amount == 12000  # 100.00 and its 20% VAT
    lyon1.push()
    sale = sales.open_sale(paris.shop, paris.cashier)
    sales.add_item(paris.shop, paris.cashier, sale["id"], sku="TV", quantity=1)
    assert gift_cards.redeem(paris.shop, paris.cashier, sale["id"], amount, code)["status"] == "completed"
    paris.push()
    assert office_card(running_office, lyon1, code)["balance"] == 0
    returns.refund(paris.shop, paris.manager(), sale["id"], [{"line": 1}], "changed their mind")
    assert paris.card(code)["balance"] == amount  # back on the card it was paid with
    paris.push()
    assert office_card(running_office, lyon1, code)["balance"] == amount
    lyon1.spend(code, 5000)  # and spendable where it was given
    assert lane_events.alarms(_office(running_office)) == []


# -- the hold comes before the till's transaction ---------------------------------------------


def _tender(till: Till, sale_id: int, code: str, amount: int, key: str) -> tuple[int, Any]:
    """The till's POST /sales/{id}/payments, as the API runs it (an Idempotency-Key each time)."""
    body = {"method": "gift_card", "amount": amount, "gift_card": code}
    return tenders.pay_once(till.shop, till.cashier, sale_id, body, None, key)


def _basket(till: Till) -> int:
    sale = sales.open_sale(till.shop, till.cashier)
    sales.add_item(till.shop, till.cashier, sale["id"], sku="TV", quantity=1)  # 120.00 with its tax
    return int(sale["id"])


def _holds_asked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The keys of the holds the till asks the office for, as they leave."""
    asked: list[str] = []
    real = wire.call

    def spy(data_dir: Path, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        if method == "POST" and path == "/v1/gift-cards/holds":
            asked.append(str(body["key"]))
        return real(data_dir, method, path, body, **kw)

    monkeypatch.setattr(wire, "call", spy)
    return asked


def test_while_the_office_is_asked_for_a_hold_the_tills_other_writes_go_on(
    running_office: RunningOffice, tills: list[Till], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The office slow to answer does not hold the process's one writer queue."""
    lyon1, _, paris = tills
    code = lyon1.sell_card(5000)
    lyon1.push()
    sale_id = _basket(paris)
    asking, go_on = threading.Event(), threading.Event()
    real = wire.call

    def slow(data_dir: Path, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        if path == "/v1/gift-cards/holds":
            asking.set()
            assert go_on.wait(10)
        return real(data_dir, method, path, body, **kw)

    monkeypatch.setattr(wire, "call", slow)
    answers: list[tuple[int, Any]] = []
    went_on = writes_go_on_while_asked(
        asking,
        go_on,
        lambda: answers.append(_tender(paris, sale_id, code, 2000, "slow-office-1")),
        lambda: sales.open_sale(paris.shop, paris.cashier),
    )
    assert went_on, "a write waited for the office's answer"
    ((status, paid),) = answers
    assert status == 201 and [p["amount"] for p in paid["payments"]] == [2000]


def test_an_office_hold_inside_a_transaction_is_refused_loudly(
    running_office: RunningOffice, tills: list[Till]
) -> None:
    _, _, paris = tills
    with paris.shop.db.transaction() as tx:
        assert tx.in_transaction
        with pytest.raises(RuntimeError, match="not inside a transaction"):
            gift_card_office.hold(paris.shop, "0" * 16, 100, "paris:T01:in-tx-1")
        with pytest.raises(RuntimeError, match="not inside a transaction"):
            gift_card_office.release(paris.shop, "paris:T01:in-tx-1")


def test_a_tender_retried_after_its_answer_was_lost_holds_once_and_spends_once(
    running_office: RunningOffice, tills: list[Till], monkeypatch: pytest.MonkeyPatch
) -> None:
    lyon1, _, paris = tills
    code = lyon1.sell_card(5000)
    lyon1.push()
    sale_id = _basket(paris)
    asked = _holds_asked(monkeypatch)
    first = _tender(paris, sale_id, code, 2000, "lost-answer-1")
    again = _tender(paris, sale_id, code, 2000, "lost-answer-1")  # the first answer never reached the till
    assert first == again and first[0] == 201
    assert len(asked) == 1, "the retry is answered from the till's store, the office not asked again"
    assert [p["amount"] for p in again[1]["payments"]] == [2000]
    assert paris.card(code)["balance"] == 3000
    assert office_card(running_office, lyon1, code)["held"] == 2000  # one hold, until the push spends it
    paris.push()
    at_office = office_card(running_office, lyon1, code)
    assert (at_office["balance"], at_office["held"], at_office["available"]) == (3000, 0, 3000)


def test_a_till_stopped_between_the_hold_and_the_payment_takes_the_same_hold_on_the_retry(
    running_office: RunningOffice, tills: list[Till], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hold taken, the local payment never committed: no money is taken; the hold only
    reserves (an hour, docs/office.md), and the request retried reuses it and spends once."""
    lyon1, _, paris = tills
    code = lyon1.sell_card(5000)
    lyon1.push()
    sale_id = _basket(paris)
    asked = _holds_asked(monkeypatch)
    real_pay = sales.pay_tender

    def crash(*args: Any, **kw: Any) -> Any:
        raise RuntimeError("the till stops")  # before its transaction commits

    monkeypatch.setattr(sales, "pay_tender", crash)
    with pytest.raises(RuntimeError, match="the till stops"):
        _tender(paris, sale_id, code, 2000, "crash-between-1")
    assert paris.card(code) is None  # its copy comes with the first payment that commits
    assert sale_view.get_sale(paris.shop, paris.cashier, sale_id)["payments"] == []
    at_office = office_card(running_office, lyon1, code)
    assert (at_office["balance"], at_office["held"]) == (5000, 2000)  # reserved, not spent
    monkeypatch.setattr(sales, "pay_tender", real_pay)
    status, paid = _tender(paris, sale_id, code, 2000, "crash-between-1")
    assert status == 201 and [p["amount"] for p in paid["payments"]] == [2000]
    assert len(asked) == 2 and asked[0] == asked[1], "the retry asks for the same hold"
    assert office_card(running_office, lyon1, code)["held"] == 2000  # still one hold
    paris.push()
    at_office = office_card(running_office, lyon1, code)
    assert (at_office["balance"], at_office["held"], at_office["available"]) == (3000, 0, 3000)


def test_a_tender_retried_after_it_failed_and_gave_its_hold_back_holds_afresh(
    running_office: RunningOffice, tills: list[Till], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The office answers a released hold's key with the ended hold, which reserves nothing:
    the retry (the sale changed meanwhile) asks under a renewed key."""
    lyon1, _, paris = tills
    code = lyon1.sell_card(20000)
    lyon1.push()
    sale_id = _basket(paris)
    asked = _holds_asked(monkeypatch)
    with pytest.raises(Invalid) as refused:
        _tender(paris, sale_id, code, 13000, "failed-once-1")  # more than the 120.00 due
    assert refused.value.code == "amount_exceeds_due"
    assert office_card(running_office, lyon1, code)["held"] == 0
    sales.add_item(paris.shop, paris.cashier, sale_id, sku="TV", quantity=1)  # now 240.00 due
    status, paid = _tender(paris, sale_id, code, 13000, "failed-once-1")
    assert status == 201 and [p["amount"] for p in paid["payments"]] == [13000]
    assert len(asked) == 3 and asked[1] == asked[0] and asked[2].startswith(asked[0] + ".")
    assert office_card(running_office, lyon1, code)["held"] == 13000
    paris.push()
    at_office = office_card(running_office, lyon1, code)
    assert (at_office["balance"], at_office["held"]) == (7000, 0)


def test_a_top_up_asks_the_office_with_no_transaction_open_and_its_retry_adds_one_line(
    running_office: RunningOffice, tills: list[Till], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A top-up on an enrolled till asks the office for the card first: with the office slow,
    the till's other writes go on (the Idempotency-Key's transaction used to be open around
    that call), and the request sent again after its answer was lost puts no second line on
    the sale and does not ask the office again."""
    lyon1, _, paris = tills
    code = lyon1.sell_card(5000)
    lyon1.push()
    sale = sales.open_sale(paris.shop, paris.cashier)
    asking, go_on = threading.Event(), threading.Event()
    lookups: list[bool] = []  # in a transaction, for each lookup the till made
    real = wire.call

    def slow(data_dir: Path, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        if method == "GET" and path.startswith("/v1/gift-cards/"):
            lookups.append(paris.shop.db.conn.in_transaction)
            asking.set()
            assert go_on.wait(10)
        return real(data_dir, method, path, body, **kw)

    monkeypatch.setattr(wire, "call", slow)
    body = {"amount": 2500, "code": code}
    answers: list[tuple[int, Any]] = []
    went_on = writes_go_on_while_asked(
        asking,
        go_on,
        lambda: answers.append(gift_cards.sell_once(paris.shop, paris.cashier, sale["id"], body, "top-up-slow-1")),
        lambda: sales.open_sale(paris.shop, paris.cashier),
    )
    assert went_on, "a write waited for the office's answer about the card"
    ((status, topped),) = answers
    assert status == 200 and topped["gift_card"]["kind"] == "top_up"
    again = gift_cards.sell_once(paris.shop, paris.cashier, sale["id"], body, "top-up-slow-1")
    assert again == (200, topped)
    assert lookups == [False]  # the retry was answered from the till
    view = sale_view.view(paris.shop, sale["id"])
    assert [ln["unit_price"] for ln in view["lines"] if not ln["voided"]] == [2500]
    with paris.shop.db.transaction(), pytest.raises(RuntimeError, match="not inside a transaction"):
        gift_card_office.lookup(paris.shop, code)
