"""GET /api/v1/promotions names each offer's product by its SKU (what the manager screen shows)."""

from __future__ import annotations

import datetime as dt
from typing import Any


def test_the_list_gives_the_sku_and_loses_an_ended_offer(as_role: Any) -> None:
    manager, cashier = as_role("manager"), as_role("cashier")
    today = dt.date.today().isoformat()
    common = {"starts": today, "ends": today}
    apples = manager.post(
        "/api/v1/promotions",
        json={"name": "Apples 3 for 3.00", "kind": "multi_price", "sku": "APL", "quantity": 3, "price": 300, **common},
    )
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
