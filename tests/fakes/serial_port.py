"""A serial device's stand-in: a pseudo-terminal, raw (no echo, no line editing), whose far
end's path the app opens as it would /dev/ttyUSB0 while the test reads and writes the near end."""

from __future__ import annotations

import contextlib
import os
import tty
from collections.abc import Iterator


@contextlib.contextmanager
def serial_pty() -> Iterator[tuple[int, str]]:
    """(the near end's file descriptor, the far end's path); both closed after."""
    master, slave = os.openpty()
    tty.setraw(slave)
    try:
        yield master, os.ttyname(slave)
    finally:
        for fd in (master, slave):
            with contextlib.suppress(OSError):
                os.close(fd)
