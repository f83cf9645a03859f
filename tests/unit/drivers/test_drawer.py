from __future__ import annotations

import pytest

from appliance.drivers.drawer import DrawerKick


def test_pin_2_is_m0_and_pin_5_is_m1_with_times_in_2ms_units() -> None:
    assert DrawerKick().command() == b"\x1bp\x00\x32\x32"
    assert DrawerKick(pin=5, on_ms=60, off_ms=500).command() == b"\x1bp\x01\x1e\xfa"


def test_python_escpos_default_kick_is_the_same_pulse() -> None:
    from escpos.constants import CD_KICK_2, CD_KICK_5

    assert DrawerKick(pin=2).command() == CD_KICK_2
    assert DrawerKick(pin=5).command() == CD_KICK_5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"pin": 3}, "pin 2 or pin 5, not pin 3"),
        ({"on_ms": 0}, "on time must be 2 to 510 ms, not 0"),
        ({"off_ms": 600}, "off time must be 2 to 510 ms, not 600"),
    ],
)
def test_a_bad_config_says_what_is_wrong(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DrawerKick(**kwargs)
