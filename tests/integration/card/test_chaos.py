"""Chaos: card sales and refunds over HTTP while the server and the acquirer are killed.

Real processes on loopback: `comptoir serve` (the till's server) and `comptoir acquirer
serve` (the simulated acquirer, keeping its books in a state file), with a latency/fault
proxy between them (tests/fakes/latency_proxy.py: late chunks, answers cut off). A till
drives sales and refunds through the HTTP API and retries as a till does: the same
Idempotency-Key until the payment is settled, a new one only after a definitive "nothing
was charged"; now and then the customer walks away while a payment is being checked (the
sale is cancelled: a capture that lands after that must be voided). Meanwhile both
processes are SIGKILLed at random, and at named points:

- acquirer_after_capture: the acquirer has captured, its answer is on the wire: killed;
- server_between_send_and_settle: the acquirer's answer comes back to a dead server;
- server_with_request_in_flight: the server dies with its authorisation held in the
  network; the request lands after the restart (or, held past the window, is refused);
- server_after_refund_commit: the refund is committed, its card part not yet sent;
- acquirer_after_refund: the acquirer refunded, its answer is lost.

Then everything is settled (a last restart past the in-flight window) and the store is
checked against the acquirer's own records: no sale captured more than its card tenders,
no capture without its payment in the store (or voided), no refund on the books that the
acquirer never got. COMPTOIR_CHAOS_KILLS (default 20) sets the number of kills,
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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from appliance.app.services import auth, catalog, users
from appliance.app.services.opening import open_shop
from appliance.app.services.setup import NewStore, init_store
from appliance.config import load
from appliance.processes import free_port
from tests.conftest import set_keyed_cards
from tests.fakes.latency_proxy import DROP, FORWARD, Faults, LatencyProxy

pytestmark = pytest.mark.slow

PASSWORD = "Sesame-2026-open"  # test account only
CATALOG = "sku,name,price,tax_class,barcodes,stock\nAPL,Apple,10.00,exempt,,100000\n"
VISA = {"number": "4111111111111111", "exp_month": 12, "exp_year": 2030}
# The in-flight window, seconds, on both sides (the protocol's is 60): longer than a restart
# of the server, so that a request held in the network across one can still land.
WINDOW = 8.0
KILLS = int(os.environ.get("COMPTOIR_CHAOS_KILLS", "20"))
SEED = int(os.environ.get("COMPTOIR_CHAOS_SEED", str(random.randrange(1 << 30))))
AUTHORISE = "POST /v1/authorisations "
NAMED = (
    "acquirer_after_capture",
    "server_between_send_and_settle",
    "server_with_request_in_flight",
    "server_after_refund_commit",
    "acquirer_after_refund",
)
# Answers after which the till may pay again under a new key: nothing was charged.
NOTHING_CHARGED = {"gateway_unavailable", "card_failed", "card_refused", "card_reversed"}


def _is_refund(line: str) -> bool:
    return line.startswith("POST /v1/authorisations/") and "/refunds " in line


class Cluster:
    """The two processes, started, killed and restarted; the proxy between them."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.data_dir = tmp / "data"
        self.state = tmp / "acquirer.json"
        self.sim_port, self.server_port = free_port(), free_port()
        self.proxy = LatencyProxy(self.sim_port, seed=SEED).start()
        self.sim: subprocess.Popen[bytes] | None = None
        self.server: subprocess.Popen[bytes] | None = None
        self.lock = threading.RLock()
        self.server_up = threading.Event()
        self.kills: Counter[str] = Counter()
        self.sim_log = open(tmp / "acquirer.log", "ab")
        self.server_log = open(tmp / "server.log", "ab")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"

    def start_sim(self) -> None:
        with self.lock:
            if self.sim is not None and self.sim.poll() is None:
                return
            cmd = [sys.executable, "-m", "appliance", "acquirer", "serve", "--port", str(self.sim_port)]
            cmd += ["--state", str(self.state), "--in-flight-window", str(WINDOW)]
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.sim_log)
            assert proc.stdout is not None
            line = proc.stdout.readline()  # it listens (its backlog holds early callers)
            assert b"listening on" in line, f"the acquirer did not start: {line!r}"
            self.sim = proc
            self.proxy.upstream_down(False)

    def start_server(self) -> None:
        with self.lock:
            if self.server is not None and self.server.poll() is None:
                return
            env = {
                **os.environ,
                "COMPTOIR_GATEWAY_URL": self.proxy.url,
                "COMPTOIR_GATEWAY_WINDOW": str(WINDOW),
                "PYTHONUNBUFFERED": "1",
            }
            cmd = [sys.executable, "-m", "appliance", "serve", "--data-dir", str(self.data_dir)]
            cmd += ["--port", str(self.server_port)]
            self.server = subprocess.Popen(cmd, env=env, stdout=self.server_log, stderr=self.server_log)
            proc = self.server
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    self.server_up.set()
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        if proc.poll() is None:
            raise AssertionError("the server did not come up in 60 s")
        # Killed while it started (a named point can fire during its start-up): the caller
        # (the chaos thread) restarts it.

    def kill(self, which: str, why: str) -> None:
        with self.lock:
            proc = self.sim if which == "acquirer" else self.server
            if proc is None or proc.poll() is not None:
                return
            if which == "server":
                self.server_up.clear()
            else:
                self.proxy.upstream_down(True)  # the till's server now finds it refusing
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            self.kills[why] += 1

    def start(self, which: str) -> None:
        if which == "acquirer":
            self.start_sim()
        else:
            self.start_server()

    def stop(self, which: str) -> None:
        """A clean stop (SIGTERM), as at closing time."""
        with self.lock:
            proc = self.sim if which == "acquirer" else self.server
            if proc is None or proc.poll() is not None:
                return
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
            if which == "server":
                self.server_up.clear()
            else:
                self.proxy.upstream_down(True)

    def close(self) -> None:
        for which in ("server", "acquirer"):
            proc = self.sim if which == "acquirer" else self.server
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(10)
        self.proxy.close()
        self.sim_log.close()
        self.server_log.close()


class Chaos(threading.Thread):
    """Kills one process at a time, at random moments and at named points, and restarts it."""

    def __init__(self, cluster: Cluster, kills: int, rng: random.Random) -> None:
        super().__init__(name="chaos", daemon=True)
        self.cluster, self.kills, self.rng = cluster, kills, rng
        self.not_fired: Counter[str] = Counter()
        self.done = 0
        self.error: BaseException | None = None
        self.stopping = threading.Event()

    def run(self) -> None:
        try:
            while self.done < self.kills and not self.stopping.is_set():
                time.sleep(self.rng.uniform(0.2, 0.8))
                # Every other kill at a named point, in turn; the others anywhere.
                if self.done % 2 == 0:
                    kind = NAMED[(self.done // 2) % len(NAMED)]
                    if self._named(kind):
                        self.done += 1
                    else:
                        self.not_fired[kind] += 1
                else:
                    which = self.rng.choice(("server", "acquirer"))
                    self.cluster.kill(which, f"random_{which}")
                    time.sleep(self.rng.uniform(0.0, 0.6))
                    self._restart(which)
                    self.done += 1
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            self.error = exc

    def _restart(self, which: str) -> None:
        for _ in range(5):
            self.cluster.start(which)
            proc = self.cluster.sim if which == "acquirer" else self.cluster.server
            if proc is not None and proc.poll() is None:
                return
        raise AssertionError(f"could not restart the {which}")

    def _named(self, kind: str) -> bool:
        cluster, proxy = self.cluster, self.cluster.proxy
        fired = threading.Event()
        once = threading.Lock()
        victim = "acquirer" if kind.startswith("acquirer") else "server"

        def first() -> bool:
            return once.acquire(blocking=False)

        def on_answer(line: str) -> str:
            wanted = _is_refund(line) if kind == "acquirer_after_refund" else line.startswith(AUTHORISE)
            if kind in ("acquirer_after_capture", "server_between_send_and_settle", "acquirer_after_refund"):
                if wanted and first():
                    cluster.kill(victim, kind)  # the acquirer has acted; its answer dies here
                    fired.set()
                    return DROP
            return FORWARD

        def on_request(line: str) -> str:
            if kind == "server_after_refund_commit" and _is_refund(line) and first():
                cluster.kill("server", kind)  # the refund is committed; its card part never left
                fired.set()
                return DROP
            if kind == "server_with_request_in_flight" and line.startswith(AUTHORISE) and first():
                sent = time.monotonic()
                cluster.kill("server", kind)
                fired.set()
                # Held in the network until the server is back (and has looked it up), then
                # delivered; or, held past the window, refused by the acquirer.
                cluster.server_up.wait(WINDOW * 1.5)
                time.sleep(max(0.0, 0.3 - (time.monotonic() - sent)))
                return FORWARD
            return FORWARD

        proxy.faults.on_answer, proxy.faults.on_request = on_answer, on_request
        try:
            if not fired.wait(20):
                return False
        finally:
            proxy.faults.on_answer = proxy.faults.on_request = None
        # The acquirer stays down a while: the till's retries find it refusing connections.
        time.sleep(self.rng.uniform(0.8, 1.5) if victim == "acquirer" else self.rng.uniform(0.0, 0.3))
        self._restart(victim)
        return True


class Till:
    """A till's side of the API, retrying as a till does."""

    def __init__(self, cluster: Cluster, rng: random.Random) -> None:
        self.cluster = cluster
        self.rng = rng
        self.http = httpx.Client(base_url=cluster.url, timeout=60, trust_env=False)
        self.counts: Counter[str] = Counter()
        self.anomalies: list[str] = []
        token = self.call("POST", "/api/v1/auth/login", json={"username": "manager", "password": PASSWORD})
        self.http.headers["authorization"] = f"Bearer {token.json()['token']}"

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The request, again and again while the server is down or dies under it."""
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
        if not self.pay(sale_id, due):
            return
        self.counts["sales_paid"] += 1
        if n % 3 == 0:
            self.refund(sale_id)

    def pay(self, sale_id: int, amount: int) -> bool:
        key = str(uuid.uuid4())
        deadline = time.monotonic() + 120
        body = {"method": "card", "amount": amount, "card": VISA}
        impatient = self.rng.random() < 0.2  # walks away while the payment is being checked
        while time.monotonic() < deadline:
            answer = self.call("POST", f"/api/v1/sales/{sale_id}/payments", json=body, headers={"Idempotency-Key": key})
            if answer.status_code == 201:
                assert answer.json()["status"] == "completed", answer.text
                return True
            code = answer.json()["error"]["code"]
            if code == "payment_pending":
                self.counts["payment_pending"] += 1
                if impatient:
                    self.call("POST", f"/api/v1/sales/{sale_id}/cancel", json={})
                    if self.call("GET", f"/api/v1/sales/{sale_id}").json()["status"] == "cancelled":
                        self.counts["walked_away"] += 1  # a capture that lands now must be voided
                        return False
                    impatient = False  # settled meanwhile: back to waiting for it
                time.sleep(0.3)  # same key: the outcome is being checked
            elif code in NOTHING_CHARGED:
                self.counts[f"told_{code}"] += 1
                key = str(uuid.uuid4())  # definitive: nothing was charged, pay again
                time.sleep(0.3)
            elif code == "sale_paid":
                # Told "nothing was charged" earlier, and yet the sale got paid.
                self.anomalies.append(f"sale {sale_id}: paid after the till was told nothing was charged")
                return True
            else:
                raise AssertionError(f"sale {sale_id}: unexpected answer {answer.status_code} {answer.text}")
        self.anomalies.append(f"sale {sale_id}: still not settled after 120 s")
        return False

    def refund(self, sale_id: int) -> None:
        key = str(uuid.uuid4())
        body = {"lines": [{"line": 1}], "reason": "chaos test refund"}
        answer = self.call("POST", f"/api/v1/sales/{sale_id}/refunds", json=body, headers={"Idempotency-Key": key})
        assert answer.status_code == 201, answer.text
        self.counts["refunds"] += 1


def _seed_store(data_dir: Path) -> None:
    shop, _ = init_store(data_dir, NewStore(store_name="Chaos Market"))
    set_keyed_cards(shop, True)  # the till keys card numbers in: a manager, with the rule on
    users.add_user(shop, None, "manager", "manager", PASSWORD)
    catalog.import_csv(shop, None, CATALOG)
    auth.throttle._failures.clear()
    shop.close()


def audit(data_dir: Path, state: Path) -> tuple[list[str], dict[str, int]]:
    """The store against the acquirer's own books: what is wrong, and what was counted."""
    books = json.loads(state.read_text(encoding="utf-8"))["records"]
    shop = open_shop(load(data_dir))
    try:
        conn = shop.db.conn
        attempts = {r["idempotency_key"]: dict(r) for r in conn.execute("SELECT * FROM payment_attempts")}
        payments = {r["id"]: dict(r) for r in conn.execute("SELECT * FROM payments WHERE method = 'card'")}
        card_refunds = [dict(r) for r in conn.execute("SELECT * FROM card_refunds")]
        tenders = [dict(r) for r in conn.execute("SELECT * FROM refund_tenders WHERE method = 'card'")]
    finally:
        shop.close()
    wrong: list[str] = []
    captured_by_sale: Counter[int] = Counter()
    by_id = {record["id"]: record for record in books}
    for record in books:
        attempt = attempts.get(record["idempotency_key"])
        if attempt is None:
            wrong.append(f"acquirer record {record['id']}: no attempt in the store has its key")
            continue
        if record["captured_amount"] and not record["voided"]:
            captured_by_sale[attempt["sale_id"]] += record["captured_amount"]
            payment = payments.get(attempt["payment_id"]) if attempt["payment_id"] else None
            if attempt["status"] != "approved" or payment is None or payment["reference"] != record["id"]:
                wrong.append(
                    f"capture without payment: sale {attempt['sale_id']}, {record['captured_amount']} captured,"
                    f" attempt {attempt['status']} ({attempt['decline_code']})"
                )
    paid_by_sale: Counter[int] = Counter()
    for payment in payments.values():
        paid_by_sale[payment["sale_id"]] += payment["amount"]
    for sale_id, captured in captured_by_sale.items():
        if captured > paid_by_sale[sale_id]:
            wrong.append(f"double charge: sale {sale_id} captured {captured}, its card tenders {paid_by_sale[sale_id]}")
    for attempt in attempts.values():
        if attempt["status"] == "pending":
            wrong.append(f"attempt {attempt['id']} of sale {attempt['sale_id']} still pending after the settling")
    queued = {(row["refund_id"], row["payment_id"]): row for row in card_refunds}
    for tender in tenders:
        row = queued.get((tender["refund_id"], tender["payment_id"]))
        if row is None:
            wrong.append(f"refund {tender['refund_id']}: {tender['amount']} to a card on the books, never queued")
            continue
        payment = payments[tender["payment_id"]]
        record = by_id.get(payment["reference"])
        sent = [r for r in (record or {}).get("refunds", []) if r["idempotency_key"] == row["idempotency_key"]]
        if not sent or sent[0]["amount"] != tender["amount"] or row["status"] != "refunded":
            wrong.append(
                f"refund {tender['refund_id']}: {tender['amount']} on the books, status {row['status']},"
                f" the acquirer {'has it' if sent else 'never got it'}"
            )
    counted = {
        "acquirer_records": len(books),
        "captures": sum(1 for r in books if r["captured_amount"] and not r["voided"]),
        "voided": sum(1 for r in books if r["voided"]),
        "attempts": len(attempts),
        "attempts_failed": sum(1 for a in attempts.values() if a["status"] == "failed"),
        "card_payments": len(payments),
        "card_refunds": len(card_refunds),
        "acquirer_refunds": sum(len(r.get("refunds", [])) for r in books),
    }
    return wrong, counted


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    _seed_store(tmp_path / "data")
    running = Cluster(tmp_path)
    try:
        yield running
    finally:
        running.close()


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def test_no_double_charge_no_lost_capture_no_lost_refund(cluster: Cluster, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    print(f"chaos seed {SEED} (COMPTOIR_CHAOS_SEED={SEED} replays it), {KILLS} kills")
    cluster.start_sim()
    cluster.start_server()
    cluster.proxy.faults = Faults(delay=(0.0, 0.02), drop_answer=0.05)
    till = Till(cluster, random.Random(SEED + 1))
    chaos = Chaos(cluster, KILLS, rng)
    started = time.monotonic()
    chaos.start()
    n = 0
    report: Callable[[], str] = lambda: (  # noqa: E731
        f"seed {SEED}; kills {dict(cluster.kills)}; not fired {dict(chaos.not_fired)}; till {dict(till.counts)}"
    )
    try:
        while chaos.is_alive() or n < 12:
            till.sale(n)
            n += 1
            if time.monotonic() - started > 600:
                chaos.stopping.set()
                raise AssertionError("the chaos run took more than 10 minutes: " + report())
        chaos.join(60)
        assert chaos.error is None, f"{chaos.error!r}; {report()}"

        # Closing time: a calm network, both up, every send older than the window; a last
        # restart settles what is left (start-up resolution), then a clean stop.
        cluster.proxy.faults = Faults()
        cluster.start_sim()
        cluster.start_server()
        time.sleep(WINDOW + 1)
        cluster.stop("server")
        cluster.start_server()
        cluster.stop("server")
        cluster.stop("acquirer")
        wrong, counted = audit(cluster.data_dir, cluster.state)
    except BaseException:
        print("server log:\n" + _tail(tmp_path / "server.log"))
        print("acquirer log:\n" + _tail(tmp_path / "acquirer.log"))
        raise
    summary = f"{report()}; sales {n}; store vs acquirer {counted}; {time.monotonic() - started:.0f} s"
    print(summary)
    assert chaos.done == KILLS, summary
    assert till.anomalies == [], f"{till.anomalies}; {summary}"
    assert wrong == [], "\n".join(wrong) + "\n" + summary
