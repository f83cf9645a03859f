"""Cash rounding (Canada has had no cent since 2013): the rule, one cash tender's settlement,
and a sale's totals with cash, card and partial tenders."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.app.domain.cashup import DrawerBalance
from appliance.app.domain.errors import Invalid
from appliance.app.domain.money import CASH_ROUNDINGS, cash_increment, round_cash, settle_cash
from appliance.app.domain.sale import Sale
from appliance.app.domain.tax import Tax, TaxClass

CLASSES = {
    "standard": TaxClass("standard", "Standard", (Tax("GST", "5"), Tax("QST", "9.975"))),
    "exempt": TaxClass("exempt", "Exempt", ()),
}


def sale_of(*prices: int, tax_class: str = "exempt") -> Sale:
    sale = Sale(1, "CAD", False)
    for i, price in enumerate(prices, start=1):
        sale.add_item(product_id=i, sku=f"S{i}", name=f"P{i}", unit_price=price, tax_class=tax_class)
    return sale


@pytest.mark.parametrize(
    ("rule", "currency", "increment"),
    [("none", "CAD", 1), ("0.05", "CAD", 5), ("0.10", "CAD", 10), ("1.00", "CAD", 100), ("1.00", "JPY", 1)],
)
def test_the_named_rules_in_minor_units(rule: str, currency: str, increment: int) -> None:
    assert cash_increment(rule, currency) == increment


@pytest.mark.parametrize(("rule", "currency"), [("0.05", "JPY"), ("0.02", "CAD"), ("", "CAD"), ("5", "CAD")])
def test_a_rule_the_currency_has_no_coin_for_or_no_rule_at_all_is_refused(rule: str, currency: str) -> None:
    with pytest.raises(Invalid) as err:
        cash_increment(rule, currency)
    assert err.value.code == "invalid_cash_rounding"


@pytest.mark.parametrize(
    ("amount", "increment", "rounded"),
    [
        (651, 5, 650),  # the sale
        (653, 5, 655),
        (652, 5, 650),
        (648, 5, 650),
        (655, 10, 660),  # a tie goes up
        (654, 10, 650),
        (650, 100, 700),
        (649, 100, 600),
        (651, 1, 651),
    ],
)
def test_swedish_rounding_to_the_nearest_coin(amount: int, increment: int, rounded: int) -> None:
    assert round_cash(amount, increment) == rounded


@pytest.mark.parametrize(
    ("due", "tendered", "applied", "change", "rounding"),
    [
        (651, 1000, 651, 350, -1),  # 6.51 with 10.00: 3.50 back, the drawer keeps 6.50
        (653, 1000, 653, 345, 2),  # 6.53 is 6.55 in cash
        (651, 650, 651, 0, -1),  # 6.50 settles 6.51
        (653, 650, 650, 0, 0),  # 6.50 on 6.53 leaves 0.03, which rounds to 0.05: a partial tender
        (653, 653, 653, 0, 0),  # the exact due, typed to the cent, is taken as it is
        (653, 654, 653, 0, 1),  # no cent of change: the drawer keeps the 6.54
        (915, 500, 500, 0, 0),  # partial: never rounded
        (650, 2000, 650, 1350, 0),
        (2, 5, 2, 5, -2),  # a sale of 0.02 is nothing in cash
    ],
)
def test_one_cash_tender(due: int, tendered: int, applied: int, change: int, rounding: int) -> None:
    settled = settle_cash(due, tendered, 5)
    assert (settled.applied, settled.change, settled.rounding) == (applied, change, rounding)
    assert settled.kept == tendered - change


def test_without_rounding_cash_is_plain() -> None:
    assert settle_cash(651, 1000, 1) == settle_cash(651, 1000, 1)
    settled = settle_cash(651, 1000, 1)
    assert (settled.applied, settled.change, settled.rounding) == (651, 349, 0)
    partial = settle_cash(651, 500, 1)
    assert (partial.applied, partial.change, partial.rounding) == (500, 0, 0)


@given(
    due=st.integers(min_value=1, max_value=10**9),
    tendered=st.integers(min_value=1, max_value=10**9),
    rule=st.sampled_from(CASH_ROUNDINGS),
)
def test_a_cash_tender_always_adds_up(due: int, tendered: int, rule: str) -> None:
    increment = cash_increment(rule, "CAD")
    s = settle_cash(due, tendered, increment)
    assert tendered - s.change == s.applied + s.rounding  # what the drawer keeps
    assert s.change >= 0 and 0 < s.applied <= due
    assert 2 * abs(s.rounding) <= increment  # never more than half a coin
    if s.applied < due:  # partial: not rounded, no change
        assert (s.rounding, s.change) == (0, 0) and s.applied == tendered
    elif tendered >= round_cash(due, increment):
        assert s.kept == round_cash(due, increment)  # what a drawer without small coins can keep


@given(
    prices=st.lists(st.integers(min_value=1, max_value=100_000), min_size=1, max_size=5),
    tax_class=st.sampled_from(["standard", "exempt"]),
    cash=st.lists(st.integers(min_value=1, max_value=50_000), min_size=1, max_size=4),
    card_first=st.integers(min_value=0, max_value=100_000),
    increment=st.sampled_from([1, 5, 10, 100]),
)
def test_totals_with_cash_and_card_tenders(
    prices: list[int], tax_class: str, cash: list[int], card_first: int, increment: int
) -> None:
    """Whatever the tenders, the sale's payments add up to its total, the cash drawer holds the
    cash applied plus the rounding, and only the tender that settles the sale in cash rounds."""
    sale = sale_of(*prices, tax_class=tax_class)
    total = sale.totals(CLASSES).total
    if 0 < card_first < total:
        sale.take_tender("card", card_first, CLASSES)
    for amount in cash:
        if sale.is_settled(CLASSES):
            break
        sale.take_cash(amount, CLASSES, cash_increment=increment)
    totals = sale.totals(CLASSES)
    assert totals.paid == sum(t.amount for t in sale.tenders)
    cash_tenders = [t for t in sale.tenders if t.method == "cash"]
    assert sum(t.tendered - t.change for t in cash_tenders) == sum(t.amount for t in cash_tenders) + sale.cash_rounding
    assert all(t.rounding == 0 for t in sale.tenders if t.method != "cash")
    assert all(t.rounding == 0 and t.change == 0 for t in cash_tenders[:-1])  # partial tenders
    if sale.is_settled(CLASSES):
        assert totals.due == 0 and totals.paid == total
        assert 2 * abs(sale.cash_rounding) <= increment
    else:
        assert sale.cash_rounding == 0 and totals.due > 0


def test_a_card_is_never_rounded_and_cash_after_it_rounds_only_the_rest() -> None:
    sale = sale_of(651)
    card = sale.take_tender("card", 300, CLASSES)
    assert card.rounding == 0
    cash = sale.take_cash(500, CLASSES, cash_increment=5)  # 3.51 left: 3.50 in cash
    assert (cash.amount, cash.change, cash.rounding) == (351, 150, -1)
    assert sale.is_settled(CLASSES) and sale.cash_rounding == -1


def test_a_partial_cash_tender_is_not_rounded_the_one_that_settles_is() -> None:
    sale = sale_of(915)
    first = sale.take_cash(500, CLASSES, cash_increment=5)
    assert (first.amount, first.change, first.rounding) == (500, 0, 0)
    assert sale.totals(CLASSES).due == 415
    second = sale.take_cash(420, CLASSES, cash_increment=5)
    assert (second.amount, second.change, second.rounding) == (415, 5, 0)  # 4.15 needs no rounding


def test_the_settling_tender_rounds_what_is_left_not_the_sale() -> None:
    sale = sale_of(917)
    sale.take_cash(500, CLASSES, cash_increment=5)  # 4.17 left, 4.15 in cash
    second = sale.take_cash(500, CLASSES, cash_increment=5)
    assert (second.amount, second.change, second.rounding) == (417, 85, -2)


def test_the_drawer_expects_the_rounded_cash() -> None:
    balance = DrawerBalance(opening_float=10000, cash_sales=651, cash_refunds=0, paid_in=0, paid_out=0, rounding=-1)
    assert balance.expected == 10650
