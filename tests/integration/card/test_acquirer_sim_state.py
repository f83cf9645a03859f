"""The simulated acquirer's state file gives back no card number: nothing in it depends on the
number beyond its last four, and a file from an older simulator loses its digests of numbers."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from appliance.drivers.acquirer_protocol import SENT_AT_FORMAT
from appliance.drivers.acquirer_sim import Acquirer, create_app

# Two sets of cards that differ everywhere but in brand, last four and expiry.
FIRST = ["4111111111111111", "5555555555554444", "4000000000009995", "4000000000000010"]
SECOND = ["4242424212421111", "5105105145104444", "4012888868889995", "4917610040000010"]
RANDOM = ("id", "auth_code", "created_at")


def authorise(client: TestClient, key: str, number: str, amount: int = 1000) -> Any:
    body = {
        "idempotency_key": key,
        "amount": amount,
        "currency": "CAD",
        "card": {"number": number, "exp_month": 12, "exp_year": 2030},
        "capture": True,
        "sent_at": dt.datetime.now(dt.UTC).strftime(SENT_AT_FORMAT),
    }
    return client.post("/v1/authorisations", json=body)


def day(state: Path, numbers: list[str]) -> dict[str, Any]:
    acquirer = Acquirer(state)
    with TestClient(create_app(acquirer)) as client:
        for i, number in enumerate(numbers):
            assert authorise(client, f"key-{i:04d}", number).status_code == 200
        approved = authorise(client, "key-0000", numbers[0]).json()
        refund = {"idempotency_key": "refund-0001", "amount": 500}
        assert client.post(f"/v1/authorisations/{approved['id']}/refunds", json=refund).status_code == 200
    data: dict[str, Any] = json.loads(state.read_text(encoding="utf-8"))
    return data


def _without_random(data: dict[str, Any]) -> list[dict[str, Any]]:
    records = []
    for record in data["records"]:
        kept = {k: v for k, v in record.items() if k not in RANDOM}
        kept["refunds"] = [{k: v for k, v in r.items() if k not in (*RANDOM, "authorisation")} for r in kept["refunds"]]
        records.append(kept)
    return records


def test_the_state_file_depends_on_no_card_number(tmp_path: Path) -> None:
    first = day(tmp_path / "first.json", FIRST)
    second = day(tmp_path / "second.json", SECOND)
    text = (tmp_path / "first.json").read_text(encoding="utf-8")
    assert not any(number in text for number in FIRST)
    assert "secret" not in first and "secret" not in second
    # Everything saved is the same for other numbers with the same last four: there is
    # nothing in it to search for a number, keyed or not.
    assert _without_random(first) == _without_random(second)


def test_a_retry_is_matched_on_its_number_within_a_run(tmp_path: Path) -> None:
    acquirer = Acquirer(tmp_path / "state.json")
    with TestClient(create_app(acquirer)) as client:
        first = authorise(client, "retry-001", FIRST[0]).json()
        assert authorise(client, "retry-001", FIRST[0]).json()["id"] == first["id"]
        other = authorise(client, "retry-001", SECOND[0])  # same last four, another card
        assert other.status_code == 409
        assert authorise(client, "retry-001", FIRST[0], amount=999).status_code == 409
    # A restarted simulator knows the request but not the number: a retry is still recognised.
    with TestClient(create_app(Acquirer(tmp_path / "state.json"))) as client:
        assert authorise(client, "retry-001", FIRST[0]).json()["id"] == first["id"]
        assert authorise(client, "retry-001", FIRST[0], amount=999).status_code == 409


def test_an_older_state_file_loses_its_secret_and_digests(tmp_path: Path) -> None:
    state = tmp_path / "old.json"
    record = {
        "id": "auth_old",
        "idempotency_key": "old-key-1",
        "request_digest": "ab" * 32,  # an HMAC of a number under the secret beside it
        "reference": None,
        "status": "approved",
        "requested_amount": 1000,
        "approved_amount": 1000,
        "currency": "CAD",
        "auth_code": "123456",
        "decline_code": None,
        "brand": "visa",
        "last_four": "1111",
        "created_at": "2026-01-01T00:00:00.000000Z",
        "captured_amount": 1000,
    }
    state.write_text(json.dumps({"secret": "cd" * 32, "records": [record]}), encoding="utf-8")
    acquirer = Acquirer(state)
    text = state.read_text(encoding="utf-8")
    assert "secret" not in json.loads(text) and not re.search("(ab){32}|(cd){32}", text)
    with TestClient(create_app(acquirer)) as client:
        assert client.get("/v1/authorisations", params={"idempotency_key": "old-key-1"}).json()["id"] == "auth_old"
        assert authorise(client, "old-key-1", FIRST[0]).json()["id"] == "auth_old"
