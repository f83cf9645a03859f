"""HID scanner key events to barcodes: the kernel's input_event records, a US layout with
shift and caps lock, the suffix that ends a code, and specs from config."""

from __future__ import annotations

import pytest

from appliance.drivers.scanner import (
    EV_KEY,
    EVIOCGRAB,
    INPUT_EVENT,
    KEY_CAPSLOCK,
    KEY_ENTER,
    KEY_LEFTCTRL,
    KEY_PRESS,
    KEY_RELEASE,
    EvdevScanner,
    InputEvent,
    KeyDecoder,
    ScannerSpecError,
    SerialScanner,
    decode_events,
    key_events,
    scanner_from_spec,
)


def decode(events: list[InputEvent]) -> list[str]:
    decoder = KeyDecoder()
    return [code for event in events if (code := decoder.feed(event)) is not None]


def test_the_record_is_the_kernels_64_bit_layout() -> None:
    assert INPUT_EVENT.size == 24  # struct timeval (16) + type (2) + code (2) + value (4)
    assert EVIOCGRAB == 0x40044590  # as in linux/input.h


def test_an_ean13_scan_decodes() -> None:
    assert decode(key_events("4006381333931")) == ["4006381333931"]


def test_shifted_characters_and_mixed_case() -> None:
    text = "ABC-123/x+Y$%.:~{}"
    assert decode(key_events(text)) == [text]


def test_caps_lock_turns_letters_only() -> None:
    events = [InputEvent(0, 0, EV_KEY, KEY_CAPSLOCK, KEY_PRESS), *key_events("ab1")]
    assert decode(events) == ["AB1"]


def test_ctrl_bracket_is_the_gs1_separator() -> None:
    press = [InputEvent(0, 0, EV_KEY, KEY_LEFTCTRL, KEY_PRESS)]
    bracket = [e for e in key_events("]") if e.code != KEY_ENTER]
    release = [InputEvent(0, 0, EV_KEY, KEY_LEFTCTRL, KEY_RELEASE)]
    events = [*key_events("01095011010209171")[:-6], *press, *bracket, *release, *key_events("10ABC")]
    assert decode(events) == ["01095011010209171\x1d10ABC"]


def test_several_scans_and_an_empty_enter() -> None:
    events = [*key_events("96385074"), *key_events(""), *key_events("036000291452")]
    assert decode(events) == ["96385074", "036000291452"]


def test_keypad_digits_and_keypad_enter() -> None:
    kp = {"1": 79, "2": 80, "3": 81}
    events = [InputEvent(0, 0, EV_KEY, kp[d], v) for d in "123" for v in (KEY_PRESS, KEY_RELEASE)]
    events.append(InputEvent(0, 0, EV_KEY, 96, KEY_PRESS))
    assert decode(events) == ["123"]


def test_autorepeat_and_unknown_keys_add_nothing() -> None:
    events = key_events("12")
    events.insert(1, InputEvent(0, 0, EV_KEY, 2, 2))  # a repeat of "1"
    events.insert(1, InputEvent(0, 0, EV_KEY, 59, KEY_PRESS))  # F1
    assert decode(events) == ["12"]


def test_records_split_across_reads() -> None:
    data = b"".join(e.pack() for e in key_events("42"))
    first, rest = decode_events(data[:30])
    assert len(first) == 1 and len(rest) == 6
    second, left = decode_events(rest + data[30:])
    assert left == b"" and [*first, *second] == key_events("42")


def test_specs() -> None:
    grabbed = scanner_from_spec("evdev:/dev/input/by-id/usb-Scanner-event-kbd")
    assert isinstance(grabbed, EvdevScanner) and grabbed.grab
    shared = scanner_from_spec("/dev/input/event5?grab=off")
    assert isinstance(shared, EvdevScanner) and not shared.grab
    serial = scanner_from_spec("serial:/dev/ttyACM0?baud=115200")
    assert isinstance(serial, SerialScanner) and serial.baudrate == 115200
    for bad in ("usb:1234", "evdev:dev/input/event1", "serial:/dev/ttyS0?baud=fast", "evdev:/dev/x?grab=maybe"):
        with pytest.raises(ScannerSpecError):
            scanner_from_spec(bad)
    with pytest.raises(ScannerSpecError, match="unknown option"):
        scanner_from_spec("serial:/dev/ttyS0?parity=E")
