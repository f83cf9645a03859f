"""Barcode scanners that the backend reads itself, so that no digit depends on which field
has the focus on screen.

* HID scanners present themselves as a USB keyboard. We read their key events straight
  from /dev/input/eventN (the kernel's `struct input_event`, no python-evdev needed) and
  grab the device (EVIOCGRAB) so that its keystrokes never reach the kiosk window.
* Serial scanners (RS-232, or USB CDC-ACM in "serial" mode) send the code followed by CR
  and/or LF, read through pyserial.

Config names each scanner with a spec:

    evdev:/dev/input/by-id/usb-Datalogic_Scanner-event-kbd     (grabbed)
    evdev:/dev/input/event5?grab=off                           (shared with the window)
    serial:/dev/ttyACM0?baud=9600

`run_scanner` keeps one scanner going for as long as the till runs: it reopens the device
after an unplug, with a growing pause, and says what is wrong in words.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import select
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from appliance.drivers.serial_port import close_quietly

if TYPE_CHECKING:
    import serial  # imported by a serial scanner as it opens: a till without one never loads it

log = logging.getLogger(__name__)

# struct input_event on 64-bit Linux: struct timeval (two longs), __u16 type, __u16 code,
# __s32 value. Native sizes, because the kernel writes it in the machine's own layout.
INPUT_EVENT = struct.Struct("@llHHi")
EV_SYN, EV_KEY, EV_MSC = 0x00, 0x01, 0x04
KEY_RELEASE, KEY_PRESS, KEY_REPEAT = 0, 1, 2

# _IOW('E', 0x90, int): direction write (1 << 30), size 4 (<< 16), type 'E' (<< 8), nr 0x90.
EVIOCGRAB = (1 << 30) | (4 << 16) | (ord("E") << 8) | 0x90

MAX_CODE = 256  # a "code" longer than this is a stuck key or a person, not a barcode

KEY_ENTER, KEY_KPENTER, KEY_TAB = 28, 96, 15
KEY_LEFTSHIFT, KEY_RIGHTSHIFT, KEY_CAPSLOCK = 42, 54, 58
KEY_LEFTCTRL, KEY_RIGHTCTRL = 29, 97

# Linux key codes (input-event-codes.h) to what a US layout types: (plain, with shift).
_ROWS = {
    2: "1!", 3: "2@", 4: "3#", 5: "4$", 6: "5%", 7: "6^", 8: "7&", 9: "8*", 10: "9(", 11: "0)",
    12: "-_", 13: "=+", 16: "qQ", 17: "wW", 18: "eE", 19: "rR", 20: "tT", 21: "yY", 22: "uU",
    23: "iI", 24: "oO", 25: "pP", 26: "[{", 27: "]}", 30: "aA", 31: "sS", 32: "dD", 33: "fF",
    34: "gG", 35: "hH", 36: "jJ", 37: "kK", 38: "lL", 39: ";:", 40: "'\"", 41: "`~", 43: "\\|",
    44: "zZ", 45: "xX", 46: "cC", 47: "vV", 48: "bB", 49: "nN", 50: "mM", 51: ",<", 52: ".>",
    53: "/?", 57: "  ",
    # The keypad: some scanners type digits there. Same character with or without shift.
    55: "**", 71: "77", 72: "88", 73: "99", 74: "--", 75: "44", 76: "55", 77: "66", 78: "++",
    79: "11", 80: "22", 81: "33", 82: "00", 83: "..", 98: "//",
}  # fmt: skip
US_KEYMAP: dict[int, tuple[str, str]] = {code: (pair[0], pair[1]) for code, pair in _ROWS.items()}


class ScannerError(Exception):
    """The scanner cannot be read; the message says what a person can do about it."""


class ScannerSpecError(ValueError):
    """A scanner spec in config cannot be read."""


@dataclass(frozen=True)
class InputEvent:
    sec: int
    usec: int
    type: int
    code: int
    value: int

    def pack(self) -> bytes:
        return INPUT_EVENT.pack(self.sec, self.usec, self.type, self.code, self.value)


def decode_events(data: bytes) -> tuple[list[InputEvent], bytes]:
    """Whole events in `data`, and the bytes of a partial one left over for the next read."""
    size = INPUT_EVENT.size
    whole = len(data) - len(data) % size
    events = [InputEvent(*fields) for fields in INPUT_EVENT.iter_unpack(data[:whole])]
    return events, data[whole:]


class KeyDecoder:
    """Key events to codes, as a US keyboard would type them. A code ends at Enter (or Tab,
    the other suffix scanners are set up with); Ctrl+letter gives the control character, so
    that GS1 separators (Ctrl+], GS) survive."""

    def __init__(self, *, end_on_tab: bool = True) -> None:
        self.end_on_tab = end_on_tab
        self._shift: set[int] = set()
        self._ctrl: set[int] = set()
        self._caps = False
        self._chars: list[str] = []

    def feed(self, event: InputEvent) -> str | None:
        """Takes one event; returns a finished code when this event ends one."""
        if event.type != EV_KEY:
            return None
        code, value = event.code, event.value
        if code in (KEY_LEFTSHIFT, KEY_RIGHTSHIFT):
            (self._shift.add if value else self._shift.discard)(code)
            return None
        if code in (KEY_LEFTCTRL, KEY_RIGHTCTRL):
            (self._ctrl.add if value else self._ctrl.discard)(code)
            return None
        if value != KEY_PRESS:
            return None  # releases carry nothing; a scanner never holds a key to repeat it
        if code == KEY_CAPSLOCK:
            self._caps = not self._caps
            return None
        if code in (KEY_ENTER, KEY_KPENTER) or (code == KEY_TAB and self.end_on_tab):
            done, self._chars = "".join(self._chars), []
            return done or None
        pair = US_KEYMAP.get(code)
        if pair is None:
            return None  # function keys and the like are not part of a barcode
        char = pair[1] if self._shift else pair[0]
        if self._caps and char.isalpha():
            char = char.swapcase()
        if self._ctrl:
            char = _control(char)
            if not char:
                return None
        self._chars.append(char)
        if len(self._chars) > MAX_CODE:
            self._chars.clear()
        return None


def _control(char: str) -> str:
    upper = char.upper()
    if "@" <= upper <= "_":  # Ctrl+A is 0x01 … Ctrl+] is 0x1D (GS), as on a terminal
        return chr(ord(upper) - 0x40)
    return ""


def key_events(text: str, *, start: float = 0.0, gap: float = 0.004) -> list[InputEvent]:
    """The events a HID scanner sends for `text` then Enter (for tests and demos): press and
    release per key with shift where needed, each with its MSC_SCAN and SYN_REPORT."""
    by_char: dict[str, tuple[int, bool]] = {}
    for code, (plain, shifted) in sorted(US_KEYMAP.items(), reverse=True):
        by_char[shifted] = (code, True)
        by_char[plain] = (code, False)  # the main block wins over the keypad for digits
    events: list[InputEvent] = []
    moment = start

    def emit(type_: int, code: int, value: int) -> None:
        sec = int(moment)
        events.append(InputEvent(sec, int((moment - sec) * 1_000_000), type_, code, value))

    def tap(code: int, shift: bool) -> None:
        nonlocal moment
        if shift:
            emit(EV_KEY, KEY_LEFTSHIFT, KEY_PRESS)
        for value in (KEY_PRESS, KEY_RELEASE):
            emit(EV_MSC, 4, 0x70000 + code)  # MSC_SCAN: the HID usage, as real keyboards send
            emit(EV_KEY, code, value)
            emit(EV_SYN, 0, 0)
        if shift:
            emit(EV_KEY, KEY_LEFTSHIFT, KEY_RELEASE)
            emit(EV_SYN, 0, 0)
        moment += gap

    for char in text:
        if char not in by_char:
            raise ValueError(f"{char!r} has no key on a US keyboard")
        tap(*by_char[char])
    tap(KEY_ENTER, False)
    return events


class Scanner(Protocol):
    name: str

    def open(self) -> None:
        """Opens (and grabs) the device, or raises ScannerError."""
        ...

    def codes(self, stop: threading.Event) -> Iterator[str]:
        """Scanned codes as they come, until `stop` is set; raises ScannerError on unplug."""
        ...

    def close(self) -> None: ...


class EvdevScanner:
    """A HID scanner's /dev/input/eventN, grabbed so the window never sees its keys."""

    def __init__(self, path: str, *, grab: bool = True, poll: float = 0.2) -> None:
        self.path = path
        self.grab = grab
        self.poll = poll
        self.name = f"scanner on {path}"
        self._fd: int | None = None

    def __repr__(self) -> str:
        return f"EvdevScanner({self.path!r}, grab={self.grab})"

    def open(self) -> None:
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except FileNotFoundError:
            raise ScannerError(f"The {self.name} is not there. Check that it is plugged in.") from None
        except PermissionError:
            raise ScannerError(
                f"The {self.name} cannot be read (permission denied). The kiosk user needs the input group."
            ) from None
        if self.grab:
            try:
                fcntl.ioctl(fd, EVIOCGRAB, 1)
            except OSError as exc:
                os.close(fd)
                if exc.errno == errno.EBUSY:
                    raise ScannerError(f"The {self.name} is already taken by another program.") from None
                raise ScannerError(
                    f"The {self.name} cannot be grabbed ({exc.strerror}); is it an input device?"
                ) from None
        self._fd = fd

    def codes(self, stop: threading.Event) -> Iterator[str]:
        fd = self._fd
        if fd is None:
            raise ScannerError(f"The {self.name} is not open.")
        decoder = KeyDecoder()
        pending = b""
        while not stop.is_set():
            ready, _, _ = select.select([fd], [], [], self.poll)
            if not ready:
                continue
            try:
                chunk = os.read(fd, INPUT_EVENT.size * 64)
            except BlockingIOError:
                continue
            except OSError as exc:  # ENODEV: unplugged
                raise ScannerError(f"The {self.name} was disconnected ({exc.strerror}).") from None
            if not chunk:
                if not self.grab:
                    # A recording (file or pipe) has ended: nothing more will come.
                    return
                raise ScannerError(f"The {self.name} was disconnected.")
            events, pending = decode_events(pending + chunk)
            for event in events:
                code = decoder.feed(event)
                if code is not None:
                    yield code

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        if self.grab:
            try:
                fcntl.ioctl(fd, EVIOCGRAB, 0)
            except OSError:
                pass  # gone with the device; the grab went with it
        os.close(fd)


class SerialScanner:
    """A serial scanner: each code ends with CR, LF or both."""

    def __init__(self, port: str, *, baudrate: int = 9600, poll: float = 0.2) -> None:
        self.port = port
        self.baudrate = baudrate
        self.poll = poll
        self.name = f"scanner on {port}"
        self._serial: serial.Serial | None = None

    def __repr__(self) -> str:
        return f"SerialScanner({self.port!r}, baudrate={self.baudrate})"

    def open(self) -> None:
        import serial

        try:
            self._serial = serial.Serial(self.port, self.baudrate, timeout=self.poll)
        except (serial.SerialException, ValueError) as exc:
            raise ScannerError(f"The {self.name} cannot be opened ({exc}). Check the cable and the port.") from None

    def codes(self, stop: threading.Event) -> Iterator[str]:
        import serial

        port = self._serial
        if port is None:
            raise ScannerError(f"The {self.name} is not open.")
        buffer = bytearray()
        while not stop.is_set():
            try:
                chunk = port.read(port.in_waiting or 1)
            except (serial.SerialException, OSError) as exc:
                raise ScannerError(f"The {self.name} was disconnected ({exc}).") from None
            if not chunk:
                continue
            buffer += chunk
            while True:
                ends = [i for i in (buffer.find(b"\r"), buffer.find(b"\n")) if i >= 0]
                if not ends:
                    break
                end = min(ends)
                raw, buffer = bytes(buffer[:end]), buffer[end + 1 :]
                code = _clean(raw)
                if code:
                    yield code
            if len(buffer) > MAX_CODE:
                buffer.clear()  # noise on the line, or the wrong baud rate

    def close(self) -> None:
        port, self._serial = self._serial, None
        close_quietly(port)


def _clean(raw: bytes) -> str:
    """Printable ASCII plus GS (GS1's field separator); the wrong baud rate gives junk
    above 0x7F, which must not reach a sale as a barcode."""
    text = raw.decode("latin-1")
    if any(ord(ch) > 0x7E for ch in text):
        return ""
    return "".join(ch for ch in text if ch >= " " or ch == "\x1d").strip()


def scanner_from_spec(spec: str) -> Scanner:
    text = spec.strip()
    location, _, query = text.partition("?")
    options: dict[str, str] = {}
    for part in query.split("&") if query else []:
        key, eq, value = part.partition("=")
        if not eq:
            raise ScannerSpecError(f"scanner spec {spec!r}: option {part!r} is not name=value")
        options[key] = value
    kind, colon, path = location.partition(":")
    if location.startswith("/"):
        kind, path = "evdev", location
    elif not colon:
        raise ScannerSpecError(f"scanner spec {spec!r}: write evdev:/dev/input/… or serial:/dev/tty…")
    if not path.startswith("/"):
        raise ScannerSpecError(f"scanner spec {spec!r}: the device path must be absolute")
    scanner: Scanner
    if kind == "evdev":
        grab = options.pop("grab", "on").lower()
        if grab not in ("on", "off"):
            raise ScannerSpecError(f"scanner spec {spec!r}: grab is on or off")
        scanner = EvdevScanner(path, grab=grab == "on")
    elif kind == "serial":
        try:
            baud = int(options.pop("baud", "9600"))
        except ValueError:
            raise ScannerSpecError(f"scanner spec {spec!r}: baud must be a number") from None
        scanner = SerialScanner(path, baudrate=baud)
    else:
        raise ScannerSpecError(f"scanner spec {spec!r}: {kind!r} is not evdev or serial")
    if options:
        raise ScannerSpecError(f"scanner spec {spec!r}: unknown option {', '.join(sorted(options))}")
    return scanner


def run_scanner(
    scanner: Scanner,
    publish: Callable[[str], None],
    stop: threading.Event,
    on_problem: Callable[[str | None], None] = lambda _: None,
    *,
    first_retry: float = 1.0,
    max_retry: float = 10.0,
) -> None:
    """Reads `scanner` until `stop`: each code goes to `publish`; after an unplug or a
    failed open it tries again, 1 s then doubling to 10 s. `on_problem` hears what is wrong
    (None once it reads again)."""
    pause = first_retry
    while not stop.is_set():
        try:
            scanner.open()
            on_problem(None)
            pause = first_retry
            for code in scanner.codes(stop):
                publish(code)
            if not stop.is_set():
                log.info("%s: no more input", scanner.name)
                return  # a recording that ended
        except ScannerError as exc:
            on_problem(str(exc))
            log.warning("%s", exc)
        finally:
            scanner.close()
        if stop.wait(pause):
            return
        pause = min(pause * 2, max_retry)
