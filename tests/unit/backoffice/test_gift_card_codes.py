"""Gift card numbers: random, with a check character that catches typing mistakes."""

from __future__ import annotations

import datetime as dt
import random
import secrets

import pytest

from appliance.app.domain import gift_card as gc
from appliance.app.domain.errors import Conflict, Invalid


def test_a_new_code_has_sixteen_characters_and_passes_its_own_check() -> None:
    code = gc.new_code(secrets.randbelow)
    assert len(code) == 16
    assert set(code) <= set(gc.ALPHABET)
    assert gc.normalise(code) == code


def test_codes_are_random_not_a_sequence() -> None:
    codes = {gc.new_code(secrets.randbelow) for _ in range(2000)}
    assert len(codes) == 2000
    # Nothing in common between neighbours: each position takes many values.
    ordered = sorted(codes)
    for position in range(15):
        assert len({c[position] for c in ordered}) > 20


def test_every_single_wrong_character_is_caught() -> None:
    code = gc.new_code(random.Random(1).randrange)
    for position in range(16):
        for char in gc.ALPHABET:
            if char == code[position]:
                continue
            typo = code[:position] + char + code[position + 1 :]
            with pytest.raises(Invalid):
                gc.normalise(typo)


def test_swapping_two_neighbours_is_caught_but_for_0_and_z() -> None:
    rng = random.Random(2)
    for _ in range(200):
        code = gc.new_code(rng.randrange)
        for i in range(15):
            if code[i] == code[i + 1] or {code[i], code[i + 1]} == {"0", "Z"}:
                continue
            swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
            with pytest.raises(Invalid):
                gc.normalise(swapped)


def test_what_people_type_is_forgiven_spaces_dashes_case_and_look_alikes() -> None:
    body = "0" * 14 + "1"
    code = body + gc.check_character(body)
    typed = "oooo-oooo oooo-ooi" + code[-1].lower()
    assert gc.normalise(typed) == code
    assert gc.display(code) == f"{code[:4]}-{code[4:8]}-{code[8:12]}-{code[12:]}"
    assert gc.masked(code).endswith(code[-4:]) and code[:12] not in gc.masked(code)


@pytest.mark.parametrize("text", ["", "ABC", "A" * 41, "U" * 16, "1234567890123456789"])
def test_wrong_shapes_are_refused(text: str) -> None:
    with pytest.raises(Invalid):
        gc.normalise(text)


def test_a_code_never_looks_like_a_card_number() -> None:
    # 16 digits would pass for a PAN in logs; the alphabet has letters, and codes use them.
    rng = random.Random(3)
    all_digits = sum(gc.new_code(rng.randrange).isdigit() for _ in range(10_000))
    assert all_digits < 5


def test_redemption_rules() -> None:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    gc.check_redeemable("active", 500, None, now, 500, "CAD")
    with pytest.raises(Invalid, match=r"holds only 5\.00 CAD"):
        gc.check_redeemable("active", 500, None, now, 501, "CAD")
    with pytest.raises(Invalid, match="expired"):
        gc.check_redeemable("active", 500, now, now, 1, "CAD")
    with pytest.raises(Conflict):
        gc.check_redeemable("pending", 500, None, now, 1, "CAD")
    with pytest.raises(Conflict):
        gc.check_redeemable("void", 500, None, now, 1, "CAD")
    with pytest.raises(Invalid):
        gc.check_redeemable("active", 500, None, now, 0, "CAD")


def test_expiry_follows_the_store_setting() -> None:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert gc.expiry(now, None) is None
    assert gc.expiry(now, 0) is None
    assert gc.expiry(now, 365) == dt.datetime(2027, 1, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize("value", [0, -1, gc.MAX_CARD_VALUE + 1, True, 1.5])
def test_a_card_value_is_positive_and_sane(value: object) -> None:
    with pytest.raises(Invalid):
        gc.check_value(value)  # type: ignore[arg-type]
