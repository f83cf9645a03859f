"""What every serial device here shares: a port that may vanish with its cable."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # pyserial itself is imported only by a device that opens a port: a till with no
    # serial device never loads it (tests/integration/test_start_imports.py).
    import serial


def close_quietly(port: serial.Serial | None) -> None:
    """Closes `port` if one is open; a port already gone with its cable cannot fail this."""
    if port is None:
        return
    import serial

    try:
        port.close()
    except (serial.SerialException, OSError):
        pass
