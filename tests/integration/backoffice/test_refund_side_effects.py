"""What a refund undoes beyond money and stock: the points the sale earned, and the money a
gift card sold on it carries."""

from __future__ import annotations

import json
from typing import Any

from appliance.app.services import audit_log
from tests.conftest import Store, new_sale
from tests.integration.backoffice.conftest import code_of, pay_cash, put
from tests.integration.backoffice.test_customers_loyalty import ADA_CARD, enrol
from tests.integration.backoffice.test_gift_cards import balance, sell_card

MILK = "036000291452"  # 5.29 + tax


def refund(api: Any, sale_id: int, *lines: dict[str, int], reason: str = "changed their mind") -> Any:
    return api.post(f"/api/v1/sales/{sale_id}/refunds", json={"lines": list(lines), "reason": reason})


def points(api: Any, customer_id: int) -> int:
    value: int = api.get(f"/api/v1/customers/{customer_id}").json()["points"]
    return value


def test_points_earned_go_back_with_the_goods_pro_rata_and_all_with_the_last(cashier: Any, manager: Any) -> None:
    ada = enrol(cashier)
    sale = new_sale(cashier, MILK, MILK, MILK)  # 3 x 5.29 + tax = 18.26: 18 points
    put(cashier, f"/api/v1/sales/{sale['id']}/customer", json={"customer_id": ada["id"]})
    pay_cash(cashier, sale)
    assert points(cashier, ada["id"]) == 18
    one = refund(manager, sale["id"], {"line": 1, "quantity": 1})
    assert one.status_code == 201, one.text
    # A third of the sale came back: a third of its points (6) go, the customer keeps 12.
    assert one.json()["points_taken_back"] == 6
    assert points(cashier, ada["id"]) == 12
    rest = refund(manager, sale["id"], {"line": 1})
    assert rest.json()["points_taken_back"] == 12
    assert points(cashier, ada["id"]) == 0
    history = cashier.get(f"/api/v1/customers/{ada['id']}/purchases").json()["purchases"]
    assert history[0]["points_earned"] == 18  # what the sale earned stays on record


def test_points_already_spent_are_taken_back_as_far_as_the_balance_goes(
    cashier: Any, manager: Any, store: Store
) -> None:
    ada = enrol(cashier, loyalty_card=ADA_CARD)
    sale = new_sale(cashier, MILK, MILK)  # 12.17: 12 points
    put(cashier, f"/api/v1/sales/{sale['id']}/customer", json={"customer_id": ada["id"]})
    pay_cash(cashier, sale)
    spend = new_sale(cashier, "96385074")  # bread 3.49
    put(cashier, f"/api/v1/sales/{spend['id']}/customer", json={"loyalty_card": ADA_CARD})
    paid = cashier.post(f"/api/v1/sales/{spend['id']}/payments", json={"method": "loyalty", "amount": 10})
    assert paid.status_code == 201, paid.text
    assert points(cashier, ada["id"]) == 2
    back = refund(manager, sale["id"], {"line": 1})
    assert back.status_code == 201, back.text
    assert (back.json()["points_taken_back"], back.json()["points_short"]) == (2, 10)
    assert points(cashier, ada["id"]) == 0
    entry = [e for e in audit_log.entries(store.shop) if e["action"] == "refund"][-1]
    details = json.loads(entry["details"])
    assert (details["points_taken_back"], details["points_short"]) == (2, 10)
    assert cashier.get(f"/api/v1/customers/{ada['id']}").json()["points_owed"] == 10
    # The shortfall is owed: the next points the customer earns pay it off before any is kept.
    again = new_sale(cashier, MILK, MILK)
    put(cashier, f"/api/v1/sales/{again['id']}/customer", json={"customer_id": ada["id"]})
    pay_cash(cashier, again)
    assert points(cashier, ada["id"]) == 12 - 10
    again = new_sale(cashier, MILK, MILK)
    put(cashier, f"/api/v1/sales/{again['id']}/customer", json={"customer_id": ada["id"]})
    pay_cash(cashier, again)
    assert points(cashier, ada["id"]) == 12 + 12 - 10
    assert cashier.get(f"/api/v1/customers/{ada['id']}").json()["points_owed"] == 0


def test_a_sale_without_a_customer_takes_back_no_points(cashier: Any, manager: Any) -> None:
    sale = pay_cash(cashier, new_sale(cashier, MILK))
    back = refund(manager, sale["id"], {"line": 1})
    assert back.status_code == 201, back.text
    assert (back.json()["points_taken_back"], back.json()["points_short"]) == (0, 0)


def test_returning_an_unused_gift_card_takes_its_money_off_and_voids_it(cashier: Any, manager: Any) -> None:
    sold, code = sell_card(cashier, 2500)
    back = refund(manager, sold["id"], {"line": 1})
    assert back.status_code == 201, back.text
    assert back.json()["amount"] == 2500
    card = balance(cashier, code)
    assert (card["status"], card["balance"]) == ("void", 0)


def test_a_returned_top_up_comes_off_the_card_which_stays_live(cashier: Any, manager: Any) -> None:
    _, code = sell_card(cashier, 1000)
    topped, _ = sell_card(cashier, 500, code)
    back = refund(manager, topped["id"], {"line": 1})
    assert back.status_code == 201, back.text
    card = balance(cashier, code)
    assert (card["status"], card["balance"]) == ("active", 1000)


def test_a_gift_card_already_spent_cannot_be_returned_for_money(cashier: Any, manager: Any) -> None:
    sold, code = sell_card(cashier, 1000)
    spend = new_sale(cashier, "96385074")
    cashier.post(
        f"/api/v1/sales/{spend['id']}/payments", json={"method": "gift_card", "amount": 349, "gift_card": code}
    )
    back = refund(manager, sold["id"], {"line": 1})
    assert code_of(back) == (409, "gift_card_spent")
    assert "holds 6.51 CAD of the 10.00 CAD" in back.json()["error"]["message"]
    # Nothing moved: the card keeps what it had, the line can still not be returned twice.
    assert balance(cashier, code)["balance"] == 651
    assert manager.get(f"/api/v1/sales/{sold['id']}").json()["lines"][0].get("refunded_quantity", 0) == 0


def test_the_journal_takes_a_returned_gift_card_off_the_liability_not_the_sales(cashier: Any, manager: Any) -> None:
    sold, _ = sell_card(cashier, 2500)
    pay_cash(cashier, new_sale(cashier, "96385074"))  # 3.49 of goods, kept
    assert refund(manager, sold["id"], {"line": 1}).status_code == 201
    journal = manager.get("/api/v1/reports/journal").json()
    assert journal["totals"]["debit"] == journal["totals"]["credit"]
    by_account: dict[str, tuple[int, int]] = {}
    for row in journal["rows"]:
        debit, credit = by_account.get(row["account"], (0, 0))
        by_account[row["account"]] = (debit + row["debit"], credit + row["credit"])
    assert by_account["Gift card liability"] == (2500, 2500)
    assert by_account["Sales"] == (0, 349)
    assert "Sales returns" not in by_account


def test_a_gift_card_cannot_come_back_without_its_receipt(cashier: Any, manager: Any) -> None:
    sell_card(cashier, 1000)
    answer = manager.post(
        "/api/v1/returns", json={"lines": [{"sku": "GIFT-CARD", "unit_price": 0}], "reason": "found in a drawer"}
    )
    assert code_of(answer) == (422, "gift_card_needs_receipt")


def test_a_sale_paid_with_two_gift_cards_gives_each_card_back_its_own_part(cashier: Any, manager: Any) -> None:
    _, first = sell_card(cashier, 200)
    _, second = sell_card(cashier, 1000)
    sale = new_sale(cashier, "96385074")  # bread 3.49
    for code, amount in ((first, 200), (second, 149)):
        paid = cashier.post(
            f"/api/v1/sales/{sale['id']}/payments", json={"method": "gift_card", "amount": amount, "gift_card": code}
        )
        assert paid.status_code == 201, paid.text
    assert (balance(cashier, first)["balance"], balance(cashier, second)["balance"]) == (0, 851)
    back = refund(manager, sale["id"], {"line": 1})
    assert back.status_code == 201, back.text
    assert (balance(cashier, first)["balance"], balance(cashier, second)["balance"]) == (200, 1000)
