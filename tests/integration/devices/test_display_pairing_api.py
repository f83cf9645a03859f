"""Pairing the customer display over HTTP: the till asks for a code, a browser with no
login spends it on a display-only cookie, and that cookie (or its token, wherever a session
goes) opens nothing but the display's own routes."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from appliance.app.web.api_devices import DISPLAY_COOKIE
from appliance.app.web.app import create_app
from tests.conftest import Api, Store


@pytest.fixture
def display(store: Store) -> Any:
    """A second browser: no login, its own cookies."""
    with TestClient(create_app(store.shop, start_devices=False), base_url="http://127.0.0.1") as client:
        yield client


def code_from(api: Api) -> str:
    answer = api.post("/api/v1/display/pairing-code", json={})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["code"])


def pair(display: TestClient, code: str) -> str:
    answer = display.post("/api/v1/display/pair", json={"code": code})
    assert answer.status_code == 201, answer.text
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/api/v1/display" in cookie
    return str(display.cookies[DISPLAY_COOKIE])


def test_a_display_pairs_with_the_tills_code(as_user: Any, display: TestClient) -> None:
    till = as_user("cashier")
    assert display.get("/api/v1/display/paired").json()["error"]["code"] == "display_not_paired"
    assert till.get("/api/v1/display/paired").json()["paired"] is False, "the till's own window follows as before"
    assert till.get("/api/v1/display/pairing").json()["paired"] is False
    pair(display, code_from(till))
    mine = display.get("/api/v1/display/paired")
    assert mine.status_code == 200 and mine.json()["terminal_id"] == "T01"
    state = till.get("/api/v1/display/pairing").json()
    assert state["paired"] is True and state["paired_by"] == "cashier"


def test_a_code_pairs_once(as_user: Any, display: TestClient) -> None:
    code = code_from(as_user("cashier"))
    pair(display, code)
    again = display.post("/api/v1/display/pair", json={"code": code})
    assert again.status_code == 401 and again.json()["error"]["code"] == "bad_pairing_code"


@pytest.mark.parametrize("body", [{}, {"code": 123456}, {"code": "1" * 17}, {"code": "123456", "till": "T01"}])
def test_a_malformed_pairing_is_400(display: TestClient, body: dict[str, Any]) -> None:
    assert display.post("/api/v1/display/pair", json=body).status_code == 400


def test_guessing_a_code_meets_429(as_user: Any, display: TestClient) -> None:
    code_from(as_user("cashier"))
    statuses = [display.post("/api/v1/display/pair", json={"code": "abcdef"}).status_code for _ in range(11)]
    assert statuses == [401] * 10 + [429]


OTHER_ROUTES = [
    ("GET", "/api/v1/auth/me"),
    ("POST", "/api/v1/sales"),
    ("GET", "/api/v1/products"),
    ("GET", "/api/v1/settings"),
    ("GET", "/api/v1/display/pairing"),
    ("DELETE", "/api/v1/display/pairing"),
    ("POST", "/api/v1/display/pairing-code"),
    ("GET", "/api/v1/scans/stream"),
    ("POST", "/api/v1/drawer/open"),
]


@pytest.mark.parametrize(("method", "path"), OTHER_ROUTES)
def test_a_display_credential_opens_nothing_else(as_user: Any, display: TestClient, method: str, path: str) -> None:
    token = pair(display, code_from(as_user("cashier")))
    for headers in (
        {"cookie": f"{DISPLAY_COOKIE}={token}"},
        {"cookie": f"comptoir_session={token}"},
        {"authorization": f"Bearer {token}"},
    ):
        answer = display.request(method, path, headers=headers, json={} if method == "POST" else None)
        assert answer.status_code == 401, (headers, answer.text)


def test_the_till_unpairs_its_display(as_user: Any, display: TestClient) -> None:
    till = as_user("cashier")
    pair(display, code_from(till))
    answer = till.delete("/api/v1/display/pairing")
    assert answer.status_code == 200 and answer.json() == {"unpaired": 1}
    assert display.get("/api/v1/display/paired").status_code == 401
    assert display.get("/api/v1/display/stream").status_code == 401
    audited = as_user("auditor").get("/api/v1/audit?limit=500").json()["entries"]
    found = [e["action"] for e in audited if e["action"].startswith("display_")]
    assert found == ["display_pairing_code", "display_pair", "display_unpair"]


@pytest.mark.parametrize("role", ["auditor"])
def test_only_staff_who_sell_get_a_code(as_user: Any, role: str) -> None:
    answer = as_user(role).post("/api/v1/display/pairing-code", json={})
    assert answer.status_code == 403
