"""Scanners read for real: a HID scanner's recorded input events from a file (and from a
uinput virtual keyboard where the kernel offers one), a serial scanner through a
pseudo-terminal pair, and the reader coming back after an unplug."""

from __future__ import annotations

import contextlib
import fcntl
import os
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.drivers.scanner import (
    EV_KEY,
    EV_SYN,
    EvdevScanner,
    ScannerError,
    SerialScanner,
    key_events,
    run_scanner,
)
from tests.fakes.serial_port import serial_pty


def until(check: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.01)
    raise AssertionError("not in time")


def recording(path: Path, *codes: str) -> Path:
    path.write_bytes(b"".join(e.pack() for code in codes for e in key_events(code)))
    return path


def test_recorded_events_give_the_codes(tmp_path: Path) -> None:
    scanner = EvdevScanner(str(recording(tmp_path / "event0", "4006381333931", "ABC-42/x")), grab=False)
    scanner.open()
    try:
        assert list(scanner.codes(threading.Event())) == ["4006381333931", "ABC-42/x"]
    finally:
        scanner.close()


def test_a_file_that_is_no_input_device_cannot_be_grabbed(tmp_path: Path) -> None:
    scanner = EvdevScanner(str(recording(tmp_path / "event0", "1")), grab=True)
    with pytest.raises(ScannerError, match="cannot be grabbed"):
        scanner.open()


def test_a_missing_device_says_so() -> None:
    with pytest.raises(ScannerError, match="not there"):
        EvdevScanner("/dev/input/no-such-event").open()


def test_events_arriving_in_pieces_through_a_pipe(tmp_path: Path) -> None:
    fifo = tmp_path / "event1"
    os.mkfifo(fifo)
    writer = os.open(fifo, os.O_RDWR)  # a writer first, so the reader does not see an end
    scanner = EvdevScanner(str(fifo), grab=False, poll=0.02)
    scanner.open()
    stop = threading.Event()
    seen: list[str] = []
    thread = threading.Thread(target=lambda: seen.extend(scanner.codes(stop)))
    thread.start()
    try:
        data = b"".join(e.pack() for e in key_events("036000291452"))
        for start in range(0, len(data), 17):  # odd-sized chunks split the 24-byte records
            os.write(writer, data[start : start + 17])
        until(lambda: seen == ["036000291452"])
    finally:
        stop.set()
        thread.join(2)
        scanner.close()
        os.close(writer)


def test_run_scanner_publishes_and_retries_a_missing_device(tmp_path: Path) -> None:
    path = tmp_path / "event2"
    scanner = EvdevScanner(str(path), grab=False)
    problems: list[str | None] = []
    codes: list[str] = []
    stop = threading.Event()
    thread = threading.Thread(
        target=run_scanner, args=(scanner, codes.append, stop, problems.append), kwargs={"first_retry": 0.02}
    )
    thread.start()
    try:
        until(lambda: problems and problems[-1] and "not there" in problems[-1])
        recording(path, "96385074")  # plugged in
        until(lambda: codes == ["96385074"])
        assert problems[-1] is None
    finally:
        stop.set()
        thread.join(2)


# -- serial, through a pseudo-terminal ---------------------------------------------------


@pytest.fixture
def pty_pair() -> Iterator[tuple[int, str]]:
    with serial_pty() as port:
        yield port


def test_serial_scanner_reads_codes_with_any_line_ending(pty_pair: tuple[int, str]) -> None:
    master, path = pty_pair
    scanner = SerialScanner(path, baudrate=9600, poll=0.02)
    scanner.open()
    stop = threading.Event()
    seen: list[str] = []
    thread = threading.Thread(target=lambda: seen.extend(scanner.codes(stop)))
    thread.start()
    try:
        os.write(master, b"4006381333931\r\n96385")
        os.write(master, b"074\r0109501101020917\x1d10ABC\n\xff\xfe\r\n\r\n")
        until(lambda: len(seen) >= 3)
        time.sleep(0.05)
        assert seen == ["4006381333931", "96385074", "0109501101020917\x1d10ABC"], "junk from a wrong baud is dropped"
    finally:
        stop.set()
        thread.join(2)
        scanner.close()


def test_serial_scanner_unplugged(pty_pair: tuple[int, str]) -> None:
    master, path = pty_pair
    scanner = SerialScanner(path, poll=0.02)
    scanner.open()
    os.close(master)  # the far end goes away, like a USB-serial adapter pulled out
    with pytest.raises(ScannerError, match="disconnected"):
        list(scanner.codes(threading.Event()))
    scanner.close()
    with pytest.raises(ScannerError, match="cannot be opened"):
        SerialScanner("/dev/ttyNOSUCH").open()


# -- a uinput virtual keyboard, where the kernel lets us make one ------------------------

UINPUT = "/dev/uinput"
UI_SET_EVBIT, UI_SET_KEYBIT = 0x40045564, 0x40045565
UI_DEV_CREATE, UI_DEV_DESTROY = 0x5501, 0x5502


def _uinput_keyboard(name: bytes) -> int:
    fd = os.open(UINPUT, os.O_WRONLY | os.O_NONBLOCK)
    fcntl.ioctl(fd, UI_SET_EVBIT, EV_KEY)
    for key in range(1, 128):
        fcntl.ioctl(fd, UI_SET_KEYBIT, key)
    # The legacy uinput_user_dev: name[80], input_id (4 x u16), ff_effects_max, then 4 x 64 absolute axis ints.
    os.write(fd, struct.pack("80sHHHHi", name, 0x03, 0x1234, 0x5678, 1, 0) + bytes(4 * 64 * 4))
    fcntl.ioctl(fd, UI_DEV_CREATE)
    return fd


def _event_node(name: str) -> str | None:
    for entry in Path("/sys/class/input").glob("event*"):
        with contextlib.suppress(OSError):
            if (entry / "device" / "name").read_text().strip() == name:
                return f"/dev/input/{entry.name}"
    return None


def test_uinput_keyboard_is_grabbed_and_read() -> None:
    if not os.path.exists(UINPUT):
        pytest.skip("no /dev/uinput here: the evdev path is proven with recorded events instead")
    try:
        fd = _uinput_keyboard(b"comptoir-test-scanner")
    except OSError as exc:
        pytest.skip(f"the kernel does not let us make a virtual keyboard ({exc.strerror})")
    try:
        node = None
        deadline = time.monotonic() + 3
        while node is None and time.monotonic() < deadline:
            node = _event_node("comptoir-test-scanner")
            time.sleep(0.05)
        if node is None or not os.path.exists(node):
            pytest.skip("the virtual keyboard has no /dev/input node here (no udev/devtmpfs)")
        scanner = EvdevScanner(node, poll=0.02)
        scanner.open()
        stop = threading.Event()
        seen: list[str] = []
        thread = threading.Thread(target=lambda: seen.extend(scanner.codes(stop)))
        thread.start()
        try:
            for event in key_events("4006381333931"):
                if event.type in (EV_KEY, EV_SYN):
                    os.write(fd, event.pack())
            until(lambda: seen == ["4006381333931"])
        finally:
            stop.set()
            thread.join(2)
            scanner.close()
    finally:
        with contextlib.suppress(OSError):
            fcntl.ioctl(fd, UI_DEV_DESTROY)
        os.close(fd)
