"""GET /api/v1/promotions names each offer's product by its SKU (what the manager screen shows)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from appliance.app.services.sales import business_day
from tests.conftest import Store


def test_the_list_gives_the_sku_and_loses_an_ended_offer(as_role: Any) -> None:
    manager, cashier = as_role("manager"), as_role("cashier")
    today = dt.date.today().isoformat()
    common = {"starts": today, "ends": today}
    apples = manager.post(
        "/api/v1/promotions",
        json={"name": "Apples 3 for 3.00", "kind": "multi_price", "sku": "APL", "quantity": 3, "price": 300, **common},
    )
    assert manager.post("/api/v1/categories", json={"name": "dairy"}).status_code == 201  # offers name a real one
    dairy = manager.post(
        "/api/v1/promotions",
        json={"name": "Dairy 10 %", "kind": "category_percent", "category": "dairy", "percent": 1000, **common},
    )
    assert apples.status_code == dairy.status_code == 201
    listed = {p["name"]: p for p in cashier.get("/api/v1/promotions").json()["promotions"]}
    assert listed["Apples 3 for 3.00"]["sku"] == "APL" and listed["Apples 3 for 3.00"]["product_id"] is not None
    assert listed["Dairy 10 %"]["sku"] is None and listed["Dairy 10 %"]["category"] == "dairy"
    assert cashier.delete(f"/api/v1/promotions/{apples.json()['id']}").status_code == 403
    assert manager.delete(f"/api/v1/promotions/{apples.json()['id']}").status_code == 200
    assert [p["name"] for p in cashier.get("/api/v1/promotions").json()["promotions"]] == ["Dairy 10 %"]
    assert manager.delete(f"/api/v1/promotions/{apples.json()['id']}").status_code == 404


def test_an_offer_past_its_last_day_is_no_longer_listed(as_role: Any, store: Store) -> None:
    manager = as_role("manager")
    today = business_day(store.shop)  # the shop's calendar, not this machine's
    made = manager.post(
        "/api/v1/promotions",
        json={
            "name": "Last week's apples",
            "kind": "buy_n_get_one",
            "sku": "APL",
            "quantity": 2,
            "starts": today.isoformat(),
            "ends": today.isoformat(),
        },
    )
    assert made.status_code == 201, made.text
    assert "Last week's apples" in [p["name"] for p in manager.get("/api/v1/promotions").json()["promotions"]]
    # As if a week had gone by: the offer ended yesterday, never ended by hand.
    with store.shop.db.transaction() as tx:
        tx.execute(
            "UPDATE promotions SET ends = ? WHERE id = ?",
            ((today - dt.timedelta(days=1)).isoformat(), made.json()["id"]),
        )
    assert "Last week's apples" not in [p["name"] for p in manager.get("/api/v1/promotions").json()["promotions"]]
