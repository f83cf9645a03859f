"""pan-scan finds a card number that is also a valid GTIN where a card number stands, and card
numbers written in UTF-16 (either byte order); barcodes elsewhere stay barcodes."""

from __future__ import annotations

import pytest

from appliance.app.domain.barcode import gtin_check_digit
from appliance.app.domain.card import luhn_ok
from appliance.security.pan_scan import scan_bytes

GTIN_PAN = "4000000000006"  # a 13-digit Visa number that is also a valid EAN-13
PAN = "4111111111111111"


def test_the_number_is_both() -> None:
    assert luhn_ok(GTIN_PAN) and gtin_check_digit(GTIN_PAN[:-1]) == int(GTIN_PAN[-1])


def _masked(data: bytes, card_place: bool = False) -> list[str]:
    return [f.masked for f in scan_bytes(data, "t", card_place=card_place)]


@pytest.mark.parametrize(
    "text",
    [
        f'{{"card_number": "{GTIN_PAN}"}}',
        f'{{"card": {{"number": "{GTIN_PAN}", "exp_month": 12, "exp_year": 2030}}}}',
        f'{{"number": "{GTIN_PAN}", "exp_month": 12}}',  # next to an expiry field
        f"pan={GTIN_PAN}&x=1",
        f"<PAN>{GTIN_PAN}</PAN>",
        f"acct {GTIN_PAN}",
        f"paid {GTIN_PAN} 12/30",  # an expiry right after
        f"cc_num: {GTIN_PAN}",
    ],
)
def test_a_gtin_valid_pan_in_a_card_place_is_found(text: str) -> None:
    assert _masked(text.encode()) == ["*********0006"]


@pytest.mark.parametrize(
    "text",
    [
        f"barcode {GTIN_PAN} apples",
        f"sku,name,ean\nAPL,Apple,{GTIN_PAN}\n",
        f'{{"barcodes": ["{GTIN_PAN}"]}}',
        f"company {GTIN_PAN}",  # "pan" inside a word is no label
        f"card 12 of 40, item {GTIN_PAN}",  # a digit between the label and the number
    ],
)
def test_the_same_digits_as_a_barcode_are_left(text: str) -> None:
    assert _masked(text.encode()) == []


def test_a_store_column_named_like_a_card_is_a_card_place() -> None:
    assert _masked(GTIN_PAN.encode(), card_place=True) == ["*********0006"]
    assert _masked(GTIN_PAN.encode()) == []


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (f"card {PAN} ok", "411111******1111"),
        ("4111 1111 1111 1111", "411111******1111"),
        (f"x{PAN}", "411111******1111"),
        (f"%B{PAN}^DOE/J^2512101", "411111******1111"),
        (f"card_number={GTIN_PAN}", "*********0006"),
    ],
)
def test_utf16_text_is_searched(encoding: str, text: str, masked: str) -> None:
    found = scan_bytes(text.encode(encoding), "t")
    assert [f.masked for f in found] == [masked]
    assert found[0].where == "t (UTF-16)"


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_clean_text_and_barcodes_are_left(encoding: str) -> None:
    for text in (f"ean {GTIN_PAN}", "at 1700000000000 ms", "4111111111111112", "0" * 40):
        assert scan_bytes(text.encode(encoding), "t") == []


def test_utf16_offsets_point_into_the_original_bytes() -> None:
    data = "héllo ".encode("utf-16-le") + PAN.encode("utf-16-le")
    [found] = scan_bytes(data, "t")
    assert found.offset == len("héllo ".encode("utf-16-le"))
