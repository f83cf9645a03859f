"""Helpers for the back office tests: sales paid through the real API (new_sale is in tests/conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest


def pay_cash(api: Any, sale: dict[str, Any]) -> dict[str, Any]:
    due = api.get(f"/api/v1/sales/{sale['id']}").json()["totals"]["due"]
    answer = api.post(f"/api/v1/sales/{sale['id']}/payments", json={"method": "cash", "amount": due})
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    assert body["status"] == "completed"
    return body


def code_of(answer: Any) -> tuple[int, str]:
    return answer.status_code, answer.json()["error"]["code"]


@pytest.fixture
def manager(as_role: Any) -> Any:
    return as_role("manager")


@pytest.fixture
def cashier(as_role: Any) -> Any:
    return as_role("cashier")


def put(api: Any, path: str, json: Any) -> Any:
    """The shared Api helper has no PUT; the same bearer token through its client."""
    return api.client.put(path, json=json, headers=api._headers(None))
