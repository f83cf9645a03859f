"""The pure rules of gift cards shared through the office (domain/gift_card.py): the
reference the office finds a card by, the chain's offline cap, and what a till may spend
of a card while the office does not answer."""

from __future__ import annotations

import hashlib

import pytest

from appliance.app.domain import gift_card as rules
from appliance.app.domain.errors import Conflict, Invalid


def test_a_cards_reference_is_a_domain_separated_sha256_of_its_code() -> None:
    code = rules.new_code(lambda n: 7)
    ref = rules.card_ref(code)
    assert len(ref) == 64 and int(ref, 16) >= 0
    assert ref == rules.card_ref(rules.normalise(rules.display(code).lower()))  # as typed or scanned
    assert ref != hashlib.sha256(code.encode()).hexdigest()  # not the bare hash of the code
    assert code not in ref and rules.card_ref(rules.new_code(lambda n: 8)) != ref


@pytest.mark.parametrize("amount", [0, -1, True, 1.5, "5000", None, rules.MAX_OFFLINE_CAP + 1])
def test_the_offline_cap_cannot_be_switched_off_or_be_nonsense(amount: object) -> None:
    with pytest.raises(Invalid) as refused:
        rules.check_offline_cap(amount)
    assert refused.value.code == "invalid_offline_cap"


def test_the_offline_cap_takes_a_positive_amount() -> None:
    assert rules.check_offline_cap(1) == 1
    assert rules.check_offline_cap(rules.DEFAULT_OFFLINE_CAP) == rules.DEFAULT_OFFLINE_CAP > 0


def test_offline_a_till_spends_what_is_left_under_the_cap_and_no_more() -> None:
    rules.check_offline_spend(2000, cap=2000, spent_offline=0, currency="EUR")
    rules.check_offline_spend(500, cap=2000, spent_offline=1500, currency="EUR")
    with pytest.raises(Conflict) as refused:
        rules.check_offline_spend(501, cap=2000, spent_offline=1500, currency="EUR")
    assert refused.value.code == "gift_card_offline_cap"
    assert "5.00 EUR" in refused.value.message and "20.00 EUR" in refused.value.message


def test_a_cap_lowered_below_what_was_spent_leaves_nothing_to_spend() -> None:
    with pytest.raises(Conflict) as refused:
        rules.check_offline_spend(1, cap=1000, spent_offline=1500, currency="EUR")
    assert "0.00 EUR" in refused.value.message
