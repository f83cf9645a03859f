"""A till loads the libraries of the devices its config names, and only those.

python-escpos (with Pillow, qrcode and python-barcode behind it), pyusb, pyserial and httpx
were most of a cold start, and a till with no printer, scanner, pole display or card gateway
(as `comptoir init` and `make run` write comptoir.toml) never uses them. Each case starts the
server's own start-up in a fresh interpreter: the config read, the app built as `comptoir
serve` builds it, and its lifespan run as uvicorn runs it (which starts the devices).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from appliance.app.services.setup import NewStore, init_store

ROOT = Path(__file__).parents[2]

DRIVERS = ("escpos", "usb", "serial", "evdev", "qrcode", "barcode", "PIL", "httpx")
# The payment terminal's drivers and the nexo message protection they need.
TERMINAL_DRIVERS = (
    "appliance.drivers.terminal_nexo",
    "appliance.drivers.terminal_caisse_ap",
    "appliance.drivers.nexo_protocol",
)

# What `comptoir serve` does up to its first request, then the modules it holds.
START = """
import asyncio, json, sys
from uvicorn.lifespan.on import LifespanOn
from appliance.app.server import build
from appliance.config import load

shop, server = build(load(sys.argv[1], port=1))
server.config.load()
lifespan = LifespanOn(server.config)

async def start_and_stop():
    await lifespan.startup()
    started = not lifespan.startup_failed and shop.devices is not None
    await lifespan.shutdown()
    return started

started = asyncio.run(start_and_stop())
shop.close()
loaded = sorted({m.split(".")[0] for m in sys.modules} | {m for m in sys.modules if m.startswith("appliance.drivers.")})
print(json.dumps({"started": started, "loaded": loaded}))
"""


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("till") / "data"
    shop, _ = init_store(directory, NewStore())
    shop.close()
    return directory


def loaded_at_start(data_dir: Path, **settings: str) -> set[str]:
    """The top-level packages and the appliance.drivers modules a till started with these
    COMPTOIR_* settings has loaded."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPTOIR_")}
    env.update({f"COMPTOIR_{name.upper()}": value for name, value in settings.items()})
    out = subprocess.run(
        [sys.executable, "-c", START, str(data_dir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout.strip().splitlines()[-1])
    assert answer["started"], out.stderr
    return set(answer["loaded"])


def start(data_dir: Path, **settings: str) -> set[str]:
    """The device libraries a till started with these COMPTOIR_* settings has loaded."""
    return loaded_at_start(data_dir, **settings) & set(DRIVERS)


def test_a_till_with_no_device_loads_no_driver(data_dir: Path) -> None:
    assert start(data_dir) == set()


def test_a_till_with_no_terminal_loads_no_terminal_driver(data_dir: Path) -> None:
    assert loaded_at_start(data_dir) & set(TERMINAL_DRIVERS) == set()


def test_a_till_with_a_caisse_ap_terminal_loads_that_driver_only(data_dir: Path) -> None:
    # The control of the test above: the same start-up with a terminal does load one.
    # Nothing listens there; a fresh store has no transaction in flight to ask about.
    loaded = loaded_at_start(data_dir, terminal_url="caisse-ap://127.0.0.1:9")
    assert loaded & set(TERMINAL_DRIVERS) == {"appliance.drivers.terminal_caisse_ap"}


def test_a_till_with_a_printer_loads_python_escpos_at_start(data_dir: Path) -> None:
    # At start rather than at the first receipt: escpos_receipt.load_escpos says why.
    assert {"escpos", "qrcode", "barcode", "PIL"} <= start(data_dir, printer="memory")


def test_a_till_with_a_card_gateway_loads_httpx_and_no_printer_library(data_dir: Path) -> None:
    # Nothing listens there; a fresh store has no payment in flight to look up at start.
    assert start(data_dir, gateway_url="http://127.0.0.1:9") == {"httpx"}


LOADED_BY_SPEC = """
import json, sys
from appliance.drivers.printer_spec import printer_from_spec
printer_from_spec(sys.argv[1])
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} & {"usb", "serial", "escpos"})))
"""


@pytest.mark.parametrize(
    ("spec", "loaded"),
    [
        ("none", []),
        ("tcp://127.0.0.1:9100", []),
        ("/dev/usb/lp0", []),
        ("usb:04b8:0202", ["usb"]),
        ("serial:/dev/ttyUSB0?baud=19200", ["serial"]),
    ],
)
def test_the_printer_factory_imports_only_the_kind_it_builds(spec: str, loaded: list[str]) -> None:
    out = subprocess.run(
        [sys.executable, "-c", LOADED_BY_SPEC, spec], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(out.stdout) == loaded
