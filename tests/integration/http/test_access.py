"""Logging in, lockout, sessions, CSRF and the headers a browser must see."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from tests.conftest import PASSWORD, Store


def login(client: Any, username: str, password: str) -> Any:
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


def test_the_eleventh_attempt_is_refused_even_when_correct(client: Any, store: Store) -> None:
    for attempt in range(10):
        answer = login(client, "cashier", f"wrong-password-{attempt}")
        assert answer.status_code == 401, attempt
        assert answer.json()["error"]["code"] == "bad_credentials"
    locked = login(client, "cashier", PASSWORD)
    assert locked.status_code == 423
    assert locked.json()["error"]["code"] == "account_locked"
    actions = [
        (e["action"], e["outcome"])
        for e in store.shop.db.conn.execute(
            "SELECT action, outcome FROM audit_log WHERE object = 'user:cashier'"
        ).fetchall()
    ]
    assert actions.count(("login", "failure")) == 10
    assert ("lockout", "locked") in actions and ("login", "locked") in actions


def test_a_lockout_lasts_thirty_minutes(client: Any, store: Store) -> None:
    start = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
    store.shop.clock = lambda: start
    for _ in range(10):
        login(client, "cashier", "wrong-password-1")
    store.shop.clock = lambda: start + dt.timedelta(minutes=29)
    assert login(client, "cashier", PASSWORD).status_code == 423
    store.shop.clock = lambda: start + dt.timedelta(minutes=31)
    assert login(client, "cashier", PASSWORD).status_code == 200


def test_unlock_by_a_manager(client: Any, store: Store, as_role: Any) -> None:
    for _ in range(10):
        login(client, "cashier", "wrong-password-1")
    manager = as_role("manager")
    assert manager.post("/api/v1/users/cashier/unlock").status_code == 200
    assert login(client, "cashier", PASSWORD).status_code == 200


def test_unknown_users_and_wrong_passwords_look_the_same(client: Any) -> None:
    a = login(client, "nobody", "whatever-1234")
    b = login(client, "cashier", "whatever-1234")
    assert a.status_code == b.status_code == 401
    assert a.json() == b.json()


def test_idle_supervisor_sessions_expire_after_15_minutes(client: Any, store: Store) -> None:
    start = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
    store.shop.clock = lambda: start
    token = login(client, "supervisor", PASSWORD).json()["token"]
    headers = {"authorization": f"Bearer {token}"}
    store.shop.clock = lambda: start + dt.timedelta(minutes=14)
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    store.shop.clock = lambda: start + dt.timedelta(minutes=14 + 16)
    expired = client.get("/api/v1/auth/me", headers=headers)
    assert expired.status_code == 401 and expired.json()["error"]["code"] == "session_expired"


def test_logout_ends_the_session(client: Any) -> None:
    token = login(client, "cashier", PASSWORD).json()["token"]
    headers = {"authorization": f"Bearer {token}"}
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 200
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_first_login_must_change_the_one_time_password(client: Any, store: Store) -> None:
    first = login(client, "admin", store.admin_password)
    assert first.status_code == 200 and first.json()["user"]["must_change_password"] is True
    headers = {"authorization": f"Bearer {first.json()['token']}"}
    weak = client.post(
        "/api/v1/auth/password",
        headers=headers,
        json={"current": store.admin_password, "new": "short"},
    )
    assert weak.status_code == 422 and weak.json()["error"]["code"] == "weak_password"
    same = client.post(
        "/api/v1/auth/password",
        headers=headers,
        json={"current": store.admin_password, "new": store.admin_password},
    )
    assert same.status_code == 422 and same.json()["error"]["code"] == "password_reused"
    ok = client.post(
        "/api/v1/auth/password",
        headers=headers,
        json={"current": store.admin_password, "new": "Brand-new-2026"},
    )
    assert ok.status_code == 200
    assert client.get("/api/v1/auth/me", headers=headers).json()["must_change_password"] is False
    assert client.post("/api/v1/sales", headers=headers).status_code == 201


def test_cookie_sessions_need_the_csrf_token(client: Any) -> None:
    answer = login(client, "cashier", PASSWORD)
    cookie = answer.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
    csrf = answer.json()["csrf_token"]
    assert client.get("/api/v1/auth/me").status_code == 200  # reads need no token
    forged = client.post("/api/v1/sales")
    assert forged.status_code == 403 and forged.json()["error"]["code"] == "csrf_failed"
    assert client.post("/api/v1/sales", headers={"x-csrf-token": "guess"}).status_code == 403
    assert client.post("/api/v1/sales", headers={"x-csrf-token": csrf}).status_code == 201


def test_no_session_is_401(client: Any) -> None:
    answer = client.get("/api/v1/sales/1")
    assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer"
    assert client.get("/api/v1/sales/1", headers={"authorization": "Basic abc"}).status_code == 401
    assert client.get("/api/v1/sales/1", headers={"authorization": "Bearer not-a-token"}).status_code == 401


def test_security_headers_and_loopback_host_only(client: Any) -> None:
    page = client.get("/")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert client.get("/healthz").json() == {"status": "ok", "print_queue": "none"}  # no printer set up
    assert client.get("/api/v1/auth/me").headers["cache-control"] == "no-store"
    evil = client.get("/healthz", headers={"host": "evil.example"})
    assert evil.status_code == 400


def test_every_privileged_act_reaches_the_audit_log_with_who_what_where(as_role: Any, store: Store) -> None:
    manager = as_role("manager")
    manager.post("/api/v1/products", json={"sku": "NEW", "name": "New", "price": 100})
    manager.post("/api/v1/users", json={"username": "temp", "role": "cashier"})
    auditor = as_role("auditor")
    entries = auditor.get("/api/v1/audit").json()["entries"]
    made = {(e["actor"], e["action"], e["object"], e["origin"]) for e in entries}
    assert ("manager", "product_create", "product:NEW", "testclient") in made
    assert ("manager", "user_create", "user:temp", "testclient") in made
    assert all(e["at"].endswith("Z") for e in entries)
    assert entries[0]["prev_hash"] == "0" * 64
    assert all(b["prev_hash"] == a["hash"] for a, b in itertools.pairwise(entries))
    assert as_role("cashier").get("/api/v1/audit").status_code == 403
    after = auditor.get(f"/api/v1/audit?after={entries[-2]['id']}").json()["entries"]
    assert next(e["id"] for e in after) == entries[-1]["id"]
