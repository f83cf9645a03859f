"""PIN rules and badge digests: what a cashier may choose, and what the store keeps of a badge."""

from __future__ import annotations

import hashlib

import pytest

from appliance.app.domain.errors import Invalid
from appliance.security.passwords import badge_digest, check_badge, check_pin, looks_like_pin, one_time_pin


@pytest.mark.parametrize("pin", ["2580", "4826", "90817263", "1235", "56789012", "0987654"])
def test_pins_people_choose_are_taken(pin: str) -> None:
    assert check_pin(pin) == pin


@pytest.mark.parametrize(
    ("pin", "why"),
    [
        ("0000", "repeated"),
        ("77777777", "repeated"),
        ("1234", "straight run"),
        ("3456789", "straight run"),
        ("9876", "straight run"),
        ("43210", "straight run"),
        ("123", "4 to 8 digits"),
        ("123456789", "4 to 8 digits"),
        ("12a4", "4 to 8 digits"),
        ("١٢٣٤", "4 to 8 digits"),  # Arabic-Indic digits are digits to Python, not to a keypad
        (1234, "4 to 8 digits"),
    ],
)
def test_obvious_or_malformed_pins_are_refused_with_the_reason(pin: object, why: str) -> None:
    with pytest.raises(Invalid) as refused:
        check_pin(pin)
    assert why in refused.value.message and refused.value.code == "weak_pin"


def test_a_one_time_pin_is_six_digits_that_meet_the_rules() -> None:
    for _ in range(200):
        pin = one_time_pin()
        assert len(pin) == 6 and check_pin(pin) == pin


def test_a_password_never_looks_like_a_pin() -> None:
    assert looks_like_pin("2580") and looks_like_pin("12345678")
    assert not looks_like_pin("Sesame-2026-open") and not looks_like_pin("123456789012")


def test_a_badge_is_kept_as_a_prefixed_digest_never_the_code() -> None:
    code = check_badge("  STAFF-0042  ")
    assert code == "STAFF-0042"
    digest = badge_digest(code)
    assert len(digest) == 64 and "0042" not in digest
    assert digest == badge_digest("STAFF-0042") != badge_digest("STAFF-0043")
    assert digest != hashlib.sha256(b"STAFF-0042").hexdigest(), "a table of plain hashes does not match it"
    for bad in ("abc", "has space", "x" * 65, "é-badge", 42):
        with pytest.raises(Invalid):
            check_badge(bad)
