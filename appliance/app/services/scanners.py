"""The till's barcode scanners: each configured one read on its own thread, every scan
published to the cashier screen's event stream (`GET /api/v1/scans/stream`)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from appliance.app.services.broadcast import Broadcast
from appliance.drivers.scanner import Scanner, ScannerSpecError, run_scanner, scanner_from_spec

log = logging.getLogger(__name__)


@dataclass
class ScannerState:
    spec: str
    scanner: Scanner | None
    problem: str | None = None
    scans: int = 0


class ScannerHub:
    def __init__(self, specs: tuple[str, ...] = (), *, first_retry: float = 1.0, max_retry: float = 10.0) -> None:
        self.scans = Broadcast(keep=64, replay=0)
        self.first_retry = first_retry
        self.max_retry = max_retry
        self.states: list[ScannerState] = []
        for spec in specs:
            try:
                self.states.append(ScannerState(spec, scanner_from_spec(spec)))
            except ScannerSpecError as exc:
                # The till still sells with the keyboard; the fault shows in `devices list`.
                log.error("%s", exc)
                self.states.append(ScannerState(spec, None, problem=str(exc)))
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def publish(self, code: str, source: str = "") -> None:
        self.scans.publish({"code": code, "source": source, "at": time.time()})

    def start(self) -> ScannerHub:
        for index, state in enumerate(self.states):
            if state.scanner is None:
                continue
            thread = threading.Thread(target=self._run, args=(state,), name=f"scanner-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def _run(self, state: ScannerState) -> None:
        scanner = state.scanner
        assert scanner is not None

        def publish(code: str) -> None:
            state.scans += 1
            self.publish(code, state.spec)

        def problem(text: str | None) -> None:
            state.problem = text

        run_scanner(scanner, publish, self._stop, problem, first_retry=self.first_retry, max_retry=self.max_retry)

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()
        self.scans.close()
