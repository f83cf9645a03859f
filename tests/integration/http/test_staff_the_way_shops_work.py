"""Staff the way shops work: a cashier logs in with a PIN or a badge, a supervisor approves
with either, and a manager resets, badges, disables and re-roles staff from the screen.

PINs lock like passwords (same count, same 10-try lockout); a supervisor's PIN or badge
only approves, it never logs them in; one-time secrets open one use only; each change is
audited without the secret."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appliance.app.services import audit_log
from tests.conftest import PASSWORD, Api, Store

BADGE = "STAFF-0042-7781"


def login(client: Any, **body: str) -> Any:
    answer = client.post("/api/v1/auth/login", json=body)
    client.cookies.clear()
    return answer


def session(client: Any, **body: str) -> Api:
    answer = login(client, **body)
    assert answer.status_code == 200, answer.text
    return Api(client, answer.json()["token"])


def own_pin(client: Any, as_role: Any, username: str, pin: str) -> None:
    """The manager gives a one-time PIN; its owner logs in with it and chooses `pin`."""
    one_time = as_role("manager").post(f"/api/v1/users/{username}/pin").json()["one_time_pin"]
    if username == "cashier":
        first = session(client, username=username, pin=one_time)
    else:
        first = session(client, username=username, password=PASSWORD)
    changed = first.post("/api/v1/auth/pin", json={"current": one_time, "new": pin})
    assert changed.status_code == 200, changed.text


def audit(store: Store) -> list[dict[str, Any]]:
    found = audit_log.entries(store.shop, 0, 5000)
    return [
        {**e, "details": json.loads(e["details"]) if isinstance(e["details"], str) else e["details"]} for e in found
    ]


def test_a_cashier_logs_in_with_a_one_time_pin_chooses_their_own_and_sells(client: Any, as_role: Any) -> None:
    manager = as_role("manager")
    answer = manager.post("/api/v1/users/cashier/pin")
    assert answer.status_code == 200, answer.text
    one_time = answer.json()["one_time_pin"]
    assert len(one_time) == 6 and one_time.isdigit()

    first = login(client, username="cashier", pin=one_time)
    assert first.status_code == 200, first.text
    assert first.json()["user"]["must_change_pin"] is True
    assert first.json()["user"]["must_change_password"] is False, "the password is not what opened this session"
    cashier = Api(client, first.json()["token"])
    assert cashier.get("/api/v1/auth/me").json()["must_change_pin"] is True
    refused = cashier.post("/api/v1/sales")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "pin_change_required"

    for weak, why in (("1111", "repeated"), ("1234", "run"), ("98765", "run"), ("12a4", "digits"), ("123", "digits")):
        weak_answer = cashier.post("/api/v1/auth/pin", json={"current": one_time, "new": weak})
        assert weak_answer.status_code == 422, (weak, weak_answer.text)
        assert weak_answer.json()["error"]["code"] == "weak_pin"
        assert why in weak_answer.json()["error"]["message"]
    same = cashier.post("/api/v1/auth/pin", json={"current": one_time, "new": one_time})
    assert same.status_code == 422 and same.json()["error"]["code"] == "pin_reused"
    chosen = cashier.post("/api/v1/auth/pin", json={"current": one_time, "new": "2580"})
    assert chosen.status_code == 200, chosen.text
    assert cashier.post("/api/v1/sales").status_code == 201, "the same session sells once the PIN is theirs"

    assert login(client, username="cashier", pin=one_time).status_code == 401, "the one-time PIN is spent"
    again = session(client, username="cashier", pin="2580")
    assert again.get("/api/v1/auth/me").json()["must_change_pin"] is False
    assert again.post("/api/v1/sales").status_code == 201


def test_a_supervisor_logs_in_with_a_password_never_a_pin(client: Any, as_role: Any, store: Store) -> None:
    own_pin(client, as_role, "supervisor", "4826")
    refused = login(client, username="supervisor", pin="4826")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "password_required"
    assert login(client, username="supervisor", pin="0000").status_code == 403, "refused before the PIN is checked"
    assert login(client, username="supervisor", password=PASSWORD).status_code == 200
    denied = [e for e in audit(store) if e["action"] == "login" and e["outcome"] == "denied"]
    assert denied and denied[-1]["object"] == "user:supervisor"


def test_ten_wrong_pins_lock_the_account_like_passwords(client: Any, as_role: Any) -> None:
    own_pin(client, as_role, "cashier", "2580")
    for attempt in range(10):
        answer = login(client, username="cashier", pin=f"{1000 + attempt * 7}")
        assert answer.status_code == 401 and answer.json()["error"]["code"] == "bad_credentials", answer.text
    assert login(client, username="cashier", pin="2580").status_code == 423
    assert login(client, username="cashier", password=PASSWORD).status_code == 423, "one lockout for both"
    assert as_role("manager").post("/api/v1/users/cashier/unlock").status_code == 200
    assert login(client, username="cashier", pin="2580").status_code == 200


def test_wrong_pins_and_wrong_passwords_add_up(client: Any, as_role: Any) -> None:
    own_pin(client, as_role, "cashier", "2580")
    for attempt in range(5):
        login(client, username="cashier", pin=f"{3000 + attempt * 11}")
        login(client, username="cashier", password=f"wrong-password-{attempt}")
    assert login(client, username="cashier", pin="2580").status_code == 423


def test_a_wrong_current_pin_counts_toward_the_lockout(client: Any, as_role: Any) -> None:
    own_pin(client, as_role, "cashier", "2580")
    cashier = session(client, username="cashier", pin="2580")
    for attempt in range(10):
        answer = cashier.post("/api/v1/auth/pin", json={"current": f"{5000 + attempt * 3}", "new": "3690"})
        assert answer.status_code == 422 and answer.json()["error"]["code"] == "bad_credentials", answer.text
    assert cashier.post("/api/v1/auth/pin", json={"current": "2580", "new": "3690"}).status_code == 423


def test_a_badge_logs_a_cashier_in_and_an_unknown_badge_is_throttled(client: Any, as_role: Any, store: Store) -> None:
    manager = as_role("manager")
    assert login(client, badge=BADGE).status_code == 401
    given = manager.client.put(
        "/api/v1/users/cashier/badge", json={"badge": BADGE}, headers={"authorization": f"Bearer {manager.token}"}
    )
    assert given.status_code == 200, given.text
    answer = login(client, badge=BADGE)
    assert answer.status_code == 200, answer.text
    assert answer.json()["user"]["username"] == "cashier"
    assert Api(client, answer.json()["token"]).post("/api/v1/sales").status_code == 201
    stored = store.shop.db.conn.execute("SELECT badge_hash FROM users WHERE username = 'cashier'").fetchone()[0]
    assert BADGE not in stored and len(stored) == 64

    statuses = [login(client, badge=f"FAKE-{n:06d}").status_code for n in range(25)]
    assert statuses[0] == 401 and statuses[-1] == 429, statuses
    assert login(client, username="cashier", password=PASSWORD).status_code == 200, "passwords still work"


def test_a_badge_is_one_users_and_can_be_taken_away(client: Any, as_role: Any) -> None:
    manager = as_role("manager")
    headers = {"authorization": f"Bearer {manager.token}"}
    assert client.put("/api/v1/users/cashier/badge", json={"badge": BADGE}, headers=headers).status_code == 200
    taken = client.put("/api/v1/users/supervisor/badge", json={"badge": BADGE}, headers=headers)
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "badge_in_use"
    bad = client.put("/api/v1/users/supervisor/badge", json={"badge": "ab c"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_badge"
    assert manager.delete("/api/v1/users/cashier/badge").status_code == 200
    assert login(client, badge=BADGE).status_code == 401


def test_a_supervisors_badge_approves_but_does_not_log_in(client: Any, as_role: Any, store: Store) -> None:
    manager = as_role("manager")
    headers = {"authorization": f"Bearer {manager.token}"}
    assert client.put("/api/v1/users/supervisor/badge", json={"badge": BADGE}, headers=headers).status_code == 200
    refused = login(client, badge=BADGE)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "password_required"

    cashier = as_role("cashier")
    granted = cashier.post("/api/v1/auth/approve", json={"badge": BADGE, "permission": "void_line"})
    assert granted.status_code == 200, granted.text
    sale = cashier.post("/api/v1/sales").json()
    cashier.post(f"/api/v1/sales/{sale['id']}/items", json={"sku": "BRD"})
    voided = cashier.delete(f"/api/v1/sales/{sale['id']}/items/1", headers={"X-Approval": granted.json()["approval"]})
    assert voided.status_code == 200, voided.text
    approvals = [e for e in audit(store) if e["action"] == "approval" and e["outcome"] == "success"]
    assert approvals[-1]["actor"] == "supervisor" and approvals[-1]["details"]["with"] == "badge"
    unknown = cashier.post("/api/v1/auth/approve", json={"badge": "NOBODY-1", "permission": "void_line"})
    assert unknown.status_code == 401


def test_a_supervisor_approves_with_their_pin(client: Any, as_role: Any, store: Store) -> None:
    cashier = as_role("cashier")
    manager = as_role("manager")
    one_time = manager.post("/api/v1/users/supervisor/pin").json()["one_time_pin"]
    spent = cashier.post(
        "/api/v1/auth/approve", json={"username": "supervisor", "pin": one_time, "permission": "void_line"}
    )
    assert spent.status_code == 403 and spent.json()["error"]["code"] == "one_time_pin", "whoever set it knows it"

    # A supervisor sets their own PIN from a password session, confirming with the password.
    supervisor = session(client, username="supervisor", password=PASSWORD)
    assert supervisor.post("/api/v1/auth/pin", json={"current": PASSWORD, "new": "4826"}).status_code == 200
    granted = cashier.post(
        "/api/v1/auth/approve", json={"username": "supervisor", "pin": "4826", "permission": "refund"}
    )
    assert granted.status_code == 200, granted.text
    wrong = cashier.post("/api/v1/auth/approve", json={"username": "supervisor", "pin": "4827", "permission": "refund"})
    assert wrong.status_code == 401
    too_weak = cashier.post("/api/v1/auth/approve", json={"username": "cashier", "pin": "4826", "permission": "refund"})
    assert too_weak.status_code == 401, "a cashier without a PIN is no approver"
    approvals = [e for e in audit(store) if e["action"] == "approval"]
    assert approvals[-3]["outcome"] == "success" and approvals[-3]["details"] == {"permission": "refund", "with": "pin"}
    assert approvals[-2]["outcome"] == "failure"


def test_login_and_approval_take_exactly_one_kind_of_secret(client: Any, as_role: Any) -> None:
    for body in (
        {"username": "cashier"},
        {"username": "cashier", "password": PASSWORD, "pin": "2580"},
        {"badge": BADGE, "username": "cashier"},
        {"username": "cashier", "pin": "12345678901"},
        {"username": "cashier", "pin": 2580},
        {},
    ):
        answer = login(client, **body)
        assert answer.status_code == 400, (body, answer.text)
    cashier = as_role("cashier")
    answer = cashier.post("/api/v1/auth/approve", json={"username": "supervisor", "permission": "refund"})
    assert answer.status_code == 400


def test_a_reset_password_opens_one_login_and_is_shown_once(client: Any, as_role: Any, store: Store) -> None:
    manager = as_role("manager")
    before = session(client, username="cashier", password=PASSWORD)
    answer = manager.post("/api/v1/users/cashier/reset-password")
    assert answer.status_code == 200, answer.text
    one_time = answer.json()["one_time_password"]
    assert before.get("/api/v1/auth/me").status_code == 401, "the user's sessions ended"
    first = session(client, username="cashier", password=one_time)
    assert first.post("/api/v1/sales").json()["error"]["code"] == "password_change_required"
    assert (
        first.post("/api/v1/auth/password", json={"current": one_time, "new": "Her-own-secret-77"}).status_code == 200
    )
    assert first.post("/api/v1/sales").status_code == 201
    listed = {u["username"]: u for u in manager.get("/api/v1/users").json()["users"]}
    assert listed["cashier"]["must_change_password"] is False
    assert manager.post("/api/v1/users/boss/reset-password").status_code == 403, "a manager may not touch an admin"
    assert manager.post("/api/v1/users/manager/reset-password").json()["error"]["code"] == "forbidden"
    text = json.dumps(audit(store))
    assert one_time not in text
    assert any(e["action"] == "password_reset" and e["object"] == "user:cashier" for e in audit(store))


def test_disabling_ends_the_sessions_and_refuses_login_until_enabled(client: Any, as_role: Any, store: Store) -> None:
    manager = as_role("manager")
    own_pin(client, as_role, "cashier", "2580")
    working = session(client, username="cashier", pin="2580")
    assert working.post("/api/v1/sales").status_code == 201
    off = manager.patch("/api/v1/users/cashier", json={"active": False})
    assert off.status_code == 200 and off.json()["active"] is False, off.text
    assert working.get("/api/v1/auth/me").status_code == 401
    for body in ({"username": "cashier", "password": PASSWORD}, {"username": "cashier", "pin": "2580"}):
        refused = login(client, **body)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "account_disabled", refused.text
    assert login(client, username="cashier", pin="9999").status_code == 401, "a wrong PIN still says only that"
    listed = {u["username"]: u for u in manager.get("/api/v1/users").json()["users"]}
    assert listed["cashier"]["active"] is False and listed["cashier"]["pin"] == "set"
    assert manager.patch("/api/v1/users/cashier", json={"active": True}).status_code == 200
    assert login(client, username="cashier", pin="2580").status_code == 200
    changes = [e for e in audit(store) if e["action"] == "user_change"]
    assert changes[0]["details"]["active"] == {"before": True, "after": False}
    assert changes[0]["details"]["sessions_ended"] >= 1
    assert changes[1]["details"]["active"] == {"before": False, "after": True}


def test_nobody_disables_or_re_roles_themself(as_role: Any) -> None:
    boss = as_role("boss")
    refused = boss.patch("/api/v1/users/boss", json={"active": False})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "own_account"
    assert boss.patch("/api/v1/users/boss", json={"role": "cashier"}).status_code == 403


def test_a_role_change_stays_within_what_the_actor_may_grant(client: Any, as_role: Any, store: Store) -> None:
    manager = as_role("manager")
    cashier_session = session(client, username="cashier", password=PASSWORD)
    promoted = manager.patch("/api/v1/users/cashier", json={"role": "supervisor"})
    assert promoted.status_code == 200 and promoted.json()["role"] == "supervisor", promoted.text
    assert cashier_session.get("/api/v1/auth/me").status_code == 401, "a new role ends the sessions"
    assert session(client, username="cashier", password=PASSWORD).get("/api/v1/auth/me").json()["role"] == "supervisor"
    for target, body in (
        ("cashier", {"role": "admin"}),
        ("cashier", {"role": "manager"}),
        ("boss", {"role": "cashier"}),
        ("boss", {"active": False}),
        ("auditor", {"role": "cashier"}),
    ):
        answer = manager.patch(f"/api/v1/users/{target}", json=body)
        assert answer.status_code == 403, (target, body, answer.text)
    assert manager.patch("/api/v1/users/cashier", json={"role": "owner"}).status_code == 422
    assert manager.patch("/api/v1/users/cashier", json={}).status_code == 422
    assert manager.patch("/api/v1/users/nobody", json={"active": False}).status_code == 404
    assert manager.patch("/api/v1/users/cashier", json={"active": "no"}).status_code == 400
    boss = as_role("boss")
    assert boss.patch("/api/v1/users/manager", json={"role": "admin"}).status_code == 200
    changes = [e for e in audit(store) if e["action"] == "user_change"]
    assert [c["details"]["role"] for c in changes] == [
        {"before": "cashier", "after": "supervisor"},
        {"before": "manager", "after": "admin"},
    ]
    assert changes[0]["actor"] == "manager" and changes[1]["actor"] == "boss"


def test_a_cashier_cannot_manage_staff(as_role: Any) -> None:
    cashier = as_role("cashier")
    assert cashier.post("/api/v1/users/supervisor/pin").status_code == 403
    assert cashier.post("/api/v1/users/supervisor/reset-password").status_code == 403
    assert cashier.patch("/api/v1/users/supervisor", json={"active": False}).status_code == 403
    assert cashier.delete("/api/v1/users/supervisor/badge").status_code == 403


@pytest.mark.parametrize("pin", ["0000", "4321", "0123", "56789012"])
def test_obvious_pins_are_refused(client: Any, as_role: Any, pin: str) -> None:
    supervisor = session(client, username="supervisor", password=PASSWORD)
    answer = supervisor.post("/api/v1/auth/pin", json={"current": PASSWORD, "new": pin})
    if pin == "56789012":
        assert answer.status_code == 200, "a run that turns over is not a straight run"
    else:
        assert answer.status_code == 422 and answer.json()["error"]["code"] == "weak_pin"


def test_pin_and_badge_changes_are_audited_without_the_secret(client: Any, as_role: Any, store: Store) -> None:
    manager = as_role("manager")
    one_time = manager.post("/api/v1/users/cashier/pin").json()["one_time_pin"]
    cashier = session(client, username="cashier", pin=one_time)
    cashier.post("/api/v1/auth/pin", json={"current": one_time, "new": "2580"})
    manager.client.put(
        "/api/v1/users/cashier/badge", json={"badge": BADGE}, headers={"authorization": f"Bearer {manager.token}"}
    )
    manager.delete("/api/v1/users/cashier/badge")
    entries = audit(store)
    actions = [(e["actor"], e["action"]) for e in entries if e["object"] == "user:cashier"]
    for expected in (
        ("manager", "pin_reset"),
        ("cashier", "pin_change"),
        ("manager", "badge_set"),
        ("manager", "badge_clear"),
    ):
        assert expected in actions, actions
    # The chain's own hashes are hex: a 4-digit PIN turns up in one now and then by chance.
    text = json.dumps([{k: v for k, v in e.items() if k not in ("hash", "prev_hash")} for e in entries])
    for secret in (one_time, "2580", BADGE):
        assert secret not in text


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
FIELDS = st.dictionaries(
    st.sampled_from(["username", "password", "pin", "badge", "permission", "current", "new", "active", "role"]),
    JSONISH | st.sampled_from(["cashier", "supervisor", "boss", "2580", "void_line", "admin", BADGE]),
    max_size=4,
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    route=st.sampled_from(
        [
            ("POST", "/auth/login"),
            ("POST", "/auth/approve"),
            ("POST", "/auth/pin"),
            ("PATCH", "/users/cashier"),
            ("PATCH", "/users/boss"),
            ("POST", "/users/cashier/pin"),
            ("POST", "/users/supervisor/reset-password"),
            ("PUT", "/users/cashier/badge"),
            ("DELETE", "/users/nobody/badge"),
        ]
    ),
    body=FIELDS | JSONISH,
)
def test_no_request_to_the_staff_routes_gets_a_500(as_role: Any, route: tuple[str, str], body: Any) -> None:
    api = as_role.cached if hasattr(as_role, "cached") else None
    if api is None:
        api = as_role.cached = as_role("manager")
    method, path = route
    answer = api.client.request(
        method,
        "/api/v1" + path,
        content=json.dumps(body).encode(),
        headers={"authorization": f"Bearer {api.token}", "content-type": "application/json"},
    )
    assert answer.status_code < 500, (method, path, body, answer.text)
    if answer.status_code >= 400:
        assert answer.json()["error"]["message"]
