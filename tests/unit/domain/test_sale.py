import pytest

from appliance.app.domain.errors import Conflict, Invalid, NotFound
from appliance.app.domain.sale import MAX_QUANTITY, Sale
from appliance.app.domain.tax import Tax, TaxClass

CLASSES = {
    "standard": TaxClass("standard", "Standard", (Tax("GST", "5"), Tax("QST", "9.975"))),
    "exempt": TaxClass("exempt", "Exempt", ()),
}


def add(
    sale: Sale,
    product_id: int = 1,
    price: int = 1000,
    quantity: int = 1,
    tax_class: str = "standard",
) -> None:
    sale.add_item(
        product_id=product_id,
        sku=f"S{product_id}",
        name=f"P{product_id}",
        unit_price=price,
        tax_class=tax_class,
        quantity=quantity,
    )


def test_a_second_scan_of_the_same_product_adds_to_its_line() -> None:
    sale = Sale(1, "CAD", False)
    add(sale)
    add(sale, quantity=2)
    assert [(ln.line_no, ln.quantity) for ln in sale.lines] == [(1, 3)]
    add(sale, product_id=2)
    assert [ln.line_no for ln in sale.lines] == [1, 2]


def test_totals_with_two_taxes() -> None:
    sale = Sale(1, "CAD", False)
    add(sale, price=1000)
    add(sale, product_id=2, price=349, tax_class="exempt")
    totals = sale.totals(CLASSES)
    assert (totals.subtotal, totals.tax, totals.total, totals.due) == (1349, 50 + 100, 1499, 1499)


def test_cash_gives_change_and_settles() -> None:
    sale = Sale(1, "CAD", False)
    add(sale, price=1000)
    tender = sale.take_cash(2000, CLASSES)
    assert (tender.amount, tender.change) == (1150, 850)
    assert sale.is_settled(CLASSES)
    sale.complete(7)
    assert sale.status == "completed" and sale.receipt_no == 7


def test_partial_cash_leaves_the_rest_due() -> None:
    sale = Sale(1, "CAD", False)
    add(sale, price=1000)
    sale.take_cash(500, CLASSES)
    assert sale.totals(CLASSES).due == 650
    assert not sale.is_settled(CLASSES)


def test_a_paid_sale_takes_no_more_payment() -> None:
    sale = Sale(1, "CAD", False)
    add(sale)
    sale.take_cash(5000, CLASSES)
    sale.complete(1)
    with pytest.raises(Conflict):
        sale.take_cash(100, CLASSES)


def test_lines_freeze_once_money_changed_hands() -> None:
    sale = Sale(1, "CAD", False)
    add(sale)
    sale.take_cash(100, CLASSES)
    with pytest.raises(Conflict, match="tender"):
        add(sale, product_id=2)
    with pytest.raises(Conflict):
        sale.void_line(1)


def test_an_empty_sale_cannot_be_paid() -> None:
    with pytest.raises(Conflict, match="no items"):
        Sale(1, "CAD", False).take_cash(100, CLASSES)


@pytest.mark.parametrize("quantity", [0, -1, MAX_QUANTITY + 1, True, 1.5])
def test_absurd_quantities_are_refused(quantity: object) -> None:
    sale = Sale(1, "CAD", False)
    with pytest.raises(Invalid):
        add(sale, quantity=quantity)  # type: ignore[arg-type]


def test_void_takes_the_line_out_of_the_totals_but_keeps_it() -> None:
    sale = Sale(1, "CAD", False)
    add(sale, price=1000)
    add(sale, product_id=2, price=500, tax_class="exempt")
    sale.void_line(1)
    assert sale.totals(CLASSES).total == 500
    assert sale.line(1).voided
    with pytest.raises(Conflict, match="already voided"):
        sale.void_line(1)
    with pytest.raises(NotFound):
        sale.void_line(9)


def test_card_cannot_pay_more_than_due() -> None:
    sale = Sale(1, "CAD", False)
    add(sale, price=1000)
    with pytest.raises(Invalid, match="more than is due"):
        sale.take_tender("card", 1151, CLASSES)
    sale.take_tender("card", 1150, CLASSES)
    assert sale.is_settled(CLASSES)
