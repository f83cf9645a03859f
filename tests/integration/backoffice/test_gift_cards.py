"""Gift cards: sold untaxed, active on completion, redeemed as a tender, safe under a race."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest

from appliance.app.domain.errors import DomainError
from appliance.app.services import gift_cards, sales
from tests.conftest import Store, new_sale
from tests.integration.backoffice.conftest import code_of, pay_cash


def sell_card(api: Any, amount: int, code: str | None = None) -> tuple[dict[str, Any], str]:
    sale = api.post("/api/v1/sales").json()
    body: dict[str, Any] = {"amount": amount} | ({"code": code} if code else {})
    answer = api.post(f"/api/v1/sales/{sale['id']}/gift-cards", json=body)
    assert answer.status_code == 200, answer.text
    card = answer.json()["gift_card"]["code"]
    pay_cash(api, answer.json())
    return answer.json(), card


def balance(api: Any, code: str) -> dict[str, Any]:
    answer = api.post("/api/v1/gift-cards/balance", json={"code": code})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_a_card_is_sold_untaxed_and_is_active_only_once_its_sale_completes(cashier: Any) -> None:
    sale = cashier.post("/api/v1/sales").json()
    sold = cashier.post(f"/api/v1/sales/{sale['id']}/gift-cards", json={"amount": 5000}).json()
    assert sold["totals"]["tax"] == 0 and sold["totals"]["total"] == 5000
    code = sold["gift_card"]["code"]
    assert balance(cashier, code)["status"] == "pending"
    other = new_sale(cashier, "96385074")
    early = cashier.post(
        f"/api/v1/sales/{other['id']}/payments", json={"method": "gift_card", "amount": 100, "gift_card": code}
    )
    assert code_of(early) == (409, "gift_card_inactive")
    pay_cash(cashier, sold)
    card = balance(cashier, code)
    assert (card["status"], card["balance"], card["expired"]) == ("active", 5000, False)
    assert card["code"].startswith("****") and card["code"][-4:] == code[-4:]
    # The gift card product cannot be scanned at the shelf.
    assert code_of(cashier.post(f"/api/v1/sales/{other['id']}/items", json={"sku": "GIFT-CARD"}))[0] == 422


def test_redeem_part_then_the_rest_then_nothing(cashier: Any) -> None:
    _, code = sell_card(cashier, 1000)
    sale = new_sale(cashier, "036000291452")  # 6.08 with tax
    paid = cashier.post(
        f"/api/v1/sales/{sale['id']}/payments", json={"method": "gift_card", "amount": 608, "gift_card": code}
    )
    assert paid.status_code == 201 and paid.json()["status"] == "completed"
    assert balance(cashier, code)["balance"] == 392
    sale = new_sale(cashier, "036000291452")
    over = cashier.post(
        f"/api/v1/sales/{sale['id']}/payments", json={"method": "gift_card", "amount": 393, "gift_card": code}
    )
    assert code_of(over) == (422, "gift_card_insufficient")
    part = cashier.post(
        f"/api/v1/sales/{sale['id']}/payments", json={"method": "gift_card", "amount": 392, "gift_card": code}
    )
    assert part.json()["totals"]["due"] == 608 - 392
    assert balance(cashier, code)["balance"] == 0


def test_top_up_adds_to_a_live_card(cashier: Any) -> None:
    _, code = sell_card(cashier, 1000)
    sell_card(cashier, 2500, code)
    assert balance(cashier, code)["balance"] == 3500


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"amount": 0}, 422, "invalid_amount"),
        ({"amount": -500}, 422, "invalid_amount"),
        ({"amount": 10**12}, 422, "invalid_amount"),
        ({"amount": 1.5}, 400, "invalid_request"),
        ({"amount": 500, "code": "NOT-A-CARD"}, 422, "invalid_gift_card"),
        ({"amount": 500, "code": "0000-0000-0000-0001"}, 422, "gift_card_check_failed"),
        ({"amount": 500, "code": "0000-0000-0000-0000"}, 404, "gift_card_not_found"),
    ],
)
def test_bad_gift_card_sales(cashier: Any, body: dict[str, Any], status: int, code: str) -> None:
    sale = cashier.post("/api/v1/sales").json()
    assert code_of(cashier.post(f"/api/v1/sales/{sale['id']}/gift-cards", json=body)) == (status, code)


def test_unknown_sale_and_missing_card_number(cashier: Any) -> None:
    assert code_of(cashier.post("/api/v1/sales/999/gift-cards", json={"amount": 500})) == (404, "sale_not_found")
    sale = new_sale(cashier, "96385074")
    missing = cashier.post(f"/api/v1/sales/{sale['id']}/payments", json={"method": "gift_card", "amount": 100})
    assert code_of(missing) == (422, "gift_card_required")
    assert code_of(cashier.post("/api/v1/gift-cards/balance", json={"code": "0000-0000-0000-0000"}))[0] == 404


def test_a_voided_card_line_never_activates(cashier: Any, as_role: Any) -> None:
    sale = cashier.post("/api/v1/sales").json()
    sold = cashier.post(f"/api/v1/sales/{sale['id']}/gift-cards", json={"amount": 2000}).json()
    cashier.post(f"/api/v1/sales/{sale['id']}/items", json={"barcode": "96385074"})
    supervisor = as_role("supervisor")
    assert supervisor.delete(f"/api/v1/sales/{sale['id']}/items/1").status_code == 200
    pay_cash(cashier, sold)
    assert balance(cashier, sold["gift_card"]["code"])["status"] == "void"


def test_an_expired_card_cannot_pay(store: Store, cashier: Any, as_role: Any) -> None:
    _, code = sell_card(cashier, 1000)
    with store.shop.db.transaction() as tx:
        tx.execute("UPDATE gift_cards SET expires_at = '2000-01-01T00:00:00.000000Z'")
    assert balance(cashier, code)["expired"] is True
    listed = as_role("manager").get("/api/v1/gift-cards?status=active").json()["gift_cards"]
    assert [c["expired"] for c in listed] == [True]
    sale = new_sale(cashier, "96385074")
    answer = cashier.post(
        f"/api/v1/sales/{sale['id']}/payments", json={"method": "gift_card", "amount": 100, "gift_card": code}
    )
    assert code_of(answer) == (422, "gift_card_expired")


def test_expiry_follows_the_store_setting(store: Store, cashier: Any) -> None:
    boss = store.actor("boss")
    from appliance.app.services import store_rules

    store_rules.put(store.shop, boss, {"gift_card_expiry_days": 365})
    _, code = sell_card(cashier, 1000)
    card = balance(cashier, code)
    activated = dt.datetime.fromisoformat(card["activated_at"].replace("Z", "+00:00"))
    assert dt.datetime.fromisoformat(card["expires_at"].replace("Z", "+00:00")) - activated == dt.timedelta(days=365)


def test_void_and_liability(cashier: Any, manager: Any) -> None:
    _, first = sell_card(cashier, 1000)
    sell_card(cashier, 2500)
    report = manager.get("/api/v1/reports/gift-card-liability").json()
    assert report["totals"] == {"liability": 3500, "expired_balance": 0}
    listed = manager.get("/api/v1/gift-cards?status=active").json()["gift_cards"]
    target = next(c for c in listed if c["code"][-4:] == first[-4:])
    assert code_of(cashier.post(f"/api/v1/gift-cards/{target['id']}/void", json={"reason": "lost"})) == (
        403,
        "forbidden",
    )
    assert manager.post(f"/api/v1/gift-cards/{target['id']}/void", json={"reason": "reported lost"}).status_code == 200
    assert code_of(manager.post(f"/api/v1/gift-cards/{target['id']}/void", json={"reason": "again"}))[0] == 409
    assert manager.get("/api/v1/reports/gift-card-liability").json()["totals"]["liability"] == 2500
    assert code_of(manager.post("/api/v1/gift-cards/999/void", json={"reason": "nope"}))[0] == 404


def test_the_same_card_redeemed_at_the_same_moment_from_two_sessions(store: Store) -> None:
    """Two tills, two sessions, two threads (each its own connection to the real encrypted
    store), released together: one redemption wins, the other is refused, and the card's
    balance never goes below zero."""
    shop = store.shop
    one, two = store.actor("cashier"), store.actor("supervisor")
    seller = store.actor("manager")
    sale = sales.open_sale(shop, seller)
    code = gift_cards.sell(shop, seller, sale["id"], 1000)["gift_card"]["code"]
    sales.pay_cash(shop, seller, sale["id"], 1000)
    tills = []
    for who in (one, two):
        opened = sales.open_sale(shop, who)
        sales.add_item(shop, who, opened["id"], sku="BRD", quantity=3)  # 10.47, exempt
        tills.append((who, opened["id"]))
    gate = threading.Barrier(2)
    outcomes: list[Any] = [None, None]

    def redeem(index: int) -> None:
        who, sale_id = tills[index]
        gate.wait()
        try:
            outcomes[index] = gift_cards.redeem(shop, who, sale_id, 1000, code)
        except DomainError as exc:
            outcomes[index] = exc

    threads = [threading.Thread(target=redeem, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    wins = [o for o in outcomes if isinstance(o, dict)]
    losses = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(wins) == 1 and len(losses) == 1, outcomes
    assert losses[0].code == "gift_card_insufficient"
    assert gift_cards.balance(shop, one, code)["balance"] == 0
    debits = shop.db.conn.execute("SELECT count(*) FROM gift_card_entries WHERE kind = 'redeem'").fetchone()[0]
    payments = shop.db.conn.execute("SELECT count(*) FROM payments WHERE method = 'gift_card'").fetchone()[0]
    assert (debits, payments) == (1, 1)


def test_two_sessions_racing_over_http(as_role: Any) -> None:
    one, two = as_role("cashier"), as_role("supervisor")
    _, code = sell_card(one, 1000)
    sale_ids = [new_sale(api, "96385074", "96385074", "96385074")["id"] for api in (one, two)]
    gate = threading.Barrier(2)
    answers: list[Any] = [None, None]

    def pay(index: int, api: Any) -> None:
        gate.wait()
        answers[index] = api.post(
            f"/api/v1/sales/{sale_ids[index]}/payments", json={"method": "gift_card", "amount": 1000, "gift_card": code}
        )

    threads = [threading.Thread(target=pay, args=(i, api)) for i, api in enumerate((one, two))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(a.status_code for a in answers) == [201, 422]
    assert balance(one, code)["balance"] == 0


def test_a_retried_gift_card_sale_puts_one_card_on_the_sale(cashier: Any) -> None:
    sale = cashier.post("/api/v1/sales").json()
    key = {"Idempotency-Key": "7b0c1d4e-2f3a-4b5c-8d6e-9f0a1b2c3d4e"}
    first = cashier.post(f"/api/v1/sales/{sale['id']}/gift-cards", json={"amount": 2000}, headers=key)
    again = cashier.post(f"/api/v1/sales/{sale['id']}/gift-cards", json={"amount": 2000}, headers=key)
    assert first.status_code == again.status_code == 200
    assert again.json()["gift_card"]["code"] == first.json()["gift_card"]["code"]
    assert len(cashier.get(f"/api/v1/sales/{sale['id']}").json()["lines"]) == 1
    other = cashier.post(f"/api/v1/sales/{sale['id']}/gift-cards", json={"amount": 3000}, headers=key)
    assert code_of(other) == (409, "idempotency_key_reused")


def test_a_card_spent_while_the_office_does_not_answer_says_so_on_the_receipts_tender_line(
    store: Store, cashier: Any
) -> None:
    from appliance.app.services.outbox_push import ENROLLED_MARK
    from tests.conftest import set_locale

    _, code = sell_card(cashier, 5000)
    # Enrolled at an office that never answers (the mark `comptoir enrol` leaves, no link).
    mark = store.shop.data_dir.joinpath(*ENROLLED_MARK)
    mark.parent.mkdir(parents=True, exist_ok=True)
    mark.write_text("not a certificate\n")
    sale = new_sale(cashier, "96385074")
    total = sale["totals"]["total"]
    paid = cashier.post(
        f"/api/v1/sales/{sale['id']}/payments", json={"method": "gift_card", "amount": total, "gift_card": code}
    )
    assert paid.status_code == 201, paid.text
    assert (paid.json()["status"], paid.json()["office"]) == ("completed", "offline")

    def tender_lines() -> list[str]:
        text: str = cashier.get(f"/api/v1/sales/{sale['id']}/receipt?format=text").text
        lines = text.splitlines()
        at = next(i for i, ln in enumerate(lines) if ln.startswith(("Gift card", "Carte-cadeau")))
        assert all(len(ln) <= 42 for ln in lines)
        return lines[at : at + 2]

    last4 = code[-4:]
    set_locale(store.shop, "en-CA")
    store.shop.forget_settings()
    name, after = tender_lines()
    assert name.startswith(f"Gift card ****{last4} (office offline)") and name.endswith("$3.49")
    assert "office" not in after
    # In French the words do not fit beside the amount: the note has the next line, whole.
    set_locale(store.shop, "fr-CA")
    store.shop.forget_settings()
    name, after = tender_lines()
    assert name.startswith(f"Carte-cadeau ****{last4} ") and name.endswith("3,49 $")
    assert after == "  (siège hors ligne)"
