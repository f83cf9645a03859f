import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.app.domain.barcode import price_check_digit, read_variable_measure, with_check_digit
from appliance.app.domain.errors import Invalid
from appliance.app.domain.pricing import (
    BUY_N_GET_ONE,
    CATEGORY_PERCENT,
    MULTI_PRICE,
    Discount,
    Promotion,
    allocate,
    best_promotion,
    check_discount,
    check_promotion,
)
from appliance.app.domain.sale import Sale
from appliance.app.domain.tax import Tax, TaxClass

CLASSES = {"standard": TaxClass("standard", "S", (Tax("GST", "5"),)), "exempt": TaxClass("exempt", "E", ())}
DAY = dt.date(2026, 11, 23)


def promo(kind: str, **kw: object) -> Promotion:
    base: dict[str, object] = {"id": 1, "name": "Offer", "kind": kind, "starts": DAY, "ends": DAY}
    return Promotion(**{**base, **kw})  # type: ignore[arg-type]


def test_three_for_five() -> None:
    p = promo(MULTI_PRICE, product_id=1, quantity=3, price=500)
    assert best_promotion([p], product_id=1, category=None, unit_price=199, quantity=7, day=DAY) == (p, 2 * 97)


def test_buy_two_get_one() -> None:
    p = promo(BUY_N_GET_ONE, product_id=1, quantity=2)
    assert best_promotion([p], product_id=1, category=None, unit_price=300, quantity=6, day=DAY)[1] == 600
    assert best_promotion([p], product_id=1, category=None, unit_price=300, quantity=2, day=DAY)[1] == 0


def test_category_percent_only_inside_its_dates() -> None:
    p = promo(CATEGORY_PERCENT, category="bakery", percent=1500, starts=DAY, ends=DAY + dt.timedelta(days=2))
    assert best_promotion([p], product_id=9, category="bakery", unit_price=1000, quantity=1, day=DAY)[1] == 150
    later = DAY + dt.timedelta(days=3)
    assert best_promotion([p], product_id=9, category="bakery", unit_price=1000, quantity=1, day=later)[1] == 0
    assert best_promotion([p], product_id=9, category="dairy", unit_price=1000, quantity=1, day=DAY)[1] == 0


def test_the_best_offer_wins_and_offers_do_not_stack() -> None:
    a = promo(BUY_N_GET_ONE, product_id=1, quantity=2)
    b = promo(MULTI_PRICE, id=2, product_id=1, quantity=3, price=700)
    assert best_promotion([a, b], product_id=1, category=None, unit_price=300, quantity=3, day=DAY) == (a, 300)
    assert best_promotion([a, b], product_id=1, category=None, unit_price=400, quantity=3, day=DAY) == (b, 500)


@pytest.mark.parametrize(
    "bad",
    [
        promo(MULTI_PRICE, product_id=1, quantity=1, price=100),
        promo(BUY_N_GET_ONE, quantity=2),
        promo(CATEGORY_PERCENT, category="x", percent=10001),
        promo(MULTI_PRICE, product_id=1, quantity=3, price=100, ends=DAY - dt.timedelta(days=1)),
        promo("mystery"),
    ],
)
def test_bad_promotions_are_refused(bad: Promotion) -> None:
    with pytest.raises(Invalid):
        check_promotion(bad)


@given(st.integers(0, 10**6), st.lists(st.integers(0, 10**5), min_size=1, max_size=20))
def test_allocation_adds_up_and_never_exceeds_a_line(total: int, weights: list[int]) -> None:
    shares = allocate(total, weights)
    assert sum(shares) == min(total, sum(weights))
    assert all(0 <= s <= w for s, w in zip(shares, weights, strict=True))


def test_discounts_and_their_limits() -> None:
    assert Discount("percent", 1250).amount_off(1000) == 125
    assert Discount("amount", 5000).amount_off(1000) == 1000  # never below zero
    for kind, value in [("percent", 0), ("percent", 10001), ("amount", -1), ("bogus", 5)]:
        with pytest.raises(Invalid):
            check_discount(kind, value)


def sale_with(promotions: tuple[Promotion, ...] = ()) -> Sale:
    sale = Sale(1, "CAD", False, business_day=DAY, promotions=promotions)
    sale.add_item(product_id=1, sku="A", name="A", unit_price=1000, tax_class="standard", quantity=2)
    sale.add_item(product_id=2, sku="B", name="B", unit_price=500, tax_class="exempt")
    return sale


def test_an_order_discount_lowers_each_taxes_base() -> None:
    sale = sale_with()
    sale.set_order_discount(Discount("percent", 1000))
    totals = sale.totals(CLASSES)
    assert totals.discount == 250
    assert totals.subtotal == 2250
    assert totals.tax == 90  # 5 % of the taxable 1800 (2000 less its 200 share)
    assert totals.total == 2340


def test_line_discount_applies_after_the_promotion() -> None:
    sale = sale_with((promo(BUY_N_GET_ONE, product_id=1, quantity=1),))
    sale.set_line_discount(1, Discount("percent", 5000))
    line = sale.totals(CLASSES).lines[0]
    assert (line.promotion_off, line.line_off, line.net) == (1000, 500, 500)


def test_an_overridden_price_gets_no_promotion() -> None:
    sale = sale_with((promo(BUY_N_GET_ONE, product_id=1, quantity=1),))
    sale.override_price(1, 800, "damaged box")
    line = sale.totals(CLASSES).lines[0]
    assert line.promotion_off == 0 and line.net == 1600 and line.line.original_price == 1000
    with pytest.raises(Invalid, match="reason"):
        sale.override_price(1, 700, "")


def test_a_parked_sale_takes_nothing_until_resumed() -> None:
    sale = sale_with()
    sale.park()
    from appliance.app.domain.errors import Conflict

    with pytest.raises(Conflict, match="parked"):
        sale.take_cash(10_000, CLASSES)
    sale.resume()
    sale.take_cash(10_000, CLASSES)


def test_a_sale_holding_a_payment_can_be_parked_but_not_cancelled() -> None:
    from appliance.app.domain.errors import Conflict

    sale = sale_with()
    sale.take_cash(500, CLASSES)
    with pytest.raises(Conflict, match="tender"):
        sale.cancel()
    sale.park()  # its 5.00 stays on it, in the parked list
    sale.resume()
    sale.take_cash(10_000, CLASSES)
    assert sale.is_settled(CLASSES)


# -- scale labels --------------------------------------------------------------------------------


def test_gs1_price_check_digit() -> None:
    assert price_check_digit("2875") == 9  # the GS1 General Specifications' own example


def label(prefix: str, item: str, value: str) -> str:
    return with_check_digit(prefix + item + str(price_check_digit(value)) + value)


def test_a_weight_label_is_read() -> None:
    code = label("23", "12345", "0512")
    measured = read_variable_measure(code)
    assert measured is not None
    assert (measured.item_key, measured.kind, measured.value) == ("2312345", "weight", 512)


def test_a_price_label_with_a_wrong_price_check_is_refused() -> None:
    good = label("20", "00042", "0399")
    body = good[:7] + str((int(good[7]) + 1) % 10) + good[8:12]
    with pytest.raises(Invalid, match="price check digit"):
        read_variable_measure(with_check_digit(body))


def test_ordinary_gtins_and_other_layouts() -> None:
    assert read_variable_measure("4006381333931") is None
    code = with_check_digit("2100042" + "01234")
    measured = read_variable_measure(code, {"21": "price"}, "PPIIIIIVVVVVK")
    assert measured is not None and measured.value == 1234 and measured.item_key == "2100042"
