"""A refund prints a slip of its own, queued in the refund's transaction like a sale's
receipt: the original receipt's number (and its barcode), the lines and taxes given back,
where the money went (a card by brand and last four only), who refunded and who approved.
Cash back opens the drawer. The API gives the same slip as text or ESC/POS."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from appliance.app.domain.words import Words
from appliance.app.services.shop import parse_iso
from appliance.app.web.app import create_app
from tests.conftest import PASSWORD, Api, Store, approval, set_keyed_cards
from tests.fakes.escpos_printer import VirtualPrinter, VirtualPrinterServer
from tests.integration.card.simulator import running_simulator
from tests.integration.devices.conftest import sell

VISA = "4111111111111111"


def test_a_cash_refund_queues_its_slip_with_the_refund_and_opens_the_drawer(
    as_user: Any, store: Store, printer: VirtualPrinterServer
) -> None:
    cashier = as_user("cashier")
    sale = sell(cashier, "96385074", "96385074", "036000291452")  # bread x2 (exempt), milk (taxed)
    printer.printer.wait_for_cuts(1)
    refund = cashier.post(
        f"/api/v1/sales/{sale['id']}/refunds",
        json={"lines": [{"line": 1, "quantity": 1}, {"line": 2}], "reason": "stale"},
        headers=approval(cashier, "supervisor", "refund"),
    )
    assert refund.status_code == 201, refund.text
    body = refund.json()
    job = store.shop.db.conn.execute(
        "SELECT kind, sale_id FROM print_jobs WHERE kind = 'refund'"  # committed with the refund
    ).fetchall()
    assert [tuple(r) for r in job] == [("refund", sale["id"])]
    # The worker is woken by the refund (its idle poll is 5 s): the drawer opens now.
    _, slip = printer.printer.wait_for_cuts(2, timeout=3)
    # In the store's language: a CAD store reads fr-CA unless a manager says otherwise.
    assert slip.line_with("REMBOURSEMENT").tall
    assert f"Reçu d'origine {sale['receipt_number']}" in slip.text
    assert [b.data for b in slip.barcodes] == [sale["receipt_number"]]
    assert "Remboursé par : cashier" in slip.text and "Approuvé par : supervisor" in slip.text
    assert slip.line_with("Bread").text.endswith("3,49 $")  # one of the two
    assert slip.line_with("Milk 2 L").text.endswith("5,29 $")
    assert slip.line_with("GST 5 %").text.endswith("0,26 $")
    assert slip.line_with("QST 9,975 %").text.endswith("0,53 $")
    total = slip.line_with("REMBOURSÉ CAD")
    assert total.text.endswith(f"{body['amount'] // 100},{body['amount'] % 100:02d} $") and total.bold
    cash = body["tenders"][0]
    assert cash["method"] == "cash" and slip.line_with("Comptant").text.endswith("9,57 $")
    if cash["rounding"]:
        assert "Comptant remis" in slip.text
    # Cash leaves the drawer: the slip's job opens it, on the till's pin and pulse.
    assert [(p.pin, p.on_ms) for p in slip.pulses] == [(5, 120)]
    created = store.shop.db.conn.execute("SELECT created_at FROM refunds WHERE id = ?", (body["id"],)).fetchone()[0]
    assert Words("fr-CA").moment(parse_iso(created), "America/Montreal") in slip.text  # the store's time zone


def test_the_api_gives_the_slip_as_text_and_as_the_printed_bytes(
    as_user: Any, store: Store, printer: VirtualPrinterServer
) -> None:
    supervisor = as_user("supervisor")
    sale = sell(supervisor, "036000291452")
    refund = supervisor.post(f"/api/v1/sales/{sale['id']}/refunds", json={"lines": [{"line": 1}], "reason": "leaks"})
    assert refund.status_code == 201, refund.text
    refund_id = refund.json()["id"]
    text = supervisor.get(f"/api/v1/refunds/{refund_id}/slip")
    assert text.status_code == 200 and text.headers["content-type"].startswith("text/plain")
    assert "REMBOURSEMENT" in text.text and sale["receipt_number"] in text.text and "Approuvé par" not in text.text
    raw = supervisor.get(f"/api/v1/refunds/{refund_id}/slip?format=escpos")
    assert raw.status_code == 200 and raw.headers["content-type"] == "application/octet-stream"
    reader = VirtualPrinter(columns=42)
    reader.feed(raw.content)
    (paper,) = reader.all_paper()
    assert [ln.text.strip() for ln in paper.lines if ln.text.strip()] == [
        ln.strip() for ln in text.text.splitlines() if ln.strip()
    ]
    assert paper.pulses == []  # reading a slip again never opens the drawer
    # Bad input is a 4xx with a reason, never a 500.
    assert supervisor.get(f"/api/v1/refunds/{refund_id}/slip?format=pdf").status_code == 400
    assert supervisor.get("/api/v1/refunds/x1/slip").status_code == 400
    missing = supervisor.get("/api/v1/refunds/999999/slip")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "refund_not_found"
    assert as_user("auditor").get(f"/api/v1/refunds/{refund_id}/slip").status_code == 403
    # A refund made before its taxes were kept by name still says what tax went back.
    with store.shop.db.transaction() as tx:
        tx.execute("DELETE FROM refund_taxes WHERE refund_id = ?", (refund_id,))
    older = supervisor.get(f"/api/v1/refunds/{refund_id}/slip").text.splitlines()
    assert next(ln for ln in older if ln.startswith("Taxes ")).endswith("0,79 $")


def test_a_name_with_control_characters_never_reaches_the_printer_as_a_command(
    as_user: Any, store: Store, printer: VirtualPrinterServer
) -> None:
    manager = as_user("manager")
    made = manager.post(
        "/api/v1/products",
        json={"sku": "EVIL", "name": "Jam\x1bp\x00\x19\x19 \x1dV\x00jar", "price": 400, "tax_class": "exempt"},
    )
    assert made.status_code in (201, 422), made.text
    if made.status_code == 422:
        pytest.skip("the catalogue refuses control characters in names")
    sale = manager.post("/api/v1/sales").json()
    manager.post(f"/api/v1/sales/{sale['id']}/items", json={"sku": "EVIL"})
    paid = manager.post(f"/api/v1/sales/{sale['id']}/payments", json={"method": "cash", "amount": 400}).json()
    printer.printer.wait_for_cuts(1)
    refund = manager.post(f"/api/v1/sales/{paid['id']}/refunds", json={"lines": [{"line": 1}], "reason": "bad jar"})
    assert refund.status_code == 201, refund.text
    _, slip = printer.printer.wait_for_cuts(2)
    assert len(slip.pulses) == 1  # the cash refund's own, none from the name
    assert slip.line_with("Jam?p").text.startswith("Jam?p??? ?V?jar")


@pytest.fixture
def card_till(store: Store, printer: VirtualPrinterServer, tmp_path: Path) -> Iterator[Api]:
    with running_simulator(state=tmp_path / "acquirer.json") as url:
        store.shop.config = dataclasses.replace(
            store.shop.config, gateway_url=url, printer=f"{printer.spec}?timeout=1", drawer_pin=2
        )
        set_keyed_cards(store.shop, True)  # the card is keyed in: by a manager, the rule on
        with TestClient(create_app(store.shop), base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
            token = client.post("/api/v1/auth/login", json={"username": "manager", "password": PASSWORD}).json()
            client.cookies.clear()
            yield Api(client, token["token"])


def test_a_card_refund_slip_names_the_card_by_brand_and_last_four_only(
    card_till: Api, printer: VirtualPrinterServer
) -> None:
    api = card_till
    sale = api.post("/api/v1/sales").json()["id"]
    api.post(f"/api/v1/sales/{sale}/items", json={"sku": "MLK"})
    card = {"number": VISA, "exp_month": 12, "exp_year": dt.date.today().year + 3}
    key = {"Idempotency-Key": "refund-slip-card-1"}
    paid = api.post(f"/api/v1/sales/{sale}/payments", json={"method": "card", "amount": 608, "card": card}, headers=key)
    assert paid.status_code == 201, paid.text
    refund = api.post(f"/api/v1/sales/{sale}/refunds", json={"lines": [{"line": 1}], "reason": "wrong milk"})
    assert refund.status_code == 201, refund.text
    _, slip = printer.printer.wait_for_cuts(2)
    text = api.get(f"/api/v1/refunds/{refund.json()['id']}/slip").text
    for shown in (slip.text, text):
        assert VISA not in shown and VISA[:6] not in shown
        assert "Carte VISA **** 1111" in shown
    assert slip.pulses == []  # no cash, no drawer


def test_a_cash_return_without_a_receipt_prints_its_slip_and_opens_the_drawer(
    as_user: Any, store: Store, printer: VirtualPrinterServer
) -> None:
    cashier = as_user("cashier")
    done = cashier.post(
        "/api/v1/returns",
        json={"lines": [{"sku": "BRD", "unit_price": 347}], "reason": "no receipt, regular customer"},
        headers=approval(cashier, "supervisor", "return_without_receipt"),
    )
    assert done.status_code == 201, done.text
    body = done.json()
    assert (body["amount"], body["rounding"]) == (347, -2)
    (slip,) = printer.printer.wait_for_cuts(1, timeout=3)  # woken by the return, as by a refund
    assert f"Retour {body['id']} à T01" in slip.text and "Retour sans reçu" in slip.text
    assert slip.barcodes == []  # no sale to scan again
    assert "Approuvé par : supervisor" in slip.text
    assert slip.line_with("Bread").text.endswith("3,47 $")
    assert slip.line_with("Comptant remis").text.endswith("3,45 $")  # what the drawer can hand back
    assert [(p.pin, p.on_ms) for p in slip.pulses] == [(5, 120)]


def test_store_credit_without_a_receipt_prints_its_slip_and_leaves_the_drawer_shut(
    as_user: Any, store: Store, printer: VirtualPrinterServer
) -> None:
    manager = as_user("manager")
    done = manager.post(
        "/api/v1/returns",
        json={"lines": [{"sku": "MLK"}], "reason": "no receipt, regular customer", "refund_to": "gift_card"},
    )
    assert done.status_code == 201, done.text
    body = done.json()
    slips = printer.printer.wait_for_cuts(2, timeout=3)  # the new card's slip and the return's
    slip = next(s for s in slips if "Retour sans reçu" in s.text)
    assert slip.line_with("REMBOURSÉ CAD").text.endswith("6,08 $")
    assert body["gift_card"]["code"][-4:] in slip.text and body["gift_card"]["code"] not in slip.text
    assert all(s.pulses == [] for s in slips)
