"""The quick test that lets the sale's bodies skip the JSON Schema validator (http.plainly_valid)
never passes a body the validator refuses, and does pass the bodies tills send."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.app.web.api import ADD_ITEM, EMPTY, PAYMENT
from appliance.app.web.http import bounded, plainly_valid, validator_for

SCHEMAS = {"add_item": ADD_ITEM, "payment": PAYMENT, "empty": EMPTY}
FIELDS = ["barcode", "sku", "plu", "quantity", "grams", "method", "amount", "card", "gift_card", "customer", "x"]
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(allow_nan=False),
    st.text(max_size=50),
    st.sampled_from(["cash", "card", "gift_card", "loyalty", "12345", "123", "4006381333931", "9" * 2001]),
    st.lists(st.integers(), max_size=2),
    st.fixed_dictionaries({"number": st.text(max_size=5)}),
)
BODIES = st.one_of(st.none(), st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=4), st.lists(st.integers()))


@settings(max_examples=600, deadline=None)
@given(body=BODIES, which=st.sampled_from(sorted(SCHEMAS)))
def test_a_body_passed_quickly_is_one_the_validator_accepts(body: Any, which: str) -> None:
    schema = SCHEMAS[which]
    if plainly_valid(bounded(schema))(body):
        assert list(validator_for(schema).iter_errors(body)) == []


def test_the_bodies_of_a_sale_pass_quickly() -> None:
    assert plainly_valid(bounded(EMPTY))(None)
    assert plainly_valid(bounded(EMPTY))({})
    assert plainly_valid(bounded(ADD_ITEM))({"barcode": "4006381333931"})
    assert plainly_valid(bounded(ADD_ITEM))({"plu": "4011", "grams": 350})
    assert plainly_valid(bounded(PAYMENT))({"method": "cash", "amount": 1234})


def test_what_it_cannot_judge_goes_to_the_validator() -> None:
    payment = plainly_valid(bounded(PAYMENT))
    assert not payment({"method": "card", "amount": 5, "card": {"number": "4", "exp_month": 1, "exp_year": 30}})
    assert not payment({"method": "cash"})  # required
    assert not payment({"method": "cash", "amount": 5.0})
    assert not payment({"method": "cash", "amount": True})
    assert not payment({"method": "cash", "amount": 2**63})
    assert not payment({"method": "iou", "amount": 5})
    assert not plainly_valid(bounded(ADD_ITEM))({"plu": "12"})
    assert not plainly_valid(bounded(ADD_ITEM))({"barcode": "9" * 2001})
    assert not plainly_valid(bounded(ADD_ITEM))({"other": 1})
    assert not plainly_valid(bounded({"type": "array"}))([])
