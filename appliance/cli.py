"""`comptoir`: every command a person types.

Bad usage exits 2 with one line saying what is wrong; a command that finds a problem it
was asked to look for (a broken audit chain, a damaged store) exits 1.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.resources
import json
import os
import re
import selectors
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from appliance import __version__, cli_parts
from appliance.app.domain.errors import DomainError
from appliance.config import Config, ConfigError, load
from appliance.processes import ended_with_us as _ended_with_us
from appliance.processes import free_port
from appliance.processes import port_free as _port_free
from appliance.processes import stop_child as _stop_child
from appliance.processes import stopped_by_term_and_hup as _stopped_by_term_and_hup
from appliance.security.keys import KeyError_, provider_for

if TYPE_CHECKING:
    from appliance.security.pan_scan import ScanReport

Command = Callable[[argparse.Namespace], int]


class UsageError(Exception):
    """Exit 2 with this message."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message}\n")


def _config(args: argparse.Namespace, **overrides: Any) -> Config:
    return load(getattr(args, "data_dir", None), **overrides)


def _shop(args: argparse.Namespace, **overrides: Any) -> Any:
    from appliance.app.services.opening import open_shop

    return open_shop(_config(args, **overrides))


def _shop_to_check(args: argparse.Namespace) -> Any:
    """The shop for a command that only checks the store: one a newer version moved beyond what
    this version reads (a rolled-back till) is checked as it is, and said so."""
    from appliance.app.services.opening import open_shop

    shop = open_shop(_config(args), checking=True)
    if shop.db.newer:
        newer = ", ".join(str(m) for m in shop.db.newer)
        print(f"comptoir: this store has migrations of a newer version: {newer}", file=sys.stderr)
    return shop


# -- store ----------------------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace) -> int:
    from appliance.app.services.setup import NewStore, init_store, parse_taxes
    from appliance.security.keys import SystemdCredential, key_dir_for

    data_dir = args.data_dir or os.environ.get("COMPTOIR_DATA_DIR")
    if not data_dir:
        raise UsageError("init needs --data-dir DIR (or COMPTOIR_DATA_DIR)")
    try:
        taxes = parse_taxes(args.taxes)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    new = NewStore(
        store_name=args.store_name,
        currency=args.currency.upper(),
        prices_include_tax=args.prices_include_tax,
        taxes=taxes,
        timezone=args.timezone,
    )
    directory = Path(os.path.abspath(Path(data_dir).expanduser()))
    if args.key_dir:
        key_dir = Path(os.path.abspath(Path(args.key_dir).expanduser()))
        if key_dir == directory or key_dir.is_relative_to(directory):
            raise UsageError(f"--key-dir {key_dir} is inside the data dir: keys are kept apart from the store")
        if (directory / "store.db").exists():
            raise UsageError(f"a store already exists in {directory}")
        if (directory / "comptoir.toml").exists():
            raise UsageError(f"{directory / 'comptoir.toml'} exists: set key_dir in it instead of --key-dir")
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        _write_config(directory, args.terminal, key_dir)
    shop, password = init_store(directory, new, terminal_id=args.terminal)
    directory = shop.data_dir
    _write_config(directory, args.terminal)
    shop.close()
    keys = key_dir_for(directory)
    where = {name: provider_for(name, directory) for name in ("store", "vault")}
    if all(isinstance(p, SystemdCredential) for p in where.values()):
        print(f"New store in {directory} (keys: the systemd credentials).")
    else:
        print(f"New store in {directory} (keys in {keys}, apart from the store; keep them out of its backups).")
    audit_key = provider_for("audit", directory).describe()
    print(f"Audit log key: {audit_key} (without it the audit log can be neither checked nor extended).")
    print("Admin account: admin")
    print(f"One-time password: {password}")
    print("It is shown once and must be changed at first login.")
    return 0


def _write_config(directory: Path, terminal: str, key_dir: Path | None = None) -> None:
    path = directory / "comptoir.toml"
    if not path.exists():
        where = f"key_dir = {json.dumps(str(key_dir))}\n" if key_dir is not None else ""
        path.write_text(
            "# Settings of this machine; the store's own settings live in the store.\n"
            "[comptoir]\n"
            f'terminal_id = "{terminal}"\n'
            'host = "127.0.0.1"\n'
            "port = 8787\n"
            'printer = "none"   # or /dev/usb/lp0, tcp://192.0.2.10:9100, usb:04b8:0202, serial:/dev/ttyUSB0\n'
            f"{where}",
            encoding="utf-8",
        )


def cmd_serve(args: argparse.Namespace) -> int:
    from appliance.app.server import serve

    cfg = _config(args, host=args.host, port=args.port, unix_socket=args.socket)
    return serve(cfg)


def cmd_run(args: argparse.Namespace) -> int:
    from appliance.shell import run

    cfg = _config(args, host=args.host, port=args.port)
    return run(cfg)


def cmd_demo(args: argparse.Namespace) -> int:
    """`make run`: a demo store (made on first start) served, with a window when there is a display."""
    from appliance.app.services import catalog
    from appliance.app.services.setup import NewStore, init_store
    from appliance.shell import run

    directory = Path(args.data_dir or ".demo-data").resolve()
    if not (directory / "store.db").exists():
        shop, password = init_store(
            directory,
            NewStore(store_name="Comptoir Demo Market", header=("123 Rue Saint-Denis, Montréal",)),
        )
        _write_config(directory, "T01")
        demo = (importlib.resources.files("appliance.app") / "demo" / "catalog.csv").read_text(encoding="utf-8")
        count = catalog.import_csv(shop, None, demo)
        shop.close()
        print(f"Demo store created in {directory} with {count} products.")
        print("Log in as: admin")
        print(f"One-time password: {password}   (shown once; you will choose a new one)")
    else:
        print(f"Using the demo store in {directory} (delete it to start over).")
    with (
        _stopped_by_term_and_hup(),
        _demo_acquirer(directory, args.port + 1) as gateway_url,
        _demo_terminal(directory, args.port + 2) as terminal_url,
    ):
        return run(load(directory, port=args.port, gateway_url=gateway_url, terminal_url=terminal_url))


def cmd_demo_store(args: argparse.Namespace) -> int:
    """`make run-store`: an office on PostgreSQL and two demo tills enrolled to it."""
    from appliance.demo_store import DemoStoreError, run

    try:
        return run(Path(args.dir), args.port)
    except DemoStoreError as exc:
        raise UsageError(f"demo-store: {exc}") from None


@contextlib.contextmanager
def _demo_acquirer(directory: Path, port: int) -> Iterator[str | None]:
    """The simulated card acquirer beside the demo store, so a newcomer can key a card in
    (test cards: docs/acquirer-protocol.md; the store rule keyed_card_payments is off, as on
    any new store, until the admin turns it on), on the port after the till's or, when that one is
    taken, on any free one; it stops with the demo, however the demo ends. A real gateway in
    the environment wins."""
    if os.environ.get("COMPTOIR_GATEWAY_URL"):
        yield None
        return
    from appliance.shell import wait_healthy

    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "appliance",
            "acquirer",
            "serve",
            "--port",
            str(port if _port_free(port) else 0),
            "--state",
            str(directory / "acquirer-state.json"),
        ],
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=_ended_with_us(),  # no thread of ours runs yet: safe between fork and exec
    )
    started = False
    try:
        url = _announced(proc, timeout=10)
        if url is None or not wait_healthy(url, timeout=10):
            _stop_child(proc)
            print("The simulated card acquirer did not start; card payments are off.")
            yield None
            return
        print(
            f"Simulated card acquirer listening on port {url.rsplit(':', 1)[1]} ({url}):"
            " a manager keys its test cards in (docs/acquirer-protocol.md) once the admin turns on"
            " keyed card payments (card not present) in Store rules.",
            flush=True,
        )
        started = True
        yield url
    finally:
        _stop_child(proc)
        if started:
            print("Simulated card acquirer stopped.", flush=True)


DEMO_TERMINALS = ("nexo", "caisse-ap", "none")
TERMINAL_SIM = (sys.executable, "-m", "appliance", "terminal-sim", "serve")


@contextlib.contextmanager
def _demo_terminal(directory: Path, port: int) -> Iterator[str | None]:
    """A simulated payment terminal beside the demo store, so that the Card tender asks a
    terminal as at a shop's counter: the nexo one, or $COMPTOIR_DEMO_TERMINAL=caisse-ap, or
    none. It listens on the port two after the till's (any free one when taken) and stops
    with the demo, however the demo ends. A real terminal in the environment wins.

    The nexo driver reads the shared key's passphrase and the terminal's CA from the store's
    key dir: they are copied there from the simulator's folder, as a shop's owner would."""
    protocol = os.environ.get("COMPTOIR_DEMO_TERMINAL", "nexo").strip() or "nexo"
    if protocol not in DEMO_TERMINALS:
        raise UsageError(f"COMPTOIR_DEMO_TERMINAL is one of {', '.join(DEMO_TERMINALS)}, not {protocol!r}")
    if protocol == "none" or os.environ.get("COMPTOIR_TERMINAL_URL"):
        yield None
        return
    folder = directory / f"terminal-sim-{protocol}"
    folder.mkdir(mode=0o700, exist_ok=True)
    state = folder / "state.json"
    if not _port_free(port):
        port = free_port()  # the Caisse-AP simulator does not say which port 0 gave it
    proc = subprocess.Popen(
        [*TERMINAL_SIM, "--protocol", protocol, "--port", str(port), "--state", str(state)],
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=_ended_with_us(),  # no thread of ours runs yet: safe between fork and exec
    )
    started = False
    try:
        url = _demo_terminal_url(directory, protocol, port, folder, proc)
        if url is None:
            _stop_child(proc)
            print("The simulated payment terminal did not start; the Card tender takes keyed cards.")
            yield None
            return
        print(
            f"Simulated payment terminal ({protocol}) listening on port {port}: make it decline the next card"
            f" with `comptoir terminal-sim tell --protocol {protocol} --state {state} decline`.",
            flush=True,
        )
        started = True
        yield url
    finally:
        _stop_child(proc)
        if started:
            print("Simulated payment terminal stopped.", flush=True)


def _demo_terminal_url(
    directory: Path, protocol: str, port: int, folder: Path, proc: subprocess.Popen[str]
) -> str | None:
    """The till's terminal_url for the simulator once it listens, None when it did not start."""
    if protocol == "caisse-ap":
        deadline = time.monotonic() + 10
        while proc.poll() is None and time.monotonic() < deadline:
            if _listening(port):
                return f"caisse-ap://127.0.0.1:{port}?lookup=journal&currency=CAD"
            time.sleep(0.1)
        return None
    from appliance.drivers.nexo_protocol import CA_FILE, PASSPHRASE_FILE, write_private
    from appliance.drivers.nexo_sim_answers import POIID
    from appliance.drivers.terminal_sim_nexo import KEY_ID
    from appliance.security.keys import ensure_key_dir, key_dir_for

    if _announced(proc, timeout=10) is None:
        return None
    key_dir = key_dir_for(directory)
    ensure_key_dir(key_dir)
    for name in (PASSPHRASE_FILE, CA_FILE):
        write_private(key_dir / name, (folder / name).read_bytes())
    return f"nexo://127.0.0.1:{port}?poi={POIID}&key_id={KEY_ID}"


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _announced(proc: subprocess.Popen[str], timeout: float) -> str | None:
    """The URL of the simulator's `acquirer-sim listening on http://HOST:PORT` line; None when it
    ended first or said nothing in time."""
    assert proc.stdout is not None
    with selectors.DefaultSelector() as ready:
        ready.register(proc.stdout, selectors.EVENT_READ)
        if not ready.select(timeout):
            return None
    found = re.search(r"listening on (https?://\S+)", proc.stdout.readline())
    return found.group(1) if found else None


# -- users ------------------------------------------------------------------------------------------


def _read_password_stdin() -> str:
    line = sys.stdin.readline()
    if not line:
        raise UsageError("--password-stdin: nothing on standard input")
    return line.rstrip("\r\n")


def cmd_user_add(args: argparse.Namespace) -> int:
    from appliance.app.services import users

    password = _read_password_stdin() if args.password_stdin else None
    shop = _shop(args)
    one_time = users.add_user(shop, None, args.name, args.role, password, must_change=args.must_change)
    print(f"User {args.name} ({args.role}) created.")
    if one_time:
        print(f"One-time password: {one_time}  (must be changed at first login)")
    return 0


def cmd_user_unlock(args: argparse.Namespace) -> int:
    from appliance.app.services import users

    users.unlock(_shop(args), None, args.name)
    print(f"User {args.name} unlocked.")
    return 0


def cmd_user_reset(args: argparse.Namespace) -> int:
    from appliance.app.services import users

    password = users.reset_password(_shop(args), None, args.name)
    print(f"One-time password for {args.name}: {password}  (must be changed at first login)")
    return 0


def cmd_user_list(args: argparse.Namespace) -> int:
    from appliance.app.store import staff

    shop = _shop(args)
    for user in staff.all_users(shop.db.conn):
        flags = [
            f
            for f, on in (
                ("locked", bool(user.locked_until)),
                ("must-change", user.must_change_password),
            )
            if on
        ]
        print(f"{user.username:<20} {user.role:<11} {' '.join(flags)}")
    return 0


# -- catalogue, db, audit ----------------------------------------------------------------------------


def cmd_catalog_import(args: argparse.Namespace) -> int:
    from appliance.app.services import catalog

    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text") from None
    count = catalog.import_csv(_shop(args), None, text)
    print(f"Imported {count} products from {path}.")
    return 0


def cmd_db_verify(args: argparse.Namespace) -> int:
    shop = _shop_to_check(args)
    problems = shop.db.verify()
    if problems:
        for problem in problems:
            print(f"damaged: {problem}")
        return 1
    print(f"{shop.db.path}: every page verified (SQLCipher HMAC and SQLite integrity), schema v{shop.db.version()}.")
    return 0


def cmd_db_rekey(args: argparse.Namespace) -> int:
    from appliance.app.services import audit_log

    shop = _shop(args)
    shop.db.rekey()
    audit_log.record(shop, actor="cli", action="key_rotation", object="store.key")
    print(f"Store re-encrypted under a new key ({shop.db.provider.describe()}).")
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from appliance.app.services import audit_log

    count, problems = audit_log.verify(_shop_to_check(args))
    if problems:
        named = sorted({i for p in problems for i in p.entry_ids()})
        where = f"at entries {_id_runs(named)}" if named else "at its anchor"
        print(f"TAMPERED: the audit log ({count} entries) is not as the till wrote it {where}:")
        for problem in problems:
            print(f"TAMPERED: {problem}")
        return 1
    print(f"Audit log intact: {count} entries, keyed chain, numbering and anchor verified.")
    return 0


def _id_runs(ids: list[int]) -> str:
    """[2, 5, 6, 7] → '2, 5-7'."""
    runs: list[list[int]] = []
    for i in ids:
        if runs and runs[-1][1] == i - 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def cmd_keys_rotate(args: argparse.Namespace) -> int:
    from appliance.app.services import audit_log, card_vault

    shop = _shop(args)
    result = card_vault.open_vault(shop.db, shop.data_dir).rotate()
    audit_log.record(
        shop,
        actor="cli",
        action="key_rotation",
        object="vault.key",
        details={"rewrapped": result.rewrapped},
    )
    print(f"Card vault: new key-encryption key, {result.rewrapped} keys re-wrapped.")
    return 0


def cmd_vault_sweep(args: argparse.Namespace) -> int:
    from appliance.app.services import audit_log, card_vault

    shop = _shop(args)
    count = card_vault.sweep(shop)
    if count:
        audit_log.record(shop, actor="cli", action="vault.forget", object="card_tokens", details={"forgotten": count})
    held = card_vault.count_held(shop.db)
    print(f"Card vault: {count} settled card number(s) erased; {held} kept for payments not yet settled.")
    return 0


def cmd_pan_scan(args: argparse.Namespace) -> int:
    from appliance.security.pan_scan import run_pan_scan

    return run_pan_scan(args, _pan_scan_store)


def _pan_scan_store(data_dir: Path) -> ScanReport | None:
    """pan-scan's look into the store in data_dir, opened with the store's key; None (said
    on stderr) when there is no store or it does not open."""
    from appliance.app.store.db import DB_FILE, Database, StoreError
    from appliance.security.pan_scan import scan_database

    path = data_dir / DB_FILE
    if not path.exists():
        print(f"pan-scan: no store in {data_dir} ({DB_FILE} is missing)", file=sys.stderr)
        return None
    try:
        db = Database(path, provider_for("store", data_dir))
    except StoreError as exc:
        print(f"pan-scan: {exc}", file=sys.stderr)
        return None
    try:
        return scan_database(db)
    finally:
        db.close()


def cmd_devices(args: argparse.Namespace) -> int:
    from appliance.app.services import device_commands

    return device_commands.run(args, _config(args), lambda: _shop(args))


def cmd_acquirer_serve(args: argparse.Namespace) -> int:
    from appliance.drivers.acquirer_sim import run_acquirer_serve

    return run_acquirer_serve(args)


def _terminal_sim(args: argparse.Namespace) -> Any:
    """The simulator module of --protocol: appliance.drivers.terminal_sim_<protocol>."""
    name = "appliance.drivers.terminal_sim_" + args.protocol.replace("-", "_")
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        raise UsageError(f"terminal-sim: no simulator for the {args.protocol} protocol here ({name})") from None


def cmd_terminal_sim_serve(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise UsageError("terminal-sim serve: --port is 0 to 65535")
    try:
        _terminal_sim(args).serve(host=args.host, port=args.port, state=Path(args.state))
    except (ValueError, OSError) as exc:
        raise UsageError(f"terminal-sim serve: {exc}") from None
    return 0


def cmd_terminal_sim_tell(args: argparse.Namespace) -> int:
    try:
        _terminal_sim(args).tell(Path(args.state), list(args.behaviours))
    except (ValueError, OSError) as exc:
        raise UsageError(f"terminal-sim tell: {exc}") from None
    return 0


def cmd_terminal_sim_records(args: argparse.Namespace) -> int:
    try:
        found = _terminal_sim(args).records(Path(args.state))
    except (ValueError, OSError) as exc:
        raise UsageError(f"terminal-sim records: {exc}") from None
    print(json.dumps(found, indent=1))
    return 0


# -- the parser ------------------------------------------------------------------------------------


def build_parser() -> Parser:
    parser = Parser(prog="comptoir", description="Comptoir point of sale")
    parser.add_argument("--version", action="version", version=f"comptoir {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True

    def command(name: str, fn: Command, help_text: str, group: Any = sub) -> Parser:
        p: Parser = group.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(func=fn)
        return p

    def actions(name: str, help_text: str) -> Any:
        return cli_parts.actions(command, name, help_text)

    data_dir = cli_parts.data_dir_option

    p = command("init", cmd_init, "create a new encrypted store and its admin")
    data_dir(p)
    p.add_argument(
        "--key-dir",
        help="the folder for the store's and the card vault's key files, apart from the data dir"
        " (default: $COMPTOIR_KEY_DIR, else the data dir's sibling DIR-keys); not used for keys"
        " systemd hands over as credentials",
    )
    p.add_argument("--store-name", default="Comptoir")
    p.add_argument("--currency", default="CAD", help="ISO 4217 code (default CAD)")
    p.add_argument(
        "--taxes",
        default="GST=5,QST=9.975",
        help="standard taxes as NAME=RATE,… (default GST=5,QST=9.975)",
    )
    p.add_argument("--prices-include-tax", action="store_true", help="shelf prices include tax (Europe)")
    p.add_argument("--timezone", default="America/Montreal")
    p.add_argument("--terminal", default="T01", help="this terminal's id, printed on receipts")

    for name, fn, text in (
        ("serve", cmd_serve, "serve the POS on loopback"),
        ("run", cmd_run, "serve and open the kiosk window"),
    ):
        p = command(name, fn, text)
        data_dir(p)
        p.add_argument("--host", help="127.0.0.1 (default) or another loopback address")
        p.add_argument("--port", type=int)
        if name == "serve":
            p.add_argument("--socket", help="serve on this UNIX socket instead of TCP")

    p = command("demo", cmd_demo, "create (once) and run the demo store")
    data_dir(p)
    p.add_argument("--port", type=int, default=8787)
    p = command("demo-store", cmd_demo_store, "an office and two demo tills enrolled to it, until Ctrl-C")
    p.add_argument("--dir", default="build/run-store", help="where it all lives (default build/run-store)")
    p.add_argument(
        "--port", type=int, default=8790, help="the office's port; enrolment, lanes 1, 2, back office: the next four"
    )

    usub = actions("user", "staff accounts")
    p = command("add", cmd_user_add, "add a staff account", usub)
    data_dir(p)
    p.add_argument("name")
    p.add_argument("--role", required=True, choices=("cashier", "supervisor", "manager", "admin", "auditor"))
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.add_argument("--must-change", action="store_true", help="force a change at first login")
    p = command("unlock", cmd_user_unlock, "unlock a locked-out account", usub)
    data_dir(p)
    p.add_argument("name")
    p = command("reset-password", cmd_user_reset, "give a user a new one-time password", usub)
    data_dir(p)
    p.add_argument("name")
    p = command("list", cmd_user_list, "list staff accounts", usub)
    data_dir(p)

    csub = actions("catalog", "the product catalogue")
    p = command("import", cmd_catalog_import, "import products from CSV: all rows or none", csub)
    data_dir(p)
    p.add_argument("file")

    dsub = actions("db", "the encrypted store")
    data_dir(command("verify", cmd_db_verify, "check every page of the store", dsub))
    data_dir(command("rekey", cmd_db_rekey, "re-encrypt the store under a new key", dsub))

    asub = actions("audit", "the audit log")
    data_dir(command("verify", cmd_audit_verify, "check the audit log: keyed chain, numbering, anchor", asub))

    from appliance.drivers import acquirer_sim
    from appliance.security import pan_scan

    ksub = actions("keys", "keys outside the store")
    data_dir(command("rotate", cmd_keys_rotate, "new card-vault key, data keys re-wrapped", ksub))
    tsub = actions("vault", "the card token vault")
    data_dir(command("sweep", cmd_vault_sweep, "erase every card number no payment still needs", tsub))
    pan_scan.add_arguments(command("pan-scan", cmd_pan_scan, "search for card numbers at rest"))
    qsub = actions("acquirer", "the simulated card acquirer (development, tests)")
    acquirer_sim.add_arguments(command("serve", cmd_acquirer_serve, "serve it on loopback", qsub))

    simsub = actions("terminal-sim", "a simulated payment terminal (development, tests)")
    for name, fn, text in (
        ("serve", cmd_terminal_sim_serve, "serve it on loopback until stopped"),
        ("tell", cmd_terminal_sim_tell, "what its next transactions do, in order"),
        ("records", cmd_terminal_sim_records, "its transactions as it recorded them (JSON)"),
    ):
        p = command(name, fn, text, simsub)
        p.add_argument("--protocol", required=True, choices=("nexo", "caisse-ap"))
        p.add_argument("--state", required=True, help="its JSON state file")
        if name == "serve":
            p.add_argument("--port", type=int, required=True, help="port; 0 picks a free one")
            p.add_argument("--host", default="127.0.0.1", help="loopback address (default 127.0.0.1)")
        if name == "tell":
            p.add_argument(
                "behaviours",
                nargs="+",
                metavar="BEHAVIOUR",
                help="approve, decline, pin, wait:SECONDS, timeout, lose-answer, restart",
            )

    from appliance import fleet_cli
    from appliance.security.compliance import cli as compliance_cli

    fleet_cli.register(command, compliance_cli.register(command, fleet_cli.cmd_office_fleet_report))

    from appliance import update_cli

    update_cli.register(command)

    from appliance.office import cli as office_cli

    office_cli.register(command)

    from appliance import config_cli

    config_cli.register_lane(command)

    vsub = actions("devices", "the printer, drawer, scanners and displays")
    p = command("list", cmd_devices, "what is configured and what is plugged in", vsub)
    data_dir(p)
    p.add_argument("--no-status", action="store_true", help="do not ask the printer how it is")
    data_dir(command("test-print", cmd_devices, "print a test page now (stop the server first for USB)", vsub))
    p = command("open-drawer", cmd_devices, "open the cash drawer now (audited)", vsub)
    data_dir(p)
    p.add_argument("--reason", required=True, help="why, for the audit log")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    os.umask(0o077)  # the store, its WAL, keys and logs are nobody else's business
    try:
        result: int = args.func(args)
        return result
    except (UsageError, ConfigError, KeyError_) as exc:
        print(f"comptoir: {exc}", file=sys.stderr)
        return 2
    except DomainError as exc:
        print(f"comptoir: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from appliance.app.store.db import StoreError

        if isinstance(exc, StoreError):
            print(f"comptoir: {exc}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError):
        raise SystemExit(main())
