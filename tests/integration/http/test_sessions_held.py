"""Sessions held in the server's memory (services/session_cache.py): a request with a live
session is known without the store and without a worker thread of its own, and whatever
would end or change that session in the store ends or changes it here at once, whichever
process made the change."""

from __future__ import annotations

import datetime as dt
import functools
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from appliance.app.services import auth, session_cache
from appliance.app.store import staff
from appliance.app.web import workers
from tests.conftest import PASSWORD, Api, Store, logged_in

START = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


def at(store: Store, minutes: float) -> None:
    store.shop.clock = lambda: START + dt.timedelta(minutes=minutes)


def refused(answer: Any) -> str:
    assert answer.status_code == 401, answer.text
    return str(answer.json()["error"]["code"])


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The name of every function sent to a worker thread (workers.WORKERS.run, which
    http.call goes through)."""
    sent: list[str] = []
    real = workers.WORKERS.run

    async def counted(work: Callable[[], Any]) -> Any:
        inner = work
        while isinstance(inner, functools.partial):
            inner = inner.func
        sent.append(inner.__name__)
        return await real(work)

    monkeypatch.setattr(workers.WORKERS, "run", counted)
    yield sent


@pytest.fixture
def store_closed_to_sessions(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Once called, reading a session or a user from the store fails the test."""

    def close() -> None:
        def no(*_: Any) -> Any:
            raise AssertionError("the store was asked who a held session is")

        monkeypatch.setattr(staff, "session", no)
        monkeypatch.setattr(staff, "by_id", no)

    return close


def test_a_held_session_needs_no_store_and_no_thread_of_its_own(
    client: Any, store: Store, hops: list[str], store_closed_to_sessions: Callable[[], None]
) -> None:
    cashier = logged_in(client, "cashier")
    sale = cashier.post("/api/v1/sales").json()  # the first request reads the store, once
    assert len(store.shop.sessions) == 1
    store_closed_to_sessions()
    hops.clear()
    scanned = cashier.post(f"/api/v1/sales/{sale['id']}/items", json={"barcode": "4006381333931"})
    assert scanned.status_code == 200, scanned.text
    assert hops == ["run_once"], "the scan's only trip to a worker thread is its own service call"
    hops.clear()
    paid = cashier.post(f"/api/v1/sales/{sale['id']}/payments", json={"method": "cash", "amount": 500})
    assert paid.status_code == 201, paid.text
    assert hops == ["pay_once"], "the payment's only trip is its own service call (services/tenders.pay_once)"


def test_a_cookie_session_checks_its_csrf_token_from_memory_too(
    client: Any, store: Store, hops: list[str], store_closed_to_sessions: Callable[[], None]
) -> None:
    answer = client.post("/api/v1/auth/login", json={"username": "cashier", "password": PASSWORD})
    csrf = {"x-csrf-token": answer.json()["csrf_token"]}
    sale = client.post("/api/v1/sales", headers=csrf).json()
    store_closed_to_sessions()
    hops.clear()
    scan = f"/api/v1/sales/{sale['id']}/items"
    assert client.post(scan, json={"barcode": "96385074"}, headers=csrf).status_code == 200
    assert hops == ["run_once"]
    forged = client.post(scan, json={"barcode": "96385074"})
    assert forged.status_code == 403 and forged.json()["error"]["code"] == "csrf_failed"
    guessed = client.post(scan, json={"barcode": "96385074"}, headers={"x-csrf-token": "guess"})
    assert guessed.status_code == 403 and guessed.json()["error"]["code"] == "csrf_failed"


def test_a_session_the_store_does_not_hold_still_takes_one_trip(client: Any, hops: list[str]) -> None:
    """Not held yet (the first request after a login): the session and the CSRF token are
    read in one trip, then the service call is the second."""
    answer = client.post("/api/v1/auth/login", json={"username": "cashier", "password": PASSWORD})
    hops.clear()
    opened = client.post("/api/v1/sales", headers={"x-csrf-token": answer.json()["csrf_token"]})
    assert opened.status_code == 201
    assert hops == ["authenticate_request", "open_sale"]


def test_a_logged_out_token_is_refused_at_once(client: Any) -> None:
    cashier = logged_in(client, "cashier")
    assert cashier.get("/api/v1/auth/me").status_code == 200
    assert cashier.post("/api/v1/auth/logout").status_code == 200
    assert refused(cashier.get("/api/v1/auth/me")) == "no_session"


def test_a_role_lowered_is_refused_at_once(client: Any) -> None:
    manager = logged_in(client, "manager")
    assert manager.get("/api/v1/users").status_code == 200
    admin = logged_in(client, "boss")
    assert admin.patch("/api/v1/users/manager", json={"role": "cashier"}).status_code == 200
    assert refused(manager.get("/api/v1/users")) == "no_session"


def test_an_account_disabled_is_refused_at_once(client: Any) -> None:
    cashier = logged_in(client, "cashier")
    assert cashier.post("/api/v1/sales").status_code == 201
    manager = logged_in(client, "manager")
    assert manager.patch("/api/v1/users/cashier", json={"active": False}).status_code == 200
    assert refused(cashier.post("/api/v1/sales")) == "no_session"


def test_a_password_reset_by_a_manager_ends_the_held_session(client: Any) -> None:
    cashier = logged_in(client, "cashier")
    assert cashier.get("/api/v1/auth/me").status_code == 200
    assert logged_in(client, "manager").post("/api/v1/users/cashier/reset-password").status_code == 200
    assert refused(cashier.get("/api/v1/auth/me")) == "no_session"


def test_a_password_changed_ends_ones_other_held_sessions(client: Any) -> None:
    on_the_till = logged_in(client, "cashier")
    in_the_office = logged_in(client, "cashier")
    assert on_the_till.get("/api/v1/auth/me").status_code == 200
    changed = in_the_office.post("/api/v1/auth/password", json={"current": PASSWORD, "new": "Another-2026-one"})
    assert changed.status_code == 200, changed.text
    assert refused(on_the_till.get("/api/v1/auth/me")) == "no_session"
    assert in_the_office.get("/api/v1/auth/me").status_code == 200


def test_a_password_reset_by_the_cli_in_another_process_ends_the_session_at_once(client: Any, store: Store) -> None:
    """The CLI's process cannot reach the server's memory: it appends to the stamp file,
    which the server looks at on every request (session_cache.py)."""
    cashier = logged_in(client, "cashier")
    assert cashier.get("/api/v1/auth/me").status_code == 200
    assert len(store.shop.sessions) == 1
    done = subprocess.run(
        [sys.executable, "-m", "appliance", "user", "reset-password", "cashier", "--data-dir", str(store.path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COMPTOIR_DATA_DIR": ""},
    )
    assert done.returncode == 0, done.stderr
    assert refused(cashier.get("/api/v1/auth/me")) == "no_session"


def test_a_change_no_service_announces_is_seen_within_max_age(client: Any, store: Store) -> None:
    """A store changed behind the services' back (a SQL shell, a restore): the held session
    is read again once it is MAX_AGE old."""
    at(store, 0)
    cashier = logged_in(client, "cashier")
    assert cashier.get("/api/v1/auth/me").status_code == 200
    with store.shop.db.transaction() as tx:
        staff.set_active(tx, staff.by_name(tx, "cashier").id, False)  # type: ignore[union-attr]
    at(store, 0.25)
    assert cashier.get("/api/v1/auth/me").status_code == 200, "held: nothing announced the change"
    at(store, session_cache.MAX_AGE.total_seconds() / 60)
    assert refused(cashier.get("/api/v1/auth/me")) == "no_session"


def test_a_lockout_forgets_the_users_held_sessions(client: Any, store: Store) -> None:
    """authenticate does not refuse a locked account's open session; the held one is read
    again all the same, so that memory can never be the one to let it through."""
    cashier = logged_in(client, "cashier")
    assert cashier.get("/api/v1/auth/me").status_code == 200
    for attempt in range(auth.MAX_FAILURES):
        wrong = cashier.post("/api/v1/auth/password", json={"current": f"wrong-{attempt}", "new": "Whatever-2026-x"})
        assert wrong.status_code == 422, wrong.text
        assert len(store.shop.sessions) == (1 if attempt + 1 < auth.MAX_FAILURES else 0), attempt


def test_a_session_past_its_lifetime_is_refused_and_ended(client: Any, store: Store) -> None:
    lifetime = auth.SESSION_LIFETIME.total_seconds() / 60
    at(store, 0)
    cashier = logged_in(client, "cashier")
    for minutes in [*range(20, int(lifetime), 20), lifetime - 0.5]:  # used often enough never to idle out
        at(store, minutes)
        assert cashier.get("/api/v1/auth/me").status_code == 200, minutes
    at(store, lifetime)  # held, read half a minute ago
    assert refused(cashier.get("/api/v1/auth/me")) == "session_expired"
    at(store, 0)
    assert refused(cashier.get("/api/v1/auth/me")) == "no_session", "ended in the store, not only here"


def test_the_idle_timeout_counts_from_the_last_use_written(client: Any, store: Store, hops: list[str]) -> None:
    at(store, 0)
    supervisor = logged_in(client, "supervisor")
    at(store, 14)
    assert supervisor.get("/api/v1/auth/me").status_code == 200  # read from the store, which is touched
    at(store, 14.75)
    hops.clear()
    assert supervisor.get("/api/v1/auth/me").status_code == 200  # held; its use written with the service call
    assert hops == ["_touch_then"], "the last use is written on the service call's own trip"
    found = staff.session(store.shop.db.conn, auth.token_hash(str(supervisor.token)))
    assert found is not None and found.last_seen.startswith("2026-11-23T09:14:45")
    at(store, 14.75 + 14.5)
    assert supervisor.get("/api/v1/auth/me").status_code == 200, "idle 14.5 minutes since the last use written"
    at(store, 14.75 + 14.5 + 15.5)
    assert refused(supervisor.get("/api/v1/auth/me")) == "session_expired"


def test_a_last_use_is_held_only_once_the_store_holds_it(store: Store) -> None:
    """The idle timeout in memory counts from the last use the store holds: one not written
    (no service call came with the request) never stretches it."""
    at(store, 0)
    token = auth.login(store.shop, "supervisor", PASSWORD, "127.0.0.1").token
    auth.authenticate(store.shop, token, "127.0.0.1")
    at(store, 0.75)
    first = auth.recall(store.shop, token, "127.0.0.1")
    assert first is not None and first.touch_due
    second = auth.recall(store.shop, token, "127.0.0.1")
    assert second is not None and second.touch_due, "still due: nothing was written"
    auth.touch(store.shop, first.actor.session)
    third = auth.recall(store.shop, token, "127.0.0.1")
    assert third is not None and not third.touch_due


def test_a_one_time_pin_session_may_sell_once_the_pin_is_its_owners(client: Any, store: Store) -> None:
    one_time = logged_in(client, "manager").post("/api/v1/users/cashier/pin").json()["one_time_pin"]
    opened = client.post("/api/v1/auth/login", json={"username": "cashier", "pin": one_time})
    client.cookies.clear()
    cashier = Api(client, opened.json()["token"])
    assert cashier.post("/api/v1/sales").json()["error"]["code"] == "pin_change_required"
    assert cashier.post("/api/v1/auth/pin", json={"current": one_time, "new": "2580"}).status_code == 200
    assert cashier.post("/api/v1/sales").status_code == 201
