"""The event streams over a real uvicorn on loopback, read with httpx as a screen's
EventSource would: a code read by a serial scanner (through a pseudo-terminal) reaches the
cashier screen's stream; a sale rung up reaches the customer display's stream."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
import uvicorn

from appliance.app.web.app import create_app
from tests.conftest import PASSWORD, Store
from tests.fakes.serial_port import serial_pty


@pytest.fixture
def scanner_port() -> Iterator[tuple[int, str]]:
    with serial_pty() as port:
        yield port


@pytest.fixture
def server(store: Store, scanner_port: tuple[int, str]) -> Iterator[str]:
    store.shop.config = replace(store.shop.config, scanners=(f"serial:{scanner_port[1]}?baud=9600",))
    config = uvicorn.Config(create_app(store.shop), host="127.0.0.1", port=0, log_level="warning")
    config.timeout_graceful_shutdown = 2  # type: ignore[attr-defined]
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert running.started
    port = running.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(10)


def login(base: str, username: str) -> dict[str, str]:
    answer = httpx.post(f"{base}/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"authorization": f"Bearer {answer.json()['token']}"}


def events(response: httpx.Response) -> Iterator[dict[str, Any]]:
    """Parses text/event-stream into {id, event, data} as a browser would."""
    event: dict[str, Any] = {}
    for line in response.iter_lines():
        if line == "":
            if "data" in event:
                event["data"] = json.loads(event["data"])
                yield event
            event = {}
        elif line.startswith(":"):
            event.setdefault("comments", 0)
        else:
            field, _, value = line.partition(":")
            event[field] = value.removeprefix(" ")


def test_a_scan_reaches_the_cashier_screen(server: str, scanner_port: tuple[int, str]) -> None:
    master, _ = scanner_port
    headers = login(server, "cashier")
    with httpx.Client(timeout=5) as client:
        with client.stream("GET", f"{server}/api/v1/scans/stream", headers=headers) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            assert response.headers["cache-control"] == "no-store"
            os.write(master, b"4006381333931\r\n")
            first = next(events(response))
        assert first["event"] == "scan" and first["data"]["code"] == "4006381333931"
        assert first["data"]["source"].startswith("serial:")
        # Gone for a moment (a reload), the screen asks for what it missed, and only that.
        os.write(master, b"96385074\r\n")
        time.sleep(0.3)
        resumed = {**headers, "last-event-id": first["id"]}
        with client.stream("GET", f"{server}/api/v1/scans/stream", headers=resumed) as response:
            missed = next(events(response))
        assert missed["data"]["code"] == "96385074" and int(missed["id"]) > int(first["id"])


def test_the_streams_need_a_session(server: str) -> None:
    for path in ("/api/v1/scans/stream", "/api/v1/display/stream"):
        answer = httpx.get(f"{server}{path}")
        assert answer.status_code == 401
        assert answer.headers["content-type"] == "application/json"


def test_the_customer_display_follows_the_sale(server: str) -> None:
    # The test store writes amounts as fr-CA does: so does its customer display.
    headers = login(server, "cashier")
    with (
        httpx.Client(timeout=5) as client,
        client.stream("GET", f"{server}/api/v1/display/stream", headers=headers) as response,
    ):
        stream = events(response)
        # The display speaks the store's language: the test store is CAD, so fr-CA as shipped.
        assert next(stream)["data"] == {"idle": True, "store_name": "Test Market", "language": "fr"}, "on screen now"
        sale = httpx.post(f"{server}/api/v1/sales", headers=headers).json()
        opened = next(stream)["data"]
        assert opened["lines"] == [] and opened["total_text"] == "0,00"
        httpx.post(f"{server}/api/v1/sales/{sale['id']}/items", json={"barcode": "96385074"}, headers=headers)
        shown = next(stream)["data"]
        assert [(line["name"], line["amount_text"]) for line in shown["lines"]] == [("Bread", "3,49")]
        assert shown["total_text"] == "3,49" and "cashier" not in json.dumps(shown)
        httpx.post(
            f"{server}/api/v1/sales/{sale['id']}/payments", json={"method": "cash", "amount": 500}, headers=headers
        )
        done = next(stream)["data"]
        assert done["status"] == "completed" and done["change_text"] == "1,50" and done["paid_text"] == "5,00"
        assert done["rounding_text"] == "0,01"  # 3.49 is 3.50 in cash


def test_a_paired_display_follows_the_sale_until_the_till_unpairs_it(server: str) -> None:
    headers = login(server, "cashier")
    code = httpx.post(f"{server}/api/v1/display/pairing-code", json={}, headers=headers).json()["code"]
    with httpx.Client(timeout=5) as display:  # a second browser: no login, only the code
        assert display.post(f"{server}/api/v1/display/pair", json={"code": code}).status_code == 201
        with display.stream("GET", f"{server}/api/v1/display/stream") as response:
            assert response.status_code == 200
            stream = events(response)
            assert next(stream)["data"]["idle"] is True
            sale = httpx.post(f"{server}/api/v1/sales", headers=headers).json()
            next(stream)
            httpx.post(f"{server}/api/v1/sales/{sale['id']}/items", json={"barcode": "96385074"}, headers=headers)
            shown = next(stream)["data"]
            assert [line["name"] for line in shown["lines"]] == ["Bread"]
            assert httpx.delete(f"{server}/api/v1/display/pairing", headers=headers).status_code == 200
            httpx.post(f"{server}/api/v1/sales/{sale['id']}/items", json={"barcode": "96385074"}, headers=headers)
            assert list(stream) == [], "the change after the unpairing is not shown: the stream ends"
        assert display.get(f"{server}/api/v1/display/stream").status_code == 401
