"""Fixtures shared by the integration and end-to-end tests: a real encrypted store in a
temporary folder, the real app behind Starlette's TestClient, and people to act as."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():
    # Starlette 1.10 nudges TestClient users toward httpx2; httpx 0.28 is what we pin.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from appliance.app.domain.card import KEYED_RULE
from appliance.app.services import auth, catalog, shifts, users
from appliance.app.services.setup import NewStore, init_store
from appliance.app.services.shop import Actor, Shop
from appliance.app.store import settings as settings_store
from appliance.app.web.app import create_app

os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", str(Path(__file__).parent.parent / "build" / "escpos-cache"))

PASSWORD = "Sesame-2026-open"  # meets the rules; test accounts only

CATALOG = """sku,name,price,tax_class,barcodes,stock
APL,Apple,1.25,standard,4006381333931,100
BRD,Bread,3.49,exempt,96385074,20
MLK,Milk 2 L,5.29,standard,036000291452,10
GUM,Gum,0.99,standard,,5
"""


@dataclass
class Store:
    shop: Shop
    admin_password: str
    path: Path

    def actor(self, username: str) -> Actor:
        return auth.login(self.shop, username, PASSWORD, "127.0.0.1").actor


def set_cash_needs_shift(shop: Shop, on: bool) -> None:
    """The store rule "cash needs an open shift" (on as a store is shipped), set as a manager
    would in Store rules, without the audit entry a test has no use for."""
    with shop.db.transaction() as tx:
        settings_store.put(tx, shifts.CASH_NEEDS_SHIFT, on)
    shop.forget_settings()  # as Store rules does: the rule is held with the other settings


def set_locale(shop: Shop, locale: str) -> None:
    """The store rule "how amounts are written" (and the language screens and receipts speak),
    set as a manager would in Store rules, without the audit entry."""
    with shop.db.transaction() as tx:
        settings_store.put(tx, "locale", locale)


def set_keyed_cards(shop: Shop, on: bool) -> None:
    """The store rule "a manager may key in a card's number" (off as a store is shipped), set
    as the store's admin would in Store rules, without the audit entry: for the tests of the keyed
    card path (tests/integration/card/test_keyed_rule.py holds the rule and its audit)."""
    with shop.db.transaction() as tx:
        settings_store.put(tx, KEYED_RULE, on)
    shop.forget_settings()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A new store (GST 5% + QST 9.975%, CAD, prices before tax) with one user per role
    and a small catalogue. Cash needs no open shift here: the tests on this store are about
    selling, refunds, reports…, not the drawer; those about the drawer ask for
    `cash_needs_shift`, and tests/integration/http/test_cash_needs_shift.py holds the rule."""
    shop, admin_password = init_store(tmp_path / "data", NewStore(store_name="Test Market"))
    set_cash_needs_shift(shop, False)
    for role in ("cashier", "supervisor", "manager", "auditor"):
        users.add_user(shop, None, role, role, PASSWORD)
    users.add_user(shop, None, "boss", "admin", PASSWORD)
    catalog.import_csv(shop, None, CATALOG)
    auth.throttle._failures.clear()
    auth.badge_throttle._failures.clear()
    yield Store(shop, admin_password, tmp_path / "data")
    shop.close()


@pytest.fixture
def cash_needs_shift(store: Store) -> Store:
    """The store with the rule as shipped: cash only on a till with an open shift."""
    set_cash_needs_shift(store.shop, True)
    return store


class Api:
    """A TestClient speaking as one person (bearer token)."""

    def __init__(self, client: TestClient, token: str | None = None) -> None:
        self.client = client
        self.token = token

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"authorization": f"Bearer {self.token}"} if self.token else {}
        return {**headers, **(extra or {})}

    def get(self, path: str, headers: dict[str, str] | None = None, **kw: Any) -> Any:
        return self.client.get(path, headers=self._headers(headers), **kw)

    def post(self, path: str, json: Any = None, headers: dict[str, str] | None = None, **kw: Any) -> Any:
        return self.client.post(path, json=json, headers=self._headers(headers), **kw)

    def patch(self, path: str, json: Any = None, headers: dict[str, str] | None = None) -> Any:
        return self.client.patch(path, json=json, headers=self._headers(headers))

    def delete(self, path: str, headers: dict[str, str] | None = None) -> Any:
        return self.client.delete(path, headers=self._headers(headers))


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    app = create_app(store.shop)
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as c:
        yield c


def logged_in(client: TestClient, username: str) -> Api:
    """The app at `client` as `username` (a test user, PASSWORD), with a bearer token."""
    answer = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    client.cookies.clear()  # these tests speak with bearer tokens
    return Api(client, answer.json()["token"])


@pytest.fixture
def as_role(client: TestClient) -> Any:
    """as_role("cashier") → an Api logged in as that role's test user."""
    return lambda username: logged_in(client, username)


def new_sale(api: Any, *codes: str) -> dict[str, Any]:
    """A sale opened through the API with these barcodes scanned on it."""
    sale = api.post("/api/v1/sales").json()
    for code in codes:
        answer = api.post(f"/api/v1/sales/{sale['id']}/items", json={"barcode": code})
        assert answer.status_code == 200, answer.text
        sale = answer.json()
    return sale


def approval(api: Any, who: str, permission: str) -> dict[str, str]:
    """The header that carries `who`'s approval (with their password) of `permission`."""
    answer = api.post("/api/v1/auth/approve", json={"username": who, "password": PASSWORD, "permission": permission})
    assert answer.status_code == 200, answer.text
    return {"X-Approval": answer.json()["approval"]}
