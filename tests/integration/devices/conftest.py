from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from appliance.app.web.app import create_app
from tests.conftest import Api, Store, logged_in
from tests.fakes.escpos_printer import VirtualPrinterServer


@pytest.fixture
def printer() -> Iterator[VirtualPrinterServer]:
    with VirtualPrinterServer() as server:
        yield server


@pytest.fixture
def till(store: Store, printer: VirtualPrinterServer) -> Iterator[TestClient]:
    """The app with the virtual printer on the network path, drawer on pin 5 at 120 ms."""
    store.shop.config = replace(
        store.shop.config, printer=f"{printer.spec}?timeout=1", drawer_pin=5, drawer_pulse_ms=120
    )
    with TestClient(create_app(store.shop), base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def as_user(till: TestClient) -> Any:
    return lambda username: logged_in(till, username)


def sell(api: Api, *codes: str, pay: int = 10_000) -> dict[str, Any]:
    sale = api.post("/api/v1/sales").json()
    for code in codes:
        sale = api.post(f"/api/v1/sales/{sale['id']}/items", json={"barcode": code}).json()
    done = api.post(f"/api/v1/sales/{sale['id']}/payments", json={"method": "cash", "amount": pay})
    assert done.status_code == 201, done.text
    return dict(done.json())
