"""Which transactions of a whole sale commit at which durability: the steps of the unpaid
sale at synchronous=NORMAL, everything that moves money or is audited at FULL (whose sync
of the write-ahead log makes the NORMAL commits before it durable too). What a power cut
can lose follows from it: docs/architecture.md, "What a power cut can lose".

The trace is SQLite's own: each statement the thread's connection runs, so a COMMIT is
judged by the last `PRAGMA synchronous` it followed; a sync of the log by the store's code
(a durable part inside a NORMAL transaction) is seen through os.fsync."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.app.services import card_payments, idempotency, sales, shifts
from appliance.app.services.card_desk import CardDesk
from appliance.app.services.shop import Actor, Shop
from appliance.app.store.db import FULL, NORMAL

from .conftest import card_shop, logged_in

CATALOG = "sku,name,price,tax_class,barcodes,stock\nAPL,Apple,10.00,exempt,4006381333931,100\nGUM,Gum,0.99,exempt,,50\n"
VISA = {"number": "4111111111111111", "exp_month": 12, "exp_year": 2030}
LEVELS = {FULL: "full", NORMAL: "normal"}


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Shop]:
    with card_shop(tmp_path / "data", "Durable Test", {"cashier": "cashier", "boss": "manager"}, CATALOG) as shop:
        yield shop


class Trace:
    """Each step's commits, by level: {"open_sale": {"normal"}, "pay_cash": {"full"}, …}."""

    def __init__(self, shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
        conn = shop.db.conn
        self.level = int(conn.execute("PRAGMA synchronous").fetchone()[0])
        self.step = ""
        self.steps: dict[str, set[str]] = {}
        conn.set_trace_callback(self.saw)
        real = os.fsync

        def fsync(fd: int) -> None:
            if self.step and os.readlink(f"/proc/self/fd/{fd}").endswith("-wal"):
                self.steps[self.step].add("normal, then the log synced")
            real(fd)

        monkeypatch.setattr(os, "fsync", fsync)

    def saw(self, sql: str) -> None:
        words = sql.strip().upper().split()
        if words[:3] == ["PRAGMA", "SYNCHRONOUS", "="]:
            self.level = int(words[3])
        elif words == ["COMMIT"] and self.step:
            self.steps[self.step].add(LEVELS[self.level])

    @contextlib.contextmanager
    def during(self, step: str) -> Iterator[None]:
        self.step = step
        self.steps[step] = set()
        try:
            yield
        finally:
            self.step = ""


def test_a_cash_sale_commits_its_steps_at_normal_and_its_money_at_full(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    trace = Trace(shop, monkeypatch)
    with trace.during("login"):
        cashier = logged_in(shop, "cashier")
        boss = logged_in(shop, "boss")
    with trace.during("open_shift"):
        shifts.open_shift(shop, cashier, {"2000": 5})
    with trace.during("open_sale"):
        sale_id = int(sales.open_sale(shop, cashier)["id"])
    with trace.during("add_item"):
        sales.add_item(shop, cashier, sale_id, sku="APL")
        sales.add_item(shop, cashier, sale_id, barcode="4006381333931")
    with trace.during("add_item, retry-safe"):
        idempotency.run_once(
            shop,
            cashier,
            "scan-0001",
            f"items:{sale_id}",
            {"sku": "GUM"},
            lambda: (200, sales.add_item(shop, cashier, sale_id, sku="GUM")),
            durable=False,
        )
    with trace.during("set_quantity"):
        sales.set_quantity(shop, cashier, sale_id, 1, 2)
    with trace.during("park, resume"):
        sales.park(shop, cashier, sale_id)
        sales.resume(shop, cashier, sale_id)
    with trace.during("void_line"):
        sales.void_line(shop, boss, sale_id, 2)
    with trace.during("pay_cash"):
        done = sales.pay_cash(shop, cashier, sale_id, 5000)
    assert done["status"] == "completed"
    assert trace.steps == {
        "login": {"full"},
        "open_shift": {"full"},
        "open_sale": {"normal"},
        "add_item": {"normal"},
        "add_item, retry-safe": {"normal"},
        "set_quantity": {"normal"},
        "park, resume": {"normal"},
        "void_line": {"full"},  # audited
        "pay_cash": {"full"},  # completes the sale: its number, stock, payment
    }


def test_a_card_sale_commits_every_card_step_at_full(
    shop: Shop, cashier: Actor, keyer: Actor, desk: CardDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    trace = Trace(shop, monkeypatch)
    with trace.during("open_sale"):
        sale_id = int(sales.open_sale(shop, cashier)["id"])
    with trace.during("add_item"):
        sales.add_item(shop, cashier, sale_id, sku="APL")
    with trace.during("pay_card"):
        done = card_payments.pay_card(shop, keyer, desk, sale_id, 1000, VISA, "card-0001")
    assert done["status"] == "completed"
    assert trace.steps == {"open_sale": {"normal"}, "add_item": {"normal"}, "pay_card": {"full"}}


def test_a_retry_safe_payment_stays_full_whatever_it_wraps(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    cashier = logged_in(shop, "cashier")
    shifts.open_shift(shop, cashier, {"2000": 5})
    sale_id = int(sales.open_sale(shop, cashier)["id"])
    sales.add_item(shop, cashier, sale_id, sku="APL")
    trace = Trace(shop, monkeypatch)
    with trace.during("pay_cash, retry-safe"):
        idempotency.run_once(
            shop,
            cashier,
            "pay-0001",
            f"payments:{sale_id}",
            {"method": "cash", "amount": 1000},
            lambda: (201, sales.pay_cash(shop, cashier, sale_id, 1000)),
        )
    assert trace.steps == {"pay_cash, retry-safe": {"full"}}
