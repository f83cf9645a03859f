"""A customer alone at a self-service till: a session without a password that can only
sell, sees only its own sales, pays by card, and waits for an attendant on restricted items."""

from __future__ import annotations

import dataclasses
from typing import Any

from appliance.app.services import catalog
from tests.conftest import PASSWORD, Api, Store, approval


def kiosk(client: Any) -> Api:
    answer = client.post("/api/v1/auth/kiosk")
    assert answer.status_code == 200, answer.text
    client.cookies.clear()
    assert answer.json()["user"]["role"] == "customer"
    return Api(client, answer.json()["token"])


def self_service(store: Store) -> None:
    store.shop.config = dataclasses.replace(store.shop.config, mode="self_service")


def test_a_staffed_till_gives_no_kiosk_session(client: Any) -> None:
    answer = client.post("/api/v1/auth/kiosk")
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "not_self_service"


def test_a_customer_sells_and_nothing_more(client: Any, store: Store, as_role: Any) -> None:
    self_service(store)
    staff_sale = as_role("cashier").post("/api/v1/sales").json()["id"]
    customer = kiosk(client)
    sale = customer.post("/api/v1/sales").json()
    assert customer.post(f"/api/v1/sales/{sale['id']}/items", json={"sku": "BRD"}).status_code == 200
    assert customer.get(f"/api/v1/sales/{staff_sale}").status_code == 404  # not its sale
    assert customer.post(f"/api/v1/sales/{staff_sale}/items", json={"sku": "BRD"}).status_code == 404
    assert customer.delete(f"/api/v1/sales/{sale['id']}/items/1").status_code == 403
    assert customer.get("/api/v1/sales?status=parked").status_code == 403
    assert customer.get("/api/v1/reports/sales").status_code == 403
    assert customer.post("/api/v1/products", json={"sku": "X", "name": "X", "price": 1}).status_code == 403
    cash = customer.post(f"/api/v1/sales/{sale['id']}/payments", json={"method": "cash", "amount": 500})
    assert cash.status_code == 422 and cash.json()["error"]["code"] == "tender_unavailable"


def test_restricted_items_wait_for_an_attendant(client: Any, store: Store) -> None:
    catalog.create_product(
        store.shop,
        store.actor("manager"),
        {"sku": "WINE", "name": "Red wine", "price": 1599, "age_restricted": True, "barcodes": ["5012345678900"]},
    )
    self_service(store)
    customer = kiosk(client)
    sale_id = customer.post("/api/v1/sales").json()["id"]
    line = customer.post(f"/api/v1/sales/{sale_id}/items", json={"barcode": "5012345678900"}).json()["lines"][0]
    assert line["age_restricted"] and line["awaiting_approval"]
    blocked = customer.post(f"/api/v1/sales/{sale_id}/payments", json={"method": "cash", "amount": 5000})
    assert blocked.status_code in (409, 422)
    assert customer.post(f"/api/v1/sales/{sale_id}/approve").status_code == 403
    wrong = customer.post(
        "/api/v1/auth/approve", json={"username": "cashier", "password": PASSWORD, "permission": "approve_restricted"}
    )
    assert wrong.status_code == 403  # a cashier is not an attendant who may approve
    signed = approval(customer, "supervisor", "approve_restricted")
    approved = customer.post(f"/api/v1/sales/{sale_id}/approve", headers=signed)
    assert approved.status_code == 200 and approved.json()["lines"][0]["awaiting_approval"] is False


def test_at_a_staffed_till_the_cashier_is_the_check(as_role: Any, store: Store) -> None:
    catalog.create_product(
        store.shop, store.actor("manager"), {"sku": "BEER", "name": "Beer", "price": 299, "age_restricted": True}
    )
    cashier = as_role("cashier")
    sale_id = cashier.post("/api/v1/sales").json()["id"]
    line = cashier.post(f"/api/v1/sales/{sale_id}/items", json={"sku": "BEER"}).json()["lines"][0]
    assert line["age_restricted"] and not line["awaiting_approval"]
    paid = cashier.post(f"/api/v1/sales/{sale_id}/payments", json={"method": "cash", "amount": 500})
    assert paid.json()["status"] == "completed"
