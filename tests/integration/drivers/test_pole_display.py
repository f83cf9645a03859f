"""A pole display over a pseudo-terminal: a small emulator of the ESC/POS display commands
reads what we send into a 2 x 20 grid of characters, as the customer would see it."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator

import pytest

from appliance.drivers.pole_display import PoleDisplay, PoleDisplayError
from tests.fakes.serial_port import serial_pty


class PoleEmulator:
    """Understands ESC @, CLR, US $ n m and US C n; anything else is an error."""

    def __init__(self) -> None:
        self.grid = [[" "] * 20 for _ in range(2)]
        self.col, self.row = 0, 0
        self.cursor = True
        self.unknown: list[bytes] = []
        self._buf = b""

    @property
    def lines(self) -> list[str]:
        return ["".join(r) for r in self.grid]

    def feed(self, data: bytes) -> None:
        self._buf += data
        while self._buf:
            b = self._buf[0]
            if b == 0x1B and len(self._buf) >= 2 and self._buf[1] == ord("@"):
                rest = self._buf[2:]
                self.__init__()  # type: ignore[misc]
                self._buf = rest
            elif b == 0x0C:
                self.grid = [[" "] * 20 for _ in range(2)]
                self.col, self.row = 0, 0
                self._buf = self._buf[1:]
            elif b == 0x1F and len(self._buf) >= 4 and self._buf[1] == ord("$"):
                self.col, self.row = self._buf[2] - 1, self._buf[3] - 1
                self._buf = self._buf[4:]
            elif b == 0x1F and len(self._buf) >= 3 and self._buf[1] == ord("C"):
                self.cursor = bool(self._buf[2])
                self._buf = self._buf[3:]
            elif b in (0x1B, 0x1F) and len(self._buf) < 4:
                return  # the rest of the command is still on its way
            elif 0x20 <= b <= 0x7E:
                if self.col < 20:
                    self.grid[self.row][self.col] = chr(b)
                self.col += 1
                self._buf = self._buf[1:]
            else:
                self.unknown.append(self._buf[:1])
                self._buf = self._buf[1:]


@pytest.fixture
def pty_pair() -> Iterator[tuple[int, str]]:
    with serial_pty() as port:
        yield port


def read_into(master: int, pole: PoleEmulator, until_line: str, timeout: float = 3.0) -> None:
    os.set_blocking(master, False)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(BlockingIOError):
            pole.feed(os.read(master, 4096))
        if until_line in pole.lines:
            return
        time.sleep(0.01)
    raise AssertionError(f"display shows {pole.lines}")


def test_two_lines_reach_the_display(pty_pair: tuple[int, str]) -> None:
    master, path = pty_pair
    display, pole = PoleDisplay(path), PoleEmulator()
    try:
        display.show("Café crème      3.20", "TOTAL          12.50")
        read_into(master, pole, "TOTAL          12.50")
        assert pole.lines == ["Cafe creme      3.20", "TOTAL          12.50"]
        assert not pole.cursor and pole.unknown == []
        display.show("Bread", "")  # a shorter screen leaves nothing of the last one behind
        read_into(master, pole, "Bread" + " " * 15)
        assert pole.lines == ["Bread" + " " * 15, " " * 20]
    finally:
        display.close()


def test_a_display_that_is_not_there(pty_pair: tuple[int, str]) -> None:
    with pytest.raises(PoleDisplayError, match="cannot be opened"):
        PoleDisplay("/dev/ttyNOSUCH").show("x")
