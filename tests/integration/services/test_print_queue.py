"""The print queue against the virtual network printer and a real encrypted store: every
receipt reaches paper exactly once, whatever the printer does in between."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from appliance.app.domain.errors import Conflict, NotFound
from appliance.app.domain.receipt import Receipt
from appliance.app.services import print_queue
from appliance.app.services.print_queue import PrintWorker, enqueue, retry_delay
from appliance.app.store.db import Database, create
from appliance.drivers.escpos_receipt import render_escpos
from appliance.drivers.printer_spec import printer_from_spec
from appliance.drivers.profiles import PAPER_80MM
from tests.fakes.escpos_printer import VirtualPrinterServer
from tests.unit.drivers.samples import cafe_receipt, hardware_receipt


def until(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"not within {timeout} s: {check}")


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database, _ = create(tmp_path / "data")
    yield database
    database.close()


@pytest.fixture
def server() -> Iterator[VirtualPrinterServer]:
    with VirtualPrinterServer() as running:
        yield running


@pytest.fixture
def worker(db: Database, server: VirtualPrinterServer) -> Iterator[PrintWorker]:
    printer = printer_from_spec(f"{server.spec}?timeout=1")
    running = PrintWorker(db, printer, first_retry=0.02, max_retry=0.1, idle_poll=0.05)
    yield running
    running.stop()


def receipts(count: int) -> list[Receipt]:
    return [cafe_receipt(receipt_no=n) if n % 2 else hardware_receipt(receipt_no=n) for n in range(1, count + 1)]


def queue(db: Database, batch: list[Receipt], kind: str = "receipt") -> list[int]:
    ids = []
    for receipt in batch:
        with db.transaction() as tx:  # one sale, one transaction
            ids.append(enqueue(tx, kind, render_escpos(receipt, PAPER_80MM)))
    return ids


def delivered(server: VirtualPrinterServer) -> Counter[str]:
    """Receipt numbers on cut paper that a customer could take away, originals only."""
    return Counter(
        barcode.data
        for paper in server.printer.cut_papers()
        if "*** COPY ***" not in paper.text
        for barcode in paper.barcodes
    )


def statuses(db: Database) -> list[str]:
    return [row[0] for row in db.conn.execute("SELECT status FROM print_jobs ORDER BY id")]


def test_receipts_print_in_order_and_are_marked_done(
    db: Database, server: VirtualPrinterServer, worker: PrintWorker
) -> None:
    batch = receipts(3)
    ids = queue(db, batch)
    worker.start()
    papers = server.printer.wait_for_cuts(3)
    assert [p.barcodes[0].data for p in papers] == [r.number for r in batch]
    until(lambda: statuses(db) == ["done"] * 3)
    job = print_queue.get_job(db.conn, ids[0])
    assert (job.attempts, job.last_error, job.done_at is not None) == (1, None, True)
    assert print_queue.queue_state(db.conn) == print_queue.QueueState(0, None)


def test_a_job_commits_with_the_sale_or_not_at_all(
    db: Database, server: VirtualPrinterServer, worker: PrintWorker
) -> None:
    with pytest.raises(RuntimeError), db.transaction() as tx:
        enqueue(tx, "receipt", render_escpos(cafe_receipt(), PAPER_80MM))
        raise RuntimeError("the sale failed after the receipt was queued")
    assert statuses(db) == []
    worker.start()
    time.sleep(0.1)
    assert server.printer.received == b""


def test_printer_off_then_back_on(db: Database, server: VirtualPrinterServer, worker: PrintWorker) -> None:
    server.go_offline()
    batch = receipts(3)
    queue(db, batch)
    worker.start()
    until(lambda: print_queue.get_job(db.conn, 1).attempts >= 3)
    state = print_queue.queue_state(db.conn)
    assert state.pending == 3 and state.problem is not None and "cannot be reached" in state.problem
    assert worker.problem == state.problem
    assert print_queue.get_job(db.conn, 2).attempts == 0, "a later receipt never jumps an earlier one"
    server.go_online()
    server.printer.wait_for_cuts(3)
    until(lambda: statuses(db) == ["done"] * 3)
    assert delivered(server) == Counter(r.number for r in batch)
    assert worker.problem is None


@pytest.mark.parametrize(("fault", "words"), [("paper_out", "out of paper"), ("cover_open", "cover is open")])
def test_paper_out_or_cover_open_then_fixed(
    db: Database, server: VirtualPrinterServer, worker: PrintWorker, fault: str, words: str
) -> None:
    setattr(server.printer, fault, True)
    batch = receipts(2)
    queue(db, batch)
    worker.start()
    until(lambda: print_queue.get_job(db.conn, 1).attempts >= 2)
    assert words in (print_queue.queue_state(db.conn).problem or "")
    assert server.printer.all_paper() == [], "nothing printed while the printer could not"
    setattr(server.printer, fault, False)
    server.printer.wait_for_cuts(2)
    until(lambda: statuses(db) == ["done"] * 2)
    assert delivered(server) == Counter(r.number for r in batch)


def test_connection_dropped_mid_receipt(db: Database, server: VirtualPrinterServer, worker: PrintWorker) -> None:
    server.drop_next_job_after(200)
    batch = receipts(3)
    queue(db, batch)
    worker.start()
    server.printer.wait_for_cuts(3)
    until(lambda: statuses(db) == ["done"] * 3)
    assert server.dropped == 1
    assert delivered(server) == Counter(r.number for r in batch)
    first = print_queue.get_job(db.conn, 1)
    assert first.attempts == 2 and first.last_error is None


def test_every_fault_in_one_shift(db: Database, server: VirtualPrinterServer, worker: PrintWorker) -> None:
    """Offline, then a dropped connection, then paper out, with sales arriving throughout."""
    worker.start()
    batch = receipts(8)
    queue(db, batch[:2])
    until(lambda: statuses(db) == ["done"] * 2)  # switched off after the last job was confirmed
    server.go_offline()
    queue(db, batch[2:4])
    until(lambda: print_queue.get_job(db.conn, 3).attempts >= 2)
    server.drop_next_job_after(120)
    server.go_online()
    until(lambda: statuses(db) == ["done"] * 4)
    server.printer.paper_out = True
    queue(db, batch[4:])
    until(lambda: print_queue.get_job(db.conn, 5).attempts >= 2)
    server.printer.paper_out = False
    server.printer.wait_for_cuts(8)
    until(lambda: statuses(db) == ["done"] * 8)
    assert delivered(server) == Counter(r.number for r in batch)
    assert [p.barcodes[-1].data for p in server.printer.cut_papers()] == [r.number for r in batch]


def test_a_restart_picks_up_what_was_pending(db: Database, server: VirtualPrinterServer) -> None:
    server.go_offline()
    spec = f"{server.spec}?timeout=1"
    first = PrintWorker(db, printer_from_spec(spec), first_retry=30, max_retry=30, idle_poll=0.05)
    batch = receipts(2)
    queue(db, batch)
    first.start()
    until(lambda: print_queue.get_job(db.conn, 1).attempts == 1)
    first.stop()  # the till is switched off with the job 30 s from its next try
    server.go_online()
    second = PrintWorker(db, printer_from_spec(spec), first_retry=30, max_retry=30, idle_poll=0.05)
    second.start()
    try:
        server.printer.wait_for_cuts(2, timeout=3)
    finally:
        second.stop()
    assert delivered(server) == Counter(r.number for r in batch)


def test_a_supervisor_cancels_a_stuck_job(db: Database, server: VirtualPrinterServer, worker: PrintWorker) -> None:
    server.printer.paper_out = True
    batch = receipts(2)
    ids = queue(db, batch)
    worker.start()
    until(lambda: print_queue.get_job(db.conn, ids[0]).attempts >= 1)
    cancelled = print_queue.cancel(db, ids[0])
    assert cancelled.status == "cancelled" and cancelled.done_at is not None
    server.printer.paper_out = False
    server.printer.wait_for_cuts(1)
    until(lambda: statuses(db) == ["cancelled", "done"])
    assert delivered(server) == Counter([batch[1].number])
    with pytest.raises(Conflict, match="has already printed"):
        print_queue.cancel(db, ids[1])
    with pytest.raises(NotFound):
        print_queue.cancel(db, 99)


def test_a_reprint_is_a_copy_and_the_only_second_paper(
    db: Database, server: VirtualPrinterServer, worker: PrintWorker
) -> None:
    original = cafe_receipt()
    queue(db, [original])
    with db.transaction() as tx:
        enqueue(tx, "copy", render_escpos(cafe_receipt(copy=True), PAPER_80MM))
    worker.wake()
    worker.start()
    first, second = server.printer.wait_for_cuts(2)
    assert "COPY" not in first.text and second.text.count("*** COPY ***") == 2
    assert [first.barcodes[0].data, second.barcodes[0].data] == [original.number] * 2
    assert delivered(server) == Counter([original.number])


def test_retry_pause_doubles_up_to_thirty_seconds() -> None:
    assert [retry_delay(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


def test_only_known_kinds_and_something_to_print(db: Database) -> None:
    with db.transaction() as tx:
        with pytest.raises(ValueError, match="not 'invoice'"):
            enqueue(tx, "invoice", b"x")
        with pytest.raises(ValueError, match="needs something to print"):
            enqueue(tx, "receipt", b"")


def test_a_real_sale_reprinted_through_the_service(store: Any, server: VirtualPrinterServer) -> None:
    from appliance.app.services import sales

    shop = store.shop
    cashier = store.actor("cashier")
    sale = sales.open_sale(shop, cashier)
    sales.add_item(shop, cashier, sale["id"], barcode="4006381333931")
    sales.pay_cash(shop, cashier, sale["id"], 500)
    worker = PrintWorker(shop.db, printer_from_spec(server.spec), first_retry=0.02, max_retry=0.1, idle_poll=0.05)
    shop.on_receipt.append(worker.wake)
    worker.start()
    try:
        job_id = print_queue.reprint(shop, sale["id"])
        worker.wake()
        [paper] = server.printer.wait_for_cuts(1)
    finally:
        worker.stop()
    job = print_queue.get_job(shop.db.conn, job_id)
    assert (job.kind, job.sale_id) == ("copy", sale["id"])
    assert paper.text.count("*** COPIE ***") == 2 and "Test Market" in paper.text  # the store's fr-CA
    assert [b.data for b in paper.barcodes] == ["T01-000001"]
    assert paper.line_with("Apple").text.endswith("1,25 $")
    with pytest.raises(Conflict):
        print_queue.reprint(shop, sales.open_sale(shop, cashier)["id"])


def test_no_sale_opens_the_drawer_now_or_says_why_not(
    db: Database, server: VirtualPrinterServer, worker: PrintWorker
) -> None:
    from appliance.drivers.drawer import DrawerKick
    from appliance.drivers.printer import PAPER_OUT, PrinterError

    worker.start()
    worker.send_now(DrawerKick(pin=2, on_ms=100).command())
    until(lambda: server.printer.pulses)
    assert statuses(db) == [], "not a queued job"
    server.printer.paper_out = True
    with pytest.raises(PrinterError) as caught:
        worker.send_now(DrawerKick().command())
    assert caught.value.reason == PAPER_OUT
    assert len(server.printer.pulses) == 1


def test_the_worker_says_whether_it_runs(db: Database, server: VirtualPrinterServer) -> None:
    # What /healthz reports as print_queue, and the A/B health check refuses a slot on.
    worker = PrintWorker(db, printer_from_spec(f"{server.spec}?timeout=1"), idle_poll=0.05)
    assert not worker.running
    worker.start()
    assert worker.running
    worker.stop()
    assert not worker.running
