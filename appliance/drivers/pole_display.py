"""Serial pole displays: the 2 × 20 character screen on a post facing the customer.

They speak the ESC/POS customer-display commands (Epson DM-D and its many clones):
ESC @ resets, CLR (0x0C) clears, US $ n m moves the cursor to column n, row m (from 1),
US C 0 hides the cursor. We always write both whole lines, padded to 20, so that
whatever the last screen left behind is overwritten. The character set is plain ASCII:
accents are folded (é → e), because code pages differ from one display to the next.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

from appliance.drivers.serial_port import close_quietly

if TYPE_CHECKING:
    import serial  # imported as the display's port opens: a till without a pole never loads it

COLUMNS = 20
ROWS = 2

ESC, US, CLR = 0x1B, 0x1F, 0x0C
INIT = bytes((ESC, ord("@")))
CLEAR = bytes((CLR,))
CURSOR_OFF = bytes((US, ord("C"), 0))


class PoleDisplayError(Exception):
    """The display cannot be written; the message says what to check."""


def move(column: int, row: int) -> bytes:
    """US $ n m: the cursor to `column`, `row` (both from 1)."""
    if not (1 <= column <= COLUMNS and 1 <= row <= ROWS):
        raise ValueError(f"no position {column},{row} on a {COLUMNS}x{ROWS} display")
    return bytes((US, ord("$"), column, row))


def fold(text: str) -> str:
    """ASCII the display can show: accents dropped (é → e), the euro as EUR, anything with
    no ASCII form as ?, so a line keeps its width."""
    out = []
    for ch in text:
        if " " <= ch <= "~":
            out.append(ch)
        elif ch == "\u20ac":
            out.append("EUR")
        else:
            plain = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode("ascii")
            out.append("".join(c for c in plain if " " <= c <= "~") or "?")
    return "".join(out)


def row(left: str, right: str = "", width: int = COLUMNS) -> str:
    """`left` and `right` on one line of `width`; the left side gives way to the amount."""
    left, right = fold(left), fold(right)[:width]
    room = width - len(right) - (1 if right else 0)
    left = left[: max(room, 0)]
    return left + " " * (width - len(left) - len(right)) + right


def frame(top: str, bottom: str) -> bytes:
    """The bytes that put exactly these two lines on the screen."""
    lines = [fold(text)[:COLUMNS].ljust(COLUMNS) for text in (top, bottom)]
    return CLEAR + move(1, 1) + lines[0].encode("ascii") + move(1, 2) + lines[1].encode("ascii")


class PoleDisplay:
    """One display on a serial port. The port stays open; after an error it is reopened at
    the next write, so a display switched off and on comes back by itself."""

    def __init__(self, port: str, *, baudrate: int = 9600, timeout: float = 1.0) -> None:
        self.port = port
        self.baudrate = baudrate
        self.timeout = timeout
        self._serial: serial.Serial | None = None

    def __repr__(self) -> str:
        return f"PoleDisplay({self.port!r}, baudrate={self.baudrate})"

    def _open(self) -> serial.Serial:
        import serial

        if self._serial is None:
            try:
                port = serial.Serial(self.port, self.baudrate, timeout=self.timeout, write_timeout=self.timeout)
            except (serial.SerialException, ValueError) as exc:
                raise PoleDisplayError(f"The customer display on {self.port} cannot be opened ({exc}).") from None
            self._serial = port
            self._write(INIT + CURSOR_OFF)
        return self._serial

    def _write(self, data: bytes) -> None:
        import serial

        port = self._serial
        assert port is not None
        try:
            port.write(data)
            port.flush()
        except (serial.SerialException, OSError) as exc:
            self.close()
            raise PoleDisplayError(f"The customer display on {self.port} stopped taking data ({exc}).") from None

    def show(self, top: str, bottom: str = "") -> None:
        self._open()
        self._write(frame(top, bottom))

    def clear(self) -> None:
        self._open()
        self._write(CLEAR)

    def close(self) -> None:
        port, self._serial = self._serial, None
        close_quietly(port)


def pole_display_from_spec(spec: str) -> PoleDisplay | None:
    """`none`, or `serial:/dev/ttyUSB1?baud=9600` (9600 is what most poles ship with)."""
    text = spec.strip()
    if text.lower() in ("", "none"):
        return None
    location, _, query = text.partition("?")
    kind, colon, path = location.partition(":")
    if location.startswith("/"):
        kind, colon, path = "serial", ":", location
    if not colon or kind != "serial" or not path.startswith("/"):
        raise ValueError(f"pole display spec {spec!r}: write none or serial:/dev/ttyUSB1?baud=9600")
    baud = 9600
    for part in query.split("&") if query else []:
        key, _, value = part.partition("=")
        if key != "baud" or not value.isdigit():
            raise ValueError(f"pole display spec {spec!r}: the only option is baud=NUMBER")
        baud = int(value)
    return PoleDisplay(path, baudrate=baud)
