"""The JSON schema made from a TypedDict: what a success's body must look like."""

from __future__ import annotations

from typing import Annotated, Any, Literal, NotRequired, Required, TypedDict

import pytest
from jsonschema import Draft202012Validator

from appliance.app.domain.money import Doc, Money
from appliance.app.web.endpoint import Endpoint
from appliance.app.web.openapi import describe, success_schema
from appliance.app.web.schema import NotDescribable, json_schema


class Payment(TypedDict):
    method: Literal["cash", "card"]
    amount: int


class Line(TypedDict):
    sku: str
    weight: float | None
    note: NotRequired[str]


class Sale(TypedDict):
    id: int
    voided: bool
    lines: list[Line]
    payments: list[Payment]
    taxes: dict[str, int]
    customer: Payment | None


class Partial(TypedDict, total=False):
    offset: int
    cursor: Required[str]


class Extended(Partial):
    more: bool


def _valid(tp: Any, value: Any) -> bool:
    return Draft202012Validator(json_schema(tp)).is_valid(value)


SALE: dict[str, Any] = {
    "id": 1,
    "voided": False,
    "lines": [{"sku": "A1", "weight": None}, {"sku": "B2", "weight": 0.5, "note": "gift"}],
    "payments": [{"method": "cash", "amount": 500}],
    "taxes": {"VAT": 83},
    "customer": None,
}


def test_scalars_and_containers() -> None:
    assert json_schema(int) == {"type": "integer"}
    assert json_schema(str | None) == {"type": ["string", "null"]}
    assert json_schema(list[bool]) == {"type": "array", "items": {"type": "boolean"}}
    assert json_schema(dict[str, int]) == {"type": "object", "additionalProperties": {"type": "integer"}}
    assert json_schema(Literal["unit", "weight"]) == {"enum": ["unit", "weight"]}


def test_required_keys_are_the_declared_ones_even_under_future_annotations() -> None:
    # This file uses `from __future__ import annotations`, where Python 3.11 forgets NotRequired.
    assert json_schema(Line)["required"] == ["sku", "weight"]
    assert json_schema(Partial)["required"] == ["cursor"]
    assert json_schema(Extended)["required"] == ["cursor", "more"]


def test_a_whole_body_validates() -> None:
    assert _valid(Sale, SALE)


@pytest.mark.parametrize(
    "change",
    [
        {"id": "1"},  # a number as text
        {"voided": 0},  # 0 is not false
        {"id": True},  # nor is true a number
        {"extra": 1},  # a key nobody declared
        {"payments": [{"method": "cheque", "amount": 1}]},  # not in the Literal
        {"payments": [{"method": "cash"}]},  # a required key missing in a nested object
        {"lines": [{"sku": "A1", "weight": None, "colour": "red"}]},  # undeclared, nested
        {"taxes": {"VAT": "83"}},
        {"customer": {"method": "cash"}},
    ],
)
def test_a_body_that_breaks_the_shape_fails(change: dict[str, Any]) -> None:
    assert not _valid(Sale, {**SALE, **change})


def test_a_missing_required_key_fails() -> None:
    body = dict(SALE)
    del body["taxes"]
    assert not _valid(Sale, body)


def test_a_type_with_no_json_shape_is_refused() -> None:
    with pytest.raises(NotDescribable):
        json_schema(dict[int, str])
    with pytest.raises(NotDescribable):
        json_schema(bytes)


class Till(TypedDict):
    total: Money
    change: Money | None
    refunded: NotRequired[Money]
    coins: list[Money]
    lines: int
    weight: Annotated[int, Doc("grams")]


def test_an_amount_says_its_unit_and_validates_as_the_int_it_is() -> None:
    schema = json_schema(Till)
    unit = json_schema(Money)
    assert unit["type"] == "integer" and "minor units" in unit["description"]
    props = schema["properties"]
    assert props["total"] == unit and props["refunded"] == unit
    assert props["change"] == {"type": ["integer", "null"], "description": unit["description"]}
    assert props["coins"] == {"type": "array", "items": unit}
    assert props["lines"] == {"type": "integer"}, "a count is not money"
    assert props["weight"] == {"type": "integer", "description": "grams"}
    assert schema["required"] == ["change", "coins", "lines", "total", "weight"]
    body = {"total": 1999, "change": None, "coins": [25, 100], "lines": 2, "weight": 512}
    assert _valid(Till, body)
    assert not _valid(Till, {**body, "total": 19.99}), "an amount is whole minor units"


AMOUNT_KEYS = {"amount", "balance", "change", "cost", "due", "paid", "price", "subtotal", "tax", "total"}


def _unsaid_amounts(node: Any, found: set[str]) -> set[str]:
    if isinstance(node, dict):
        for key, value in (node.get("properties") or {}).items():
            if key in AMOUNT_KEYS and "integer" in str(value.get("type")) and "minor units" not in str(value):
                found.add(f"{node.get('title')}.{key}")
        for value in node.values():
            _unsaid_amounts(value, found)
    elif isinstance(node, list):
        for value in node:
            _unsaid_amounts(value, found)
    return found


def test_every_amount_the_api_answers_with_says_it_is_in_minor_units() -> None:
    answers = [op["responses"] for ops in describe()["paths"].values() for op in ops.values()]
    assert _unsaid_amounts(answers, set()) == set(), "name these keys' type Money"


async def _handler(request: Any) -> Any:
    raise AssertionError("never called")


def test_the_openapi_answer_comes_from_returns() -> None:
    typed = Endpoint("GET", "/x", _handler, "s", "anyone", returns=Sale)
    assert success_schema(typed) == json_schema(Sale)
    untyped = Endpoint("GET", "/x", _handler, "s", "anyone")
    assert success_schema(untyped) == {"type": "object"}
