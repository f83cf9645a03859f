"""The rules a store's scale-label settings must keep: every layout and prefix map they let
through is one read_variable_measure can read."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.app.domain.barcode import (
    DEFAULT_LAYOUT,
    DEFAULT_PREFIXES,
    check_layout,
    check_prefixes,
    read_variable_measure,
    with_check_digit,
)
from appliance.app.domain.errors import Invalid


@pytest.mark.parametrize("layout", [DEFAULT_LAYOUT, "PPIIIIIVVVVVK", "PPIIIIIIVVVVK", "PPIIIICVVVVIK"])
def test_usable_layouts_pass(layout: str) -> None:
    assert check_layout(layout) == layout


@pytest.mark.parametrize(
    "layout",
    [
        "",
        "PPIIIIICVVVV",  # 12 letters
        "PPIIIIICVVVVKK",  # 14
        "IPPIIIICVVVVK",  # prefix not first
        "PPIIIIICVVVKV",  # check digit not last
        "PPIIIIICVVVVX",  # unknown letter
        "ppiiiiicvvvvk",  # the domain reads capitals only (the service upper-cases first)
        "PPIIICVVVVVVK",  # 3 item digits, 6 value digits
        "PPIIIIIICVVVK",  # 3 value digits
        "PPIIIICVVVVVK",  # a price check over 5 digits
        "PPIIIICCVVVVK",  # two check digits
    ],
)
def test_unusable_layouts_are_refused(layout: str) -> None:
    with pytest.raises(Invalid) as caught:
        check_layout(layout)
    assert caught.value.code == "invalid_layout"


def test_prefixes_in_the_in_store_range_with_a_kind_pass_sorted() -> None:
    assert check_prefixes({"29": "weight", "20": "price"}) == {"20": "price", "29": "weight"}
    assert check_prefixes(DEFAULT_PREFIXES) == DEFAULT_PREFIXES
    assert check_prefixes({}) == {}


@pytest.mark.parametrize(
    "prefixes",
    [
        {"19": "price"},
        {"30": "price"},
        {"2": "price"},
        {"200": "price"},
        {"2a": "price"},
        {"2٠": "price"},  # an Arabic-Indic zero is a digit to str.isdigit, not to a scanner
        {" 20": "price"},
        {"20": "volume"},
        {"20": ""},
        {"20": "PRICE"},
    ],
)
def test_prefixes_the_parser_cannot_use_are_refused(prefixes: dict[str, str]) -> None:
    with pytest.raises(Invalid) as caught:
        check_prefixes(prefixes)
    assert caught.value.code == "invalid_prefix"


def test_a_value_that_is_not_text_is_refused_not_crashed_on() -> None:
    with pytest.raises(Invalid):
        check_prefixes({"20": 1})  # type: ignore[dict-item]
    with pytest.raises(Invalid):
        check_prefixes({20: "price"})  # type: ignore[dict-item]


# Between the prefix and the check digit: 6 item + 4 value, 5 + 5, or 5 + 4 + a price check, in any order.
LAYOUTS = (
    st.sampled_from(["IIIIIIVVVV", "IIIIIVVVVV", "IIIIIVVVVC"])
    .flatmap(st.permutations)
    .map(lambda m: "PP" + "".join(m) + "K")
)


@given(layout=LAYOUTS, digits=st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_any_layout_that_passes_reads_any_label(layout: str, digits: str) -> None:
    assert check_layout(layout) == layout
    code = with_check_digit("20" + digits)
    try:
        measured = read_variable_measure(code, {"20": "price"}, layout)
    except Invalid as exc:  # the only refusal a usable layout may give: a wrong price check
        assert exc.code == "bad_price_check_digit"
        return
    assert measured is not None and measured.item_key.startswith("20") and measured.kind == "price"
