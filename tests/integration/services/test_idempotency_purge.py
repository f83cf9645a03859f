"""Idempotency answers are kept as long as the store rule says (48 hours by default), then
purged: a retry within the window gets the first answer, a key sent after the purge is a
new request, and the rule's bounds are refused with a reason."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from appliance.app.domain.errors import Invalid
from appliance.app.services import idempotency, store_rules
from tests.conftest import Store

START = dt.datetime(2026, 3, 2, 18, 0, tzinfo=dt.UTC)  # the last sale of a day
RULES = "/api/v1/settings/rules"


def at(store: Store, moment: dt.datetime) -> None:
    store.shop.clock = lambda: moment


def kept_keys(store: Store) -> list[str]:
    rows = store.shop.db.conn.execute("SELECT key FROM idempotency ORDER BY key").fetchall()
    return [row["key"] for row in rows]


class Till:
    """A keyed request whose action counts how often it really ran."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.actor = store.actor("cashier")
        self.runs = 0

    def send(self, key: str, body: Any = None) -> tuple[int, Any]:
        def action() -> tuple[int, dict[str, int]]:
            self.runs += 1
            return 201, {"run": self.runs}

        return idempotency.run_once(self.store.shop, self.actor, key, "payments:1", body or {"amount": 1}, action)


def test_the_purge_deletes_only_answers_older_than_the_rule(store: Store) -> None:
    till = Till(store)
    at(store, START)
    till.send("old-key-0001")
    at(store, START + dt.timedelta(hours=30))
    till.send("young-key-001")
    at(store, START + dt.timedelta(hours=48, seconds=1))
    assert idempotency.purge(store.shop) == 1
    assert kept_keys(store) == ["young-key-001"]
    assert idempotency.purge(store.shop) == 0  # nothing else is old enough


def test_a_retry_within_the_window_gets_the_first_answer(store: Store) -> None:
    till = Till(store)
    at(store, START)
    first = till.send("tender-key-0001")
    # A power cut after the last sale; the till restarts the next morning and re-sends.
    at(store, START + dt.timedelta(hours=15))
    idempotency.purge(store.shop)
    assert till.send("tender-key-0001") == first == (201, {"run": 1})
    assert till.runs == 1


def test_after_the_window_the_same_key_is_a_new_request(store: Store) -> None:
    till = Till(store)
    at(store, START)
    till.send("tender-key-0002")
    at(store, START + dt.timedelta(hours=49))
    assert idempotency.purge(store.shop) == 1
    assert till.send("tender-key-0002", {"amount": 2}) == (201, {"run": 2})  # not idempotency_key_reused
    assert till.runs == 2


def test_the_rule_shortens_or_lengthens_the_window(store: Store) -> None:
    till = Till(store)
    at(store, START)
    till.send("short-key-001")
    store_rules.put(store.shop, store.actor("boss"), {"idempotency_keep_hours": 2})
    at(store, START + dt.timedelta(hours=1))
    assert idempotency.purge(store.shop) == 0
    at(store, START + dt.timedelta(hours=3))
    assert idempotency.purge(store.shop) == 1


def test_the_purge_goes_in_batches_until_none_is_left(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(idempotency, "PURGE_BATCH", 3)
    till = Till(store)
    at(store, START)
    for n in range(7):
        till.send(f"batch-key-{n:04d}")
    at(store, START + dt.timedelta(hours=49))
    till.send("kept-key-0001")
    assert idempotency.purge(store.shop) == 7
    assert kept_keys(store) == ["kept-key-0001"]


def test_the_rule_is_shown_with_its_default(store: Store) -> None:
    assert store_rules.get(store.shop, store.actor("cashier"))["idempotency_keep_hours"] == 48


@pytest.mark.parametrize("hours", [0, 721, -5, True, 1.5, "48"])
def test_a_rule_out_of_bounds_is_refused_and_nothing_stored(store: Store, hours: Any) -> None:
    with pytest.raises(Invalid) as refused:
        store_rules.put(store.shop, store.actor("boss"), {"idempotency_keep_hours": hours})
    assert refused.value.code == "invalid_keep" and "1 to 720 hours" in refused.value.message
    assert store_rules.get(store.shop, store.actor("cashier"))["idempotency_keep_hours"] == 48


def put(api: Any, json: Any) -> Any:
    return api.client.put(RULES, json=json, headers=api._headers(None))


def test_the_rule_over_http(as_role: Any) -> None:
    admin = as_role("boss")
    assert admin.get(RULES).json()["idempotency_keep_hours"] == 48
    refused = put(admin, {"idempotency_keep_hours": 721})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "invalid_keep"
    assert "720 hours" in refused.json()["error"]["message"]
    wrong_type = put(admin, {"idempotency_keep_hours": "a day"})
    assert wrong_type.status_code == 400
    changed = put(admin, {"idempotency_keep_hours": 72})
    assert changed.status_code == 200 and changed.json()["idempotency_keep_hours"] == 72
    assert put(as_role("manager"), {"idempotency_keep_hours": 24}).status_code == 403


def test_closing_a_shift_purges_the_old_answers(store: Store, as_role: Any) -> None:
    till = Till(store)
    now = dt.datetime.now(dt.UTC)
    at(store, now - dt.timedelta(hours=49))
    till.send("yesterday-key-01")
    at(store, now - dt.timedelta(minutes=5))
    till.send("today-key-0001")
    store.shop.clock = lambda: dt.datetime.now(dt.UTC)
    cashier = as_role("cashier")
    assert cashier.post("/api/v1/shifts", json={"count": {"2000": 5}}).status_code == 201
    closed = cashier.post("/api/v1/shifts/current/close", json={"count": {"2000": 5}})
    assert closed.status_code == 200, closed.text
    assert kept_keys(store) == ["today-key-0001"]
