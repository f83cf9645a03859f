"""`comptoir serve` with the real payment terminal driver of COMPTOIR_TERMINAL_URL, its
desk's timings set by the chaos test and the bench:
`python -m tests.integration.terminal.sim_till_server TIMEOUT WINDOW ANSWER_WAIT -- serve ARGS…`.

The till's defaults (a customer may take 120 s, a request may be in flight 10 s) are right
for a shop and make a chaos run of a minute settle only a handful of sales; nothing else
differs from `comptoir serve`."""

from __future__ import annotations

import functools
import sys

from appliance.app.services import devices
from appliance.cli import main


def run(argv: list[str]) -> int:
    timeout, window, answer_wait = (float(a) for a in argv[:3])
    devices.start_terminal = functools.partial(
        devices.start_terminal, timeout=timeout, in_flight_window=window, answer_wait=answer_wait
    )
    return main(argv[4:] if argv[3] == "--" else argv[3:])


if __name__ == "__main__":
    raise SystemExit(run(sys.argv[1:]))
