"""A session read from the store while another thread changes its user is not held: what
was read may already be out of date (services/session_cache.py, the generation)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from appliance.app.domain.errors import Unauthenticated
from appliance.app.services import auth, users
from appliance.app.store import staff
from tests.conftest import PASSWORD, Store


def test_a_session_read_while_its_user_changes_is_not_held(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    token = auth.login(store.shop, "cashier", PASSWORD, "127.0.0.1").token
    read = staff.by_id

    def read_then_disabled(conn: Any, user_id: int) -> Any:
        found = read(conn, user_id)
        # A manager disables the account on another thread (its own connection), after the
        # read and before the answer is held.
        other = threading.Thread(
            target=users.change_account, args=(store.shop, None, "cashier"), kwargs={"active": False}
        )
        other.start()
        other.join()
        return found

    monkeypatch.setattr(staff, "by_id", read_then_disabled)
    auth.authenticate(store.shop, token, "127.0.0.1")  # answered as read
    monkeypatch.setattr(staff, "by_id", read)
    assert len(store.shop.sessions) == 0
    assert auth.recall(store.shop, token, "127.0.0.1") is None
    with pytest.raises(Unauthenticated):
        auth.authenticate(store.shop, token, "127.0.0.1")


def test_a_session_read_undisturbed_is_held(store: Store) -> None:
    token = auth.login(store.shop, "cashier", PASSWORD, "127.0.0.1").token
    who = auth.authenticate(store.shop, token, "127.0.0.1")
    recalled = auth.recall(store.shop, token, "10.0.0.9")
    assert recalled is not None
    assert (recalled.actor.user_id, recalled.actor.role, recalled.actor.session) == (who.user_id, who.role, who.session)
    assert recalled.actor.origin == "10.0.0.9", "the origin is the request's, not the one held"
