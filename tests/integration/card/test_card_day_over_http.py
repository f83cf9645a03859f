"""A day of card sales through the real HTTP API against the simulated acquirer (a real
process), with refunds, declines and splits; then `pan-scan` over the store, its folder and
its logs must find no card number anywhere."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from appliance.app.web.app import create_app
from appliance.security.pan_scan import scan_database, scan_paths
from tests.conftest import PASSWORD, Store, set_keyed_cards
from tests.integration.card.simulator import running_simulator

# Public test numbers of the simulator's card table (docs/acquirer-protocol.md).
APPROVE = ["4111111111111111", "5555555555554444", "378282246310005", "6011111111111117"]
DECLINE = "4000000000000002"
PARTIAL = "4000000000000010"


@pytest.fixture
def card_till(store: Store, tmp_path: Path) -> Any:
    log_file = tmp_path / "data" / "pos.log"
    handler = logging.FileHandler(log_file)
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.DEBUG)  # the most talkative the app can be
    with running_simulator(state=tmp_path / "acquirer.json") as url:
        store.shop.config = dataclasses.replace(store.shop.config, gateway_url=url)
        set_keyed_cards(store.shop, True)  # card numbers typed at the till: by a manager, the rule on
        with TestClient(create_app(store.shop), base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
            token = client.post("/api/v1/auth/login", json={"username": "manager", "password": PASSWORD}).json()
            client.cookies.clear()
            client.headers["authorization"] = f"Bearer {token['token']}"
            yield client
    logging.getLogger().removeHandler(handler)
    handler.close()


def card(number: str) -> dict[str, Any]:
    return {"number": number, "exp_month": 12, "exp_year": dt.date.today().year + 3}


def test_a_day_of_card_sales_leaves_no_card_number_anywhere(card_till: Any, store: Store, tmp_path: Path) -> None:
    api = card_till
    outcomes: dict[str, int] = {}
    refunded = 0
    for n in range(24):
        sale = api.post("/api/v1/sales").json()["id"]
        api.post(f"/api/v1/sales/{sale}/items", json={"sku": "MLK"})  # 6.08 with tax
        number = APPROVE[n % len(APPROVE)]
        if n % 6 == 5:
            declined = api.post(
                f"/api/v1/sales/{sale}/payments",
                json={"method": "card", "amount": 608, "card": card(DECLINE)},
                headers={"Idempotency-Key": f"day-{n}-declined"},
            )
            assert declined.status_code in (201, 402, 409, 422), declined.text
            assert DECLINE not in declined.text and DECLINE[-8:] not in declined.text
            outcomes["declined"] = outcomes.get("declined", 0) + 1
        if n % 4 == 1:
            api.post(f"/api/v1/sales/{sale}/payments", json={"method": "cash", "amount": 300})  # split: cash first
        due = api.get(f"/api/v1/sales/{sale}").json()["totals"]["due"]
        key = {"Idempotency-Key": f"day-{n}-card"}
        paid = api.post(
            f"/api/v1/sales/{sale}/payments", json={"method": "card", "amount": due, "card": card(number)}, headers=key
        )
        assert paid.status_code == 201, paid.text
        again = api.post(
            f"/api/v1/sales/{sale}/payments", json={"method": "card", "amount": due, "card": card(number)}, headers=key
        )
        assert again.json()["status"] == paid.json()["status"] == "completed"
        assert number not in paid.text and number not in again.text
        outcomes["approved"] = outcomes.get("approved", 0) + 1
        receipt = api.get(f"/api/v1/sales/{sale}/receipt").text
        assert number not in receipt and number[-4:] in receipt  # last four only
        if n % 5 == 0:
            back = api.post(
                f"/api/v1/sales/{sale}/refunds", json={"lines": [{"line": 1}], "reason": "customer changed mind"}
            )
            assert back.status_code == 201, back.text
            assert [r for r in back.json().get("card_refunds", []) if r != "refunded"] == []
            refunded += 1
    partial_sale = api.post("/api/v1/sales").json()["id"]
    api.post(f"/api/v1/sales/{partial_sale}/items", json={"sku": "MLK"})
    partial = api.post(
        f"/api/v1/sales/{partial_sale}/payments", json={"method": "card", "amount": 608, "card": card(PARTIAL)}
    )
    assert partial.status_code == 201 and partial.json()["totals"]["due"] == 608 - 304
    assert outcomes == {"approved": 24, "declined": 4} and refunded == 5

    store.shop.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    in_store = scan_database(store.shop.db)
    on_disk = scan_paths([store.path, tmp_path / "acquirer.json"])
    assert in_store.rows > 0 and on_disk.files > 0
    assert in_store.findings == [] and on_disk.findings == [], (in_store.findings, on_disk.findings)
    raw = b"".join(p.read_bytes() for p in store.path.rglob("*") if p.is_file())
    for number in [*APPROVE, DECLINE, PARTIAL]:
        assert number.encode() not in raw
