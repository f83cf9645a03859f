"""The simulated payment terminals as real processes for the browser tests
(`comptoir terminal-sim serve --protocol nexo|caisse-ap`), each on a free loopback port
with its state file in a folder of its own; `tell` and `records` go through the same CLI.

- `simulator(protocol, folder)`: a context manager giving a `Sim` (its `url` for the till's
  terminal_url, `tell(*behaviours)`, `records()`, and `install(shop)`, the `then=` of the
  `shop` fixture that puts the nexo terminal's passphrase and CA in the store's key dir, as
  a shop owner copies them).

The nexo one is set up as a shop sets up an Adyen terminal's Display URL: it POSTs its
display notifications to a port of the till's (`display` in the URL), so that the till shows
the terminal's live state (waiting for the card, the PIN).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appliance.app.services.shop import Shop
from appliance.drivers.nexo_protocol import CA_FILE, PASSPHRASE_FILE
from appliance.drivers.nexo_sim_answers import POIID
from appliance.drivers.terminal_sim_nexo import KEY_ID
from appliance.security.keys import key_dir_for
from tests.e2e.conftest import free_port

CLI = (sys.executable, "-m", "appliance", "terminal-sim")


@dataclass(frozen=True)
class Sim:
    protocol: str
    port: int
    folder: Path
    display_port: int = 0  # where the till hears the nexo terminal's display notifications

    @property
    def state(self) -> Path:
        return self.folder / "terminal-state.json"

    @property
    def url(self) -> str:
        if self.protocol == "nexo":
            return (
                f"nexo://127.0.0.1:{self.port}?poi={POIID}&key_id={KEY_ID}&sale_id=kiosk-1"
                f"&display=127.0.0.1:{self.display_port}"
            )
        # The simulator searches its journal by our reference, and the shop sells in CAD.
        return f"caisse-ap://127.0.0.1:{self.port}?caisse=01&currency=CAD&lookup=journal"

    def _cli(self, *args: str) -> str:
        done = subprocess.run(
            [*CLI, *args, "--protocol", self.protocol, "--state", str(self.state)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def tell(self, *behaviours: str) -> None:
        self._cli("tell", *behaviours)

    def records(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = json.loads(self._cli("records"))
        return found

    def install(self, shop: Shop) -> None:
        if self.protocol != "nexo":
            return  # Caisse-AP over IP has no key
        keys = key_dir_for(shop.data_dir)
        for name in (PASSPHRASE_FILE, CA_FILE):
            shutil.copy2(self.folder / name, keys / name)  # keeps the passphrase's mode 0600


@contextlib.contextmanager
def simulator(protocol: str, folder: Path) -> Iterator[Sim]:
    sim = Sim(protocol, free_port(), folder, free_port() if protocol == "nexo" else 0)
    proc = subprocess.Popen(
        [*CLI, "serve", "--protocol", protocol, "--port", str(sim.port), "--state", str(sim.state)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:  # listening once it takes a connection (the nexo one has written its keys)
            try:
                socket.create_connection(("127.0.0.1", sim.port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the {protocol} terminal simulator did not start") from None
                time.sleep(0.05)
        if protocol == "nexo":
            sim.tell(f"display=http://127.0.0.1:{sim.display_port}/")
        yield sim
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
