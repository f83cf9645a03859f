"""A card's number keyed in at the till (card not present) is the exception: off on a new
store, refused before the card is read, the vault written or the acquirer called; once the
store's admin turns the rule on (audited, on and off), a manager may take one and a cashier
may not. Against the simulated acquirer (a real process) where a payment goes through."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from starlette.testclient import TestClient

from appliance.app.domain.errors import Forbidden, Invalid
from appliance.app.services import audit_log, card_payments, card_vault, store_rules
from appliance.app.services.card_payments import CardDesk
from appliance.app.services.shop import Shop
from appliance.app.web.app import create_app
from appliance.drivers.payment import GatewayConfig, HttpGateway
from tests.conftest import PASSWORD, Store

from .conftest import charged, new_sale

VISA = {"number": "4111111111111111", "exp_month": 12, "exp_year": dt.date.today().year + 3}


class NoAcquirer:
    """A gateway that records every call: a refused keyed payment must make none."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> None:
            self.calls.append(name)
            raise AssertionError(f"the acquirer was asked to {name}")

        return call


@pytest.fixture
def untouched(store: Store) -> Iterator[tuple[CardDesk, NoAcquirer]]:
    acquirer = NoAcquirer()
    yield CardDesk(card_vault.open_vault(store.shop.db, store.path), cast(Any, acquirer)), acquirer


@pytest.fixture
def desk(store: Store, sim_url: str) -> Iterator[CardDesk]:
    with HttpGateway(GatewayConfig(sim_url, read_timeout=1.0)) as gateway:
        yield CardDesk(card_vault.open_vault(store.shop.db, store.path), gateway)


def nothing_kept(shop: Shop) -> bool:
    attempts = shop.db.conn.execute("SELECT count(*) FROM payment_attempts").fetchone()[0]
    return attempts == 0 and card_vault.count_held(shop.db) == 0


def set_rule(store: Store, on: bool) -> None:
    store_rules.put(store.shop, store.actor("boss"), {"keyed_card_payments": on})


def test_a_new_store_refuses_a_keyed_card_to_everyone(store: Store, untouched: tuple[CardDesk, NoAcquirer]) -> None:
    shop, (desk, acquirer) = store.shop, untouched
    assert store_rules.get(shop, store.actor("cashier"))["keyed_card_payments"] is False
    for role in ("cashier", "supervisor", "manager", "boss"):
        who = store.actor(role)
        sale_id = new_sale(shop, who)
        with pytest.raises(Invalid) as refused:
            card_payments.pay_card(shop, who, desk, sale_id, 1000, VISA, f"off-{role}")
        assert refused.value.code == "keyed_card_off" and "payment terminal" in refused.value.message
    assert acquirer.calls == [] and nothing_kept(shop)


def test_rule_on_a_cashier_is_refused_with_a_reason(store: Store, untouched: tuple[CardDesk, NoAcquirer]) -> None:
    shop, (desk, acquirer) = store.shop, untouched
    set_rule(store, True)
    for role in ("cashier", "supervisor"):
        who = store.actor(role)
        sale_id = new_sale(shop, who)
        with pytest.raises(Forbidden) as refused:
            card_payments.pay_card(shop, who, desk, sale_id, 1000, VISA, f"on-{role}")
        assert refused.value.code == "forbidden" and "manager" in refused.value.message
    assert acquirer.calls == [] and nothing_kept(shop)


def test_rule_on_a_manager_takes_a_keyed_card(store: Store, desk: CardDesk) -> None:
    shop = store.shop
    set_rule(store, True)
    manager = store.actor("manager")
    sale_id = new_sale(shop, manager)
    paid = card_payments.pay_card(shop, manager, desk, sale_id, 143, VISA, "on-manager")  # an apple, taxed
    assert paid["status"] == "completed" and paid["card"]["last4"] == "1111"
    assert charged(desk, shop, sale_id) == 143
    assert card_vault.count_held(shop.db) == 0  # the vault's retention rule: gone once settled


def test_turning_it_on_and_off_is_audited(store: Store) -> None:
    shop, boss = store.shop, store.actor("boss")
    with pytest.raises(Forbidden):
        store_rules.put(shop, store.actor("manager"), {"keyed_card_payments": True})  # the admin's rule
    with pytest.raises(Invalid) as refused:
        store_rules.put(shop, boss, {"keyed_card_payments": "yes"})
    assert refused.value.code == "invalid_rule"
    assert store_rules.put(shop, boss, {"keyed_card_payments": True})["keyed_card_payments"] is True
    store_rules.put(shop, boss, {"keyed_card_payments": True})  # no change: no second entry
    assert store_rules.put(shop, boss, {"keyed_card_payments": False})["keyed_card_payments"] is False
    switched = [e for e in audit_log.entries(shop) if e["action"] in ("keyed_cards_on", "keyed_cards_off")]
    assert [(e["action"], e["actor"], json.loads(e["details"])) for e in switched] == [
        ("keyed_cards_on", "boss", {"keyed_card_payments": True}),
        ("keyed_cards_off", "boss", {"keyed_card_payments": False}),
    ]
    assert not shop.settings.keyed_card_payments


@pytest.fixture
def http(store: Store, sim_url: str, tmp_path: Path) -> Iterator[TestClient]:
    store.shop.config = dataclasses.replace(store.shop.config, gateway_url=sim_url)
    with TestClient(create_app(store.shop), base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        yield client


def bearer(client: TestClient, username: str) -> dict[str, str]:
    token = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD}).json()["token"]
    client.cookies.clear()
    return {"authorization": f"Bearer {token}"}


def keyed(client: TestClient, who: dict[str, str], key: str) -> Any:
    sale = client.post("/api/v1/sales", headers=who).json()["id"]
    assert client.post(f"/api/v1/sales/{sale}/items", json={"sku": "BRD"}, headers=who).status_code == 200
    body = {"method": "card", "amount": 349, "card": VISA}
    return client.post(f"/api/v1/sales/{sale}/payments", json=body, headers={**who, "Idempotency-Key": key})


def test_over_http_each_refusal_says_why_and_the_till_is_told(store: Store, http: TestClient) -> None:
    cashier, manager, boss = (bearer(http, name) for name in ("cashier", "manager", "boss"))
    assert "keyed_card" in http.get("/api/v1/auth/me", headers=manager).json()["permissions"]
    assert "keyed_card" not in http.get("/api/v1/auth/me", headers=cashier).json()["permissions"]
    assert http.get("/api/v1/settings", headers=cashier).json()["keyed_card_payments"] is False

    off = keyed(http, manager, "http-off")
    assert off.status_code == 422 and off.json()["error"]["code"] == "keyed_card_off"
    assert "4111" not in off.text and nothing_kept(store.shop)

    switched = http.put("/api/v1/settings/rules", json={"keyed_card_payments": True}, headers=boss)
    assert switched.status_code == 200 and switched.json()["keyed_card_payments"] is True
    assert http.get("/api/v1/settings", headers=cashier).json()["keyed_card_payments"] is True

    refused = keyed(http, cashier, "http-cashier")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert "card not present" in refused.json()["error"]["message"] and nothing_kept(store.shop)

    paid = keyed(http, manager, "http-manager")
    assert paid.status_code == 201 and paid.json()["status"] == "completed", paid.text
