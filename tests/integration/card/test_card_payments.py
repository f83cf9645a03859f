"""Card tenders through the sales service against the simulated acquirer (a real process):
one charge or none whatever crashes, split tenders, partial approvals, refunds by token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from appliance.app.domain.errors import Conflict, Invalid
from appliance.app.services import card_payments, receipts, returns, sale_view, sales, shifts, users
from appliance.app.services.card_payments import CardDesk, PaymentPending
from appliance.app.services.shop import Actor, Shop
from appliance.app.store import settings as settings_store
from appliance.security.pan_scan import scan_database, scan_paths
from tests.conftest import PASSWORD

from .conftest import card_shop, charged, logged_in, new_sale

CATALOG = "sku,name,price,tax_class,barcodes,stock\nAPL,Apple,10.00,exempt,,100\nGUM,Gum,0.99,exempt,,50\n"
VISA = {"number": "4111111111111111", "exp_month": 12, "exp_year": 2030}


def card(number: str) -> dict[str, Any]:
    return {"number": number, "exp_month": 12, "exp_year": 2030}


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Shop]:
    with card_shop(tmp_path / "data", "Card Test", {"cashier": "cashier"}, CATALOG) as shop:
        yield shop


def test_card_pays_a_sale_once(shop: Shop, cashier: Actor, keyer: Actor, desk: CardDesk) -> None:
    sale_id = new_sale(shop, cashier)
    result = card_payments.pay_card(shop, keyer, desk, sale_id, 1000, VISA, "key-1")
    assert result["status"] == "completed" and result["card"]["status"] == "approved"
    assert result["card"]["last4"] == "1111"
    again = card_payments.pay_card(shop, keyer, desk, sale_id, 1000, VISA, "key-1")
    assert again["status"] == "completed"
    assert charged(desk, shop, sale_id) == 1000
    text = receipts.receipt(shop, cashier, sale_id)
    assert "4111111111111111" not in repr(text)
    payment = shop.db.conn.execute("SELECT details FROM payments WHERE sale_id = ?", (sale_id,)).fetchone()
    assert '"last4": "1111"' in payment[0] and "4111111111111111" not in payment[0]


def test_a_card_pays_with_no_shift_open(shop: Shop, cashier: Actor, keyer: Actor, desk: CardDesk) -> None:
    """Cash needs an open shift (the store rule as shipped); a card does not."""
    assert shifts.cash_needs_shift(settings_store.get_all(shop.db.conn))
    assert shifts.open_row(shop.db.conn, shop.config.terminal_id) is None
    sale_id = new_sale(shop, cashier)
    assert card_payments.pay_card(shop, keyer, desk, sale_id, 1000, VISA, "key-1")["status"] == "completed"


def test_invalid_card_is_a_clear_error(shop: Shop, cashier: Actor, keyer: Actor, desk: CardDesk) -> None:
    sale_id = new_sale(shop, cashier)
    with pytest.raises(Invalid) as caught:
        card_payments.pay_card(shop, keyer, desk, sale_id, 1000, card("4111111111111112"))
    assert caught.value.code == "card_luhn_failed" and "4111" not in caught.value.message
    assert shop.db.conn.execute("SELECT count(*) FROM payment_attempts").fetchone()[0] == 0


def test_declined_then_cash(shop: Shop, cashier: Actor, keyer: Actor, desk: CardDesk) -> None:
    sale_id = new_sale(shop, cashier)
    with pytest.raises(Invalid) as caught:
        card_payments.pay_card(shop, keyer, desk, sale_id, 1000, card("4000000000009995"))
    assert caught.value.code == "card_declined" and "insufficient_funds" in caught.value.message
    assert sales.pay_cash(shop, cashier, sale_id, 2000)["status"] == "completed"
    assert charged(desk, shop, sale_id) == 0


def test_split_partial_approval_leaves_the_rest_due(shop: Shop, cashier: Actor, keyer: Actor, desk: CardDesk) -> None:
    sale_id = new_sale(shop, cashier, apples=3)  # 30.00
    cash_first = sales.pay_cash(shop, cashier, sale_id, 500)
    assert cash_first["totals"]["due"] == 2500
    partial = card_payments.pay_card(shop, keyer, desk, sale_id, 2000, card("4000000000000010"))
    assert partial["card"]["approved_amount"] == 1000 and partial["status"] == "open"
    assert partial["totals"]["due"] == 1500
    done = card_payments.pay_card(shop, keyer, desk, sale_id, 1500, card("5555555555554444"))
    assert done["status"] == "completed"
    assert charged(desk, shop, sale_id) == 2500


@pytest.mark.parametrize("number", ["4000000000000036", "4000000000000085"])
def test_timeout_or_drop_is_resolved_by_lookup(
    shop: Shop, cashier: Actor, keyer: Actor, desk: CardDesk, number: str
) -> None:
    sale_id = new_sale(shop, cashier)
    result = card_payments.pay_card(shop, keyer, desk, sale_id, 1000, card(number), "k-slow")
    # No answer came, but the immediate lookup found the approval: paid, once.
    assert result["status"] == "completed"
    assert charged(desk, shop, sale_id) == 1000


def test_gateway_down_charges_nothing(shop: Shop, cashier: Actor, keyer: Actor, desk: CardDesk) -> None:
    sale_id = new_sale(shop, cashier)
    with pytest.raises(Conflict) as caught:
        card_payments.pay_card(shop, keyer, desk, sale_id, 1000, card("4000000000000028"))
    assert caught.value.code == "gateway_unavailable"
    status = shop.db.conn.execute("SELECT status FROM payment_attempts").fetchone()[0]
    assert status == "failed" and charged(desk, shop, sale_id) == 0


class Crash(Exception):
    pass


def test_crash_before_the_gateway_call(
    shop: Shop, cashier: Actor, keyer: Actor, desk: CardDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    sale_id = new_sale(shop, cashier)

    def crash(*args: Any, **kwargs: Any) -> None:
        raise Crash

    monkeypatch.setattr(card_payments, "_authorise", crash)
    with pytest.raises(Crash):
        card_payments.pay_card(shop, keyer, desk, sale_id, 1000, VISA, "k1")
    monkeypatch.undo()
    # Restart: the attempt is pending, the gateway never saw it: resolved as not charged.
    assert card_payments.resolve_pending(shop, desk) == ["failed"]
    assert charged(desk, shop, sale_id) == 0
    assert sale_view.get_sale(shop, cashier, sale_id)["status"] == "open"


def test_crash_after_approval_before_the_sale_commits(
    shop: Shop, cashier: Actor, keyer: Actor, desk: CardDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    sale_id = new_sale(shop, cashier)
    real = sales.sales_store.insert_payment

    def crash(*args: Any, **kwargs: Any) -> int:
        raise Crash  # inside the settling transaction: it rolls back whole

    monkeypatch.setattr(card_payments.sales_store, "insert_payment", crash)
    with pytest.raises(Crash):
        card_payments.pay_card(shop, keyer, desk, sale_id, 1000, VISA, "k2")
    monkeypatch.setattr(card_payments.sales_store, "insert_payment", real)
    assert sale_view.get_sale(shop, cashier, sale_id)["status"] == "open"
    assert charged(desk, shop, sale_id) == 1000  # the acquirer took it…
    assert card_payments.resolve_pending(shop, desk) == ["approved"]  # …and now the sale has it
    assert sale_view.get_sale(shop, cashier, sale_id)["status"] == "completed"
    assert card_payments.resolve_pending(shop, desk) == []
    assert charged(desk, shop, sale_id) == 1000


def test_retry_after_a_crash_charges_once(
    shop: Shop, cashier: Actor, keyer: Actor, desk: CardDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    sale_id = new_sale(shop, cashier)
    monkeypatch.setattr(card_payments, "settle", lambda *a, **k: (_ for _ in ()).throw(Crash()))
    with pytest.raises(Crash):
        card_payments.pay_card(shop, keyer, desk, sale_id, 1000, VISA, "k3")
    monkeypatch.undo()
    # The cashier presses "pay" again: same Idempotency-Key, same gateway key.
    result = card_payments.pay_card(shop, keyer, desk, sale_id, 1000, VISA, "k3")
    assert result["status"] == "completed"
    assert charged(desk, shop, sale_id) == 1000
    assert shop.db.conn.execute("SELECT count(*) FROM payments").fetchone()[0] == 1


def test_approval_for_a_cancelled_sale_is_reversed(
    shop: Shop, cashier: Actor, keyer: Actor, desk: CardDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    sale_id = new_sale(shop, cashier)
    monkeypatch.setattr(card_payments, "settle", lambda *a, **k: (_ for _ in ()).throw(Crash()))
    with pytest.raises(Crash):
        card_payments.pay_card(shop, keyer, desk, sale_id, 1000, VISA, "k4")
    monkeypatch.undo()
    sales.cancel_sale(shop, cashier, sale_id)
    assert card_payments.resolve_pending(shop, desk) == ["voided"]
    assert charged(desk, shop, sale_id) == 0


def test_card_refund_goes_back_through_the_token(shop: Shop, cashier: Actor, keyer: Actor, desk: CardDesk) -> None:
    users.add_user(shop, None, "manager", "manager", PASSWORD)
    manager = logged_in(shop, "manager")
    sale_id = new_sale(shop, cashier, apples=2)
    card_payments.pay_card(shop, keyer, desk, sale_id, 2000, VISA)
    refund = returns.refund(shop, manager, sale_id, [{"line": 1, "quantity": 1}], "customer changed mind")
    assert refund["tenders"] == [{"method": "card", "amount": 1000}]
    assert card_payments.send_card_refunds(shop, desk, refund["id"]) == ["refunded"]
    assert card_payments.send_card_refunds(shop, desk, refund["id"]) == ["refunded"]  # once
    assert charged(desk, shop, sale_id) == 1000


def test_a_day_of_card_sales_leaves_no_pan(shop: Shop, cashier: Actor, keyer: Actor, desk: CardDesk) -> None:
    numbers = ["4111111111111111", "5555555555554444", "378282246310005", "6011111111111117"]
    for i in range(20):
        sale_id = new_sale(shop, cashier)
        card_payments.pay_card(shop, keyer, desk, sale_id, 1000, card(numbers[i % 4]), f"d-{i}")
    shop.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert scan_database(shop.db).findings == []
    assert scan_paths([shop.data_dir]).findings == []
    raw = b"".join(p.read_bytes() for p in shop.data_dir.iterdir() if p.is_file())
    assert not any(n.encode() in raw for n in numbers)
    audited = shop.db.conn.execute(
        "SELECT count(*) FROM audit_log WHERE action = 'vault.detokenise' AND outcome = 'success'"
    ).fetchone()[0]
    assert audited == 20


def test_not_inside_a_transaction(shop: Shop, cashier: Actor, keyer: Actor, desk: CardDesk) -> None:
    sale_id = new_sale(shop, cashier)
    with shop.db.transaction(), pytest.raises(RuntimeError):
        card_payments.pay_card(shop, keyer, desk, sale_id, 1000, VISA)


def test_pending_answer_when_nothing_is_known(
    shop: Shop, cashier: Actor, keyer: Actor, desk: CardDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    sale_id = new_sale(shop, cashier)
    monkeypatch.setattr(desk.gateway, "lookup", lambda **k: None)  # "not found", inside the window
    with pytest.raises(PaymentPending):
        card_payments.pay_card(shop, keyer, desk, sale_id, 1000, card("4000000000000085"), "k5")
    monkeypatch.undo()
    assert card_payments.resolve_pending(shop, desk) == ["approved"]
    assert charged(desk, shop, sale_id) == 1000
