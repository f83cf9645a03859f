"""The till's hot path does only the work a request needs: the statements each request of a
cash sale runs, counted on the real store behind the real app, against the floor.

A scan reads its product and, of the sale this process last wrote (services/open_sales.py),
only its revision and the live promotions; writes the line, reads the revision it moved to
(what the copy kept in memory is stamped with) and, as the till sends it with an
Idempotency-Key, the stored answer; the answer is made from what was read, with no read
after the write. A change without a key builds its answer after its commit. A cash tender
that completes the sale reads its revision and nothing of it back after the completion.

Each bound below is the floor this code reaches, with the statements that make it named;
a new read on the path fails here with the request's statements printed."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlcipher3.dbapi2 as dbapi2
from starlette.testclient import TestClient

from appliance.app.services import catalog, sale_view, users
from appliance.app.services.setup import NewStore, init_store
from appliance.app.web.app import create_app
from tests.conftest import CATALOG, PASSWORD, Api, logged_in, set_cash_needs_shift

SESSION = 0  # a held session costs no statement (services/session_cache.py)

# BEGIN IMMEDIATE, the terminal (INSERT OR IGNORE) and the sale written, COMMIT.
OPEN = SESSION + 4
# BEGIN, the key's first answer looked up, the product by its barcode (with its codes), the
# sale as this process wrote it (its revision, the promotions live now), the line written,
# the revision it moved to, the answer stored, COMMIT.
SCAN = SESSION + 1 + 1 + 1 + 2 + 1 + 1 + 1 + 1
# The same without a key: no answer looked up nor stored.
SCAN_WITHOUT_KEY = SCAN - 2
# BEGIN, the key, the drawer's shift (the store rule it follows is held with the settings),
# the sale (2), the payment written; the completion: receipt counter (3), the sale frozen (1),
# each line's discount (2 lines), each tax (GST, QST) and each line's stock; the gift cards
# sold on it and its customer looked up (its effects); its outbox event (the last event read,
# this one written: services/outbox.py); the answer stored, COMMIT.
CASH_COMPLETING = SESSION + 1 + 1 + 1 + 2 + 1 + 3 + 1 + 2 + 2 + 2 + 2 + 2 + 1 + 1

APPLE, BREAD = "4006381333931", "96385074"  # standard-rated and tax-exempt, in CATALOG


class Trace:
    """Every statement any connection of the store runs, with whether it ran in a transaction."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, statement: str) -> None:
        if statement.startswith("PRAGMA"):  # a worker thread's new connection opening
            return
        statement = " ".join(statement.split())
        with self._lock:
            # Each trigger the statement fires (the report summaries of migration 0032) is
            # traced again under the same text: one statement the code sent, counted once.
            if not self.statements or self.statements[-1] != statement:
                self.statements.append(statement)

    def request(self, send: Callable[[], Any]) -> tuple[Any, list[str]]:
        with self._lock:
            self.statements.clear()
        answer = send()
        assert answer.status_code < 300, answer.text
        with self._lock:
            return answer.json(), list(self.statements)


@pytest.fixture
def traced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Api, Trace]]:
    trace = Trace()
    connect = dbapi2.connect

    def traced_connect(*args: Any, **kwargs: Any) -> Any:
        conn = connect(*args, **kwargs)
        conn.set_trace_callback(trace)
        return conn

    # Before the store opens: every connection, whichever thread opens it, is traced.
    monkeypatch.setattr(dbapi2, "connect", traced_connect)
    shop, _ = init_store(tmp_path / "data", NewStore(store_name="Traced Market"))
    set_cash_needs_shift(shop, False)
    users.add_user(shop, None, "cashier", "cashier", PASSWORD)
    catalog.import_csv(shop, None, CATALOG)
    try:
        with TestClient(create_app(shop), base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
            api = logged_in(client, "cashier")
            # The session's first use reads it from the store; from then on it is held.
            assert api.get("/api/v1/auth/me").status_code == 200
            yield api, trace
    finally:
        shop.close()


def read_from(statement: str) -> str | None:
    """The table a SELECT reads from (its outermost FROM, not a subquery's)."""
    if not statement.startswith("SELECT"):
        return None
    depth = 0
    for at, char in enumerate(statement):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and statement.startswith(" FROM ", at):
            return statement[at + 6 :].split()[0]
    return None


def selects_of(statements: list[str], table: str) -> int:
    return sum(1 for s in statements if read_from(s) == table)


def inside_transaction(statements: list[str]) -> list[str]:
    begin = next(at for at, s in enumerate(statements) if s.startswith("BEGIN"))
    return statements[begin + 1 : statements.index("COMMIT")]


def test_a_cash_sale_runs_no_statement_beyond_the_floor(traced: tuple[Api, Trace]) -> None:
    api, trace = traced
    sale, opened = trace.request(lambda: api.post("/api/v1/sales"))
    assert len(opened) <= OPEN, opened
    assert not [s for s in opened if s.startswith("SELECT") and "FROM sessions" not in s and "FROM users" not in s]

    def scan(code: str, key: str | None) -> tuple[Any, list[str]]:
        headers = {"Idempotency-Key": key} if key else None
        items = f"/api/v1/sales/{sale['id']}/items"
        return trace.request(lambda: api.post(items, json={"barcode": code}, headers=headers))

    scanned, statements = scan(APPLE, "scan-apple-1")
    assert len(statements) <= SCAN, statements
    assert [ln["sku"] for ln in scanned["lines"]] == ["APL"] and scanned["totals"]["total"] == 143
    # In the write lock: the key, the product, the sale's revision before and after the line
    # and the promotions; none of its lines or payments (the copy the opening kept).
    reads = [read_from(s) for s in inside_transaction(statements) if s.startswith("SELECT")]
    assert sorted(reads) == sorted(["idempotency", "products", "sales", "promotions", "sales"])

    scanned, statements = scan(BREAD, None)
    assert len(statements) <= SCAN_WITHOUT_KEY, statements
    assert statements[-1] == "COMMIT"  # the answer needed no read after the write
    assert scanned["totals"]["total"] == 492

    paid, statements = trace.request(
        lambda: api.post(
            f"/api/v1/sales/{sale['id']}/payments",
            json={"method": "cash", "amount": 500},
            headers={"Idempotency-Key": "pay-cash-0001"},
        )
    )
    assert paid["status"] == "completed" and paid["change"] == 10 and paid["receipt_number"] == "T01-000001"
    assert [t["amount"] for t in paid["taxes"]] == [6, 12] and paid["totals"]["due"] == 0
    assert len(statements) <= CASH_COMPLETING, statements
    # The sale's revision read once, none of its payments; nothing read back once the
    # completion is written, by the answer or by the customer display that hears of the receipt.
    assert selects_of(statements, "sales") == 1 and selects_of(statements, "payments") == 0
    assert selects_of(statements, "sale_taxes") == 0 and statements[-1] == "COMMIT"
    assert selects_of(statements, "settings") == 0

    # What the tender answered is what the sale now is.
    again, _ = trace.request(lambda: api.get(f"/api/v1/sales/{sale['id']}"))
    assert again == paid


def test_a_change_without_a_key_answers_after_its_commit(
    traced: tuple[Api, Trace], monkeypatch: pytest.MonkeyPatch
) -> None:
    api, trace = traced
    sale = api.post("/api/v1/sales").json()
    built_in_transaction: list[bool] = []
    shown = sale_view.shown

    def spied(shop: Any, found: Any, conn: Any) -> Any:
        built_in_transaction.append(bool(conn.in_transaction))
        return shown(shop, found, conn)

    monkeypatch.setattr(sale_view, "shown", spied)
    scanned, statements = trace.request(
        lambda: api.post(f"/api/v1/sales/{sale['id']}/items", json={"barcode": APPLE, "quantity": 2})
    )
    changed, more = trace.request(lambda: api.patch(f"/api/v1/sales/{sale['id']}/items/1", json={"quantity": 3}))
    assert built_in_transaction == [False, False]
    assert scanned["lines"][0]["quantity"] == 2 and changed["lines"][0]["quantity"] == 3
    assert changed["totals"]["total"] == 431 and statements[-1] == "COMMIT"
    # A quantity changed: the sale's revision and promotions, the line written, the revision
    # it moved to, nothing after the commit.
    assert len(more) <= SESSION + 1 + 2 + 1 + 1 + 1, more
    assert more[-1] == "COMMIT"
