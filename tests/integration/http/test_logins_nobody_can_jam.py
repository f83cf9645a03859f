"""Logins nobody can jam, and passwords only their owner knows.

Every client of a server on loopback is 127.0.0.1: a throttle per address let 30 bad logins
for made-up names lock every cashier out. The throttle counts per account; the account's
own lockout stands behind it, and guesses through the password form count toward it too."""

from __future__ import annotations

import dataclasses
from typing import Any

from tests.conftest import PASSWORD, Api, Store

NEW_PASSWORD = "Another-secret-2026"


def login(client: Any, username: str, password: str) -> Any:
    answer = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    client.cookies.clear()
    return answer


def test_a_flood_of_bad_logins_for_other_names_does_not_lock_out_the_cashier(client: Any) -> None:
    for attempt in range(60):
        answer = login(client, f"nobody{attempt % 3}", "wrong-password-1")
        assert answer.status_code in (401, 429), answer.text
    assert login(client, "nobody0", "wrong-password-1").status_code == 429, "a name guessed at is slowed"
    assert login(client, "cashier", PASSWORD).status_code == 200


def test_wrong_current_passwords_count_toward_the_lockout(client: Any) -> None:
    token = login(client, "cashier", PASSWORD).json()["token"]
    cashier = Api(client, token)
    for attempt in range(10):
        answer = cashier.post("/api/v1/auth/password", json={"current": f"guess-{attempt}-xx", "new": NEW_PASSWORD})
        assert answer.status_code == 422 and answer.json()["error"]["code"] == "bad_credentials", answer.text
    refused = cashier.post("/api/v1/auth/password", json={"current": PASSWORD, "new": NEW_PASSWORD})
    assert refused.status_code == 423, "the right password no longer helps once locked"
    assert login(client, "cashier", PASSWORD).status_code == 423


def test_a_password_change_ends_the_users_other_sessions(client: Any) -> None:
    here = Api(client, login(client, "supervisor", PASSWORD).json()["token"])
    elsewhere = Api(client, login(client, "supervisor", PASSWORD).json()["token"])
    assert elsewhere.get("/api/v1/auth/me").status_code == 200
    changed = here.post("/api/v1/auth/password", json={"current": PASSWORD, "new": NEW_PASSWORD})
    assert changed.status_code == 200, changed.text
    assert elsewhere.get("/api/v1/auth/me").status_code == 401
    assert here.get("/api/v1/auth/me").status_code == 200, "the session that changed it goes on"


def test_a_manager_cannot_unlock_an_admin(client: Any, as_role: Any) -> None:
    for attempt in range(10):
        login(client, "boss", f"wrong-password-{attempt}")
    manager = as_role("manager")
    refused = manager.post("/api/v1/users/boss/unlock")
    assert refused.status_code == 403, refused.text
    assert login(client, "boss", PASSWORD).status_code == 423
    for attempt in range(10):
        login(client, "cashier", f"wrong-password-{attempt}")
    assert manager.post("/api/v1/users/cashier/unlock").status_code == 200
    assert login(client, "cashier", PASSWORD).status_code == 200


def test_a_password_someone_else_set_opens_only_the_first_login(client: Any, as_role: Any) -> None:
    manager = as_role("manager")
    made = manager.post("/api/v1/users", json={"username": "lea", "role": "cashier", "password": NEW_PASSWORD})
    assert made.status_code == 201, made.text
    lea = Api(client, login(client, "lea", NEW_PASSWORD).json()["token"])
    refused = lea.post("/api/v1/sales")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "password_change_required"
    own = lea.post("/api/v1/auth/password", json={"current": NEW_PASSWORD, "new": "Her-own-secret-77"})
    assert own.status_code == 200, own.text
    assert lea.post("/api/v1/sales").status_code == 201


def test_an_anonymous_kiosk_cannot_flood_the_audit_log(client: Any, store: Store) -> None:
    store.shop.config = dataclasses.replace(store.shop.config, mode="self_service")
    answer = client.post("/api/v1/auth/kiosk")
    client.cookies.clear()
    kiosk = Api(client, answer.json()["token"])
    codes = [kiosk.post("/api/v1/selfservice/attendant", json={"reason": "help"}).status_code for _ in range(20)]
    assert codes[:6] == [201] * 6 and set(codes[6:]) == {429}
    sessions = [client.post("/api/v1/auth/kiosk").status_code for _ in range(40)]
    client.cookies.clear()
    assert 429 in sessions and sessions[0] == 200
