"""The PAN detector on bytes: what it must find, what it must leave, what it may show."""

from __future__ import annotations

import pytest

from appliance.security.pan_scan import scan_bytes


def _kinds(text: str) -> list[tuple[str, str]]:
    return [(f.kind, f.masked) for f in scan_bytes(text.encode(), "t")]


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("card=4111111111111111;", "411111******1111"),
        ("4111 1111 1111 1111", "411111******1111"),
        ("4111-1111-1111-1111", "411111******1111"),
        ("amex 3782 822463 10005 ok", "378282*****0005"),
        ("5555555555554444", "555555******4444"),
        ("x2223003122003222y", "222300******3222"),
        ("6011111111111117\n", "601111******1117"),
        ("diners 36227206271667.", "**********1667"),
        ("4222222222222", "*********2222"),
        ("4111 1111 1111 1111 2030", "411111******1111"),  # a year after the number
        ('{"number": "4111111111111111"}', "411111******1111"),
    ],
)
def test_finds_pans(text: str, masked: str) -> None:
    assert _kinds(text) == [("pan", masked)]


@pytest.mark.parametrize(
    "text",
    [
        "4111111111111112",  # Luhn fails
        "14111111111111111",  # inside a longer run
        "41111111111111110",
        "order 12345678901234567890",
        "2222222222222222",  # one digit repeated
        "1732333440123",  # a millisecond timestamp (starts with 1)
        "1732333440123456789",  # nanoseconds
        "2025-06-15 12:30:45.123 total=1234 tendered=2000",
        "4111 11 11 1111 1111",  # not grouped like a card
        "4111 1111-1111 1111",  # mixed separators
        "0000000000000000",
        "",
    ],
)
def test_leaves_non_pans(text: str) -> None:
    assert _kinds(text) == []


def test_track_data() -> None:
    track1 = "%B4111111111111111^DOE/JOHN^2512101000000000000000?"
    track2 = ";4111111111111111=25121010000000000000?"
    emv57 = "57 13 4111111111111111D25121010000000000F"
    assert _kinds(track1) == [("track1", "411111******1111")]
    assert _kinds(track2) == [("track2", "411111******1111")]
    assert _kinds(emv57) == [("track2", "411111******1111")]
    assert _kinds("4111111111111111=2512") == [("track2", "411111******1111")]


def test_offsets_and_no_full_number_in_a_finding() -> None:
    data = b"a" * 100 + b" 5555555555554444 " + b"b" * 100 + b" 4111111111111111"
    findings = scan_bytes(data, "log")
    assert [f.offset for f in findings] == [101, 219]
    for f in findings:
        text = f"{f} {f!r}"
        assert "5555555555554444" not in text and "4111111111111111" not in text


def test_many_in_a_row() -> None:
    text = "\n".join(["4111111111111111", "5555555555554444", "378282246310005"] * 50)
    assert len(scan_bytes(text.encode(), "t")) == 150


def test_barcodes_are_not_cards() -> None:
    # A 13-digit number that passes both Luhn and the GS1 check is read as an EAN-13.
    from appliance.app.domain.barcode import gtin_check_digit
    from appliance.app.domain.card import luhn_ok

    both = next(n for n in (f"4{i:011d}" + str(gtin_check_digit(f"4{i:011d}")) for i in range(10_000)) if luhn_ok(n))
    assert _kinds(both) == []
    assert _kinds(f"ean {both} qty 2") == []


@pytest.mark.parametrize("width", [32, 40, 64, 128])
def test_digits_inside_a_hex_digest_are_not_a_card(width: int) -> None:
    """A SHA-256 of a session token once held '…e5658491234567893701a…': a run of digits that
    passes Luhn, inside a digest. A digest is a whole hex word of a digest's length."""
    pan = "4111111111111111"
    word = ("ab" * 64)[:10] + pan + ("cd" * 64)[: width - 10 - len(pan)]
    assert len(word) == width
    assert _kinds(f"token_hash={word};") == []
    assert _kinds(word) == []


def test_a_card_number_in_hex_shaped_text_of_another_length_is_still_found() -> None:
    # Hex around it, but not a digest's length: reported.
    assert _kinds("ffee4111111111111111aabb0011") == [("pan", "411111******1111")]
    assert _kinds("ref abc4111111111111111def") == [("pan", "411111******1111")]
    # Track-2 equivalent data after the number is never taken for a digest.
    track = "4111111111111111D" + "2512" + "1" * 43  # 64 hex characters in a row
    assert [k for k, _ in _kinds(track)] == ["track2"]
