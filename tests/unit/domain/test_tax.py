import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.app.domain.errors import Invalid
from appliance.app.domain.money import Rounding
from appliance.app.domain.tax import Tax, TaxClass, compute_totals, parse_rate

QUEBEC = {
    "standard": TaxClass("standard", "Standard", (Tax("GST", "5"), Tax("QST", "9.975"))),
    "exempt": TaxClass("exempt", "Exempt", ()),
}
FRANCE = {
    "standard": TaxClass("standard", "Normal", (Tax("TVA", "20"),)),
    "reduced": TaxClass("reduced", "Réduit", (Tax("TVA", "5.5"),)),
}


def test_taxes_are_computed_on_the_sale_not_per_line() -> None:
    # Three lines of 0.10: per line QST would be 0.01 each (0.03); on the sum it is 0.03 too,
    # but GST per line would be 0.01 x3 = 0.03 against 0.02 on the 0.30 total.
    totals = compute_totals([("standard", 10)] * 3, QUEBEC, prices_include_tax=False)
    assert [(t.name, t.amount) for t in totals.taxes] == [("GST", 2), ("QST", 3)]
    assert totals.subtotal == 30 and totals.tax == 5 and totals.total == 35


def test_exempt_lines_carry_no_tax() -> None:
    totals = compute_totals([("exempt", 349), ("standard", 1000)], QUEBEC, prices_include_tax=False)
    assert totals.subtotal == 1349
    assert [(t.name, t.base, t.amount) for t in totals.taxes] == [
        ("GST", 1000, 50),
        ("QST", 1000, 100),
    ]
    assert totals.total == 1349 + 150


def test_half_up_and_half_even_differ_on_a_tie() -> None:
    # 5% of 1.50 = 0.075 → half up 0.08, half even 0.08? (7.5 → 8 both); use 0.70: 3.5 cents.
    classes = {"standard": TaxClass("standard", "S", (Tax("GST", "5"),))}
    up = compute_totals([("standard", 70)], classes, prices_include_tax=False, rounding=Rounding.HALF_UP)
    even = compute_totals([("standard", 70)], classes, prices_include_tax=False, rounding=Rounding.HALF_EVEN)
    assert up.tax == 4 and even.tax == 4  # 3.5 → 4 both ways (4 is even)
    up = compute_totals([("standard", 50)], classes, prices_include_tax=False, rounding=Rounding.HALF_UP)
    even = compute_totals([("standard", 50)], classes, prices_include_tax=False, rounding=Rounding.HALF_EVEN)
    assert (up.tax, even.tax) == (3, 2)  # 2.5 cents


def test_tax_inclusive_prices_take_the_tax_out_of_the_gross() -> None:
    totals = compute_totals([("standard", 1200), ("reduced", 211)], FRANCE, prices_include_tax=True)
    assert totals.total == 1411
    by_rate = {t.rate: t.amount for t in totals.taxes}
    assert by_rate == {"20": 200, "5.5": 11}
    assert totals.subtotal + totals.tax == totals.total


def test_inclusive_split_of_two_taxes_adds_up_to_the_whole() -> None:
    totals = compute_totals([("standard", 1149)], QUEBEC, prices_include_tax=True)
    assert sum(t.amount for t in totals.taxes) == totals.tax
    assert totals.subtotal + totals.tax == 1149
    assert totals.subtotal == 999


def test_unknown_tax_class_is_refused() -> None:
    with pytest.raises(Invalid, match="unknown tax class"):
        compute_totals([("luxury", 100)], QUEBEC, prices_include_tax=False)


@pytest.mark.parametrize("rate", ["-1", "100", "abc", "5.12345", "nan", "inf"])
def test_bad_rates_are_refused(rate: str) -> None:
    with pytest.raises(Invalid):
        parse_rate(rate)


def test_rates_are_normalised_text() -> None:
    assert parse_rate("5.000") == "5"
    assert parse_rate(" 9.975 ") == "9.975"


@given(
    st.lists(st.tuples(st.sampled_from(["standard", "exempt"]), st.integers(0, 10**7)), max_size=30),
    st.booleans(),
)
def test_totals_always_add_up(lines: list[tuple[str, int]], inclusive: bool) -> None:
    totals = compute_totals(lines, QUEBEC, prices_include_tax=inclusive)
    assert totals.subtotal + totals.tax == totals.total
    assert totals.tax == sum(t.amount for t in totals.taxes)
    assert totals.tax >= 0
    if inclusive:
        assert totals.total == sum(a for _, a in lines)
    else:
        assert totals.subtotal == sum(a for _, a in lines)
