"""Network receipt printers: raw TCP on port 9100 (JetDirect / "AppSocket").

A connection per job: printers accept one client at a time and drop idle ones, so a held
connection would block other tills and fail at the next job anyway.
"""

from __future__ import annotations

import socket

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

DEFAULT_PORT = 9100


class NetworkPrinter:
    def __init__(
        self,
        host: str,
        port: int = DEFAULT_PORT,
        *,
        timeout: float = 5.0,
        status: bool = True,
        status_timeout: float = 1.0,
    ) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.check_status = status
        self.status_timeout = status_timeout

    @property
    def where(self) -> str:
        return f"The receipt printer at {self.host}:{self.port}"

    def __repr__(self) -> str:
        return f"NetworkPrinter({self.host!r}, {self.port})"

    def _connect(self) -> socket.socket:
        try:
            return socket.create_connection((self.host, self.port), timeout=self.timeout)
        except ConnectionRefusedError:
            why = "it refuses connections"
        except TimeoutError:
            why = f"no answer within {self.timeout:g} s"
        except socket.gaierror:
            why = f"the name {self.host!r} cannot be resolved"
        except OSError as exc:
            why = exc.strerror or str(exc)
        raise PrinterError(
            f"{self.where} cannot be reached ({why}). Check that it is on and connected.",
            OFFLINE,
            detail=why,
        )

    def _ask(self, sock: socket.socket, n: int, timeout: float) -> int | None:
        sock.settimeout(timeout)
        sock.sendall(status_query(n))
        try:
            while True:
                answer = sock.recv(1)
                if not answer:
                    raise PrinterError(f"{self.where} closed the connection.", DISCONNECTED)
                if is_status_byte(answer[0]):
                    return answer[0]
        except TimeoutError:
            return None

    def send(self, data: bytes) -> None:
        sock = self._connect()
        try:
            answering = self.check_status and ready_to_print(
                lambda n: self._ask(sock, n, self.status_timeout), self.where
            )
            sock.settimeout(self.timeout)
            sock.sendall(data)
            if answering:
                self._confirm(sock)
        except TimeoutError:
            raise PrinterError(
                f"{self.where} stopped taking data for {self.timeout:g} s; the receipt may be incomplete.",
                OFFLINE,
            ) from None
        except OSError as exc:
            raise PrinterError(
                f"{self.where} dropped the connection while printing ({exc.strerror or exc}); "
                "the receipt may be incomplete.",
                DISCONNECTED,
            ) from None
        finally:
            sock.close()

    def _confirm(self, sock: socket.socket) -> None:
        """A printer answers a status query only once every byte before it has arrived, so
        an answer proves the whole job was received (the kernel's send buffer does not)."""
        first = self._ask(sock, STATUS_PRINTER, self.timeout)
        if first is None:
            raise stopped_answering(self.where)
        after = read_status(lambda n: first if n == STATUS_PRINTER else self._ask(sock, n, self.status_timeout))
        after.raise_problem(self.where)

    def status(self) -> PrinterStatus:
        try:
            sock = self._connect()
        except PrinterError as exc:
            return PrinterStatus(online=False, detail=exc.detail)
        try:
            if not self.check_status:
                return PrinterStatus.not_answering()
            return read_status(lambda n: self._ask(sock, n, self.status_timeout))
        except PrinterError as exc:
            return PrinterStatus(online=False, detail=exc.detail)
        except OSError as exc:
            return PrinterStatus(online=False, detail=exc.strerror or str(exc))
        finally:
            sock.close()

    def close(self) -> None:
        pass  # nothing is held between jobs
