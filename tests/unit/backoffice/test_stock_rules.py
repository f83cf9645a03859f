"""Stock rules: reasons, counts, receiving, average cost, reorder suggestions."""

from __future__ import annotations

import pytest

from appliance.app.domain import stock
from appliance.app.domain.errors import Invalid
from appliance.app.domain.stock import StockLevel


def level(
    on_hand: int, point: int | None, qty: int | None = None, on_order: int = 0, supplier: int | None = 1
) -> StockLevel:
    return StockLevel(1, "SKU", "Thing", on_hand, point, qty, on_order, supplier)


def test_low_means_at_or_under_the_point_counting_what_is_on_order() -> None:
    assert stock.is_low(level(5, 5))
    assert stock.is_low(level(-2, 0))
    assert not stock.is_low(level(6, 5))
    assert not stock.is_low(level(2, 5, on_order=10))
    assert not stock.is_low(level(0, None))


def test_suggestion_tops_up_to_point_plus_reorder_quantity() -> None:
    assert stock.suggested_quantity(level(3, 5, 12)) == 14  # back to 17
    assert stock.suggested_quantity(level(3, 5, 12, on_order=2)) == 12
    assert stock.suggested_quantity(level(-4, 5, 12)) == 21  # a shortfall is made good too


def test_without_a_reorder_quantity_suggestion_doubles_the_point() -> None:
    assert stock.suggested_quantity(level(3, 5)) == 7
    assert stock.suggested_quantity(level(0, 0)) == 1  # never order nothing for a low product
    assert stock.suggested_quantity(level(9, 5)) == 0


def test_suggestions_are_grouped_by_supplier() -> None:
    levels = [level(0, 5, supplier=1), level(9, 5, supplier=1), level(1, 2, supplier=2), level(0, 1, supplier=None)]
    grouped = stock.suggestions(levels)
    assert sorted(grouped, key=str) == [1, 2, None]
    assert [q for _, q in grouped[1]] == [10]


def test_average_cost_is_weighted_and_ignores_negative_stock() -> None:
    assert stock.average_cost(10, 100, 10, 200) == 150
    assert stock.average_cost(0, 100, 5, 300) == 300
    assert stock.average_cost(-5, 100, 5, 300) == 300
    assert stock.average_cost(1, 100, 2, 101) == 101  # 100.67 rounds half up


def test_a_receipt_never_goes_past_what_was_ordered() -> None:
    assert stock.receivable(10, 4, 6) == 6
    with pytest.raises(Invalid) as caught:
        stock.receivable(10, 4, 7)
    assert caught.value.code == "receipt_exceeds_order"


@pytest.mark.parametrize("quantity", [0, -1, stock.MAX_MOVE + 1, 1.5, True, "3"])
def test_absurd_receipts_are_refused(quantity: object) -> None:
    with pytest.raises(Invalid):
        stock.receivable(10**7, 0, quantity)


@pytest.mark.parametrize("quantity", [0, stock.MAX_MOVE + 1, -stock.MAX_MOVE - 1, 2.5, None, False])
def test_absurd_adjustments_are_refused(quantity: object) -> None:
    with pytest.raises(Invalid):
        stock.check_adjustment(quantity)


@pytest.mark.parametrize("counted", [-1, stock.MAX_ON_HAND + 1, "7", None])
def test_a_count_is_zero_or_more(counted: object) -> None:
    with pytest.raises(Invalid):
        stock.check_count(counted)


def test_a_reason_is_needed_and_adjustments_use_the_shop_words() -> None:
    assert stock.check_reason(" damaged ", stock.ADJUSTMENT_REASONS) == "damaged"
    with pytest.raises(Invalid):
        stock.check_reason("ok")
    with pytest.raises(Invalid):
        stock.check_reason("because", stock.ADJUSTMENT_REASONS)
