"""A person chooses the language of their own screens: kept with their account, shown in
/auth/me, audited; null goes back to the store's."""

from __future__ import annotations

from typing import Any

from tests.conftest import Store


def test_a_cashier_chooses_their_language_and_it_outlives_the_session(client: Any, store: Store, as_role: Any) -> None:
    cashier = as_role("cashier")
    assert cashier.get("/api/v1/auth/me").json()["language"] is None
    answer = cashier.post("/api/v1/auth/language", json={"language": "uk"})
    assert answer.status_code == 200, answer.text
    assert cashier.get("/api/v1/auth/me").json()["language"] == "uk"
    again = as_role("cashier")  # a new login
    assert again.get("/api/v1/auth/me").json()["language"] == "uk"
    assert as_role("supervisor").get("/api/v1/auth/me").json()["language"] is None
    entry = store.shop.db.conn.execute(
        "SELECT details FROM audit_log WHERE action = 'language_change' AND object = 'user:cashier'"
    ).fetchone()
    assert entry is not None and '"uk"' in entry["details"]
    assert again.post("/api/v1/auth/language", json={"language": None}).status_code == 200
    assert again.get("/api/v1/auth/me").json()["language"] is None


def test_a_language_without_words_is_refused(as_role: Any) -> None:
    cashier = as_role("cashier")
    for bad in ({"language": "de"}, {"language": 3}, {}, {"language": "en", "x": 1}):
        answer = cashier.post("/api/v1/auth/language", json=bad)
        assert answer.status_code in (400, 422), (bad, answer.status_code)
    assert cashier.get("/api/v1/auth/me").json()["language"] is None
