"""One settings object for the process, from the data dir's comptoir.toml and the
environment (environment wins), validated once at start.

Store-wide settings a manager changes (store name, taxes, currency) live in the store
itself, where changing them is audited; this file holds only what the machine needs to
start: where the data is, where to listen, what hardware is plugged in.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appliance.app.domain.errors import Invalid
from appliance.security.keys import key_dir_for
from appliance.security.passwords import Argon2Params

CONFIG_FILE = "comptoir.toml"
DEFAULT_PORT = 8787


class ConfigError(Exception):
    """A setting is missing or wrong; the message says which and how to fix it."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Config:
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    unix_socket: Path | None = None
    terminal_id: str = "T01"
    mode: str = "staffed"  # or "self_service": a customer alone at the screen
    printer: str = "none"
    printer_profile: str = "80mm"
    drawer_pin: int = 2  # the printer's drawer port pin the drawer is wired to: 2 or 5
    drawer_pulse_ms: int = 100  # how long the solenoid is driven; some drawers need longer
    scanners: tuple[str, ...] = ()  # e.g. ("evdev:/dev/input/by-id/…-event-kbd", "serial:/dev/ttyACM0")
    pole_display: str = "none"  # e.g. "serial:/dev/ttyUSB1?baud=9600"
    gateway_url: str | None = None
    # The payment terminal (PIN pad) card-present sales go to: nexo://HOST:PORT or
    # caisse-ap://HOST:PORT (appliance.drivers.terminal). None: no terminal at this till.
    terminal_url: str | None = None
    argon2: Argon2Params = field(default_factory=Argon2Params)
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "[::1]", "::1")
    # Where key files live when systemd does not hand the keys over: apart from data_dir
    # (security/keys.py: $COMPTOIR_KEY_DIR, key_dir here, else the sibling <data dir>-keys).
    key_dir: Path | None = None

    def validate(self) -> Config:
        if not is_loopback(self.host):
            raise ConfigError(
                f"refusing to listen on {self.host}: Comptoir serves on loopback only (127.0.0.1, ::1 or a UNIX socket)"
            )
        if not 1 <= self.port <= 65535:
            raise ConfigError(f"port {self.port} is out of range 1-65535")
        if self.mode not in ("staffed", "self_service"):
            raise ConfigError(f"mode must be staffed or self_service, not {self.mode!r}")
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,16}", self.terminal_id):
            raise ConfigError("terminal_id must be 1-16 letters, digits, - or _")
        if self.key_dir is not None and self.key_dir.is_relative_to(self.data_dir):
            raise ConfigError(
                f"key_dir {self.key_dir} is inside the data dir: keys are kept apart from the store they open"
            )
        if self.drawer_pin not in (2, 5):
            raise ConfigError(f"drawer_pin must be 2 or 5 (the printer's drawer port pins), not {self.drawer_pin}")
        if not 2 <= self.drawer_pulse_ms <= 510:
            # ESC p counts in 2 ms units in one byte: 2-510 ms is all a printer can be told.
            raise ConfigError(f"drawer_pulse_ms must be 2-510, not {self.drawer_pulse_ms}")
        if self.terminal_url is not None:
            from appliance.drivers.terminal import TerminalConfigError, parse_url

            try:
                parse_url(self.terminal_url)
            except TerminalConfigError as exc:
                raise ConfigError(str(exc)) from None
        self.argon2.check_floor()
        return self

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from None


def _specs(value: Any, name: str) -> tuple[str, ...]:
    """A list in the file, or comma-separated in the environment (device paths hold no commas)."""
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{name} must be a list of device specs, got {value!r}")
    return tuple(v.strip() for v in value if v.strip())


def load(data_dir: Path | str | None = None, **overrides: Any) -> Config:
    """The config for data_dir (or $COMPTOIR_DATA_DIR); keyword overrides come from the CLI."""
    raw_dir = data_dir or os.environ.get("COMPTOIR_DATA_DIR")
    if not raw_dir:
        raise ConfigError("no data dir: pass --data-dir DIR or set COMPTOIR_DATA_DIR")
    directory = Path(raw_dir).expanduser().resolve()
    values: dict[str, Any] = {}
    path = directory / CONFIG_FILE
    if path.exists():
        try:
            values = tomllib.loads(path.read_text(encoding="utf-8")).get("comptoir", {})
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: {exc}") from None
    env = {
        "host": "COMPTOIR_HOST",
        "port": "COMPTOIR_PORT",
        "unix_socket": "COMPTOIR_SOCKET",
        "terminal_id": "COMPTOIR_TERMINAL",
        "mode": "COMPTOIR_MODE",
        "printer": "COMPTOIR_PRINTER",
        "printer_profile": "COMPTOIR_PRINTER_PROFILE",
        "gateway_url": "COMPTOIR_GATEWAY_URL",
        "terminal_url": "COMPTOIR_TERMINAL_URL",
        "drawer_pin": "COMPTOIR_DRAWER_PIN",
        "drawer_pulse_ms": "COMPTOIR_DRAWER_PULSE_MS",
        "scanners": "COMPTOIR_SCANNERS",
        "pole_display": "COMPTOIR_POLE_DISPLAY",
    }
    for key, var in env.items():
        if os.environ.get(var):
            values[key] = os.environ[var]
    values.update({k: v for k, v in overrides.items() if v is not None})
    known = {
        "mode",
        "host",
        "port",
        "unix_socket",
        "terminal_id",
        "printer",
        "printer_profile",
        "gateway_url",
        "terminal_url",
        "argon2",
        "drawer_pin",
        "drawer_pulse_ms",
        "scanners",
        "pole_display",
        "key_dir",
    }
    unknown = set(values) - known
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(sorted(unknown))}")
    argon = values.get("argon2", {})
    cfg = Config(
        data_dir=directory,
        host=str(values.get("host", "127.0.0.1")),
        port=_int(values.get("port", DEFAULT_PORT), "port"),
        unix_socket=Path(values["unix_socket"]) if values.get("unix_socket") else None,
        terminal_id=str(values.get("terminal_id", "T01")),
        mode=str(values.get("mode", "staffed")),
        printer=str(values.get("printer", "none")),
        printer_profile=str(values.get("printer_profile", "80mm")),
        gateway_url=values.get("gateway_url"),
        terminal_url=values.get("terminal_url") or None,
        drawer_pin=_int(values.get("drawer_pin", 2), "drawer_pin"),
        drawer_pulse_ms=_int(values.get("drawer_pulse_ms", 100), "drawer_pulse_ms"),
        scanners=_specs(values.get("scanners", ()), "scanners"),
        pole_display=str(values.get("pole_display", "none")),
        key_dir=key_dir_for(directory),
        argon2=Argon2Params(
            time_cost=_int(argon.get("time_cost", 2), "argon2.time_cost"),
            memory_kib=_int(argon.get("memory_kib", 19 * 1024), "argon2.memory_kib"),
            parallelism=_int(argon.get("parallelism", 1), "argon2.parallelism"),
        ),
    )
    try:
        return cfg.validate()
    except Invalid as exc:
        raise ConfigError(exc.message) from None
