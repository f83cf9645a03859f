"""Chaos against the real terminal simulators: card-present sales and refunds over HTTP while
the till's server, the terminal and the link between them are killed, cut or slowed.

Three real things on loopback, per protocol (nexo, Caisse-AP):
- the till's server, `comptoir serve` (through sim_till_server.py for shorter desk timings)
  with COMPTOIR_TERMINAL_URL on the link and the simulator's key files in its key dir;
- the terminal, `comptoir terminal-sim serve --protocol P` in its own process, keeping its
  record of transactions in its state file (which outlives every kill, as a terminal's does);
- the link, a TCP proxy in this test: every chunk late by up to LINK_DELAY, and at the
  chaos's word connections cut, an answer held back, a request dropped.

A till drives sales and refunds through the API and retries as a till does (the same
Idempotency-Key while the outcome is unknown, a new one only after "nothing was charged";
now and then the customer pays cash while the terminal still has the card, or gives up on a
terminal that stays on it). The chaos kills in turn at each step of a transaction:

- before_request: the server dies as its request reaches the link, which drops it;
- card_waiting: the terminal waits for the customer's card (`wait:`) and the server, or the
  terminal, is killed then;
- lose_answer, restart: the simulators' own behaviours: charged and the answer dropped;
  the terminal's process ends mid-transaction (and is started again);
- after_charge: the terminal has charged, its answer held in the link, and the server dies;
- during_status: after a lost answer, the server, the terminal or the link dies as the till
  asks the terminal for the status;
- during_refund: the server or the terminal dies as a refund goes to the terminal;

and between those at random: the server, the terminal, or every connection of the link.
Meanwhile the terminal is told random behaviours (decline, PIN, a slow customer, no answer).

Then everything is settled (the terminal restarted as a manager would, the server restarted
past the in-flight window) and the store is checked against the SIMULATOR's records
(`comptoir terminal-sim records`): 0 double charges, 0 charges without a payment or a
reversed/flagged one, 0 payments without a charge, every refund given back once or flagged.
COMPTOIR_CHAOS_KILLS (default 14: each step once, about a minute a protocol) sets the kills per protocol
(50 or more at full size), COMPTOIR_CHAOS_SEED the randomness (printed, to replay a run).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from appliance.app.services import auth, catalog, users
from appliance.app.services.opening import open_shop
from appliance.app.services.setup import NewStore, init_store
from appliance.config import load
from appliance.drivers.terminal_caisse_ap import private_data
from appliance.processes import free_port
from appliance.security.keys import key_dir_for
from tests.conftest import set_cash_needs_shift

pytestmark = pytest.mark.slow

PASSWORD = "Sesame-2026-open"  # test account only
CATALOG = "sku,name,price,tax_class,barcodes,stock\nAPL,Apple,10.00,exempt,,100000\n"
KILLS = int(os.environ.get("COMPTOIR_CHAOS_KILLS", "14"))  # every step fires once at least
SEED = int(os.environ.get("COMPTOIR_CHAOS_SEED", str(random.randrange(1 << 30))))
REPO = Path(__file__).parents[3]
# The till's desk: a customer may take TIMEOUT s, a "not found" is final WINDOW s after a send
# (longer than the link ever holds a request), the API answers 202 after ANSWER_WAIT s.
TIMEOUT, WINDOW, ANSWER_WAIT = 8.0, 2.0, 3.0
LINK_DELAY = 0.05
NOTHING_CHARGED = {"card_declined", "payment_cancelled", "terminal_unavailable", "card_reversed"}
STEPS = ("before_request", "card_waiting", "lose_answer", "restart", "after_charge", "during_status", "during_refund")
NOISE = (("approve", 40), ("decline", 15), ("pin", 15), ("wait:1", 15), ("timeout", 5), ("lose-answer", 10))
PROTOCOLS = {
    "nexo": "nexo://127.0.0.1:{port}?poi=SIM400-000000001&key_id=comptoir-sim",
    "caisse-ap": "caisse-ap://127.0.0.1:{port}?lookup=journal",
}
SIM_COMMAND = (sys.executable, "-m", "appliance", "terminal-sim", "serve")
SERVER_COMMAND = (sys.executable, "-m", "tests.integration.terminal.sim_till_server")
KEY_FILES = {"nexo": ("terminal-nexo.passphrase", "terminal-nexo-ca.pem"), "caisse-ap": ()}


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"{what} did not come up")


# -- the link --------------------------------------------------------------------------------------


class Link:
    """A TCP proxy from the till to the terminal. `on_request`, when set, is called with the
    first chunk the till sends on a connection after it was set; True drops that connection
    (its bytes never reach the terminal). `answer_delay` holds every chunk back from the till."""

    def __init__(self, upstream: int, rng: random.Random) -> None:
        self.upstream = upstream
        self.rng = rng
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.answer_delay = 0.0
        self.on_request: Callable[[], bool] | None = None
        self.lock = threading.Lock()
        self.open: set[socket.socket] = set()
        self.closed = False
        threading.Thread(target=self._accept, name="link", daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream), timeout=2)
            upstream.settimeout(None)
        except OSError:
            _close(client)  # the terminal is down: the till finds the link dead
            return
        with self.lock:
            self.open |= {client, upstream}
        threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
        self._pump(upstream, client, False)

    def _pump(self, src: socket.socket, dst: socket.socket, to_terminal: bool) -> None:
        try:
            while True:
                chunk = src.recv(65536)
                if not chunk:
                    with contextlib.suppress(OSError):
                        dst.shutdown(socket.SHUT_WR)
                    return
                time.sleep(self.rng.uniform(0, LINK_DELAY))
                if to_terminal:
                    hook, self.on_request = self.on_request, None
                    if hook is not None and hook():
                        break
                elif self.answer_delay:
                    time.sleep(self.answer_delay)
                dst.sendall(chunk)
        except OSError:
            pass
        for sock in (src, dst):
            _close(sock)
            with self.lock:
                self.open.discard(sock)

    def cut(self) -> int:
        """Every connection dropped at once, as a switch losing power."""
        with self.lock:
            cut, self.open = list(self.open), set()
        for sock in cut:
            _close(sock)
        return len(cut)

    def close(self) -> None:
        self.closed = True
        _close(self.listener)
        self.cut()


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


# -- the processes ---------------------------------------------------------------------------------


class Process:
    """A process the chaos kills and starts again."""

    def __init__(self, name: str, cmd: list[str], port: int, log: Path, env: dict[str, str]) -> None:
        self.name, self.cmd, self.port, self.env = name, cmd, port, env
        self.proc: subprocess.Popen[bytes] | None = None
        self.lock = threading.RLock()
        self.log = open(log, "ab")  # closed by close()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> None:
        with self.lock:
            if self.alive():
                return
            self.proc = subprocess.Popen(self.cmd, env=self.env, cwd=REPO, stdout=self.log, stderr=self.log)
            proc = self.proc
        _wait_for_port(self.port, proc, self.name)
        if self.name == "server":
            deadline = time.monotonic() + 60
            while proc.poll() is None and time.monotonic() < deadline:
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).status_code == 200:
                        return
                time.sleep(0.1)

    def kill(self) -> bool:
        with self.lock:
            if not self.alive():
                return False
            assert self.proc is not None
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
            return True

    def stop(self) -> None:
        with self.lock:
            if self.proc is not None and self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(20)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(10)

    def close(self) -> None:
        if self.alive():
            assert self.proc is not None
            self.proc.kill()
            self.proc.wait(10)
        self.log.close()


class Rig:
    """The till's server, the terminal and the link between them, for one protocol."""

    def __init__(self, tmp: Path, protocol: str, rng: random.Random) -> None:
        self.protocol = protocol
        self.tmp = tmp
        self.data_dir = tmp / "data"
        self.state = tmp / "terminal" / "state.json"
        self.sim_module = importlib.import_module("appliance.drivers.terminal_sim_" + protocol.replace("-", "_"))
        sim_port = free_port()
        self.sim = Process(
            "terminal",
            [*SIM_COMMAND, "--protocol", protocol, "--port", str(sim_port), "--state", str(self.state)],
            sim_port,
            tmp / "terminal.log",
            dict(os.environ),
        )
        self.link = Link(sim_port, rng)
        server_port = free_port()
        env = {
            **os.environ,
            "COMPTOIR_TERMINAL_URL": PROTOCOLS[protocol].format(port=self.link.port),
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("COMPTOIR_KEY_DIR", None)
        timings = [str(TIMEOUT), str(WINDOW), str(ANSWER_WAIT)]
        self.server = Process(
            "server",
            [*SERVER_COMMAND, *timings, "--", "serve", "--port", str(server_port), "--data-dir", str(self.data_dir)],
            server_port,
            tmp / "server.log",
            env,
        )
        self.url = f"http://127.0.0.1:{server_port}"
        self.kills: Counter[str] = Counter()

    def start(self) -> None:
        _seed_store(self.data_dir)
        self.sim.start()
        # What a shop's installer copies from the terminal's owner: its passphrase and CA.
        keys = key_dir_for(self.data_dir)
        keys.mkdir(parents=True, exist_ok=True)
        for name in KEY_FILES[self.protocol]:
            shutil.copy(self.state.parent / name, keys / name)
            (keys / name).chmod(0o600)
        self.server.start()

    def records(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.sim_module.records(self.state)
        return found

    def tell(self, *words: str) -> None:
        self.sim_module.tell(self.state, list(words))

    def kill(self, which: str, why: str) -> None:
        if which == "link":
            self.link.cut()
        elif not (self.server if which == "server" else self.sim).kill():
            return
        self.kills[why] += 1

    def close(self) -> None:
        self.server.close()
        self.sim.close()
        self.link.close()


def _seed_store(data_dir: Path) -> None:
    shop, _ = init_store(data_dir, NewStore(store_name="Terminal Chaos", currency="EUR"))
    set_cash_needs_shift(shop, False)
    users.add_user(shop, None, "supervisor", "supervisor", PASSWORD)
    catalog.import_csv(shop, None, CATALOG)
    auth.throttle._failures.clear()
    shop.close()


# -- the chaos ------------------------------------------------------------------------------------


class Chaos(threading.Thread):
    """Kills in turn at each step of a transaction, and at random between them."""

    def __init__(self, rig: Rig, till: Till, kills: int, rng: random.Random) -> None:
        super().__init__(name="chaos", daemon=True)
        self.rig, self.till, self.kills, self.rng = rig, till, kills, rng
        self.done = 0
        self.step = 0
        self.not_fired: Counter[str] = Counter()
        self.error: BaseException | None = None
        self.stopping = threading.Event()

    def run(self) -> None:
        try:
            while self.done < self.kills and not self.stopping.is_set():
                self._revive()
                time.sleep(self.rng.uniform(0.2, 0.8))
                if not self.rig.records() or self.rng.random() < 0.5:
                    self.rig.tell(self.rng.choices([w for w, _ in NOISE], [n for _, n in NOISE])[0])
                if self.done % 2 == 0:
                    name = STEPS[self.step % len(STEPS)]
                    self.step += 1
                    if getattr(self, "_" + name)():
                        self.done += 1
                    else:
                        self.not_fired[name] += 1
                else:
                    which = self.rng.choice(("server", "terminal", "link"))
                    self.rig.kill(which, f"random_{which}")
                    self.done += 1
                time.sleep(self.rng.uniform(0.0, 0.5))
                self._revive()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            self.error = exc

    def _revive(self) -> None:
        for process in (self.rig.sim, self.rig.server):
            for _ in range(5):
                if process.alive():
                    break
                process.start()

    def _wait(self, until: Callable[[], bool], seconds: float = 20.0) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self.stopping.is_set():
            if until():
                return True
            time.sleep(0.02)
        return False

    def _told(self, word: str, states: tuple[str, ...]) -> Callable[[], bool]:
        """Once the next transaction that `word` was told for is in one of `states`."""
        seen = len(self.rig.records())
        self.rig.tell(word)
        return lambda: any(r.get("behaviour") == word and r["state"] in states for r in self.rig.records()[seen:])

    def _at_next_request(self, which: str, why: str) -> bool:
        fired = threading.Event()

        def hook() -> bool:
            self.rig.kill(which, why)
            fired.set()
            return which != "terminal"  # the request is dropped with the server; a dead terminal drops it itself

        self.rig.link.on_request = hook
        if not fired.wait(20):
            self.rig.link.on_request = None
            return False
        return True

    def _victim(self, *choices: str) -> str:
        return self.rng.choice(choices)

    # The steps.

    def _before_request(self) -> bool:
        return self._at_next_request("server", "server_before_request")

    def _card_waiting(self) -> bool:
        if not self._wait(self._told("wait:3", ("waiting_for_card",))):
            return False
        which = self._victim("server", "terminal")
        self.rig.kill(which, f"{which}_card_waiting")
        return True

    def _lose_answer(self) -> bool:
        if not self._wait(self._told("lose-answer", ("approved", "declined"))):
            return False
        self.rig.kills["terminal_lose_answer"] += 1
        return True

    def _restart(self) -> bool:
        self.rig.tell("restart")
        if not self._wait(lambda: not self.rig.sim.alive()):
            return False
        self.rig.kills["terminal_restart"] += 1
        time.sleep(self.rng.uniform(0.2, 1.0))  # a terminal takes a while to boot
        return True

    def _after_charge(self) -> bool:
        seen = len(self.rig.records())
        self.rig.link.answer_delay = 0.6
        try:
            if not self._wait(lambda: any(r["state"] == "approved" for r in self.rig.records()[seen:])):
                return False
            self.rig.kill("server", "server_after_charge")
            return True
        finally:
            self.rig.link.answer_delay = 0.0

    def _during_status(self) -> bool:
        if not self._wait(self._told("lose-answer", ("approved", "declined"))):
            return False
        which = self._victim("server", "terminal", "link")
        return self._at_next_request(which, f"{which}_during_status")

    def _during_refund(self) -> bool:
        if not self.till.refunding.wait(20):
            return False
        which = self._victim("server", "terminal")
        return self._at_next_request(which, f"{which}_during_refund")


class Till:
    """A till's side of the API, retrying as a till does."""

    def __init__(self, url: str, rng: random.Random) -> None:
        self.rng = rng
        self.http = httpx.Client(base_url=url, timeout=60, trust_env=False)
        self.counts: Counter[str] = Counter()
        self.anomalies: list[str] = []
        self.refunding = threading.Event()
        token = self.call("POST", "/api/v1/auth/login", json={"username": "supervisor", "password": PASSWORD})
        self.http.headers["authorization"] = f"Bearer {token.json()['token']}"

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        deadline = time.monotonic() + 120
        while True:
            try:
                answer = self.http.request(method, path, **kwargs)
                if answer.status_code < 500:
                    return answer
                self.counts["http_5xx"] += 1
            except httpx.TransportError:
                self.counts["connection_lost"] += 1
            if time.monotonic() > deadline:
                raise AssertionError(f"{method} {path}: no answer in 120 s")
            time.sleep(0.2)

    def sale(self, n: int) -> None:
        sale_id = self.call("POST", "/api/v1/sales").json()["id"]
        for _ in range(1 + n % 2):
            self.call("POST", f"/api/v1/sales/{sale_id}/items", json={"sku": "APL"})
        due = self.call("GET", f"/api/v1/sales/{sale_id}").json()["totals"]["due"]
        if self.pay(sale_id, due) == "card" and n % 3 == 0:
            body = {"lines": [{"line": 1}], "reason": "chaos test refund"}
            self.refunding.set()
            try:
                answer = self.call(
                    "POST",
                    f"/api/v1/sales/{sale_id}/refunds",
                    json=body,
                    headers={"Idempotency-Key": str(uuid.uuid4())},
                )
            finally:
                self.refunding.clear()
            assert answer.status_code == 201, answer.text
            self.counts["refunds"] += 1

    def pay(self, sale_id: int, amount: int) -> str:
        key = str(uuid.uuid4())
        impatient = self.rng.random() < 0.15  # pays cash while the terminal is still on it
        patience = time.monotonic() + 20  # then gives up on a terminal that stays on it
        deadline = time.monotonic() + 120
        path = f"/api/v1/sales/{sale_id}/payments/terminal"
        while time.monotonic() < deadline:
            answer = self.call("POST", path, json={"amount": amount}, headers={"Idempotency-Key": key})
            body = answer.json()
            if answer.status_code == 201:
                assert body["status"] == "completed", answer.text
                self.counts["paid_by_card"] += 1
                return "card"
            code = "pending" if answer.status_code == 202 else body["error"]["code"]
            if code in ("pending", "payment_pending"):
                self.counts[code] += 1
                if impatient or time.monotonic() > patience:
                    cash = self.call(
                        "POST", f"/api/v1/sales/{sale_id}/payments", json={"method": "cash", "amount": amount}
                    )
                    if cash.status_code == 201:
                        self.counts["paid_cash_meanwhile"] += 1
                        return "cash"
                    impatient = False
                    patience = time.monotonic() + 20
                time.sleep(0.3)
            elif code in NOTHING_CHARGED:
                self.counts[f"told_{code}"] += 1
                key = str(uuid.uuid4())
                time.sleep(0.1)
            elif code in ("sale_paid", "amount_exceeds_due"):
                self.anomalies.append(f"sale {sale_id}: paid after the till was told nothing was charged ({code})")
                return "card"
            else:
                raise AssertionError(f"sale {sale_id}: unexpected answer {answer.status_code} {answer.text}")
        self.anomalies.append(f"sale {sale_id}: still not settled after 120 s")
        return "none"


# -- the books ------------------------------------------------------------------------------------


def terminal_records(protocol: str, state: Path) -> list[dict[str, Any]]:
    """The simulator's records as `comptoir terminal-sim records` prints them, each as
    (our reference, payment or refund, its state, the amount it moved)."""
    out = subprocess.run(
        [sys.executable, "-m", "appliance", "terminal-sim", "records", "--protocol", protocol, "--state", str(state)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    found = []
    for record in json.loads(out.stdout):
        if protocol == "nexo":
            reference, kind, moved = record["transaction_id"], record["kind"], record.get("approved", 0)
        else:
            reference = record["reference"]
            kind = "payment" if record["action"] == "debit" else "refund"
            moved = record["amount"]
        now = record["state"]
        found.append({"reference": reference, "kind": kind, "state": now, "moved": moved if now == "approved" else 0})
    return found


def audit(data_dir: Path, records: list[dict[str, Any]]) -> tuple[list[str], dict[str, int]]:
    """The store's books against the terminal's own records."""
    shop = open_shop(load(data_dir))
    try:
        conn = shop.db.conn
        rows = {r["reference"]: dict(r) for r in conn.execute("SELECT * FROM terminal_transactions")}
        payments = {r["id"]: dict(r) for r in conn.execute("SELECT * FROM payments WHERE method = 'card'")}
        tenders = [dict(r) for r in conn.execute("SELECT * FROM refund_tenders WHERE method = 'card'")]
    finally:
        shop.close()
    # Caisse-AP carries a digest of a reference longer than its CF (terminal_caisse_ap.private_data).
    ours = {private_data(reference): reference for reference in rows}
    records = [{**record, "reference": ours.get(record["reference"], record["reference"])} for record in records]
    wrong: list[str] = []
    moved: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        if record["reference"] not in rows:
            wrong.append(f"terminal {record['kind']} {record['reference']}: the till never wrote it")
        if record["state"] == "approved":
            moved.setdefault(record["reference"], []).append(record)
        elif record["state"] not in ("declined", "cancelled"):
            wrong.append(f"terminal {record['kind']} {record['reference']} still {record['state']} at the end")
    for reference, approved in moved.items():
        if len(approved) > 1:
            wrong.append(f"double charge: {reference} moved money {len(approved)} times at the terminal")
    charged = {ref: sum(r["moved"] for r in rs) for ref, rs in moved.items() if rs[0]["kind"] == "payment"}
    given_back = {ref: sum(r["moved"] for r in rs) for ref, rs in moved.items() if rs[0]["kind"] == "refund"}
    for reference, amount in charged.items():
        row = rows.get(reference)
        if row is None:
            continue
        if row["status"] == "approved":
            payment = payments.get(row["payment_id"])
            if payment is None or payment["amount"] != amount or payment["sale_id"] != row["sale_id"]:
                wrong.append(f"charge {reference}: approved at the terminal, no matching payment on its sale")
        elif row["status"] == "reversed":
            if given_back.get(reference + "-reversal") != amount:
                wrong.append(f"charge {reference}: reversed in the books, not at the terminal")
        elif row["status"] != "flagged":
            wrong.append(f"charge without a payment: {reference} is {row['status']} in the books")
    by_payment = {r["payment_id"]: r for r in rows.values() if r["kind"] == "payment" and r["payment_id"]}
    for payment in payments.values():
        details = json.loads(payment["details"])
        if "terminal" not in details:
            continue
        row = by_payment.get(payment["id"])
        if row is None or charged.get(row["reference"]) != payment["amount"]:
            wrong.append(f"payment {payment['id']} of sale {payment['sale_id']}: no charge at the terminal")
    held: Counter[int] = Counter()
    books: Counter[int] = Counter()
    for reference, amount in charged.items():
        row = rows.get(reference)
        if row is not None and row["status"] != "flagged":  # a flagged one is a manager's, counted apart
            held[row["sale_id"]] += amount - given_back.get(reference + "-reversal", 0)
    for payment in payments.values():
        books[payment["sale_id"]] += payment["amount"]
    for row in rows.values():
        if row["kind"] == "refund":
            back = given_back.get(row["reference"], 0)
            held[row["sale_id"]] -= back
            if row["status"] == "approved":
                books[row["sale_id"]] -= row["amount"]
            if (row["status"] == "approved") != (back == row["amount"]):
                wrong.append(f"refund {row['reference']}: {row['status']} in the books, {back} given back")
        if row["status"] in ("pending", "unattached"):
            wrong.append(f"{row['kind']} {row['reference']} still {row['status']} after the settling")
    for sale_id in set(held) | set(books):
        if held[sale_id] > books[sale_id]:
            wrong.append(f"double charge: sale {sale_id} holds {held[sale_id]} at the terminal, books {books[sale_id]}")
        elif held[sale_id] < books[sale_id]:
            wrong.append(f"sale {sale_id}: {books[sale_id]} by card in the books, {held[sale_id]} at the terminal")
    queued = {(r["refund_id"], r["payment_id"]) for r in rows.values() if r["kind"] == "refund"}
    for tender in tenders:
        if (tender["refund_id"], tender["payment_id"]) not in queued:
            wrong.append(f"refund {tender['refund_id']}: {tender['amount']} to a card on the books, never queued")
    counted = {
        "terminal_records": len(records),
        "charges": len(charged),
        "card_payments": len(payments),
        "reversed": sum(1 for r in rows.values() if r["status"] == "reversed"),
        "flagged_charges": sum(1 for r in rows.values() if r["status"] == "flagged" and r["kind"] == "payment"),
        "refunds": sum(1 for r in rows.values() if r["kind"] == "refund"),
        "refunds_given": len(given_back) - sum(1 for r in given_back if r.endswith("-reversal")),
        "flagged_refunds": sum(1 for r in rows.values() if r["status"] == "flagged" and r["kind"] == "refund"),
        "failed": sum(1 for r in rows.values() if r["status"] == "failed"),
    }
    return wrong, counted


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


@pytest.fixture(params=sorted(PROTOCOLS))
def rig(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Rig]:
    made = Rig(tmp_path, request.param, random.Random(SEED + 3))
    try:
        yield made
    finally:
        made.close()


def test_exactly_once_against_the_simulator_whatever_dies(rig: Rig, tmp_path: Path) -> None:
    print(f"terminal chaos ({rig.protocol}) seed {SEED} (COMPTOIR_CHAOS_SEED={SEED} replays it), {KILLS} kills")
    started = time.monotonic()
    limit = max(600, 30 * KILLS)
    try:
        rig.start()
        till = Till(rig.url, random.Random(SEED + 1))
        chaos = Chaos(rig, till, KILLS, random.Random(SEED))
        chaos.start()
        n = 0
        while chaos.is_alive() or n < 6:
            till.sale(n)
            n += 1
            if time.monotonic() - started > limit:
                chaos.stopping.set()
                raise AssertionError(f"took more than {limit} s; kills {dict(rig.kills)}")
        chaos.join(60)
        assert chaos.error is None, repr(chaos.error)
        # Closing time: the link calm, the terminal rebooted as a manager would (what it was
        # still on ends), the server restarted past the in-flight window settles what is left.
        rig.link.answer_delay, rig.link.on_request = 0.0, None
        rig.sim.stop()
        rig.sim.start()
        rig.server.stop()
        time.sleep(WINDOW + 0.5)
        rig.server.start()
        time.sleep(1.0)
        rig.server.stop()
        rig.sim.stop()
        wrong, counted = audit(rig.data_dir, terminal_records(rig.protocol, rig.state))
    except BaseException:
        print("server log:\n" + _tail(tmp_path / "server.log"))
        print("terminal log:\n" + _tail(tmp_path / "terminal.log"))
        raise
    summary = (
        f"{rig.protocol}: seed {SEED}; kills {sum(rig.kills.values())} {dict(rig.kills)};"
        f" not fired {dict(chaos.not_fired)}; till {dict(till.counts)}; sales {n};"
        f" store vs terminal {counted}; {time.monotonic() - started:.0f} s"
    )
    print(summary)
    assert chaos.done == KILLS, summary
    assert sum(rig.kills.values()) >= KILLS, summary
    assert till.anomalies == [], f"{till.anomalies}; {summary}"
    assert wrong == [], "\n".join(wrong) + "\n" + summary
