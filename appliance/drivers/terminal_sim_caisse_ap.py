"""A simulated Caisse-AP over IP payment terminal, for development and tests: it listens on
TCP like a French TPE, reads one Caisse-AP message per connection and answers it with the
tags a terminal sends (see appliance.drivers.terminal_caisse_ap for the specification and
its sources), then closes.

It keeps its own journal of transactions in a JSON state file (written atomically, under a
lock, so that `tell` and `records` work from another process) and obeys a queue of
behaviours, one per transaction, approve when the queue is empty:

    approve       approved at once
    decline       not done: AF 04 (refused)
    pin           the record passes through the "pin" state, then approved
    wait:SECONDS  waits that long for the card, then approved
    timeout       never answers: the record stays in progress, the connection open
    lose-answer   charged and recorded, then the connection is dropped unanswered
    restart       recorded in progress, then the process exits (os._exit: serve it in a
                  process of its own); when it is served again, the record says what a
                  terminal reports after a reboot mid-transaction: not done, AF 07 (non
                  aboutie), nothing charged

A consultation (CD 3) with our reference in CF is answered from the journal: the latest
transaction under that CF as it was answered (AE 11 while in progress), or, when there is
none, the consultation echoed with AE 01 AF 10 (nothing selected). Without CF it says
whether the terminal is busy (AE 11) or idle (AE 10). Like a terminal that serves one till
session at a time, it drops a transaction that arrives while another runs, unanswered.

The journal holds no card data: brand, last four, authorisation number, amount, outcome.
The receipt it sends prints the card number masked, as terminals do, and is not kept.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import fcntl
import json
import os
import secrets
import signal
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from appliance.drivers.caisse_ap_messages import (
    CONSULTATION,
    CREDIT,
    CURRENCIES,
    DEBIT,
    DONE,
    LETTERS,
    NOT_DONE,
    TAKEN,
    MessageError,
    decode,
    encode,
)

BEHAVIOURS = ("approve", "decline", "pin", "timeout", "lose-answer", "restart")
MANDATORY = ("CZ", "CJ", "CA", "CB", "CD", "CE")
# The card the simulated customer presents: a Visa read contactless. Only its last four
# exist here; no card number is written anywhere.
CARD = {"brand": "Visa", "last_four": "0019", "aid": "A0000000031010", "application": "00B", "read": "2"}
CARD_KEPT = {"brand": CARD["brand"], "last_four": CARD["last_four"]}
CONTRACT = "1234567"
READ_QUIET = 0.1


def check_behaviour(behaviour: str) -> str:
    if behaviour in BEHAVIOURS:
        return behaviour
    name, _, seconds = behaviour.partition(":")
    if name == "wait":
        try:
            if float(seconds) >= 0:
                return behaviour
        except ValueError:
            pass
    raise ValueError(f"unknown behaviour {behaviour!r}: {', '.join(BEHAVIOURS)} or wait:SECONDS")


# The state file.


@contextlib.contextmanager
def _locked(state: Path) -> Iterator[dict[str, Any]]:
    """The state, read and then written back atomically, with other processes kept out."""
    state.parent.mkdir(parents=True, exist_ok=True)
    with open(state.with_name(state.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = _load(state)
        yield data
        _save(state, data)


def _load(state: Path) -> dict[str, Any]:
    try:
        data = json.loads(state.read_text(encoding="utf-8"))
    except FileNotFoundError:
        data = {}
    data.setdefault("queue", [])
    data.setdefault("transactions", [])
    return cast(dict[str, Any], data)


def _save(state: Path, data: dict[str, Any]) -> None:
    tmp = state.with_name(f".{state.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, state)
    fd = os.open(state.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def tell(state: Path, behaviours: list[str]) -> None:
    """Queues behaviours for the next transactions, one each, in order."""
    checked = [check_behaviour(b) for b in behaviours]
    with _locked(state) as data:
        data["queue"].extend(checked)


def records(state: Path) -> list[dict[str, Any]]:
    """The terminal's journal, oldest first."""
    if not state.parent.is_dir():
        return []
    with open(state.with_name(state.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_SH)
        return list(_load(state)["transactions"])


def _update(state: Path, number: int, changes: dict[str, Any]) -> dict[str, Any]:
    with _locked(state) as data:
        record: dict[str, Any] = data["transactions"][number - 1]
        record.update(changes)
        return dict(record)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


# Answers.


def _answer(request: dict[str, str], record: dict[str, Any] | None, *, receipt: bool = False, **status: str) -> bytes:
    """The terminal's answer to `request`: for `record` as it stands, or, with no record,
    the request echoed with `status` (AE, AF)."""
    fields = [("CZ", request.get("CZ", "0320")), ("CJ", request.get("CJ", "000000000000"))]
    if record is None:
        fields += [(t, request[t]) for t in ("CA", "CB", "CD", "CE", "CF") if t in request]
        return encode(fields + list(status.items()))
    fields += [(t, request[t]) for t in ("CA", "CE") if t in request]
    fields += [("CD", DEBIT if record["action"] == "debit" else CREDIT), ("CF", record["reference"])]
    fields.append(("CB", f"{record['amount']:012d}"))
    if record["state"] == "approved":
        fields += [("AE", DONE), ("AC", record["auth"]), ("CC", CARD["application"]), ("CI", CARD["read"])]
        fields += [("AI", CARD["aid"]), ("AA", "#" * 12 + CARD["last_four"]), ("CG", CONTRACT)]
    elif record["state"] in ("declined", "cancelled"):
        fields += [("AE", NOT_DONE), ("AF", record["reason"])]
    else:
        fields.append(("AE", TAKEN))
    if receipt and record["state"] in ("approved", "declined"):
        ticket = base64.b64encode("\n".join(_receipt(record)).encode("ascii")).decode("ascii")
        fields.append(("ZT", encode([("CK", "100"), ("AK", ticket)], whole=False).decode("ascii")))
    return encode(fields)


def _receipt(record: dict[str, Any]) -> list[str]:
    letters = LETTERS.get(record["currency"], record["currency"])
    exponent = CURRENCIES.get(letters, ("", 2))[1]
    units, minor = divmod(record["amount"], 10**exponent)
    amount = f"{units},{minor:0{exponent}d}" if exponent else str(units)
    lines = ["CARTE BANCAIRE", "SANS CONTACT", CARD["aid"], CARD["brand"].upper()]
    lines += [f"Le {record['started_at'][:10]}", "COMPTOIR SIMULATEUR", "#" * 12 + CARD["last_four"]]
    if record["state"] == "approved":
        lines.append(f"NUM AUTO : {record['auth']}")
    else:
        lines.append("ABANDON" if record["reason"] != "04" else "REFUSEE")
    lines += ["MONTANT :", f"{amount} {letters}", "DEBIT" if record["action"] == "debit" else "CREDIT"]
    return [*lines, "TICKET CLIENT", "A CONSERVER"]


def _read_request(conn: socket.socket) -> bytes:
    """Until the records end on a boundary and nothing more comes, or the till closes."""
    buf = b""
    conn.settimeout(30)
    while True:
        try:
            chunk = conn.recv(4096)
        except TimeoutError:
            return buf
        if not chunk:
            return buf
        buf += chunk
        try:
            decode(buf)
        except MessageError:
            continue
        conn.settimeout(READ_QUIET)


class _Handler(socketserver.BaseRequestHandler):
    server: _Terminal

    def handle(self) -> None:
        conn: socket.socket = self.request
        raw = _read_request(conn)
        if not raw:
            return
        try:
            request = decode(raw)
        except MessageError:
            conn.sendall(_answer({}, None, AE=NOT_DONE, AF="09"))
            return
        if request.get("CD") == CONSULTATION:
            conn.sendall(self.server.consult(request))
            return
        if not self.server.session.acquire(blocking=False):
            return  # one till session at a time: this one is dropped unanswered
        try:
            self.server.transact(conn, request)
        finally:
            self.server.session.release()


class _Terminal(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: Path) -> None:
        self.state = state
        self.session = threading.Lock()
        super().__init__(address, _Handler)

    def consult(self, request: dict[str, str]) -> bytes:
        reference = request.get("CF")
        journal = records(self.state)
        if reference is None:
            return _answer(request, None, AE=TAKEN if self.session.locked() else DONE)
        mine = [r for r in journal if r["reference"] == reference]
        if not mine:
            return _answer(request, None, AE=NOT_DONE, AF="10")
        return _answer(request, mine[-1])

    def transact(self, conn: socket.socket, request: dict[str, str]) -> None:
        refused = self._refusal(request)
        if refused:
            conn.sendall(_answer(request, None, AE=NOT_DONE, AF=refused))
            return
        with _locked(self.state) as data:
            behaviour = data["queue"].pop(0) if data["queue"] else "approve"
            record: dict[str, Any] = {
                "number": len(data["transactions"]) + 1,
                "reference": request.get("CF", ""),
                "caisse": request["CA"],
                "action": "debit" if request["CD"] == DEBIT else "credit",
                "amount": int(request["CB"]),
                "currency": request["CE"],
                "behaviour": behaviour,
                "state": "waiting_for_card",
                "started_at": _now(),
            }
            data["transactions"].append(record)
        number = record["number"]
        receipt = request.get("CK") == "100"
        if behaviour == "pin":
            _update(self.state, number, {"state": "pin"})
        elif behaviour.startswith("wait:"):
            time.sleep(float(behaviour.partition(":")[2]))
        elif behaviour == "restart":
            _update(self.state, number, {"state": "processing"})
            os._exit(75)  # the terminal reboots mid-transaction
        elif behaviour == "timeout":
            _update(self.state, number, {"state": "processing"})
            conn.settimeout(None)
            with contextlib.suppress(OSError):
                while conn.recv(4096):
                    pass
            return
        if behaviour == "decline":
            done = _update(self.state, number, {"state": "declined", "reason": "04", "finished_at": _now()})
        else:
            auth = f"{secrets.randbelow(10**6):06d}"
            done = _update(self.state, number, {"state": "approved", "auth": auth, **CARD_KEPT, "finished_at": _now()})
        if behaviour == "lose-answer":
            return
        conn.sendall(_answer(request, done, receipt=receipt))

    @staticmethod
    def _refusal(request: dict[str, str]) -> str | None:
        """The AF of a request refused unread, if it is."""
        if any(not request.get(t) for t in MANDATORY) or not request["CB"].isdigit():
            return "09"
        if request["CD"] not in (DEBIT, CREDIT):
            return "12"
        if request["CE"] not in LETTERS:
            return "13"
        return None


def _recover(state: Path) -> None:
    """After a restart, a transaction the terminal was in did not complete."""
    with _locked(state) as data:
        for record in data["transactions"]:
            if record["state"] not in ("approved", "declined", "cancelled"):
                record.update(state="cancelled", reason="07", finished_at=_now(), note="terminal restarted")


def serve(*, host: str, port: int, state: Path) -> None:
    """Listens on host:port until SIGINT or SIGTERM (from the main thread; from another
    thread, until the process ends)."""
    _recover(state)
    stopping: list[int] = []
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            # Only a flag: a signal handler that takes a lock can deadlock the thread it interrupts.
            signal.signal(sig, lambda signum, _: stopping.append(signum))
    with _Terminal((host, port), state) as server:
        thread = threading.Thread(target=server.serve_forever, name="caisse-ap-sim", daemon=True)
        thread.start()
        while not stopping:
            time.sleep(0.1)
        server.shutdown()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="a simulated Caisse-AP over IP terminal")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8888)
    parser.add_argument("--state", type=Path, required=True)
    args = parser.parse_args(argv)
    serve(host=args.host, port=args.port, state=args.state)


if __name__ == "__main__":
    main()
