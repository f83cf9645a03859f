"""Whatever a client sends, the answer is a 4xx with a reason, never a 500."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.routing import Route

from appliance.app.web.http import bounded
from appliance.app.web.openapi import describe
from appliance.app.web.routes import all_endpoints
from appliance.security.rbac import Permission, can


def error_code(answer: Any) -> str:
    return str(answer.json()["error"]["code"])


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{", 400, "malformed_json"),
        (b"[]", 400, "invalid_request"),
        (b'{"barcode": 123}', 400, "invalid_request"),
        (b'{"barcode": "96385074", "unit_price": 1}', 400, "invalid_request"),
        (b'{"barcode": "96385074", "quantity": -2}', 422, "invalid_quantity"),
        (b'{"barcode": "96385074", "quantity": 100000}', 422, "invalid_quantity"),
        (b'{"barcode": "96385074", "quantity": 1.5}', 400, "invalid_request"),
        (b'{"barcode": "0000000000000"}', 422, "unknown_barcode"),
        (b'{"barcode": "4006381333932"}', 422, "bad_check_digit"),
        (b'{"barcode": "96385074", "sku": "BRD"}', 422, "barcode_or_sku"),
        (b'{"quantity": NaN}', 400, "malformed_json"),
        (b'{"sku": "' + b"A" * 70000 + b'"}', 413, "body_too_large"),
    ],
)
def test_bad_item_bodies(as_role: Any, body: bytes, status: int, code: str) -> None:
    cashier = as_role("cashier")
    sale = cashier.post("/api/v1/sales").json()
    answer = cashier.post(
        f"/api/v1/sales/{sale['id']}/items",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert (answer.status_code, error_code(answer)) == (status, code), answer.text


def test_wrong_media_type_is_415(as_role: Any) -> None:
    cashier = as_role("cashier")
    answer = cashier.post(
        "/api/v1/sales/1/items",
        content=b"barcode=1",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 415


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/sales/abc", 400),
        ("/api/v1/sales/999999", 404),
        ("/api/v1/nothing", 404),
        ("/api/v1/sales/-1", 400),
    ],
)
def test_bad_paths(as_role: Any, path: str, status: int) -> None:
    answer = as_role("cashier").get(path)
    assert answer.status_code == status
    assert "error" in answer.json()


def test_wrong_method_is_405_in_json(as_role: Any) -> None:
    answer = as_role("cashier").client.put("/api/v1/sales")
    assert answer.status_code == 405 and error_code(answer) == "method_not_allowed"


def test_bad_payments(as_role: Any) -> None:
    cashier = as_role("cashier")
    sale = cashier.post("/api/v1/sales").json()
    url = f"/api/v1/sales/{sale['id']}/payments"
    empty = cashier.post(url, json={"method": "cash", "amount": 100})
    assert empty.status_code == 409 and error_code(empty) == "sale_empty"
    cashier.post(f"/api/v1/sales/{sale['id']}/items", json={"sku": "BRD"})
    assert cashier.post(url, json={"method": "cash", "amount": 0}).status_code == 422
    assert cashier.post(url, json={"method": "cash", "amount": -5}).status_code == 422
    assert cashier.post(url, json={"method": "bitcoin", "amount": 5}).status_code == 400
    assert cashier.post(url, json={"method": "cash"}).status_code == 400
    assert cashier.post(url, json={"method": "cash", "amount": "5"}).status_code == 400
    short_key = cashier.post(url, json={"method": "cash", "amount": 5}, headers={"Idempotency-Key": "x"})
    assert short_key.status_code == 422


def test_validation_errors_never_echo_the_value(as_role: Any) -> None:
    cashier = as_role("cashier")
    sale = cashier.post("/api/v1/sales").json()
    secret = "4111 1111 1111 1111"
    answer = cashier.post(f"/api/v1/sales/{sale['id']}/payments", json={"method": "cash", "amount": secret})
    assert answer.status_code == 400
    assert "4111" not in answer.text


def test_the_openapi_description_matches_the_routes(client: Any) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    served = set()
    for route in client.app.routes:
        if isinstance(route, Route) and (route.path.startswith("/api/v1/") or route.path == "/healthz"):
            if route.path == "/api/v1/openapi.json":
                continue
            served |= {(route.path, m) for m in (route.methods or ()) if m != "HEAD"}
    assert documented == served
    assert spec == describe()
    for ep in all_endpoints():
        op = spec["paths"]["/api/v1" + ep.path][ep.method.lower()]
        if ep.body is not None:
            assert op["requestBody"]["content"]["application/json"]["schema"] == bounded(ep.body)


def test_every_documented_route_answers_without_a_session_with_401_not_500(client: Any) -> None:
    for path, ops in describe()["paths"].items():
        concrete = path.replace("{sale_id}", "1").replace("{line}", "1").replace("{username}", "cashier")
        for method in ops:
            answer = client.request(method.upper(), concrete, json={})
            if path in ("/healthz", "/api/v1/auth/login", "/api/v1/auth/kiosk", "/api/v1/display/pair"):
                assert answer.status_code < 500
            else:
                assert answer.status_code == 401, (method, path, answer.status_code)


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
FIELDS = st.dictionaries(
    st.sampled_from(["barcode", "sku", "quantity", "method", "amount", "lines", "reason", "card", "extra"]),
    JSONISH,
    max_size=4,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    route=st.sampled_from(["items", "payments", "refunds", "cancel", "items/1", "items/999"]),
    method=st.sampled_from(["POST", "PATCH", "DELETE", "GET"]),
    body=FIELDS | JSONISH,
    raw=st.booleans(),
)
def test_no_request_to_the_sale_routes_gets_a_500(as_role: Any, route: str, method: str, body: Any, raw: bool) -> None:
    api = as_role.cached if hasattr(as_role, "cached") else None
    if api is None:
        api = as_role.cached = as_role("supervisor")
        sale = api.post("/api/v1/sales").json()
        api.post(f"/api/v1/sales/{sale['id']}/items", json={"sku": "BRD"})
        as_role.sale = sale["id"]
    url = f"/api/v1/sales/{as_role.sale}/{route}"
    content = json.dumps(body).encode()[:-1] if raw else json.dumps(body).encode()
    answer = api.client.request(
        method,
        url,
        content=content,
        headers={"authorization": f"Bearer {api.token}", "content-type": "application/json"},
    )
    assert answer.status_code < 500, (method, url, body, answer.text)
    if answer.status_code >= 400:
        assert set(answer.json()["error"]) == {"code", "message"}


def test_a_tender_the_till_cannot_take_is_refused_in_words(as_role: Any) -> None:
    cashier = as_role("cashier")
    sale = cashier.post("/api/v1/sales").json()
    cashier.post(f"/api/v1/sales/{sale['id']}/items", json={"sku": "BRD"})
    answer = cashier.post(f"/api/v1/sales/{sale['id']}/payments", json={"method": "loyalty", "amount": 5})
    assert answer.status_code == 422


def test_a_caller_without_the_permission_hears_403_whatever_the_body(as_role: Any) -> None:
    """A malformed body from someone who may not use the route is refused for who they are,
    not for the body: a 400 or 422 would describe the schema to anybody with a session."""
    cashier = as_role("cashier")
    walked = []
    for ep in all_endpoints():
        if ep.body is None or ep.who not in {p.value for p in Permission} or can("cashier", Permission(ep.who)):
            continue
        path = re.sub(r"\{[a-z_]+\}", "1", "/api/v1" + ep.path)
        junk = b'{"no": ["such", "field"]}'
        headers = {"authorization": f"Bearer {cashier.token}", "content-type": "application/json"}
        answer = cashier.client.request(ep.method, path, content=junk, headers=headers)
        assert answer.status_code == 403, (ep.method, ep.path, answer.status_code, answer.text)
        walked.append(ep.path)
    assert len(walked) > 20  # the walk reached the routes it is about
