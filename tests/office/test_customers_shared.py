"""Customers shared through a real office on PostgreSQL: two stores, three real tills
enrolled over mutual TLS (docs/office.md, "Customers across lanes"). A customer made at one
lane is found at another by phone, e-mail or card; erased at any lane, they are gone at the
office and at every lane after its pull; their name, e-mail and phone are in no event."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from appliance.app.domain.errors import Conflict, TooManyAttempts
from appliance.app.services import customers, customers_office, outbox, outbox_push, sale_view, sales, tenders
from appliance.app.store import customers as customers_store
from appliance.cli import main
from appliance.lane import enrolment
from appliance.lane import gift_cards as wire
from appliance.office.services import customers as office_customers
from appliance.office.services import lane_events
from appliance.office.services.office import open_office
from appliance.processes import free_port
from tests.conftest import set_cash_needs_shift
from tests.office.conftest import RunningOffice
from tests.office.two_stores import Till, admin_of, make_tills, office_of

NAME, EMAIL, PHONE, CARD = "Camille Durand", "camille.durand@example.org", "+33612345678", "LC20261206"


@pytest.fixture
def tills(running_office: RunningOffice, tmp_path: Path) -> Iterator[dict[str, Till]]:
    """lyon/T01, lyon/T02 and paris/T01."""
    lyon = make_tills(running_office, tmp_path, ("lyon", "lyon"))
    (paris,) = make_tills(running_office, tmp_path, ("paris",))
    made = {"lyon/T01": lyon[0], "lyon/T02": lyon[1], "paris/T01": paris}
    yield made
    for till in made.values():
        till.fetch.close()
        till.shop.close()


def push(till: Till) -> None:
    pusher = outbox_push.Pusher(till.shop, outbox_push.office_sender(till.shop))
    while pusher.run_once():
        pass


def enrol_camille(till: Till) -> dict[str, Any]:
    made = customers.create(till.shop, till.cashier, NAME, EMAIL, "+33 6 12 34 56 78", True, CARD)
    return dict(made)


def office_customer(running: RunningOffice, chain_id: str) -> dict[str, Any] | None:
    with office_of(running).connection() as conn:
        row = conn.execute("SELECT * FROM customers WHERE chain_id = %s", (chain_id,)).fetchone()
    return dict(row) if row else None


def chain_id(till: Till, customer_id: int) -> str:
    return str(customers_store.by_id(till.shop.db.conn, customer_id)["chain_id"])


def _link(till: Till) -> Path:
    return till.shop.data_dir / "office" / "office.json"


def office_down(till: Till) -> str:
    """The office stops answering this till; the address it had, to put back."""
    info = json.loads(_link(till).read_text())
    _link(till).write_text(json.dumps({**info, "lane_url": f"https://127.0.0.1:{free_port()}"}))
    return str(info["lane_url"])


def office_back(till: Till, url: str) -> None:
    info = json.loads(_link(till).read_text())
    _link(till).write_text(json.dumps({**info, "lane_url": url}))


def test_a_customer_made_at_lyon_is_found_at_paris_by_phone(
    running_office: RunningOffice, tills: dict[str, Till]
) -> None:
    lyon, paris = tills["lyon/T01"], tills["paris/T01"]
    made = enrol_camille(lyon)
    # Not yet sent: Paris does not find them, and says so without an error.
    assert customers.find(paris.shop, paris.cashier, PHONE) == {"customers": [], "by_card": False, "from_office": False}
    push(lyon)
    held = office_customer(running_office, chain_id(lyon, made["id"]))
    assert held is not None and (held["name"], held["email"], held["phone"]) == (NAME, EMAIL, PHONE)
    assert (held["store"], held["till"], held["loyalty_card"], held["consent"]) == ("lyon", "T01", CARD, True)

    found = customers.find(paris.shop, paris.cashier, "+33 6 12 34 56 78")
    assert found["from_office"] is True and found["by_card"] is False
    (camille,) = found["customers"]
    # The cashier sees who, never how to reach them.
    assert (camille["name"], camille["email"], camille["phone"]) == (NAME, None, None)
    assert camille["contact_hint"] == "•••• 78" and camille["loyalty_card"] == "•••• 1206"
    # A copy here, under the same chain id: the next search is the till's own.
    assert chain_id(paris, camille["id"]) == chain_id(lyon, made["id"])
    again = customers.find(paris.shop, paris.cashier, PHONE)
    assert again["from_office"] is False and [c["id"] for c in again["customers"]] == [camille["id"]]
    # Chosen at the till, the copy is the sale's customer like any other.
    sale = sales.open_sale(paris.shop, paris.cashier)
    attached = customers.attach_to_sale(paris.shop, paris.cashier, sale["id"], camille["id"])
    assert attached["customer"] is not None and attached["customer"]["name"] == NAME

    # Lyon's second till finds them by card (then they may spend their points) and by e-mail.
    second = tills["lyon/T02"]
    by_card = customers.find(second.shop, second.cashier, CARD.lower())
    assert by_card["from_office"] and by_card["by_card"] and [c["name"] for c in by_card["customers"]] == [NAME]
    # A name is never asked of the office: it would page through the chain's customers.
    third = make_tills(running_office, second.shop.data_dir.parent.parent, ("paris",), first=3)[0]
    try:
        assert customers.find(third.shop, third.cashier, "Camille")["customers"] == []
        assert [c["name"] for c in customers.find(third.shop, third.cashier, EMAIL.upper())["customers"]] == [NAME]
    finally:
        third.fetch.close()
        third.shop.close()


def test_a_change_at_a_lane_reaches_the_office(running_office: RunningOffice, tills: dict[str, Till]) -> None:
    lyon = tills["lyon/T01"]
    made = enrol_camille(lyon)
    customers.update(lyon.shop, admin_of(lyon), made["id"], {"phone": "+33 7 00 00 00 01"})
    push(lyon)
    held = office_customer(running_office, chain_id(lyon, made["id"]))
    assert held is not None and held["phone"] == "+33700000001"
    # Nothing left to send.
    assert customers_store.for_office(lyon.shop.db.conn, 10) == []


def test_erased_at_paris_is_gone_at_the_office_and_at_lyon(
    running_office: RunningOffice, tills: dict[str, Till]
) -> None:
    lyon, second, paris = tills["lyon/T01"], tills["lyon/T02"], tills["paris/T01"]
    made = enrol_camille(lyon)
    push(lyon)
    (copy,) = customers.find(paris.shop, paris.cashier, PHONE)["customers"]
    the_chain_id = chain_id(lyon, made["id"])

    customers.erase(paris.shop, admin_of(paris), copy["id"])
    push(paris)
    held = office_customer(running_office, the_chain_id)
    assert held is not None and held["erased_at"] is not None
    assert (held["name"], held["email"], held["phone"], held["loyalty_card"]) == (None, None, None, None)
    # Nobody finds them through the office any more.
    assert customers.find(second.shop, second.cashier, PHONE)["customers"] == []

    # Lyon still has them until it pulls; its pull erases them.
    assert customers_store.by_id(lyon.shop.db.conn, made["id"])["erased_at"] is None
    lyon.pull()
    gone = customers_store.by_id(lyon.shop.db.conn, made["id"])
    assert gone["erased_at"] is not None and gone["name"] == customers.ERASED_NAME
    assert (gone["email"], gone["phone"], gone["loyalty_card"]) == (None, None, None)
    assert customers.find(lyon.shop, lyon.cashier, PHONE)["customers"] == []
    second.pull()  # a lane that never had them: nothing to erase, nothing fails
    paris.pull()  # the lane that erased them: the same

    # The erasure is audited at the office with the chain id and the lane, nothing of the person.
    with office_of(running_office).connection() as conn:
        audited = conn.execute(
            "SELECT actor, object, details::text AS details FROM audit_log WHERE action = 'customer_erase'"
        ).fetchall()
        assert [(r["actor"], r["object"]) for r in audited] == [("lane:paris/T01", f"customer:{the_chain_id}")]
        # Their name, e-mail and phone are nowhere at the office: no event, no feed row, no log.
        for person in (NAME, EMAIL, PHONE, CARD, "Camille"):
            assert _office_holding(conn, person) == [], person
    # …and in no till's outbox, the lanes' append-only events.
    push(lyon)
    for till in tills.values():
        sent = json.dumps(outbox.events(till.shop))
        for person in (NAME, EMAIL, PHONE, "612345678", CARD, "Camille"):
            assert person not in sent


def _office_holding(conn: Any, text: str) -> list[str]:
    """The office's tables in which a row holds `text`."""
    tables = conn.execute(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
    ).fetchall()
    assert len(tables) > 20
    return [
        t["table_name"]
        for t in tables
        if conn.execute(
            f'SELECT 1 FROM "{t["table_name"]}" AS t WHERE strpos(t::text, %s) > 0 LIMIT 1',
            (text,),
        ).fetchone()
    ]


def test_a_till_cut_off_sends_its_customers_later(running_office: RunningOffice, tills: dict[str, Till]) -> None:
    lyon, paris = tills["lyon/T01"], tills["paris/T01"]
    url = office_down(lyon)
    made = enrol_camille(lyon)  # the till works as before
    with pytest.raises(wire.OfficeSilent):
        wire.call(lyon.shop.data_dir, "GET", "/v1/customers", params={"phone": PHONE})
    with pytest.raises(Exception, match=r"did not answer|office"):
        push(lyon)
    (waiting,) = customers_store.for_office(lyon.shop.db.conn, 10)
    assert waiting["id"] == made["id"] and "did not answer" in str(
        lyon.shop.db.conn.execute("SELECT last_error FROM customers_to_office").fetchone()[0]
    )
    # A search the office cannot answer is the till's own answer, nothing more.
    assert customers.find(lyon.shop, lyon.cashier, "+33 7 99 99 99 99")["customers"] == []
    assert office_customer(running_office, chain_id(lyon, made["id"])) is None
    office_back(lyon, url)
    push(lyon)
    assert customers_store.for_office(lyon.shop.db.conn, 10) == []
    assert [c["name"] for c in customers.find(paris.shop, paris.cashier, EMAIL)["customers"]] == [NAME]


def test_a_change_sent_after_an_erasure_elsewhere_erases_the_copy(
    running_office: RunningOffice, tills: dict[str, Till]
) -> None:
    lyon, paris = tills["lyon/T01"], tills["paris/T01"]
    made = enrol_camille(lyon)
    push(lyon)
    (copy,) = customers.find(paris.shop, paris.cashier, PHONE)["customers"]
    customers.erase(paris.shop, admin_of(paris), copy["id"])
    push(paris)
    # Lyon, not having pulled yet, changes them: the office does not bring them back.
    customers.update(lyon.shop, admin_of(lyon), made["id"], {"name": "Camille D."})
    push(lyon)
    assert customers_store.by_id(lyon.shop.db.conn, made["id"])["erased_at"] is not None
    held = office_customer(running_office, chain_id(lyon, made["id"]))
    assert held is not None and held["name"] is None


def test_the_office_refuses_what_is_not_a_customer(running_office: RunningOffice, tills: dict[str, Till]) -> None:
    data = tills["lyon/T01"].shop.data_dir
    good = {"customer_id": 1, "name": NAME, "email": None, "phone": None, "loyalty_card": None, "consent": False}
    for path, body, code in (
        ("/v1/customers/not-an-id", good, "invalid_chain_id"),
        ("/v1/customers/" + "a" * 32, {**good, "name": None}, "invalid_name"),
        ("/v1/customers/" + "a" * 32, {**good, "consent": "yes"}, "invalid_consent"),
        ("/v1/customers/" + "a" * 32, {**good, "customer_id": "1"}, "invalid_customer"),
        ("/v1/customers/" + "a" * 32, {**good, "phone": "1" * 40}, "invalid_phone"),
    ):
        answer = wire.call(data, "PUT", path, body)
        assert (answer.status, answer.body["error"]) == (422, code)
    for params in ({}, {"phone": PHONE, "email": EMAIL}):
        answer = wire.call(data, "GET", "/v1/customers", params=params)
        assert (answer.status, answer.body["error"]) == (422, "invalid_customer_query")


def _sell_to(till: Till, customer_id: int, *lines: tuple[str, int]) -> dict[str, Any]:
    sale = sales.open_sale(till.shop, till.cashier)
    for sku, quantity in lines:
        sales.add_item(till.shop, till.cashier, sale["id"], sku=sku, quantity=quantity)
    customers.attach_to_sale(till.shop, till.cashier, sale["id"], customer_id)
    return dict(sale)


def _spend_points(till: Till, customer_id: int, points: int) -> dict[str, Any]:
    """A bread, `points` of it paid with points (a point is a cent), the card shown."""
    sale = _sell_to(till, customer_id, ("BRD", 1))
    return dict(customers.pay_with_points(till.shop, till.cashier, sale["id"], points, loyalty_card=CARD))


def _points_here(till: Till, customer_id: int) -> int:
    return int(customers_store.by_id(till.shop.db.conn, customer_id)["points"])


def test_points_earned_at_lyon_are_one_balance_with_paris(
    running_office: RunningOffice, tills: dict[str, Till]
) -> None:
    lyon, paris = tills["lyon/T01"], tills["paris/T01"]
    for till in (lyon, paris):
        set_cash_needs_shift(till.shop, False)
    made = enrol_camille(lyon)
    sale = _sell_to(lyon, made["id"], ("BRD", 10))
    total = int(sale_view.get_sale(lyon.shop, lyon.cashier, sale["id"])["totals"]["due"])
    view = sales.pay_cash(lyon.shop, lyon.cashier, sale["id"], total)
    assert view["status"] == "completed"
    earned = _points_here(lyon, made["id"])
    assert earned >= 30
    push(lyon)
    the_chain_id = chain_id(lyon, made["id"])
    held = office_customer(running_office, the_chain_id)
    assert held is not None and held["points"] == earned

    # Paris finds them with the chain's balance, and spends some: the office holds them first.
    (copy,) = customers.find(paris.shop, paris.cashier, PHONE)["customers"]
    assert copy["points"] == earned
    paid = _spend_points(paris, copy["id"], 20)
    assert "office" not in paid
    assert _points_here(paris, copy["id"]) == earned - 20
    # Before Paris pushes, the hold keeps those 20 from Lyon, whose own figure is stale.
    assert _points_here(lyon, made["id"]) == earned
    with pytest.raises(Conflict) as refused:
        _spend_points(lyon, made["id"], earned - 10)
    assert refused.value.code == "insufficient_points"
    push(paris)
    held = office_customer(running_office, the_chain_id)
    assert held is not None and held["points"] == earned - 20
    # What is left is spent at Lyon, whose copy takes the office's figure.
    _spend_points(lyon, made["id"], 5)
    assert _points_here(lyon, made["id"]) == earned - 25
    push(lyon)
    held = office_customer(running_office, the_chain_id)
    assert held is not None and held["points"] == earned - 25
    assert lane_events.alarms(office_of(running_office)) == []

    # Cut off, Paris spends on its own figure (under the chain's cap): taken below zero with
    # Lyon's spend, the office raises it.
    url = office_down(paris)
    _spend_points(paris, copy["id"], earned - 20)  # Paris still thinks earned - 20 are left
    (last,) = [e for e in outbox.events(paris.shop) if e["kind"] == "points_moved"][-1:]
    assert last["body"]["offline"] is True and last["body"]["points"] == -(earned - 20)
    office_back(paris, url)
    push(paris)
    held = office_customer(running_office, the_chain_id)
    assert held is not None and held["points"] == -5
    (alarm,) = lane_events.alarms(office_of(running_office))
    assert alarm["kind"] == "points_overspent" and (alarm["store"], alarm["till"]) == ("paris", "T01")
    assert alarm["details"]["overspent"] == 5 and alarm["details"]["chain_id"] == the_chain_id
    spent = {(lane["store"], lane["till"]): (lane["spent"], lane["offline"]) for lane in alarm["details"]["lanes"]}
    assert spent == {("paris", "T01"): (earned, earned - 20), ("lyon", "T01"): (5, 0)}


def test_points_spent_offline_stop_at_the_chain_cap(running_office: RunningOffice, tills: dict[str, Till]) -> None:
    lyon = tills["lyon/T01"]
    set_cash_needs_shift(lyon.shop, False)
    made = enrol_camille(lyon)
    sale = _sell_to(lyon, made["id"], ("BRD", 1))
    total = int(sale_view.get_sale(lyon.shop, lyon.cashier, sale["id"])["totals"]["due"])
    sales.pay_cash(lyon.shop, lyon.cashier, sale["id"], total)  # 3 points
    push(lyon)
    # The chain's cap comes with every answer of the office: 500 points at first.
    assert customers_office.points_offline_cap(lyon.shop.db.conn) == 500
    office_customers.set_points_offline_cap(office_of(running_office), 400, actor="test")
    _spend_points(lyon, made["id"], 1)  # online: the office's answer brings the cap
    assert customers_office.points_offline_cap(lyon.shop.db.conn) == 400
    with lyon.shop.db.transaction() as tx:
        customers_store.add_points(tx, made["id"], 900)  # a balance above the cap, as if the office had said so
    url = office_down(lyon)
    _spend_points(lyon, made["id"], 300)
    with pytest.raises(Conflict) as refused:
        _spend_points(lyon, made["id"], 300)
    assert refused.value.code == "points_offline_cap" and "100 more points" in refused.value.message
    _spend_points(lyon, made["id"], 100)
    office_back(lyon, url)


def test_the_points_offline_cap_is_shown_and_set_from_the_command_line_and_never_off(
    office_dsn: str, office_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = ["--database", office_dsn, "--data-dir", str(office_dir)]
    assert main(["office", "gift-cards", "points-offline-cap", *where]) == 0
    assert "may spend 500 points of a customer" in capsys.readouterr().out
    assert main(["office", "gift-cards", "points-offline-cap", "250", *where]) == 0
    assert "may spend 250 points" in capsys.readouterr().out
    assert main(["office", "gift-cards", "points-offline-cap", "0", *where]) == 2
    assert "cannot be switched off" in capsys.readouterr().err
    assert main(["office", "gift-cards", "points-offline-cap", "2.5", *where]) == 2
    assert "whole number of points" in capsys.readouterr().err


def test_a_customer_the_office_refuses_is_audited_and_not_sent_again(
    running_office: RunningOffice, tills: dict[str, Till]
) -> None:
    lyon = tills["lyon/T01"]
    made = enrol_camille(lyon)
    with lyon.shop.db.transaction() as tx:  # a row no screen would write: longer than the office keeps
        tx.execute("UPDATE customers SET name = ? WHERE id = ?", ("C" * 100, made["id"]))
    push(lyon)
    assert customers_store.for_office(lyon.shop.db.conn, 10) == []
    assert office_customer(running_office, chain_id(lyon, made["id"])) is None
    refused = lyon.shop.db.conn.execute(
        "SELECT details FROM audit_log WHERE action = 'customer_office_refused'"
    ).fetchall()
    assert [json.loads(r[0]) for r in refused] == [{"error": "invalid_name"}]


def _lookup(till: Till, phone: str) -> httpx.Response:
    """The lane's own lookup over its mutual TLS, its headers too."""
    with enrolment.client(enrolment.link(till.shop.data_dir)) as http:
        return http.get("/v1/customers", params={"phone": phone})


def _fingerprint(running: RunningOffice, store: str, till: str) -> str:
    with office_of(running).connection() as conn:
        row = conn.execute(
            "SELECT cert_fingerprint FROM lanes WHERE store = %s AND till = %s", (store, till)
        ).fetchone()
    assert row is not None
    return str(row["cert_fingerprint"])


def test_a_lane_that_finds_nobody_too_often_is_refused_and_raised_and_no_other_lane_is(
    running_office: RunningOffice, tills: dict[str, Till]
) -> None:
    lyon, second, paris = tills["lyon/T01"], tills["lyon/T02"], tills["paris/T01"]
    office = office_of(running_office)
    per_minute = office_customers.LOOKUP_MISSES[0][1]
    enrol_camille(lyon)
    push(lyon)
    start = dt.datetime.combine(office.now().date(), dt.time(12), tzinfo=dt.UTC)  # one day throughout
    office.now = lambda: start
    # Hits are a cashier finding customers: they count for nothing.
    for _ in range(per_minute + 2):
        assert [c["name"] for c in _lookup(lyon, PHONE).json()["customers"]] == [NAME]
    guesses = [f"+336000000{n:02d}" for n in range(per_minute + 3)]
    for phone in guesses[:per_minute]:
        answer = _lookup(lyon, phone)
        assert (answer.status_code, answer.json()) == (200, {"customers": []})
    refused = _lookup(lyon, guesses[per_minute])
    assert (refused.status_code, refused.json()["error"]) == (429, "lookup_limit")
    assert refused.headers["Retry-After"] == "60" and refused.json()["retry_after"] == 60
    # Refused whatever the answer would be: a refusal only for strangers would name the customers.
    assert _lookup(lyon, PHONE).status_code == 429
    # Another lane, of the same store too, is not held back.
    for other in (second, paris):
        assert _lookup(other, guesses[0]).status_code == 200
        assert [c["name"] for c in _lookup(other, PHONE).json()["customers"]] == [NAME]
    # The limit is the database's: another worker of the office (or the office restarted)
    # refuses the lane too.
    other_worker = open_office(running_office.dsn, running_office.data_dir)
    other_worker.now = lambda: start + dt.timedelta(seconds=30)
    try:
        with pytest.raises(TooManyAttempts) as limited:
            office_customers.find(other_worker, _fingerprint(running_office, "lyon", "T01"), {"phone": guesses[0]})
        assert limited.value.code == "lookup_limit" and limited.value.details == {"retry_after": 30}
    finally:
        other_worker.close()
    # At the till the cashier is told nobody was found, nothing breaks.
    assert customers.find(lyon.shop, lyon.cashier, "+33 6 00 00 00 99") == {
        "customers": [],
        "by_card": False,
        "from_office": False,
    }

    # One alarm for the lane that day, one audit entry for its refusals in a row; no number anywhere.
    (alarm,) = [a for a in lane_events.alarms(office) if a["kind"] == office_customers.LOOKUP_LIMIT]
    assert (alarm["store"], alarm["till"]) == ("lyon", "T01")
    assert alarm["details"]["misses_last_minute"] == per_minute
    with office.connection() as conn:
        audited = conn.execute(
            "SELECT actor, outcome FROM audit_log WHERE action = %s", (office_customers.LOOKUP_LIMIT,)
        ).fetchall()
        assert [(r["actor"], r["outcome"]) for r in audited] == [("lane:lyon/T01", "failure")]
        for phone in guesses:
            assert _office_holding(conn, phone) == [], phone

    # A minute on, the lane looks up again; once over the day's limit it waits for the day.
    office.now = lambda: start + dt.timedelta(seconds=61)
    assert _lookup(lyon, guesses[-1]).status_code == 200
    per_day = office_customers.LOOKUP_MISSES[1][1]
    with office.connection() as conn, conn.transaction():
        for n in range(per_day - per_minute - 1):
            conn.execute(
                "INSERT INTO customer_lookup_misses (store, till, at) VALUES ('lyon', 'T01', %s)",
                (start - dt.timedelta(hours=2, minutes=n),),
            )
    later = start + dt.timedelta(minutes=10)
    office.now = lambda: later
    day = _lookup(lyon, guesses[-2])
    oldest = start - dt.timedelta(hours=2, minutes=per_day - per_minute - 2)
    assert day.status_code == 429
    assert int(day.headers["Retry-After"]) == int((oldest + dt.timedelta(days=1) - later).total_seconds())
    # Still the one alarm that day (and one more audit entry: a refusal after an answer).
    assert len([a for a in lane_events.alarms(office) if a["kind"] == office_customers.LOOKUP_LIMIT]) == 1


def _live_holds(running: RunningOffice, the_chain_id: str) -> list[tuple[str, int]]:
    with office_of(running).connection() as conn:
        rows = conn.execute(
            "SELECT key, points FROM points_holds WHERE chain_id = %s AND state = 'held'", (the_chain_id,)
        ).fetchall()
    return [(str(r["key"]), int(str(r["points"]))) for r in rows]


def test_a_points_tender_holds_outside_the_transaction_and_a_retry_holds_once_and_spends_once(
    running_office: RunningOffice, tills: dict[str, Till], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The till stopped between the office's hold and its payment: nothing is spent, the
    points are only reserved; the request retried under its Idempotency-Key takes the same
    hold and spends once, and retried again is answered from the till's store."""
    lyon, paris = tills["lyon/T01"], tills["paris/T01"]
    for till in (lyon, paris):
        set_cash_needs_shift(till.shop, False)
    made = enrol_camille(lyon)
    sale = _sell_to(lyon, made["id"], ("BRD", 10))
    sales.pay_cash(
        lyon.shop, lyon.cashier, sale["id"], sale_view.get_sale(lyon.shop, lyon.cashier, sale["id"])["totals"]["due"]
    )
    earned = _points_here(lyon, made["id"])
    push(lyon)
    the_chain_id = chain_id(lyon, made["id"])
    (copy,) = customers.find(paris.shop, paris.cashier, PHONE)["customers"]
    bread = _sell_to(paris, copy["id"], ("BRD", 1))
    asked: list[str] = []
    real_call, real_pay = wire.call, sales.pay_tender

    def spy(data_dir: Path, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        if method == "POST" and path == "/v1/points/holds":
            assert not paris.shop.db.conn.in_transaction, "asked inside a transaction"
            asked.append(str(body["key"]))
        return real_call(data_dir, method, path, body, **kw)

    def crash(*args: Any, **kw: Any) -> Any:
        raise RuntimeError("the till stops")  # before its transaction commits

    monkeypatch.setattr(wire, "call", spy)
    monkeypatch.setattr(sales, "pay_tender", crash)
    body = {"method": "loyalty", "amount": 20, "loyalty_card": CARD}
    with pytest.raises(RuntimeError, match="the till stops"):
        tenders.pay_once(paris.shop, paris.cashier, bread["id"], body, None, "points-retry-1")
    assert _points_here(paris, copy["id"]) == earned
    assert _live_holds(running_office, the_chain_id) == [(asked[0], 20)]  # reserved, not spent
    monkeypatch.setattr(sales, "pay_tender", real_pay)
    first = tenders.pay_once(paris.shop, paris.cashier, bread["id"], body, None, "points-retry-1")
    again = tenders.pay_once(paris.shop, paris.cashier, bread["id"], body, None, "points-retry-1")
    assert first == again and first[0] == 201
    assert [p["amount"] for p in first[1]["payments"] if p["method"] == "loyalty"] == [20]
    assert len(asked) == 2 and asked[0] == asked[1], "one hold, asked again under its key once"
    assert _points_here(paris, copy["id"]) == earned - 20
    assert _live_holds(running_office, the_chain_id) == [(asked[0], 20)]
    push(paris)
    assert _live_holds(running_office, the_chain_id) == []
    held = office_customer(running_office, the_chain_id)
    assert held is not None and held["points"] == earned - 20
    with paris.shop.db.transaction(), pytest.raises(RuntimeError, match="not inside a transaction"):
        customers_office.hold_points(paris.shop, the_chain_id, 1, "paris:T01:in-tx-1")
