"""Printers behind a device file: /dev/usb/lp0 (the kernel's usblp driver), a parallel
port, or a plain file for development.

Writes are non-blocking with a deadline: usblp blocks a writer for as long as the printer
does not take data (paper out, cover open), which would hang the print queue for good.
"""

from __future__ import annotations

import errno
import fcntl
import os
import select
import stat
import struct
import time
from pathlib import Path

from appliance.drivers.printer import (
    BAD_CONFIG,
    DISCONNECTED,
    FAULT,
    OFFLINE,
    PAPER_OUT,
    PrinterError,
    PrinterStatus,
)

# linux/lp.h: LPGETSTATUS reads the port status byte (for usblp, the USB printer class
# GET_PORT_STATUS answer).
LPGETSTATUS = 0x060B
_LP_PAPER_EMPTY = 0x20
_LP_SELECTED = 0x10
_LP_NO_ERROR = 0x08


class FilePrinter:
    def __init__(self, path: str | Path, *, timeout: float = 10.0) -> None:
        self.path = Path(path)
        self.timeout = timeout

    @property
    def where(self) -> str:
        return f"The receipt printer at {self.path}"

    def __repr__(self) -> str:
        return f"FilePrinter({str(self.path)!r})"

    def _is_device(self) -> bool:
        return str(self.path).startswith("/dev/")

    def _open(self, *, create: bool = True) -> int:
        flags = os.O_WRONLY | os.O_APPEND | os.O_NONBLOCK | os.O_CLOEXEC
        if create and not self._is_device():
            # Only a plain file may be created: creating /dev/usb/lp0 while the printer is
            # unplugged would quietly send every receipt into a file.
            flags |= os.O_CREAT
        try:
            return os.open(self.path, flags, 0o600)
        except OSError as exc:
            raise self._error(exc) from None

    def _error(self, exc: OSError) -> PrinterError:
        code = exc.errno
        if code in (errno.ENOENT, errno.ENODEV, errno.ENXIO, errno.EPIPE):
            return PrinterError(
                f"{self.where} is not connected. Check the cable and that it is on.",
                DISCONNECTED,
                detail="not connected",
            )
        if code in (errno.EACCES, errno.EPERM):
            return PrinterError(
                f"{self.where} cannot be opened: permission denied. The kiosk user needs to "
                "be in the printer's group (usually lp).",
                BAD_CONFIG,
                detail="permission denied",
            )
        if code == errno.ENOSPC:
            return PrinterError(f"{self.where} is out of paper. Load a new roll.", PAPER_OUT, detail="no paper")
        if code in (errno.EIO, errno.EBUSY):
            return PrinterError(
                f"{self.where} is offline or busy ({exc.strerror}). Check that it is on.",
                OFFLINE,
                detail=exc.strerror or "offline",
            )
        return PrinterError(f"{self.where} failed: {exc.strerror or exc}.", FAULT, detail=str(exc.strerror))

    def _port_status(self, fd: int) -> PrinterStatus:
        if not stat.S_ISCHR(os.fstat(fd).st_mode):
            return PrinterStatus.not_answering()
        try:
            raw = fcntl.ioctl(fd, LPGETSTATUS, struct.pack("i", 0))
        except OSError:
            return PrinterStatus.not_answering()
        (value,) = struct.unpack("i", raw)
        return PrinterStatus(
            online=bool(value & _LP_SELECTED),
            paper_out=bool(value & _LP_PAPER_EMPTY),
            error=not value & _LP_NO_ERROR,
        )

    def send(self, data: bytes) -> None:
        fd = self._open()
        try:
            self._port_status(fd).raise_problem(self.where)
            self._write_all(fd, data)
        finally:
            os.close(fd)

    def _write_all(self, fd: int, data: bytes) -> None:
        deadline = time.monotonic() + self.timeout
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        view = memoryview(data)
        while view:
            left = deadline - time.monotonic()
            if left <= 0:
                raise PrinterError(
                    f"{self.where} stopped taking data for {self.timeout:g} s "
                    "(paper, cover, or switched off?); the receipt may be incomplete.",
                    OFFLINE,
                    detail="not taking data",
                )
            poller.poll(int(left * 1000) + 1)
            try:
                written = os.write(fd, view)
            except BlockingIOError:
                continue
            except OSError as exc:
                raise self._error(exc) from None
            view = view[written:]

    def status(self) -> PrinterStatus:
        try:
            fd = self._open(create=False)
        except PrinterError as exc:
            return PrinterStatus(online=False, detail=exc.detail)
        try:
            return self._port_status(fd)
        finally:
            os.close(fd)

    def close(self) -> None:
        pass  # opened per job: a printer switched off and on gets a new device node
