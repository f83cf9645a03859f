"""Chaos: card-present sales and refunds over HTTP while the till's server is killed.

The till's server is a real process (`comptoir serve`, through till_server.py so that its
terminal is the double); the terminal double lives in this test process, served over
loopback HTTP, so that its OWN record of charges and refunds survives every kill (a real
terminal's does too). Why not the simulators: they are being written beside this; the
books are checked the same way against a simulator's records once they land.

A till drives sales through the API and retries as a till does: the same Idempotency-Key
while the outcome is unknown (202, 409 payment_pending, a dead connection), a new one only
after a definitive "nothing was charged"; now and then the customer gives up on the card
and pays cash while the terminal is still on it (a late charge must then go back to the
card). The terminal answers at random: approved, declined, the answer lost after charging,
the request lost, the terminal busy, or still waiting for the customer (who taps or gives up
later). Meanwhile the server is SIGKILLed at random moments and at one named point: just as
the terminal has charged, before its answer reaches the till.

Then everything is settled (a restart past the in-flight window) and the store is checked
against the double's records: 0 double charges, 0 charges without a payment or a reversal
(or a flagged one), 0 payments without a charge, every refund given back once.
COMPTOIR_CHAOS_KILLS (default 8: about a minute) sets the kills (50 or more at full size),
COMPTOIR_CHAOS_SEED the randomness (printed, to replay a run).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from appliance.app.services import auth, catalog, users
from appliance.app.services.opening import open_shop
from appliance.app.services.setup import NewStore, init_store
from appliance.config import load
from appliance.drivers.terminal import StateListener, TerminalResult
from appliance.processes import free_port
from tests.conftest import set_cash_needs_shift
from tests.fakes.terminal import FakeTerminal, serve_over_http

pytestmark = pytest.mark.slow

PASSWORD = "Sesame-2026-open"  # test account only
CATALOG = "sku,name,price,tax_class,barcodes,stock\nAPL,Apple,10.00,exempt,,100000\n"
WINDOW = 2.0  # the till's in-flight window: longer than the double takes to record a request
KILLS = int(os.environ.get("COMPTOIR_CHAOS_KILLS", "8"))
SEED = int(os.environ.get("COMPTOIR_CHAOS_SEED", str(random.randrange(1 << 30))))
REPO = Path(__file__).parents[3]
# Answers after which the till may take a card again under a new key: nothing was charged.
NOTHING_CHARGED = {"card_declined", "payment_cancelled", "terminal_unavailable", "card_reversed"}
HOW = (
    ("approve", 55),
    ("decline", 10),
    ("lose_answer", 12),
    ("in_progress", 12),
    ("lost_request", 6),
    ("unavailable", 5),
)


class ChaosTerminal(FakeTerminal):
    """The double, answering at random; it can kill the till just after it charged."""

    def __init__(self, rng: random.Random) -> None:
        super().__init__()
        self.rng = rng
        self.after_charge: Any = None  # set by the chaos thread: called once a charge is recorded

    def _next(self) -> str:
        with self._lock:
            if self.script:
                return self.script.pop(0)
            return self.rng.choices([h for h, _ in HOW], [w for _, w in HOW])[0]

    def pay(
        self, reference: str, amount: int, currency: str, *, timeout: float, on_state: StateListener | None = None
    ) -> TerminalResult:
        result = super().pay(reference, amount, currency, timeout=timeout, on_state=on_state)
        hook = self.after_charge
        if hook is not None and result.approved:
            hook()
        return result

    def customers_act(self) -> None:
        """Those the terminal still waits for tap (mostly) or give up."""
        with self._lock:
            waiting = [r for r in self.records.values() if r.outcome == "in_progress"]
            for record in waiting:
                if self.rng.random() < 0.3:
                    record.outcome = "approved" if self.rng.random() < 0.8 else "cancelled"


class Server:
    def __init__(self, tmp: Path, terminal_url: str) -> None:
        self.data_dir = tmp / "data"
        self.port = free_port()
        self.terminal_url = terminal_url
        self.proc: subprocess.Popen[bytes] | None = None
        self.lock = threading.RLock()
        self.kills: Counter[str] = Counter()
        self.log = open(tmp / "server.log", "ab")  # closed by close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.lock:
            if self.proc is not None and self.proc.poll() is None:
                return
            cmd = [sys.executable, "-m", "tests.integration.terminal.till_server", self.terminal_url, str(WINDOW)]
            cmd += ["--", "serve", "--data-dir", str(self.data_dir), "--port", str(self.port)]
            env = {**os.environ, "PYTHONUNBUFFERED": "1"}
            self.proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=self.log, stderr=self.log)
            proc = self.proc
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        if proc.poll() is None:
            raise AssertionError("the server did not come up in 60 s")

    def kill(self, why: str) -> None:
        with self.lock:
            if self.proc is None or self.proc.poll() is not None:
                return
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
            self.kills[why] += 1

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
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.log.close()


class Chaos(threading.Thread):
    """Kills the server at random moments, and every third time just after a charge."""

    def __init__(self, server: Server, terminal: ChaosTerminal, kills: int, rng: random.Random) -> None:
        super().__init__(name="chaos", daemon=True)
        self.server, self.terminal, self.kills, self.rng = server, terminal, kills, rng
        self.done = 0
        self.error: BaseException | None = None
        self.stopping = threading.Event()

    def run(self) -> None:
        try:
            while self.done < self.kills and not self.stopping.is_set():
                time.sleep(self.rng.uniform(0.3, 1.2))
                if self.done % 3 == 0:
                    if not self._kill_after_a_charge():
                        continue
                else:
                    self.server.kill("random")
                time.sleep(self.rng.uniform(0.0, 0.5))
                self.server.start()
                self.done += 1
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            self.error = exc

    def _kill_after_a_charge(self) -> bool:
        """The terminal has charged; its answer is on its way to a server that dies now."""
        fired = threading.Event()

        def kill_now() -> None:
            if not fired.is_set():
                fired.set()
                self.server.kill("after_charge")

        self.terminal.after_charge = kill_now
        fired.wait(15)
        self.terminal.after_charge = None
        return fired.is_set()


class Till:
    """A till's side of the API, retrying as a till does."""

    def __init__(self, server: Server, rng: random.Random) -> None:
        self.server = server
        self.rng = rng
        self.http = httpx.Client(base_url=server.url, timeout=60, trust_env=False)
        self.counts: Counter[str] = Counter()
        self.anomalies: list[str] = []
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
        self.call("POST", f"/api/v1/sales/{sale_id}/items", json={"sku": "APL"})
        due = self.call("GET", f"/api/v1/sales/{sale_id}").json()["totals"]["due"]
        if self.pay(sale_id, due) == "card" and n % 3 == 0:
            body = {"lines": [{"line": 1}], "reason": "chaos test refund"}
            answer = self.call(
                "POST", f"/api/v1/sales/{sale_id}/refunds", json=body, headers={"Idempotency-Key": str(uuid.uuid4())}
            )
            assert answer.status_code == 201, answer.text
            self.counts["refunds"] += 1

    def pay(self, sale_id: int, amount: int) -> str:
        key = str(uuid.uuid4())
        impatient = self.rng.random() < 0.15  # pays cash while the terminal is still on it
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
                if impatient:
                    cash = self.call(
                        "POST", f"/api/v1/sales/{sale_id}/payments", json={"method": "cash", "amount": amount}
                    )
                    if cash.status_code == 201:
                        self.counts["paid_cash_meanwhile"] += 1
                        return "cash"
                    impatient = False
                time.sleep(0.3)
            elif code in NOTHING_CHARGED:
                self.counts[f"told_{code}"] += 1
                key = str(uuid.uuid4())
                time.sleep(0.1)
            elif code == "sale_paid" or code == "amount_exceeds_due":
                self.anomalies.append(f"sale {sale_id}: paid after the till was told nothing was charged ({code})")
                return "card"
            else:
                raise AssertionError(f"sale {sale_id}: unexpected answer {answer.status_code} {answer.text}")
        self.anomalies.append(f"sale {sale_id}: still not settled after 120 s")
        return "none"


def _seed_store(data_dir: Path) -> None:
    shop, _ = init_store(data_dir, NewStore(store_name="Terminal Chaos"))
    set_cash_needs_shift(shop, False)
    users.add_user(shop, None, "supervisor", "supervisor", PASSWORD)
    catalog.import_csv(shop, None, CATALOG)
    auth.throttle._failures.clear()
    shop.close()


def audit(data_dir: Path, terminal: FakeTerminal) -> tuple[list[str], dict[str, int]]:
    """The store's books against the terminal's own record."""
    shop = open_shop(load(data_dir))
    try:
        conn = shop.db.conn
        rows = {r["reference"]: dict(r) for r in conn.execute("SELECT * FROM terminal_transactions")}
        payments = {r["id"]: dict(r) for r in conn.execute("SELECT * FROM payments WHERE method = 'card'")}
        tenders = [dict(r) for r in conn.execute("SELECT * FROM refund_tenders WHERE method = 'card'")]
    finally:
        shop.close()
    records = dict(terminal.records)
    wrong: list[str] = []
    for reference, record in records.items():
        row = rows.get(reference)
        if row is None:
            wrong.append(f"terminal {record.kind} {reference}: the till never wrote it")
            continue
        if record.kind != "payment" or record.outcome != "approved":
            continue
        if row["status"] == "approved":
            payment = payments.get(row["payment_id"])
            if payment is None or payment["amount"] != record.amount or payment["sale_id"] != row["sale_id"]:
                wrong.append(f"charge {reference}: approved at the terminal, no matching payment on its sale")
        elif row["status"] == "reversed":
            back = records.get(reference + "-reversal")
            if back is None or back.outcome != "approved" or back.amount != record.amount:
                wrong.append(f"charge {reference}: reversed in the books, not at the terminal")
        elif row["status"] != "flagged":
            wrong.append(f"charge without a payment: {reference} is {row['status']} in the books")
    for payment in payments.values():
        details = json.loads(payment["details"])
        found = [r for r in rows.values() if r["payment_id"] == payment["id"] and r["kind"] == "payment"]
        charge = records.get(found[0]["reference"]) if found else None
        if "terminal" in details and (
            charge is None or charge.outcome != "approved" or charge.amount != payment["amount"]
        ):
            wrong.append(f"payment {payment['id']} of sale {payment['sale_id']}: no charge at the terminal")
    charged_by_sale: Counter[int] = Counter()
    paid_by_sale: Counter[int] = Counter()
    for reference, held in terminal.charged().items():
        row = rows.get(reference)
        # held: less what the terminal gave back of it; a flagged one is a manager's, counted apart
        if row is not None and held and row["status"] != "flagged":
            charged_by_sale[row["sale_id"]] += held
    for payment in payments.values():
        paid_by_sale[payment["sale_id"]] += payment["amount"]
    refunded_by_sale: Counter[int] = Counter()
    for row in rows.values():
        if row["kind"] == "refund" and row["status"] == "approved":
            refunded_by_sale[row["sale_id"]] += row["amount"]
    for sale_id, net in charged_by_sale.items():
        if net > paid_by_sale[sale_id] - refunded_by_sale[sale_id]:
            wrong.append(f"double charge: sale {sale_id} holds {net} at the terminal, its card tenders less")
    for row in rows.values():
        if row["status"] in ("pending", "unattached"):
            wrong.append(f"{row['kind']} {row['reference']} still {row['status']} after the settling")
        if row["kind"] == "refund":
            given_back = records.get(row["reference"])
            given = given_back is not None and given_back.outcome == "approved" and given_back.amount == row["amount"]
            if given != (row["status"] == "approved"):
                wrong.append(f"refund {row['reference']}: {row['status']} in the books, the terminal {given_back}")
    queued = {(r["refund_id"], r["payment_id"]) for r in rows.values() if r["kind"] == "refund"}
    for tender in tenders:
        if (tender["refund_id"], tender["payment_id"]) not in queued:
            wrong.append(f"refund {tender['refund_id']}: {tender['amount']} to a card on the books, never queued")
    counted = {
        "terminal_records": len(records),
        "charges": sum(1 for r in records.values() if r.kind == "payment" and r.outcome == "approved"),
        "card_payments": len(payments),
        "reversed": sum(1 for r in rows.values() if r["status"] == "reversed"),
        "flagged_charges": sum(1 for r in rows.values() if r["status"] == "flagged" and r["kind"] == "payment"),
        "flagged_refunds": sum(1 for r in rows.values() if r["status"] == "flagged" and r["kind"] == "refund"),
        "refunds": sum(1 for r in rows.values() if r["kind"] == "refund"),
        "failed": sum(1 for r in rows.values() if r["status"] == "failed"),
    }
    return wrong, counted


@pytest.fixture
def terminal() -> Iterator[tuple[ChaosTerminal, str]]:
    double = ChaosTerminal(random.Random(SEED + 2))
    gone = threading.Event()

    def customers() -> None:
        while not gone.wait(0.3):
            double.customers_act()

    thread = threading.Thread(target=customers, name="customers", daemon=True)
    thread.start()
    with serve_over_http(double) as url:
        yield double, url
    gone.set()
    thread.join(5)


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def test_exactly_once_at_the_terminal_whatever_dies(terminal: tuple[ChaosTerminal, str], tmp_path: Path) -> None:
    double, url = terminal
    _seed_store(tmp_path / "data")
    server = Server(tmp_path, url)
    rng = random.Random(SEED)
    print(f"terminal chaos seed {SEED} (COMPTOIR_CHAOS_SEED={SEED} replays it), {KILLS} kills")
    try:
        server.start()
        till = Till(server, random.Random(SEED + 1))
        chaos = Chaos(server, double, KILLS, rng)
        started = time.monotonic()
        chaos.start()
        n = 0
        while chaos.is_alive() or n < 8:
            till.sale(n)
            n += 1
            if time.monotonic() - started > max(600, 30 * KILLS):  # a restart takes seconds
                chaos.stopping.set()
                raise AssertionError(f"took more than {max(600, 30 * KILLS)} s; kills {dict(server.kills)}")
        chaos.join(60)
        assert chaos.error is None, repr(chaos.error)
        # Closing time: the customers all decided, the terminal calm, every send older than
        # the window; a restart settles what is left at start-up.
        with double._lock:
            double.script = ["approve"] * 1000
            for record in double.records.values():
                if record.outcome == "in_progress":
                    record.outcome = "approved"
        server.stop()
        time.sleep(WINDOW + 0.5)
        server.start()
        server.stop()
        wrong, counted = audit(server.data_dir, double)
    except BaseException:
        print("server log:\n" + _tail(tmp_path / "server.log"))
        raise
    finally:
        server.close()
    summary = f"seed {SEED}; kills {dict(server.kills)}; till {dict(till.counts)}; sales {n}; books {counted}"
    print(summary)
    assert chaos.done == KILLS, summary
    assert till.anomalies == [], f"{till.anomalies}; {summary}"
    assert wrong == [], "\n".join(wrong) + "\n" + summary
