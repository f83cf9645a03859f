"""`comptoir serve` with the terminal double of the chaos test as its payment terminal:
`python -m tests.integration.terminal.till_server TERMINAL_URL WINDOW -- serve ARGS…`.

The double speaks no published protocol (the nexo and Caisse-AP drivers are not ours to
use here), so terminal_url cannot name it: this wraps the devices' start-up to hand the
till an HttpTerminal on the double, served by the test process, whose record of charges
survives every kill of this one."""

from __future__ import annotations

import sys

from appliance.app.services import devices
from appliance.app.services.shop import Shop
from appliance.cli import main
from tests.fakes.terminal import HttpTerminal


def run(argv: list[str]) -> int:
    url, window = argv[0], float(argv[1])
    started = devices.start

    def start(shop: Shop) -> devices.TillDevices:
        till = started(shop)
        devices.start_terminal(shop, till, HttpTerminal(url), in_flight_window=window, answer_wait=2.0)
        return till

    devices.start = start
    return main(argv[3:] if argv[2] == "--" else argv[2:])


if __name__ == "__main__":
    raise SystemExit(run(sys.argv[1:]))
