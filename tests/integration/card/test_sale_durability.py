"""Which transactions of a whole sale are durable: the steps of the unpaid sale commit with no
sync of the write-ahead log, everything that moves money or is audited has the log synced
before it returns (which makes the commits before it durable too). What a power cut can lose
follows from it: docs/architecture.md, "What a power cut can lose".

The trace is SQLite's own (each statement the writer connection runs) and the store's syncs
of the log, seen through os.fsync: a COMMIT followed by a sync before the next COMMIT is
durable."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.app.services import card_payments, idempotency, sales, shifts
from appliance.app.services.card_desk import CardDesk
from appliance.app.services.shop import Actor, Shop

from .conftest import card_shop, logged_in

CATALOG = "sku,name,price,tax_class,barcodes,stock\nAPL,Apple,10.00,exempt,4006381333931,100\nGUM,Gum,0.99,exempt,,50\n"
VISA = {"number": "4111111111111111", "exp_month": 12, "exp_year": 2030}


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Shop]:
    with card_shop(tmp_path / "data", "Durable Test", {"cashier": "cashier", "boss": "manager"}, CATALOG) as shop:
        yield shop


class Trace:
    """Each step's commits: {"open_sale": {"normal"}, "pay_cash": {"durable"}, …}."""

    def __init__(self, shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
        with shop.db.transaction() as writer:
            pass
        self.step = ""
        self.wrote = False
        self.seen: dict[str, list[str]] = {}
        writer.set_trace_callback(self.saw)
        real = os.fsync

        def fsync(fd: int) -> None:
            if self.step and os.readlink(f"/proc/self/fd/{fd}").endswith("-wal"):
                self.seen[self.step].append("sync")
            real(fd)

        monkeypatch.setattr(os, "fsync", fsync)

    def saw(self, sql: str) -> None:
        words = sql.strip().upper().split()
        if not self.step or not words:
            return
        if words[0] in ("INSERT", "UPDATE", "DELETE", "REPLACE", "WITH"):
            self.wrote = True
        elif words == ["COMMIT"]:
            # A transaction that wrote no row has nothing to make durable.
            self.seen[self.step].append("commit" if self.wrote else "read")
            self.wrote = False

    @property
    def steps(self) -> dict[str, set[str]]:
        kinds: dict[str, set[str]] = {}
        for step, events in self.seen.items():
            kinds[step] = {
                "durable" if events[i + 1 : i + 2] == ["sync"] else "normal"
                for i, event in enumerate(events)
                if event == "commit"
            }
        return kinds

    @contextlib.contextmanager
    def during(self, step: str) -> Iterator[None]:
        self.step = step
        self.seen[step] = []
        try:
            yield
        finally:
            self.step = ""


def test_a_cash_sale_syncs_its_money_not_its_steps(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
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
        "login": {"durable"},
        "open_shift": {"durable"},
        "open_sale": {"normal"},
        "add_item": {"normal"},
        "add_item, retry-safe": {"normal"},
        "set_quantity": {"normal"},
        "park, resume": {"normal"},
        "void_line": {"durable"},  # audited
        "pay_cash": {"durable"},  # completes the sale: its number, stock, payment
    }


def test_a_card_sale_syncs_every_card_step(
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
    assert trace.steps == {"open_sale": {"normal"}, "add_item": {"normal"}, "pay_card": {"durable"}}


def test_a_retry_safe_payment_stays_durable_whatever_it_wraps(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
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
    assert trace.steps == {"pay_cash, retry-safe": {"durable"}}
    with trace.during("the same payment again"):
        again = idempotency.run_once(
            shop,
            cashier,
            "pay-0001",
            f"payments:{sale_id}",
            {"method": "cash", "amount": 1000},
            lambda: pytest.fail("a retry is answered from what was stored"),
        )
    assert again[0] == 201
    # Nothing written, yet the log is synced before the stored answer is said again: the
    # first try may still have been syncing it.
    assert trace.seen["the same payment again"] == ["read", "sync"]
