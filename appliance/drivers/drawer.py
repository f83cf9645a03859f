"""The cash drawer hangs off the receipt printer's drawer port: the printer pulses a
solenoid when it reads ESC p. Which pin (2 or 5) and how long a pulse the solenoid needs
depend on the drawer, so both come from config.
"""

from __future__ import annotations

from dataclasses import dataclass

ESC = 0x1B

# ESC p counts its pulse times in units of 2 ms, in one byte.
_UNIT_MS = 2
_MAX_MS = 255 * _UNIT_MS


@dataclass(frozen=True)
class DrawerKick:
    pin: int = 2
    on_ms: int = 100
    off_ms: int = 100

    def __post_init__(self) -> None:
        if self.pin not in (2, 5):
            raise ValueError(f"a cash drawer is wired to pin 2 or pin 5, not pin {self.pin}")
        for label, ms in (("on", self.on_ms), ("off", self.off_ms)):
            if not _UNIT_MS <= ms <= _MAX_MS:
                raise ValueError(f"drawer pulse {label} time must be {_UNIT_MS} to {_MAX_MS} ms, not {ms}")

    def command(self) -> bytes:
        """ESC p m t1 t2: m is 0 for pin 2 and 1 for pin 5; times in 2 ms units."""
        m = 0 if self.pin == 2 else 1
        return bytes((ESC, ord("p"), m, self.on_ms // _UNIT_MS, self.off_ms // _UNIT_MS))
