"""Least privilege for customers' data and balances, and discount limits that stacking
cannot get round.

Found from outside: a self-service kiosk spent customer 1's points by naming the id; a
cashier listed every customer's email and phone with an empty search and walked the ids;
10 % on a line plus 10 % on the sale went through at a cashier's 10 % limit."""

from __future__ import annotations

import dataclasses
from typing import Any

from tests.conftest import Api, Store, approval, new_sale
from tests.integration.backoffice.conftest import code_of, put


def enrol(api: Any, name: str, **extra: Any) -> dict[str, Any]:
    answer = api.post("/api/v1/customers", json={"name": name, **extra})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def test_a_cashier_searches_with_three_characters_and_sees_no_contact_details(cashier: Any, manager: Any) -> None:
    enrol(cashier, "Ada Lovelace", email="ada@example.org", phone="+1 514 555 0101")
    enrol(cashier, "Adam Smith", email="adam@example.org")
    assert code_of(cashier.get("/api/v1/customers?q=")) == (422, "search_too_short")
    assert code_of(cashier.get("/api/v1/customers?q=Ad")) == (422, "search_too_short")
    found = cashier.get("/api/v1/customers?q=Ada").json()["customers"]
    assert sorted(c["name"] for c in found) == ["Ada Lovelace", "Adam Smith"]
    assert all(c["email"] is None and c["phone"] is None for c in found)
    assert sorted(c["contact_hint"] for c in found) == ["a•••@example.org", "•••• 01"]
    listed = manager.get("/api/v1/customers?q=").json()["customers"]
    assert {c["email"] for c in listed} == {"ada@example.org", "adam@example.org"}


def test_a_cashier_reads_a_customer_by_id_only_once_they_are_on_a_sale_here(cashier: Any, manager: Any) -> None:
    ada = enrol(manager, "Ada Lovelace", email="ada@example.org")
    assert code_of(cashier.get(f"/api/v1/customers/{ada['id']}")) == (403, "customer_search_required")
    assert code_of(cashier.get(f"/api/v1/customers/{ada['id']}/purchases")) == (403, "customer_search_required")
    sale = new_sale(cashier, "96385074")
    attached = put(cashier, f"/api/v1/sales/{sale['id']}/customer", json={"customer_id": ada["id"]})
    assert attached.status_code == 200 and attached.json()["customer"]["email"] is None
    seen = cashier.get(f"/api/v1/customers/{ada['id']}")
    assert seen.status_code == 200 and seen.json()["email"] is None
    assert manager.get(f"/api/v1/customers/{ada['id']}").json()["email"] == "ada@example.org"


def test_a_kiosk_cannot_spend_a_customer_s_points_by_naming_the_id(client: Any, store: Store, manager: Any) -> None:
    ada = enrol(manager, "Ada Lovelace")
    manager.post(f"/api/v1/customers/{ada['id']}/points", json={"points": 500, "reason": "welcome gift"})
    store.shop.config = dataclasses.replace(store.shop.config, mode="self_service")
    token = client.post("/api/v1/auth/kiosk").json()["token"]
    client.cookies.clear()
    kiosk = Api(client, token)
    sale = new_sale(kiosk, "96385074")
    spent = kiosk.post(
        f"/api/v1/sales/{sale['id']}/payments", json={"method": "loyalty", "amount": 100, "customer": ada["id"]}
    )
    assert spent.status_code == 403, spent.text
    assert manager.get(f"/api/v1/customers/{ada['id']}").json()["points"] == 500


def test_line_and_sale_discounts_together_are_held_to_the_role_s_limit(cashier: Any) -> None:
    sale = new_sale(cashier, "96385074")
    line = cashier.post(f"/api/v1/sales/{sale['id']}/items/1/discount", json={"kind": "percent", "value": 1000})
    assert line.status_code == 200, line.text
    stacked = cashier.post(f"/api/v1/sales/{sale['id']}/discount", json={"kind": "percent", "value": 1000})
    assert code_of(stacked) == (403, "discount_needs_approval")
    signed = approval(cashier, "supervisor", "discount_over_limit")
    approved = cashier.post(
        f"/api/v1/sales/{sale['id']}/discount",
        json={"kind": "percent", "value": 1000},
        headers=signed,
    )
    assert approved.status_code == 200, approved.text
    # Each alone within the limit still needs nobody: 5 % and 5 % make 9.75 %.
    other = new_sale(cashier, "96385074")
    assert (
        cashier.post(
            f"/api/v1/sales/{other['id']}/items/1/discount", json={"kind": "percent", "value": 500}
        ).status_code
        == 200
    )
    assert (
        cashier.post(f"/api/v1/sales/{other['id']}/discount", json={"kind": "percent", "value": 500}).status_code == 200
    )


def test_a_session_reads_the_customers_its_own_search_found(cashier: Any, manager: Any, as_role: Any) -> None:
    ada = enrol(manager, "Ada Lovelace")
    assert code_of(cashier.get(f"/api/v1/customers/{ada['id']}/purchases")) == (403, "customer_search_required")
    assert [c["id"] for c in cashier.get("/api/v1/customers?q=Ada").json()["customers"]] == [ada["id"]]
    assert cashier.get(f"/api/v1/customers/{ada['id']}/purchases").status_code == 200
    other = as_role("supervisor")  # another session has found nobody
    assert code_of(other.get(f"/api/v1/customers/{ada['id']}")) == (403, "customer_search_required")
