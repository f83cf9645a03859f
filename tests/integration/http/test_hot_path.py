"""The sale's three requests (open, scan, cash) skip the middleware stack and the router
(web/hot_path.py): every request here is sent to the app with that path and to the app
without it, on the same store, and must get the same answer, headers included."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.applications import Starlette

from appliance.app.services import sales
from appliance.app.web.app import create_app
from tests.conftest import PASSWORD, Store

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

APPLE = "4006381333931"
Case = Callable[[TestClient, str, int], Any]


@pytest.fixture
def pair(store: Store) -> Iterator[tuple[TestClient, TestClient]]:
    with (
        TestClient(create_app(store.shop), base_url="http://127.0.0.1", raise_server_exceptions=False) as hot,
        TestClient(
            create_app(store.shop, hot_path=False), base_url="http://127.0.0.1", raise_server_exceptions=False
        ) as full,
    ):
        yield hot, full


def _token(client: TestClient, username: str = "cashier") -> str:
    answer = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    client.cookies.clear()
    return str(answer.json()["token"])


def _bearer(token: str, **extra: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}", **extra}


def _sale(client: TestClient, token: str) -> int:
    answer = client.post("/api/v1/sales", headers=_bearer(token))
    assert answer.status_code == 201, answer.text
    scanned = client.post(f"/api/v1/sales/{answer.json()['id']}/items", json={"barcode": APPLE}, headers=_bearer(token))
    assert scanned.status_code == 200, scanned.text
    return int(answer.json()["id"])


def _shape(answer: Any) -> tuple[int, dict[str, str], Any]:
    headers = {k: v for k, v in answer.headers.items() if k not in ("date", "content-length")}
    try:
        body = answer.json()
    except ValueError:
        return answer.status_code, headers, answer.text
    if answer.status_code < 400 and isinstance(body, dict):
        # Ids and times differ from one sale to the next; what was answered is compared.
        body = {k: (v if k in ("status", "totals", "change") else type(v).__name__) for k, v in body.items()}
    return answer.status_code, headers, body


def _pay(amount: int = 100_000, key: str | None = None, **body: Any) -> Case:
    def send(c: TestClient, token: str, sale: int) -> Any:
        headers = _bearer(token, **({"idempotency-key": key} if key else {}))
        paid = {"method": "cash", "amount": amount, **body}
        return c.post(f"/api/v1/sales/{sale}/payments", json=paid, headers=headers)

    return send


CASES: dict[str, Case] = {
    "open": lambda c, t, s: c.post("/api/v1/sales", headers=_bearer(t)),
    "open with a body": lambda c, t, s: c.post("/api/v1/sales", json={"x": 1}, headers=_bearer(t)),
    "open with no session": lambda c, t, s: c.post("/api/v1/sales"),
    "open with a bad scheme": lambda c, t, s: c.post("/api/v1/sales", headers={"authorization": f"Basic {t}"}),
    "open with an unknown token": lambda c, t, s: c.post("/api/v1/sales", headers=_bearer("x" * 43)),
    "open from a host not ours": lambda c, t, s: c.post("/api/v1/sales", headers=_bearer(t, host="evil.example")),
    "open with no host": lambda c, t, s: c.post("/api/v1/sales", headers=_bearer(t, host="")),
    "open, trailing slash": lambda c, t, s: c.post("/api/v1/sales/", headers=_bearer(t)),
    "scan": lambda c, t, s: c.post(f"/api/v1/sales/{s}/items", json={"barcode": APPLE}, headers=_bearer(t)),
    "scan two": lambda c, t, s: c.post(
        f"/api/v1/sales/{s}/items", json={"barcode": APPLE, "quantity": 2}, headers=_bearer(t)
    ),
    "scan unknown": lambda c, t, s: c.post(f"/api/v1/sales/{s}/items", json={"barcode": "1"}, headers=_bearer(t)),
    "scan, unknown field": lambda c, t, s: c.post(f"/api/v1/sales/{s}/items", json={"bar": APPLE}, headers=_bearer(t)),
    "scan, number as text": lambda c, t, s: c.post(
        f"/api/v1/sales/{s}/items", json={"barcode": APPLE, "quantity": "2"}, headers=_bearer(t)
    ),
    "scan, quantity with a point": lambda c, t, s: c.post(
        f"/api/v1/sales/{s}/items", json={"barcode": APPLE, "quantity": 2.0}, headers=_bearer(t)
    ),
    "scan, quantity past 64 bits": lambda c, t, s: c.post(
        f"/api/v1/sales/{s}/items", json={"barcode": APPLE, "quantity": 2**63}, headers=_bearer(t)
    ),
    "scan, bad plu": lambda c, t, s: c.post(f"/api/v1/sales/{s}/items", json={"plu": "12"}, headers=_bearer(t)),
    "scan, long barcode": lambda c, t, s: c.post(
        f"/api/v1/sales/{s}/items", json={"barcode": "9" * 2001}, headers=_bearer(t)
    ),
    "scan, a list": lambda c, t, s: c.post(f"/api/v1/sales/{s}/items", json=[APPLE], headers=_bearer(t)),
    "scan, not json": lambda c, t, s: c.post(f"/api/v1/sales/{s}/items", content=b"{", headers=_bearer(t)),
    "scan, lone surrogate": lambda c, t, s: c.post(
        f"/api/v1/sales/{s}/items", content=b'{"barcode": "\\ud800"}', headers=_bearer(t)
    ),
    "scan, text/plain": lambda c, t, s: c.post(
        f"/api/v1/sales/{s}/items", content=b"{}", headers=_bearer(t, **{"content-type": "text/plain"})
    ),
    "scan, body too large": lambda c, t, s: c.post(
        f"/api/v1/sales/{s}/items", content=b" " * (64 * 1024 + 1), headers=_bearer(t)
    ),
    "scan, sale id not a number": lambda c, t, s: c.post(
        "/api/v1/sales/abc/items", json={"barcode": APPLE}, headers=_bearer(t)
    ),
    "scan, sale id not a number, no session": lambda c, t, s: c.post("/api/v1/sales/abc/items", json={}),
    "scan, unknown sale": lambda c, t, s: c.post(
        "/api/v1/sales/999999/items", json={"barcode": APPLE}, headers=_bearer(t)
    ),
    "scan, no session": lambda c, t, s: c.post(f"/api/v1/sales/{s}/items", json={"barcode": APPLE}),
    "scan, query value too long": lambda c, t, s: c.post(
        f"/api/v1/sales/{s}/items?q={'x' * 201}", json={"barcode": APPLE}, headers=_bearer(t)
    ),
    "scan, GET": lambda c, t, s: c.get(f"/api/v1/sales/{s}/items", headers=_bearer(t)),
    "scan, idempotent twice": lambda c, t, s: [
        c.post(f"/api/v1/sales/{s}/items", json={"barcode": APPLE}, headers=_bearer(t, **{"idempotency-key": k}))
        for k in (f"scan-key-{s}",) * 2
    ][-1],
    "pay cash": _pay(),
    "pay too little": _pay(1),
    "pay negative": _pay(-5),
    "pay, no method": lambda c, t, s: c.post(f"/api/v1/sales/{s}/payments", json={"amount": 5}, headers=_bearer(t)),
    "pay, unknown method": lambda c, t, s: c.post(
        f"/api/v1/sales/{s}/payments", json={"method": "iou", "amount": 5}, headers=_bearer(t)
    ),
    "pay card with no gateway": lambda c, t, s: c.post(
        f"/api/v1/sales/{s}/payments", json={"method": "card", "amount": 5}, headers=_bearer(t)
    ),
    "pay, card details malformed": _pay(card={"number": 4}),
    "pay, bad idempotency key": _pay(key="short"),
    "pay, amount as text": lambda c, t, s: c.post(
        f"/api/v1/sales/{s}/payments", json={"method": "cash", "amount": "5"}, headers=_bearer(t)
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_the_hot_path_answers_as_the_full_stack(pair: tuple[TestClient, TestClient], name: str) -> None:
    hot, full = pair
    token = _token(hot)
    answers = [_shape(CASES[name](client, token, _sale(client, token))) for client in (hot, full)]
    assert answers[0] == answers[1]
    assert answers[0][1].get("x-frame-options") == "DENY"


def test_a_replayed_payment_and_a_key_reused_for_another_body(pair: tuple[TestClient, TestClient]) -> None:
    hot, full = pair
    token = _token(hot)
    answers = []
    for client, key in ((hot, "hot-key-00000001"), (full, "full-key-0000001")):
        sale = _sale(client, token)
        first = _pay(key=key)(client, token, sale)
        again = _pay(key=key)(client, token, sale)
        other = _pay(amount=99_999, key=key)(client, token, sale)
        assert first.json() == again.json()
        answers.append([_shape(a) for a in (first, again, other)])
    assert answers[0] == answers[1]
    assert [a[0] for a in answers[0]] == [201, 201, 409]


def test_cookie_sessions_need_the_csrf_token_on_the_hot_path(pair: tuple[TestClient, TestClient]) -> None:
    hot, full = pair
    for client in (hot, full):
        login = client.post("/api/v1/auth/login", json={"username": "cashier", "password": PASSWORD})
        csrf = login.json()["csrf_token"]
        assert client.post("/api/v1/sales").json()["error"]["code"] == "csrf_failed"
        assert client.post("/api/v1/sales", headers={"x-csrf-token": "guess"}).status_code == 403
        assert client.post("/api/v1/sales", headers={"x-csrf-token": csrf}).status_code == 201
        client.cookies.clear()


def test_an_unexpected_error_is_a_500_in_json_with_the_headers(
    pair: tuple[TestClient, TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    hot, full = pair
    token = _token(hot)
    sale_ids = [_sale(client, token) for client in (hot, full)]

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(sales, "add_item", broken)
    answers = [
        _shape(client.post(f"/api/v1/sales/{s}/items", json={"barcode": APPLE}, headers=_bearer(token)))
        for client, s in zip((hot, full), sale_ids, strict=True)
    ]
    assert answers[0] == answers[1]
    assert answers[0][0] == 500 and answers[0][2]["error"]["code"] == "internal_error"
    assert "a bug" not in str(answers[0][2])


def test_the_sale_s_requests_skip_the_stack_and_others_do_not(
    pair: tuple[TestClient, TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without this the comparisons above could pass with both apps on the full stack."""
    hot, _ = pair
    token = _token(hot)
    sale = _sale(hot, token)
    through_stack: list[str] = []
    whole = Starlette.__call__

    async def counted(self: Starlette, scope: Any, receive: Any, send: Any) -> None:
        through_stack.append(scope.get("path", ""))
        await whole(self, scope, receive, send)

    monkeypatch.setattr(Starlette, "__call__", counted)
    assert hot.post("/api/v1/sales", headers=_bearer(token)).status_code == 201
    assert hot.post(f"/api/v1/sales/{sale}/items", json={"barcode": APPLE}, headers=_bearer(token)).status_code == 200
    assert _pay()(hot, token, sale).status_code == 201
    assert through_stack == []
    assert hot.get(f"/api/v1/sales/{sale}", headers=_bearer(token)).status_code == 200
    assert hot.post("/api/v1/sales", headers=_bearer(token, host="evil.example")).status_code == 400
    assert through_stack == [f"/api/v1/sales/{sale}", "/api/v1/sales"]
