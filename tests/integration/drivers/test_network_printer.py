"""A receipt printed over raw TCP (port 9100) to the virtual printer, and every way that
goes wrong in a shop: printer off, paper out, cover open, cable pulled mid-receipt."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import replace

import pytest

from appliance.drivers.drawer import DrawerKick
from appliance.drivers.escpos_receipt import render_escpos, render_test_page
from appliance.drivers.printer import COVER_OPEN, DISCONNECTED, OFFLINE, PAPER_OUT, PrinterError
from appliance.drivers.printer_spec import printer_from_spec
from appliance.drivers.printer_tcp import NetworkPrinter
from appliance.drivers.profiles import PAPER_80MM
from tests.fakes.escpos_printer import DrawerPulse, VirtualPrinterServer
from tests.integration.drivers.conftest import assert_receipt_on
from tests.unit.drivers.samples import cafe_receipt, hardware_receipt


def test_a_sale_prints_with_the_drawer_pulse(network_printer: VirtualPrinterServer) -> None:
    receipt = cafe_receipt()
    printer = printer_from_spec(network_printer.spec)
    printer.send(render_escpos(receipt, PAPER_80MM, open_drawer=DrawerKick(pin=2, on_ms=120)))
    [paper] = network_printer.printer.cut_papers()
    assert_receipt_on(paper, receipt)
    assert paper.line_with("TOTAL EUR").text.endswith("13.05")
    assert paper.pulses == [DrawerPulse(2, 120, 100)]
    assert network_printer.printer.status_queries >= 4, "asked before and confirmed after"


def test_reprint_is_marked_copy_and_receipts_stay_apart(
    network_printer: VirtualPrinterServer,
) -> None:
    printer = printer_from_spec(network_printer.spec)
    first, second = cafe_receipt(), hardware_receipt()
    printer.send(render_escpos(first, PAPER_80MM))
    printer.send(render_escpos(second, PAPER_80MM))
    printer.send(render_escpos(replace(first, copy=True), PAPER_80MM))
    papers = network_printer.printer.cut_papers()
    assert len(papers) == 3
    assert_receipt_on(papers[0], first)
    assert_receipt_on(papers[1], second)
    assert "COPY" in papers[2].text and papers[2].barcodes[0].data == first.number
    assert network_printer.connections == 3, "one connection per job"


def test_status_reads_the_printer(network_printer: VirtualPrinterServer) -> None:
    printer = printer_from_spec(network_printer.spec)
    assert printer.status().ready
    network_printer.printer.paper_low = True
    assert printer.status().paper_low and printer.status().ready
    network_printer.printer.cover_open = True
    status = printer.status()
    assert status.cover_open and not status.online and not status.ready


def test_printer_switched_off(network_printer: VirtualPrinterServer) -> None:
    printer = printer_from_spec(network_printer.spec)
    network_printer.go_offline()
    with pytest.raises(PrinterError) as caught:
        printer.send(render_test_page(PAPER_80MM))
    assert caught.value.reason == OFFLINE
    assert caught.value.message == (
        f"The receipt printer at 127.0.0.1:{network_printer.port} cannot be reached "
        "(it refuses connections). Check that it is on and connected."
    )
    status = printer.status()
    assert not status.online and status.detail == "it refuses connections"
    network_printer.go_online()
    printer.send(render_test_page(PAPER_80MM))
    assert len(network_printer.printer.cut_papers()) == 1


def test_out_of_paper_is_refused_before_a_byte_is_printed(
    network_printer: VirtualPrinterServer,
) -> None:
    network_printer.printer.paper_out = True
    printer = printer_from_spec(network_printer.spec)
    with pytest.raises(PrinterError) as caught:
        printer.send(render_escpos(cafe_receipt(), PAPER_80MM))
    assert caught.value.reason == PAPER_OUT
    assert "is out of paper. Load a new roll." in caught.value.message
    assert b"Croissant" not in network_printer.printer.received


def test_cover_open(network_printer: VirtualPrinterServer) -> None:
    network_printer.printer.cover_open = True
    with pytest.raises(PrinterError) as caught:
        printer_from_spec(network_printer.spec).send(render_test_page(PAPER_80MM))
    assert caught.value.reason == COVER_OPEN
    assert "cover is open. Close it to print." in caught.value.message


def test_paper_running_out_during_the_job_is_caught_by_the_check_after(
    network_printer: VirtualPrinterServer,
) -> None:
    virtual = network_printer.printer
    original_feed = virtual.feed

    def feed_then_run_out(data: bytes) -> bytes:
        if b"Croissant" in data:
            virtual.paper_out = True
        return original_feed(data)

    virtual.feed = feed_then_run_out  # type: ignore[method-assign]
    with pytest.raises(PrinterError) as caught:
        printer_from_spec(network_printer.spec).send(render_escpos(cafe_receipt(), PAPER_80MM))
    assert caught.value.reason == PAPER_OUT


def test_connection_dropped_mid_receipt(network_printer: VirtualPrinterServer) -> None:
    network_printer.drop_next_job_after(150)
    printer = printer_from_spec(network_printer.spec)
    with pytest.raises(PrinterError) as caught:
        printer.send(render_escpos(cafe_receipt(), PAPER_80MM))
    assert caught.value.reason == DISCONNECTED
    assert "the receipt may be incomplete" in caught.value.message
    assert network_printer.printer.cut_papers() == []
    # The next job starts with ESC @ and goes through whole; the stub stays on the strip.
    printer.send(render_escpos(cafe_receipt(), PAPER_80MM))
    [paper] = network_printer.printer.cut_papers()
    assert_receipt_on(paper, cafe_receipt())


def test_a_printer_that_answers_no_status_still_prints(
    network_printer: VirtualPrinterServer,
) -> None:
    network_printer.printer.answers_status = False
    printer = NetworkPrinter("127.0.0.1", network_printer.port, status_timeout=0.1)
    started = time.monotonic()
    printer.send(render_escpos(cafe_receipt(), PAPER_80MM))
    assert time.monotonic() - started < 1
    assert printer.status().unknown
    assert len(network_printer.printer.cut_papers()) == 1


def test_a_silent_listener_is_not_taken_for_a_printed_receipt() -> None:
    """Something accepts on the port, answers the first status query, then goes silent:
    without the confirming answer the job is not reported as printed."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]

        def one_answer() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.recv(3)
                conn.sendall(b"\x12")
                conn.recv(3)
                conn.sendall(b"\x12")
                conn.recv(3)
                conn.sendall(b"\x12")
                time.sleep(0.6)

        thread = threading.Thread(target=one_answer)
        thread.start()
        printer = NetworkPrinter("127.0.0.1", port, timeout=0.3, status_timeout=0.2)
        with pytest.raises(PrinterError) as caught:
            printer.send(b"\x1b@hello\n")
        thread.join()
    assert caught.value.reason == DISCONNECTED
    assert "stopped answering while printing" in caught.value.message


def test_unresolvable_name() -> None:
    printer = NetworkPrinter("printer.invalid", timeout=1)
    with pytest.raises(PrinterError) as caught:
        printer.send(b"x")
    assert caught.value.reason == OFFLINE
    assert "cannot be resolved" in caught.value.message
