"""What every serial device here shares: a port that may vanish with its cable."""

from __future__ import annotations

import serial


def close_quietly(port: serial.Serial | None) -> None:
    """Closes `port` if one is open; a port already gone with its cable cannot fail this."""
    if port is None:
        return
    try:
        port.close()
    except (serial.SerialException, OSError):
        pass
