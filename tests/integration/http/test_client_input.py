"""What an outside fuzzer found: answers of 500 (or worse, a wrong id obeyed) to what a client
sent. Each is a 4xx in JSON with a reason now, the security headers on every answer."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from appliance.app.services import sale_view
from appliance.app.web.app import HEADERS
from appliance.app.web.http import BadRequest, int_param

SECURITY_HEADERS = [name.decode() for name, _ in HEADERS]
JSON = {"content-type": "application/json"}


def code(answer: Any) -> str:
    return str(answer.json()["error"]["code"])


def has_security_headers(answer: Any) -> bool:
    return all(name in answer.headers for name in SECURITY_HEADERS)


@pytest.mark.parametrize("sale_id", ["²", "¹", "①", "٣", "١", "߁", "𝟏", "1٣", " 1", "+1", "0x1", "1_0"])
def test_an_id_in_anything_but_ascii_digits_is_refused(as_role: Any, sale_id: str) -> None:
    cashier = as_role("cashier")
    cashier.post("/api/v1/sales")  # sale 1 exists: '١' must not be read as 1
    answer = cashier.get(f"/api/v1/sales/{sale_id}")
    assert answer.status_code == 400, answer.text
    assert code(answer) == "invalid_request" and "ASCII" in answer.json()["error"]["message"]
    assert has_security_headers(answer)


def test_an_arabic_indic_digit_does_not_void_gift_card_one(as_role: Any) -> None:
    cashier, manager = as_role("cashier"), as_role("manager")
    sale = cashier.post("/api/v1/sales").json()
    assert cashier.post(f"/api/v1/sales/{sale['id']}/gift-cards", json={"amount": 2000}).status_code == 200
    paid = cashier.post(f"/api/v1/sales/{sale['id']}/payments", json={"method": "cash", "amount": 2000})
    assert paid.status_code == 201, paid.text
    [card] = manager.get("/api/v1/gift-cards").json()["gift_cards"]
    assert card["id"] == 1 and card["status"] == "active"
    answer = manager.post("/api/v1/gift-cards/\u0661/void", json={"reason": "fuzzed id"})  # ١, ARABIC-INDIC ONE
    assert answer.status_code == 400, answer.text
    assert manager.get("/api/v1/gift-cards").json()["gift_cards"][0]["status"] == "active"


@pytest.mark.parametrize("number", [2**63, 2**64, -(2**63) - 1, 10**30])
def test_integers_beyond_64_bits_never_reach_sqlite(as_role: Any, number: int) -> None:
    manager = as_role("manager")
    order = {"supplier_id": number, "lines": [{"sku": "BRD", "quantity": 1}]}
    answer = manager.post("/api/v1/purchase-orders", json=order)
    assert (answer.status_code, code(answer)) == (400, "invalid_request"), answer.text
    assert "out of range" in answer.json()["error"]["message"]
    sale = manager.post("/api/v1/sales").json()
    answer = manager.client.put(
        f"/api/v1/sales/{sale['id']}/customer",
        json={"customer_id": number},
        headers={"authorization": f"Bearer {manager.token}"},
    )
    assert answer.status_code == 400, answer.text


def test_the_largest_64_bit_id_is_well_formed_and_not_found(as_role: Any) -> None:
    cashier = as_role("cashier")
    assert cashier.get(f"/api/v1/sales/{2**63 - 1}").status_code == 404
    assert cashier.get(f"/api/v1/sales/{2**63}").status_code == 400
    assert cashier.get(f"/api/v1/audit?after={2**64}").status_code in (400, 403)
    assert as_role("auditor").get(f"/api/v1/audit?after={2**64}").status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        b'{"username": "\\ud800", "password": "x"}',
        b'{"username": "manager", "password": "\\udfff"}',
        b'{"username": "manager", "password": "a\\ud83dz"}',  # a high surrogate without its low half
        b'{"\\udc00": 1}',
    ],
)
def test_a_lone_surrogate_on_login_is_422_without_a_session(client: Any, body: bytes) -> None:
    answer = client.post("/api/v1/auth/login", content=body, headers=JSON)
    assert (answer.status_code, code(answer)) == (422, "invalid_text"), answer.text
    assert has_security_headers(answer)


def test_a_lone_surrogate_is_422_wherever_json_is_read(as_role: Any) -> None:
    manager = as_role("manager")
    sale = manager.post("/api/v1/sales").json()
    sent = {
        f"/api/v1/sales/{sale['id']}/items": b'{"sku": "\\ud800"}',
        "/api/v1/customers": b'{"name": "Ann \\udbff"}',
        "/api/v1/products": b'{"sku": "X1", "name": "\\ud800", "price": 100}',
        "/api/v1/suppliers": b'{"name": "S", "email": ["\\ud800"]}',
    }
    for path, body in sent.items():
        answer = manager.post(path, content=body, headers=JSON)
        assert (answer.status_code, code(answer)) == (422, "invalid_text"), (path, answer.text)
    # A proper pair is text like any other.
    ok = manager.post("/api/v1/customers", content=b'{"name": "Ann \\ud83d\\ude00"}', headers=JSON)
    assert ok.status_code == 201, ok.text


def test_a_very_long_search_is_422_with_a_reason(as_role: Any) -> None:
    cashier = as_role("cashier")
    for path in ("/api/v1/products?q=", "/api/v1/products?barcode=", "/api/v1/customers?q="):
        answer = cashier.get(path + "a" * 50_000)
        assert (answer.status_code, code(answer)) == (422, "query_too_long"), answer.text
        assert "200 characters" in answer.json()["error"]["message"]
    # A product search takes up to 120 characters (its own bound, under the general 200).
    assert cashier.get("/api/v1/products?q=" + "a" * 120).status_code == 200
    assert cashier.get("/api/v1/products?q=" + "a" * 121).status_code == 422
    made_up = cashier.get("/api/v1/products?4111111111111111=" + "a" * 201)
    assert made_up.status_code == 422 and "4111" not in made_up.text  # a name the route lacks is not echoed


@pytest.mark.parametrize("value", [b"2.0", b"100.0", b"1e2", b"1E0"])
def test_a_number_with_a_point_is_not_an_integer(as_role: Any, value: bytes) -> None:
    cashier = as_role("cashier")
    sale = cashier.post("/api/v1/sales").json()
    url = f"/api/v1/sales/{sale['id']}"
    answer = cashier.post(url + "/items", content=b'{"sku": "BRD", "quantity": ' + value + b"}", headers=JSON)
    assert (answer.status_code, code(answer)) == (422, "not_an_integer"), answer.text
    assert "quantity" in answer.json()["error"]["message"]
    cashier.post(url + "/items", json={"sku": "BRD"})
    answer = cashier.post(url + "/payments", content=b'{"method": "cash", "amount": ' + value + b"00}", headers=JSON)
    assert (answer.status_code, code(answer)) == (422, "not_an_integer"), answer.text
    assert cashier.get(url).json()["payments"] == []


def test_money_in_answers_is_whole_numbers(as_role: Any) -> None:
    cashier = as_role("cashier")
    sale = cashier.post("/api/v1/sales").json()
    url = f"/api/v1/sales/{sale['id']}"
    cashier.post(url + "/items", content=b'{"sku": "BRD", "quantity": 1.0}', headers=JSON)  # refused
    cashier.post(url + "/items", json={"sku": "BRD"})
    cashier.post(url + "/payments", content=b'{"method": "cash", "amount": 500.0}', headers=JSON)  # refused
    answer = cashier.post(url + "/payments", json={"method": "cash", "amount": 500})
    view = answer.json()
    money = [view["change"], *view["totals"].values(), *(p["amount"] for p in view["payments"])]
    money += [line[k] for line in view["lines"] for k in ("unit_price", "amount", "net", "quantity")]
    assert all(type(v) is int for v in money), view


@pytest.mark.parametrize(
    ("role", "path", "status"),
    [
        (None, "/api/v1/sales/²", 401),
        (None, "/api/v1/gift-cards/99999999999999999999999/void", 401),
        (None, "/api/v1/purchase-orders/abc", 401),
        (None, "/api/v1/products?q=" + "a" * 1000, 401),
        ("cashier", "/api/v1/gift-cards/²/void", 403),
        ("cashier", "/api/v1/purchase-orders/abc", 403),
        ("cashier", f"/api/v1/customers/{2**64}/erase", 403),
        ("auditor", "/api/v1/stock?limit=٣", 403),
        ("manager", "/api/v1/gift-cards/²/void", 400),
    ],
)
def test_the_permission_is_checked_before_the_id(
    as_role: Any, client: Any, role: str | None, path: str, status: int
) -> None:
    method = "GET" if "/void" not in path and "/erase" not in path else "POST"
    if role is None:
        answer = client.request(method, path, json={"reason": "x"})
    else:
        api = as_role(role)
        bearer = {"authorization": f"Bearer {api.token}"}
        answer = api.client.request(method, path, json={"reason": "x"}, headers=bearer)
    assert answer.status_code == status, answer.text
    assert has_security_headers(answer)


def test_unknown_paths_wrong_methods_and_bad_hosts_carry_the_headers(client: Any) -> None:
    for answer, status in (
        (client.get("/api/v1/nothing"), 404),
        (client.get("/nothing"), 404),
        (client.put("/api/v1/sales"), 405),
        (client.delete("/healthz"), 405),
        (client.get("/healthz", headers={"host": "evil.example"}), 400),
        (client.post("/api/v1/auth/login", content=b"{", headers=JSON), 400),
        (client.post("/api/v1/auth/login", content=b"x", headers={"content-type": "text/plain"}), 415),
        (client.get("/api/v1/auth/me"), 401),
    ):
        assert answer.status_code == status, answer.text
        assert has_security_headers(answer), (status, dict(answer.headers))


def test_an_unexpected_error_is_a_500_in_json_with_the_headers_and_a_logged_traceback(
    as_role: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    cashier = as_role("cashier")
    sale = cashier.post("/api/v1/sales").json()

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internals 4111111111111111")

    monkeypatch.setattr(sale_view, "get_sale", broken)
    with caplog.at_level(logging.ERROR, logger="comptoir.web"):
        answer = cashier.get(f"/api/v1/sales/{sale['id']}")
    assert answer.status_code == 500
    assert answer.json() == {
        "error": {"code": "internal_error", "message": "something went wrong on our side; it was logged"}
    }
    assert has_security_headers(answer) and answer.headers["cache-control"] == "no-store"
    assert "secret" not in answer.text
    assert any(r.exc_info and "secret internals" in str(r.exc_info[1]) for r in caplog.records)


@pytest.mark.parametrize("text", ["²", "٣", "1٣", "𝟏", "", "-1", "1.0", str(2**63), "9" * 30])
def test_int_param_takes_ascii_digits_within_64_bits_only(text: str) -> None:
    with pytest.raises(BadRequest):
        int_param(text, "id")
    assert int_param(str(2**63 - 1), "id") == 2**63 - 1 and int_param("0042", "id") == 42


@pytest.mark.parametrize("number", ["²", "٣", "9" * 30])
def test_a_receipt_number_in_other_digits_or_past_64_bits_is_422(as_role: Any, number: str) -> None:
    answer = as_role("cashier").get(f"/api/v1/sales?receipt=T01-{number}")
    assert (answer.status_code, code(answer)) == (422, "invalid_receipt_number"), answer.text


@pytest.mark.parametrize(
    "csv_text",
    [
        "ó\r¢",  # what the fuzzer sent: a lone carriage return inside the header line
        "sku,name,price,stock\nX1,Thing,1.00,²\n",
        "sku,name,price,stock\nX1,Thing,1.00,99999999999999999999999\n",
        'sku,name,price\nX1,"' + "a" * 140_000 + '",1.00\n',  # past the csv module's field limit
    ],
)
def test_a_catalogue_csv_it_cannot_read_is_a_4xx(as_role: Any, csv_text: str) -> None:
    manager = as_role("manager")
    answer = manager.post("/api/v1/products/import", content=csv_text.encode(), headers={"content-type": "text/csv"})
    assert 400 <= answer.status_code < 500, answer.text
    assert code(answer) in ("import_rejected", "malformed_csv")
