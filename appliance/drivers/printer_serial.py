"""Serial receipt printers (RS-232, or a USB-serial adapter) through pyserial.

The port stays open between jobs (opening toggles DTR, which resets some printers) and is
reopened after any error, so that a printer switched off and on recovers by itself.
"""

from __future__ import annotations

import termios
import time

import serial

from appliance.drivers.printer import (
    DISCONNECTED,
    OFFLINE,
    STATUS_PRINTER,
    PrinterError,
    PrinterStatus,
    is_status_byte,
    read_status,
    ready_to_print,
    status_query,
    stopped_answering,
)
from appliance.drivers.serial_port import close_quietly

FLOW_CONTROLS = ("none", "rtscts", "dsrdtr", "xonxoff")


class SerialPrinter:
    def __init__(
        self,
        port: str,
        *,
        baudrate: int = 19200,
        flow: str = "none",
        timeout: float = 5.0,
        status: bool = True,
        status_timeout: float = 0.5,
    ) -> None:
        if flow not in FLOW_CONTROLS:
            raise ValueError(f"flow control is one of {', '.join(FLOW_CONTROLS)}, not {flow!r}")
        self.port = port
        self.baudrate = baudrate
        self.flow = flow
        self.timeout = timeout
        self.check_status = status
        self.status_timeout = status_timeout
        self._serial: serial.Serial | None = None

    @property
    def where(self) -> str:
        return f"The receipt printer on {self.port}"

    def __repr__(self) -> str:
        return f"SerialPrinter({self.port!r}, baudrate={self.baudrate})"

    def _open(self) -> serial.Serial:
        if self._serial is not None:
            return self._serial
        try:
            self._serial = serial.Serial(
                self.port,
                self.baudrate,
                timeout=self.status_timeout,
                write_timeout=self.timeout,
                rtscts=self.flow == "rtscts",
                dsrdtr=self.flow == "dsrdtr",
                xonxoff=self.flow == "xonxoff",
            )
        except (serial.SerialException, ValueError) as exc:
            raise PrinterError(
                f"{self.where} cannot be opened ({exc}). Check the cable and the port in the configuration.",
                DISCONNECTED,
                detail="cannot open port",
            ) from None
        return self._serial

    def _ask(self, port: serial.Serial, n: int, timeout: float) -> int | None:
        port.reset_input_buffer()  # stale bytes would be taken for this answer
        port.write(status_query(n))
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            port.timeout = left
            answer = port.read(1)  # one at a time: read(n) would wait for all n
            if answer and is_status_byte(answer[0]):
                return int(answer[0])
        return None

    def send(self, data: bytes) -> None:
        port = self._open()
        try:
            answering = self.check_status and ready_to_print(
                lambda n: self._ask(port, n, self.status_timeout), self.where
            )
            port.write(data)
            port.flush()
            if answering:
                # The answer comes only after every byte before the query: proof of delivery.
                if self._ask(port, STATUS_PRINTER, self.timeout) is None:
                    raise stopped_answering(self.where)
                read_status(lambda n: self._ask(port, n, self.status_timeout)).raise_problem(self.where)
        except serial.SerialTimeoutException:
            self.close()
            raise PrinterError(
                f"{self.where} stopped taking data (paper, cover, or switched off?); the receipt may be incomplete.",
                OFFLINE,
                detail="not taking data",
            ) from None
        except (serial.SerialException, OSError, termios.error) as exc:
            # termios.error: the line went away under tcflush (a USB adapter unplugged).
            self.close()
            raise PrinterError(
                f"{self.where} was disconnected ({exc}); the receipt may be incomplete.",
                DISCONNECTED,
                detail="disconnected",
            ) from None

    def status(self) -> PrinterStatus:
        try:
            port = self._open()
            if not self.check_status:
                return PrinterStatus.not_answering()
            return read_status(lambda n: self._ask(port, n, self.status_timeout))
        except PrinterError as exc:
            return PrinterStatus(online=False, detail=exc.detail)
        except (serial.SerialException, OSError, termios.error) as exc:
            self.close()
            return PrinterStatus(online=False, detail=str(exc))

    def close(self) -> None:
        port, self._serial = self._serial, None
        close_quietly(port)
