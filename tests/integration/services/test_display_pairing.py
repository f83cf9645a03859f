"""Pairing the customer display with its till by a code, on a real store: a code pairs
once, only while it lives and only if it is the newest; wrong tries are throttled and kill
the code; the till can unpair; a pairing outlives a restart and is the till's own."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from appliance.app.domain.errors import Forbidden, TooManyAttempts, Unauthenticated
from appliance.app.services import audit_log, auth, display_pairing
from appliance.app.services.opening import open_shop
from appliance.config import load
from tests.conftest import Store

NOON = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def actions(store: Store) -> list[tuple[str, str, str]]:
    return [
        (e["action"], e["outcome"], e["actor"])
        for e in audit_log.entries(store.shop)
        if e["action"].startswith("display_")
    ]


def test_a_code_pairs_one_display_once(store: Store) -> None:
    given = display_pairing.new_code(store.shop, store.actor("cashier"))
    assert len(given.code) == 6 and given.code.isdigit()
    paired = display_pairing.pair(store.shop, given.code, "127.0.0.1")
    assert display_pairing.display_for(store.shop, paired.token).terminal_id == "T01"
    with pytest.raises(Unauthenticated) as again:
        display_pairing.pair(store.shop, given.code, "127.0.0.1")
    assert again.value.code == "bad_pairing_code"
    assert actions(store) == [
        ("display_pairing_code", "success", "cashier"),
        ("display_pair", "success", "cashier"),  # the one who showed the code answers for it
        ("display_pair", "failure", "display"),
    ]


def test_a_code_read_with_a_space_still_pairs(store: Store) -> None:
    code = display_pairing.new_code(store.shop, store.actor("cashier")).code
    display_pairing.pair(store.shop, f" {code[:3]} {code[3:]}", "127.0.0.1")


def test_a_new_code_replaces_the_old_one(store: Store) -> None:
    cashier = store.actor("cashier")
    first = display_pairing.new_code(store.shop, cashier).code
    second = display_pairing.new_code(store.shop, cashier).code
    if first != second:
        with pytest.raises(Unauthenticated):
            display_pairing.pair(store.shop, first, "127.0.0.1")
    display_pairing.pair(store.shop, second, "127.0.0.1")


def test_a_code_lives_five_minutes(store: Store) -> None:
    now = [NOON]
    store.shop.clock = lambda: now[0]
    cashier = store.actor("cashier")
    code = display_pairing.new_code(store.shop, cashier).code
    now[0] = NOON + dt.timedelta(minutes=5)
    with pytest.raises(Unauthenticated):
        display_pairing.pair(store.shop, code, "127.0.0.1")
    code = display_pairing.new_code(store.shop, cashier).code
    now[0] += dt.timedelta(minutes=4, seconds=59)
    display_pairing.pair(store.shop, code, "127.0.0.1")


def test_wrong_tries_kill_the_code_and_are_throttled(store: Store) -> None:
    code = display_pairing.new_code(store.shop, store.actor("cashier")).code
    for _ in range(display_pairing.MAX_CODE_FAILURES):
        with pytest.raises(Unauthenticated):
            display_pairing.pair(store.shop, wrong(code), "127.0.0.1")
    with pytest.raises(Unauthenticated):
        display_pairing.pair(store.shop, code, "127.0.0.1")  # the right code, too late
    assert ("display_pair", "failure", "display") in actions(store)
    fresh = display_pairing.new_code(store.shop, store.actor("cashier")).code
    for _ in range(display_pairing.throttle.limit - display_pairing.MAX_CODE_FAILURES - 1):
        with pytest.raises(Unauthenticated):
            display_pairing.pair(store.shop, "abcdef", "127.0.0.1")
    with pytest.raises(TooManyAttempts):
        display_pairing.pair(store.shop, fresh, "127.0.0.1")


def test_the_till_unpairs_its_display(store: Store) -> None:
    cashier = store.actor("cashier")
    paired = display_pairing.pair(store.shop, display_pairing.new_code(store.shop, cashier).code, "127.0.0.1")
    state = display_pairing.status(store.shop, cashier)
    assert state["paired"] is True and state["paired_by"] == "cashier" and state["code_expires_at"] is None
    assert display_pairing.unpair(store.shop, cashier) == 1
    assert not display_pairing.is_live(store.shop, paired.token)
    with pytest.raises(Unauthenticated) as refused:
        display_pairing.display_for(store.shop, paired.token)
    assert refused.value.code == "display_not_paired"
    assert display_pairing.status(store.shop, cashier)["paired"] is False
    assert actions(store)[-1] == ("display_unpair", "success", "cashier")


def test_a_new_pairing_unpairs_the_display_before(store: Store) -> None:
    cashier = store.actor("cashier")
    old = display_pairing.pair(store.shop, display_pairing.new_code(store.shop, cashier).code, "127.0.0.1")
    new = display_pairing.pair(store.shop, display_pairing.new_code(store.shop, cashier).code, "127.0.0.1")
    assert display_pairing.is_live(store.shop, new.token) and not display_pairing.is_live(store.shop, old.token)


def test_unpairing_also_voids_the_code_on_screen(store: Store) -> None:
    cashier = store.actor("cashier")
    code = display_pairing.new_code(store.shop, cashier).code
    assert display_pairing.status(store.shop, cashier)["code_expires_at"] is not None
    display_pairing.unpair(store.shop, cashier)
    with pytest.raises(Unauthenticated):
        display_pairing.pair(store.shop, code, "127.0.0.1")


def test_the_pairing_outlives_a_restart(store: Store) -> None:
    paired = display_pairing.pair(
        store.shop, display_pairing.new_code(store.shop, store.actor("cashier")).code, "127.0.0.1"
    )
    store.shop.close()
    again = open_shop(load(store.path))
    try:
        assert display_pairing.display_for(again, paired.token).paired_by == "cashier"
    finally:
        again.close()
        store.shop = open_shop(load(store.path))  # for the fixture to close


def test_a_pairing_is_its_own_tills(store: Store) -> None:
    paired = display_pairing.pair(
        store.shop, display_pairing.new_code(store.shop, store.actor("cashier")).code, "127.0.0.1"
    )
    store.shop.config = replace(store.shop.config, terminal_id="T02")
    with pytest.raises(Unauthenticated):
        display_pairing.display_for(store.shop, paired.token)


def test_a_display_credential_is_no_session(store: Store) -> None:
    paired = display_pairing.pair(
        store.shop, display_pairing.new_code(store.shop, store.actor("cashier")).code, "127.0.0.1"
    )
    with pytest.raises(Unauthenticated):
        auth.authenticate(store.shop, paired.token, "127.0.0.1")


@pytest.mark.parametrize("who", ["auditor", "kiosk"])
def test_only_staff_at_the_till_pair_a_display(store: Store, who: str) -> None:
    if who == "kiosk":
        store.shop.config = replace(store.shop.config, mode="self_service")
        actor = auth.kiosk_session(store.shop, "127.0.0.1").actor
    else:
        actor = store.actor(who)
    with pytest.raises(Forbidden):
        display_pairing.new_code(store.shop, actor)
    with pytest.raises(Forbidden):
        display_pairing.unpair(store.shop, actor)
