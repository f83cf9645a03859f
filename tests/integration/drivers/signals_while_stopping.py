"""`python signals_while_stopping.py ARGS...`: `comptoir ARGS...` in which a SIGTERM handler, once
one runs, is sent SIGTERM again between each of its lines (50 times at most), and each one is
handled there and then.

That is what a simulator's parent dying looks like from inside: PR_SET_PDEATHSIG sends the
signal once per thread of the parent that exits, microseconds apart, so a second SIGTERM can
land while the first one's handler runs. Sending them from outside would only hit that moment
by luck; the trace makes it happen on every line."""

from __future__ import annotations

import signal
import sys
from types import FrameType
from typing import Any

from appliance.cli import main

MORE = 50

_install = signal.signal


def _between_lines(handler: Any) -> Any:
    left = [MORE]
    running = [False]

    def trace(frame: FrameType, event: str, arg: object) -> Any:
        if event == "line" and left[0] > 0:
            left[0] -= 1
            # Handled as soon as raise_signal returns, in the middle of the handler below.
            signal.raise_signal(signal.SIGTERM)
        return trace

    def handle(signum: int, frame: FrameType | None) -> None:
        if running[0]:  # one sent by the trace: handled as it comes
            handler(signum, frame)
            return
        running[0] = True
        sys.settrace(trace)
        try:
            handler(signum, frame)
        finally:
            sys.settrace(None)
            running[0] = False

    return handle


def _installing(signum: int, handler: Any) -> Any:
    if signum == signal.SIGTERM and callable(handler):
        handler = _between_lines(handler)
    return _install(signum, handler)


if __name__ == "__main__":
    signal.signal = _installing  # type: ignore[assignment]
    raise SystemExit(main(sys.argv[1:]))
