"""Where a refund's money goes: domain.refund.allocate over a sale's tenders."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.app.domain.errors import Conflict
from appliance.app.domain.refund import RefundPart, TenderLeft, allocate

METHODS = ("cash", "card", "gift_card", "loyalty", "exchange")


@st.composite
def tenders(draw: st.DrawFn) -> list[TenderLeft]:
    """A sale's tenders, each with what earlier refunds left of it (0 when fully refunded),
    in any order: the payment ids say which was taken when."""
    ids = draw(st.lists(st.integers(1, 10_000), min_size=0, max_size=6, unique=True))
    found = [TenderLeft(i, draw(st.sampled_from(METHODS)), draw(st.integers(0, 100_000))) for i in ids]
    return draw(st.permutations(found))


def _left(sale: list[TenderLeft]) -> int:
    return sum(t.left for t in sale)


@st.composite
def refunds(draw: st.DrawFn) -> tuple[list[TenderLeft], int]:
    """Tenders and a refund they can cover."""
    sale = draw(tenders())
    return sale, draw(st.integers(0, _left(sale)))


@given(refunds())
def test_the_parts_add_up_to_the_refund(case: tuple[list[TenderLeft], int]) -> None:
    sale, amount = case
    assert sum(p.amount for p in allocate(amount, sale)) == amount


@given(refunds())
def test_no_tender_gives_back_more_than_it_has_left_and_none_twice(case: tuple[list[TenderLeft], int]) -> None:
    sale, amount = case
    left = {t.payment_id: t for t in sale}
    parts = allocate(amount, sale)
    assert len({p.payment_id for p in parts}) == len(parts)
    for part in parts:
        assert 0 < part.amount <= left[part.payment_id].left
        assert part.method == left[part.payment_id].method  # the money goes back the way it came


@given(refunds(), st.randoms())
def test_the_order_the_tenders_are_read_in_changes_nothing(
    case: tuple[list[TenderLeft], int], rnd: random.Random
) -> None:
    sale, amount = case
    shuffled = list(sale)
    rnd.shuffle(shuffled)
    assert allocate(amount, shuffled) == allocate(amount, sale)


@given(refunds())
def test_the_last_tender_taken_goes_back_first(case: tuple[list[TenderLeft], int]) -> None:
    sale, amount = case
    parts = allocate(amount, sale)
    used = {p.payment_id: p.amount for p in parts}
    assert [p.payment_id for p in parts] == sorted(used, reverse=True)
    if parts:
        # Every tender newer than the oldest one used gave back all it had left.
        oldest = min(used)
        for t in sale:
            if t.payment_id > oldest:
                assert used.get(t.payment_id, 0) == t.left


@given(tenders(), st.data())
def test_two_refunds_in_a_row_go_where_one_refund_of_both_would(sale: list[TenderLeft], data: st.DataObject) -> None:
    first = data.draw(st.integers(0, _left(sale)))
    second = data.draw(st.integers(0, _left(sale) - first))
    once = {p.payment_id: p.amount for p in allocate(first + second, sale)}
    earlier = {p.payment_id: p.amount for p in allocate(first, sale)}
    after = [TenderLeft(t.payment_id, t.method, t.left - earlier.get(t.payment_id, 0)) for t in sale]
    twice = dict(earlier)
    for part in allocate(second, after):
        twice[part.payment_id] = twice.get(part.payment_id, 0) + part.amount
    assert twice == once


@given(tenders(), st.integers(1, 1_000))
def test_a_refund_beyond_what_is_left_is_refused(sale: list[TenderLeft], over: int) -> None:
    with pytest.raises(Conflict) as refused:
        allocate(_left(sale) + over, sale)
    assert refused.value.code == "refund_exceeds_paid"


def test_a_card_that_settled_after_a_gift_card_goes_back_first() -> None:
    sale = [TenderLeft(7, "gift_card", 2_000), TenderLeft(9, "card", 1_500)]
    assert allocate(2_500, sale) == [RefundPart(9, "card", 1_500), RefundPart(7, "gift_card", 1_000)]


def test_a_tender_already_refunded_in_full_is_passed_over() -> None:
    sale = [TenderLeft(1, "cash", 1_000), TenderLeft(2, "card", 0)]
    assert allocate(400, sale) == [RefundPart(1, "cash", 400)]


def test_nothing_to_refund_touches_no_tender() -> None:
    assert allocate(0, [TenderLeft(1, "cash", 1_000)]) == []
