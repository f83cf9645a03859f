"""What goes to a 2 x 20 pole display: two whole lines, ASCII only, amounts kept whole."""

from __future__ import annotations

import pytest

from appliance.drivers.pole_display import CLEAR, PoleDisplay, fold, frame, move, pole_display_from_spec, row


def test_text_is_folded_to_ascii() -> None:
    assert fold("Café crème brûlée") == "Cafe creme brulee"
    assert fold("12,50 €") == "12,50 EUR"
    assert fold("日本") == "??"


def test_a_row_keeps_the_amount_whole() -> None:
    assert row("Apple", "1.25") == "Apple           1.25"
    assert row("Croissant au beurre extra", "12.50") == "Croissant au b 12.50"
    assert len(row("x" * 40, "y" * 40)) == 20


def test_a_frame_clears_and_writes_both_lines() -> None:
    data = frame("TOTAL", "")
    assert data.startswith(CLEAR + move(1, 1))
    assert data == CLEAR + b"\x1f$\x01\x01" + b"TOTAL".ljust(20) + b"\x1f$\x01\x02" + b" " * 20
    with pytest.raises(ValueError):
        move(21, 1)


def test_specs() -> None:
    assert pole_display_from_spec("none") is None
    pole = pole_display_from_spec("serial:/dev/ttyUSB1?baud=19200")
    assert isinstance(pole, PoleDisplay) and pole.baudrate == 19200 and pole.port == "/dev/ttyUSB1"
    for bad in ("tcp://1.2.3.4:9100", "serial:ttyUSB1", "serial:/dev/ttyUSB1?speed=1"):
        with pytest.raises(ValueError):
            pole_display_from_spec(bad)
