"""The vault keeps a card number only while a payment needs it (issue "Trust under faults and
attacks", point 3): settled attempts lose their number, pending ones keep it until settled,
declined ones never keep it, and stores made before this rule are swept."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from appliance import cli
from appliance.app.domain.card import parse_card
from appliance.app.domain.errors import Conflict, Invalid, NotFound
from appliance.app.services import card_payments, card_vault, receipts, returns, store_rules
from appliance.app.services.card_payments import CardDesk, PaymentPending
from appliance.app.services.shop import Actor, Shop
from appliance.app.store import card_tokens
from appliance.app.store import db as store
from appliance.security import vault as vault_module
from appliance.security.keys import provider_for

from .conftest import AuditRecorder, card_shop, logged_in, new_sale

APPROVED = "4111111111111111"
APPROVED_MC = "5555555555554444"
DECLINED = "4000000000009995"
PARTIAL = "4000000000000010"
DROPS = "4000000000000085"  # approved, then the connection drops
DOWN = "4000000000000028"  # 503: nothing recorded
NUMBERS = [APPROVED, APPROVED_MC, DECLINED, PARTIAL, DROPS, DOWN]


def card(number: str) -> dict[str, Any]:
    return {"number": number, "exp_month": 12, "exp_year": 2030}


class Clock:
    def __init__(self) -> None:
        # Starts at the real time: the acquirer refuses a request stamped (sent_at, from this
        # clock) longer ago than its in-flight window.
        self.now = dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def shop(tmp_path: Path, clock: Clock) -> Iterator[Shop]:
    with card_shop(tmp_path / "data", "Forget Test", {"cashier": "cashier", "boss": "admin"}) as shop:
        shop.clock = clock
        yield shop


@pytest.fixture
def manager(shop: Shop) -> Actor:
    return logged_in(shop, "boss")


def held_numbers(shop: Shop) -> list[tuple[str, str]]:
    """(token, status of its attempts) for every token whose number is still in the store."""
    rows = shop.db.conn.execute(
        "SELECT t.token, group_concat(a.status) FROM card_tokens t"
        " LEFT JOIN payment_attempts a ON a.token = t.token"
        " WHERE t.ciphertext IS NOT NULL OR t.nonce IS NOT NULL OR t.fingerprint IS NOT NULL"
        " GROUP BY t.token"
    ).fetchall()
    return [(str(r[0]), str(r[1])) for r in rows]


def recover_every_number(shop: Shop) -> list[str]:
    """The attack of the issue: with the store and vault keys at hand, ask the vault for the
    number behind every token the store holds."""
    vault = card_vault.open_vault(shop.db, shop.data_dir)
    found = []
    for (token,) in shop.db.conn.execute("SELECT token FROM card_tokens").fetchall():
        try:
            found.append(vault.detokenise(token, purpose="authorise", actor="thief", audit=AuditRecorder()).number)
        except NotFound as exc:
            assert exc.code == "card_forgotten"
    return found


def test_a_day_of_keyed_sales_leaves_no_number(
    shop: Shop, cashier: Actor, keyer: Actor, manager: Actor, desk: CardDesk, capsys: pytest.CaptureFixture[str]
) -> None:
    # Approved, declined then paid by another card, partial then the rest, a refund,
    # the acquirer down, the same card twice.
    paid = new_sale(shop, cashier, apples=2)
    card_payments.pay_card(shop, keyer, desk, paid, 2000, card(APPROVED), "day-1")
    declined = new_sale(shop, cashier)
    with pytest.raises(Invalid):
        card_payments.pay_card(shop, keyer, desk, declined, 1000, card(DECLINED), "day-2")
    card_payments.pay_card(shop, keyer, desk, declined, 1000, card(APPROVED_MC), "day-3")
    split = new_sale(shop, cashier, apples=3)
    partial = card_payments.pay_card(shop, keyer, desk, split, 3000, card(PARTIAL), "day-4")
    assert partial["card"]["approved_amount"] == 1500
    card_payments.pay_card(shop, keyer, desk, split, 1500, card(APPROVED), "day-5")
    down = new_sale(shop, cashier)
    with pytest.raises(Conflict):
        card_payments.pay_card(shop, keyer, desk, down, 1000, card(DOWN), "day-6")
    refund = returns.refund(shop, manager, paid, [{"line": 1, "quantity": 1}], "changed mind")
    assert card_payments.send_card_refunds(shop, desk, refund["id"]) == ["refunded"]

    assert held_numbers(shop) == []
    assert desk.vault.held() == []
    assert recover_every_number(shop) == []
    # The last forgetting emptied the write-ahead log: no older copy of a page with a number.
    wal = shop.data_dir / "store.db-wal"
    after_last = new_sale(shop, cashier)
    card_payments.pay_card(shop, keyer, desk, after_last, 1000, card(APPROVED_MC), "day-7")
    assert not wal.exists() or wal.stat().st_size == 0
    # What receipts and payments show is still there.
    tokens = shop.db.conn.execute("SELECT brand, last_four, exp_month, exp_year FROM card_tokens").fetchall()
    assert sorted(str(t[1]) for t in tokens) == sorted(["1111", "4444", "9995", "0010", "0028", "1111", "4444"])
    assert all(t[0] and t[2] == 12 and t[3] == 2030 for t in tokens)
    assert "1111" in repr(receipts.receipt(shop, cashier, paid))
    # And `comptoir pan-scan` over the data dir finds nothing at all.
    shop.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert cli.main(["pan-scan", "--data-dir", str(shop.data_dir)]) == 0
    assert "no card data found" in capsys.readouterr().err


def test_a_pending_attempt_keeps_its_number_until_settled(
    shop: Shop, cashier: Actor, keyer: Actor, desk: CardDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    pending_sale = new_sale(shop, cashier)
    monkeypatch.setattr(desk.gateway, "lookup", lambda **k: None)  # "not found", inside the window
    with pytest.raises(PaymentPending):
        card_payments.pay_card(shop, keyer, desk, pending_sale, 1000, card(DROPS), "pend-1")
    monkeypatch.undo()
    [(token, status)] = held_numbers(shop)
    assert status == "pending"
    # Other payments settle around it, and start-up sweeps: the pending number stays.
    other = new_sale(shop, cashier)
    card_payments.pay_card(shop, keyer, desk, other, 1000, card(APPROVED), "pend-2")
    assert card_vault.sweep(shop) == 0
    assert desk.vault.held() == [token]
    assert card_payments.resolve_pending(shop, desk) == ["approved"]
    assert held_numbers(shop) == []
    with pytest.raises(NotFound):
        desk.vault.detokenise(token, purpose="authorise", actor="pos", audit=AuditRecorder())


def test_a_declined_number_is_never_kept_even_with_a_keep_window(
    shop: Shop, cashier: Actor, keyer: Actor, manager: Actor, desk: CardDesk, clock: Clock
) -> None:
    assert store_rules.get(shop, manager)[card_vault.KEEP_RULE] == 0
    store_rules.put(shop, manager, {card_vault.KEEP_RULE: 30})
    with pytest.raises(Invalid):
        store_rules.put(shop, manager, {card_vault.KEEP_RULE: 61})
    sale_id = new_sale(shop, cashier)
    with pytest.raises(Invalid):
        card_payments.pay_card(shop, keyer, desk, sale_id, 1000, card(DECLINED), "keep-1")
    assert held_numbers(shop) == []
    card_payments.pay_card(shop, keyer, desk, sale_id, 1000, card(APPROVED), "keep-2")
    assert [status for _, status in held_numbers(shop)] == ["approved"]  # kept for the window
    clock.now += dt.timedelta(minutes=29)
    assert card_vault.sweep(shop) == 0
    clock.now += dt.timedelta(minutes=2)
    assert card_vault.sweep(shop) == 1
    assert held_numbers(shop) == []


def test_a_card_seen_again_after_its_number_went_gets_a_new_token(
    shop: Shop, cashier: Actor, keyer: Actor, desk: CardDesk
) -> None:
    first = new_sale(shop, cashier)
    card_payments.pay_card(shop, keyer, desk, first, 1000, card(APPROVED), "again-1")
    second = new_sale(shop, cashier)
    assert card_payments.pay_card(shop, keyer, desk, second, 1000, card(APPROVED), "again-2")["status"] == ("completed")
    tokens = shop.db.conn.execute("SELECT DISTINCT token FROM payment_attempts").fetchall()
    assert len(tokens) == 2 and held_numbers(shop) == []
    assert desk.vault.find(APPROVED) is None


def test_retired_data_keys_go_with_their_last_number(shop: Shop, cashier: Actor, keyer: Actor, desk: CardDesk) -> None:
    sale_id = new_sale(shop, cashier)
    card_payments.pay_card(shop, keyer, desk, sale_id, 1000, card(APPROVED), "rot-1")
    desk.vault.rotate()  # a new data key; the first one is retired and holds nothing
    purposes = shop.db.conn.execute("SELECT purpose, active FROM vault_keys ORDER BY id").fetchall()
    assert [tuple(p) for p in purposes] == [("data", 0), ("fingerprint", 1), ("data", 1)]
    assert card_vault.sweep(shop) == 0
    purposes = shop.db.conn.execute("SELECT purpose, active FROM vault_keys ORDER BY id").fetchall()
    assert [tuple(p) for p in purposes] == [("fingerprint", 1), ("data", 1)]
    other = new_sale(shop, cashier)
    assert card_payments.pay_card(shop, keyer, desk, other, 1000, card(APPROVED_MC), "rot-2")["status"] == ("completed")


def test_the_statuses_in_the_sql_are_those_of_the_rule() -> None:
    assert vault_module.SETTLED == ("approved", "declined", "voided", "failed")
    for status in vault_module.SETTLED:
        assert f"'{status}'" in card_tokens._HELD_AND_SETTLED
    assert vault_module.NEVER_KEPT == ("declined",)
    assert "'declined'" in card_tokens._NOT_KEPT


def test_a_store_made_before_the_rule_is_swept_by_its_migration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every number of an old store goes when 0018 runs, but a pending attempt's."""
    older = [m for m in store.migrations() if m[0] < 18]
    monkeypatch.setattr(store, "migrations", lambda: older)
    data_dir = tmp_path / "old"
    db, _ = store.create(data_dir)
    vault = card_vault.open_vault(db, data_dir)
    with db.transaction() as writer:
        pass  # the writer connection: the pragma below is a no-op inside a transaction
    writer.execute("PRAGMA foreign_keys = OFF")  # attempts of sales and users this test does not make
    statuses = ["approved", "declined", "pending", "failed"]
    for i, (number, status) in enumerate(zip(NUMBERS, statuses, strict=False)):
        info = vault.tokenise(parse_card(number, 12, 2030, dt.date(2026, 1, 1)))
        with db.transaction() as tx:
            tx.execute(
                "INSERT INTO payment_attempts (sale_id, user_id, idempotency_key, token, amount, currency,"
                " status, created_at) VALUES (1, 1, ?, ?, 100, 'CAD', ?, '2026')",
                (f"old-{i}", info.token, status),
            )
    db.close()
    monkeypatch.undo()
    db = store.Database(data_dir / store.DB_FILE, provider_for("store", data_dir))
    db.migrate()
    try:
        rows = db.conn.execute(
            "SELECT a.status, t.ciphertext IS NOT NULL, t.last_four FROM card_tokens t"
            " JOIN payment_attempts a ON a.token = t.token ORDER BY a.id"
        ).fetchall()
        assert [tuple(r) for r in rows] == [
            ("approved", 0, "1111"),
            ("declined", 0, "4444"),
            ("pending", 1, "9995"),
            ("failed", 0, "0010"),
        ]
        pending = str(db.conn.execute("SELECT token FROM payment_attempts WHERE status = 'pending'").fetchone()[0])
        card_back = card_vault.open_vault(db, data_dir).detokenise(
            pending, purpose="authorise", actor="pos", audit=AuditRecorder()
        )
        assert card_back.number == DECLINED
    finally:
        db.close()


def test_comptoir_vault_sweep_erases_what_a_payment_left(
    shop: Shop,
    cashier: Actor,
    keyer: Actor,
    desk: CardDesk,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(card_vault, "forget_settled", lambda *a: 0)  # as a build before this rule
    sale_id = new_sale(shop, cashier)
    card_payments.pay_card(shop, keyer, desk, sale_id, 1000, card(APPROVED), "sweep-1")
    monkeypatch.undo()
    assert [status for _, status in held_numbers(shop)] == ["approved"]
    assert cli.main(["vault", "sweep", "--data-dir", str(shop.data_dir)]) == 0
    assert "1 settled card number(s) erased; 0 kept" in capsys.readouterr().out
    assert held_numbers(shop) == []
    last = shop.db.conn.execute("SELECT action, actor FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    assert tuple(last) == ("vault.forget", "cli")
