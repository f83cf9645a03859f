"""A gift card's number reaches the customer on a slip of its own, printed with the receipt:
the number in full and as a barcode the till can scan. The receipt, and any copy of it,
shows only the last four characters."""

from __future__ import annotations

from typing import Any

from tests.conftest import Store
from tests.fakes.escpos_printer import VirtualPrinterServer


def _sell_card(api: Any, amount: int, code: str | None = None) -> str:
    sale = api.post("/api/v1/sales").json()
    body: dict[str, Any] = {"amount": amount} | ({"code": code} if code else {})
    sold = api.post(f"/api/v1/sales/{sale['id']}/gift-cards", json=body)
    assert sold.status_code == 200, sold.text
    done = api.post(f"/api/v1/sales/{sale['id']}/payments", json={"method": "cash", "amount": amount})
    assert done.status_code == 201, done.text
    number: str = sold.json()["gift_card"]["code"]
    return number


def test_a_new_card_prints_a_slip_with_its_number_and_the_receipt_only_its_last_four(
    as_user: Any, printer: VirtualPrinterServer
) -> None:
    cashier = as_user("cashier")
    number = _sell_card(cashier, 2500)
    receipt, slip = printer.printer.wait_for_cuts(2)
    assert number not in receipt.text and number[-4:] in receipt.text
    assert slip.line_with(number).tall
    assert slip.line_with("Solde CAD").text.endswith(" 25,00 $")  # the store's fr-CA
    assert [b.data for b in slip.barcodes] == [number.replace("-", "")]
    # The barcode is what the till's gift card field reads.
    answer = cashier.post("/api/v1/gift-cards/balance", json={"code": slip.barcodes[0].data})
    assert answer.status_code == 200 and answer.json()["balance"] == 2500


def test_a_top_up_slip_gives_what_was_loaded_and_the_new_balance(as_user: Any, printer: VirtualPrinterServer) -> None:
    cashier = as_user("cashier")
    number = _sell_card(cashier, 1000)
    _sell_card(cashier, 500, number)
    *_, slip = printer.printer.wait_for_cuts(4)
    assert slip.line_with("Chargé CAD").text.endswith(" 5,00 $")
    assert slip.line_with("Solde CAD").text.endswith(" 15,00 $")
    assert [b.data for b in slip.barcodes] == [number.replace("-", "")]


def test_store_credit_prints_its_slip_and_a_copy_of_the_receipt_never_the_number(
    as_user: Any, store: Store, printer: VirtualPrinterServer
) -> None:
    cashier, manager = as_user("cashier"), as_user("manager")
    sale = cashier.post("/api/v1/sales").json()
    cashier.post(f"/api/v1/sales/{sale['id']}/items", json={"barcode": "96385074"})
    cashier.post(f"/api/v1/sales/{sale['id']}/payments", json={"method": "cash", "amount": 1000})
    printer.printer.wait_for_cuts(1)
    back = manager.post(
        f"/api/v1/sales/{sale['id']}/refunds",
        json={"lines": [{"line": 1}], "reason": "stale", "refund_to": "gift_card"},
    )
    assert back.status_code == 201, back.text
    number = back.json()["gift_card"]["code"]
    # The card's slip, then the refund's own, which names the card by its last four only.
    _, slip, refund_slip = printer.printer.wait_for_cuts(3)[:3]
    assert "CRÉDIT MAGASIN" in slip.text and slip.line_with(number).tall
    assert number not in refund_slip.text and number.replace("-", "") not in refund_slip.text
    assert refund_slip.line_with("Crédit magasin").text.split()[-3].endswith(number[-4:])  # fr-CA: 3,49 $
    assert manager.post(f"/api/v1/sales/{sale['id']}/reprint").status_code == 201
    *_, copy = printer.printer.wait_for_cuts(4)
    assert "COPIE" in copy.text and number not in copy.text
