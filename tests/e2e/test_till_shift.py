"""The till's drawer and the people at it: a shift from the counted float to the Z report
(a cash sale, a paid out, an X report without the expected cash, a blind close over the
variance limit approved by a manager), the time clock, "no sale" and a reprint marked COPY
on the virtual ESC/POS printer (the till's printer here, over TCP), a stuck print job
cancelled by a supervisor, and scanners: a keyboard-wedge burst typed while a dialog's field
has the focus, and a serial scanner (a pseudo-terminal) read by the backend and sent to the
screen over GET /scans/stream.

Debian's Chromium, headless, against the real app on loopback. Screenshots land in
test-artifacts/screens/ (names start with `shift-`).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LiveApp
from tests.e2e.screens import log_in_at_till, pay_exact_cash, scan
from tests.e2e.seed import BREAD, CASHIER, COFFEE, GROCERY, MANAGER, SUPERVISOR
from tests.fakes.escpos_printer import VirtualPrinterServer
from tests.fakes.serial_port import serial_pty

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def printer() -> Iterator[VirtualPrinterServer]:
    with VirtualPrinterServer() as server:
        yield server


@pytest.fixture(scope="module")
def scanner_port() -> Iterator[tuple[int, str]]:
    """A serial scanner's stand-in: the app reads the pty's far end, the test writes codes."""
    with serial_pty() as port:
        yield port


@pytest.fixture(scope="module")
def app(shop: Callable[..., LiveApp], printer: VirtualPrinterServer, scanner_port: tuple[int, str]) -> LiveApp:
    staff = {CASHIER: "cashier", SUPERVISOR: "supervisor", MANAGER: "manager"}
    devices = {"printer": printer.spec, "scanners": [f"serial:{scanner_port[1]}?baud=9600"]}
    return shop(GROCERY, staff, config=devices)


def login(page: Any, url: str, who: tuple[str, str] = CASHIER) -> None:
    log_in_at_till(page, url, who)


def count(dialog: Any, pieces: dict[str, str]) -> None:
    for denomination, n in pieces.items():
        dialog.get_by_label(f"{denomination} ×").fill(n)


PENDING = "() => fetch('/api/v1/printer', {cache: 'no-store'}).then((r) => r.json()).then((p) => p.pending)"


def wait_until(check: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.05)


def test_a_shift_from_the_float_to_the_z_report(app: LiveApp, page: Any, screenshot: Any) -> None:
    login(page, app.url)
    expect(page.locator("#shift-text")).to_have_text("Shift: none open")

    # A cash sale before any shift: the store does not require one, so it is taken.
    page.keyboard.press("Alt+s")
    dialog = page.get_by_role("dialog", name="Open a shift")
    expect(dialog).to_be_visible()
    count(dialog, {"20.00": "2", "5.00": "4", "0.25": "8"})
    expect(page.locator("#count-total")).to_have_text("62.00 CAD")
    screenshot(page, "shift-01-open-count")
    dialog.get_by_role("button", name="Open shift").click()
    expect(page.locator("#shift-done")).to_contain_text("Shift open with a float of 62.00 CAD")
    expect(page.locator("#shift-text")).to_have_text("Shift: open (lea)")
    page.keyboard.press("Escape")

    scan(page, BREAD)
    expect(page.locator("#t-total")).to_have_text("3.50")
    pay_exact_cash(page)

    # Paid out, with a reason.
    page.keyboard.press("Alt+s")
    shift = page.locator("#shift-dialog")  # its name follows the task on screen
    expect(page.get_by_role("dialog", name="Shift")).to_be_visible()
    expect(shift.locator("#shift-summary")).to_contain_text("opened by you")
    shift.get_by_role("button", name="Paid out").click()
    shift.get_by_label("Amount").fill("10")
    shift.get_by_label("Reason").fill("Window cleaner")
    shift.get_by_role("button", name="Record paid out").click()
    expect(page.locator("#shift-done")).to_have_text("Paid out 10.00 CAD: Window cleaner.")

    # The X report: the figures, never the expected cash.
    shift.get_by_role("button", name="X report").click()
    report = page.locator("#report-view")
    expect(report).to_contain_text("X report, shift")
    expect(report.locator("tr", has_text="Cash sales")).to_contain_text("3.50")
    expect(report.locator("tr", has_text="Paid out")).to_contain_text("10.00")
    expect(report.locator("tr", has_text="Opening float")).to_contain_text("62.00")
    assert "Expected" not in report.inner_text() and "55.50" not in report.inner_text()
    screenshot(page, "shift-02-x-report")

    # The blind close: 40.00 counted against 62.00 + 3.50 − 10.00 = 55.50 expected.
    shift.get_by_role("button", name="Back", exact=True).click()
    shift.get_by_role("button", name="Close shift").click()
    close = page.get_by_role("dialog", name="Close the shift: count the drawer")
    assert "55.50" not in close.inner_text(), "the expected cash shows before the count"
    count(close, {"20.00": "2"})
    close.get_by_role("button", name="Count and close").click()
    approval = close.get_by_role("group", name="Manager approval")
    expect(approval).to_be_visible()
    expect(approval).to_contain_text("Counted 40.00 CAD, expected 55.50 CAD: 15.50 CAD short")
    expect(close.get_by_label("20.00 ×")).not_to_be_editable()  # the count stands as typed
    screenshot(page, "shift-03-variance-approval")
    close.get_by_label("Manager user name").fill(SUPERVISOR[0])  # a supervisor may not
    close.get_by_label("Manager password").fill(SUPERVISOR[1])
    close.get_by_role("button", name="Approve and close").click()
    expect(close.locator("#shift-error")).to_have_text("sam may not approve a variance: ask a manager.")
    close.get_by_label("Manager user name").fill(MANAGER[0])
    close.get_by_label("Manager password").fill(MANAGER[1])
    close.get_by_role("button", name="Approve and close").click()

    z = page.get_by_role("dialog", name="Z report")
    expect(z.locator("#report-caption")).to_contain_text("Z report, shift")
    expect(z.locator("tr", has_text="Counted")).to_contain_text("40.00")
    expect(z.locator("tr", has_text="Expected")).to_contain_text("55.50")
    expect(z.locator("tr", has_text="Variance")).to_contain_text("15.50 CAD short")
    expect(z.locator("tr", has_text="Approved by")).to_contain_text("mona")
    expect(z.locator("tr", has_text="Cash (1)")).to_contain_text("3.50")
    expect(z.locator("tr", has_text="Completed sales")).to_contain_text("1")
    expect(z.locator("#report-note")).to_contain_text("no route to print a shift report")
    expect(page.locator("#shift-text")).to_have_text("Shift: none open")
    screenshot(page, "shift-04-z-report")


def test_a_return_without_a_receipt_leaves_the_drawer_and_the_close_agrees(app: LiveApp, page: Any) -> None:
    login(page, app.url)
    page.keyboard.press("Alt+s")
    dialog = page.get_by_role("dialog", name="Open a shift")
    count(dialog, {"20.00": "2", "5.00": "4", "0.25": "8"})  # 62.00
    dialog.get_by_role("button", name="Open shift").click()
    expect(page.locator("#shift-done")).to_contain_text("Shift open with a float of 62.00 CAD")
    page.keyboard.press("Escape")
    scan(page, BREAD)
    expect(page.locator("#t-total")).to_have_text("3.50")
    pay_exact_cash(page)  # 3.50 in

    # Bread back with no receipt at 3.47: the drawer can hand back 3.45, and the till says so.
    page.keyboard.press("Alt+w")
    back = page.get_by_role("dialog", name="Return without a receipt")
    back.get_by_label("Barcode or SKU").fill(BREAD)
    back.get_by_role("button", name="Add item").click()
    back.get_by_label("Refund price of Bread loaf (CAD)").fill("3.47")
    back.get_by_label("Reason").fill("Gift, no receipt")
    back.get_by_label("Supervisor user name").fill(SUPERVISOR[0])
    back.get_by_label("Supervisor password").fill(SUPERVISOR[1])
    back.get_by_role("button", name="Refund").click()
    expect(back.get_by_role("status")).to_have_text("3.45 CAD to cash (3.47 CAD rounded)")
    page.keyboard.press("Escape")

    page.keyboard.press("Alt+s")
    shift = page.locator("#shift-dialog")
    shift.get_by_role("button", name="X report").click()
    report = page.locator("#report-view")
    expect(report.locator("tr", has_text="Returns without a receipt (1)")).to_contain_text("3.47")
    expect(report.locator("tr", has_text="Cash refunds")).to_contain_text("3.47")

    # The drawer holds 62.00 + 3.50 − 3.45 = 62.05: counted so, the shift closes square.
    shift.get_by_role("button", name="Back", exact=True).click()
    shift.get_by_role("button", name="Close shift").click()
    close = page.get_by_role("dialog", name="Close the shift: count the drawer")
    count(close, {"20.00": "2", "5.00": "4", "0.25": "8", "0.05": "1"})
    close.get_by_role("button", name="Count and close").click()
    z = page.get_by_role("dialog", name="Z report")
    expect(z.locator("tr", has_text="Expected")).to_contain_text("62.05")
    expect(z.locator("tr", has_text="Variance")).to_contain_text("none")
    expect(z.locator("tr", has_text="Returns without a receipt (1)")).to_contain_text("3.47")


def test_the_time_clock(app: LiveApp, page: Any, screenshot: Any) -> None:
    login(page, app.url)
    expect(page.locator("#clock-button")).to_contain_text("Clock: off")
    page.keyboard.press("Alt+t")
    clock = page.get_by_role("dialog", name="Time clock")
    expect(clock.get_by_role("button", name="Start break")).to_be_disabled()
    clock.get_by_role("button", name="Clock in").click()
    expect(clock.locator("#clock-state")).to_contain_text("lea: working since")
    clock.get_by_role("button", name="Start break").click()
    expect(clock.locator("#clock-state")).to_contain_text("on a break")
    screenshot(page, "shift-05-time-clock")
    clock.get_by_role("button", name="End break").click()
    expect(clock.locator("#clock-state")).to_contain_text("working")
    clock.get_by_role("button", name="Clock out").click()
    expect(clock.locator("#clock-state")).to_contain_text("not clocked in")
    expect(clock.get_by_role("button", name="Clock in")).to_be_enabled()
    page.keyboard.press("Escape")
    expect(page.locator("#clock-button")).to_contain_text("Clock: off")


def test_no_sale_reprint_and_a_stuck_job_on_the_printer(
    app: LiveApp, page: Any, printer: VirtualPrinterServer, screenshot: Any
) -> None:
    paper = printer.printer
    login(page, app.url)
    wait_until(lambda: page.evaluate(PENDING) == 0, "the last test's receipt printed", 15)
    before = len(paper.cut_papers())
    scan(page, COFFEE)
    expect(page.locator("#t-total")).to_have_text("21.83")
    pay_exact_cash(page)
    receipt = page.locator("#receipt-number").inner_text()
    paper.wait_for_cuts(before + 1)

    # No sale: a cashier needs a supervisor; the pulse reaches the printer's drawer port.
    pulses = len(paper.pulses)
    page.keyboard.press("Alt+n")
    nosale = page.get_by_role("dialog", name="No sale: open the drawer")
    expect(nosale.get_by_role("group", name="Supervisor approval")).to_be_visible()
    nosale.get_by_label("Reason").fill("Change for the float")
    nosale.get_by_label("Supervisor user name").fill(SUPERVISOR[0])
    nosale.get_by_label("Supervisor password").fill(SUPERVISOR[1])
    screenshot(page, "shift-06-no-sale")
    nosale.get_by_role("button", name="Open drawer").click()
    expect(nosale.locator("#nosale-done")).to_have_text("Drawer opened, approved by sam.")
    wait_until(lambda: len(paper.pulses) > pulses, "the drawer pulse at the printer")
    page.keyboard.press("Escape")

    # Reprint the last receipt: marked COPY on the paper.
    page.keyboard.press("Alt+c")
    reprint = page.get_by_role("dialog", name="Reprint the last receipt")
    expect(reprint.locator("#reprint-sale")).to_have_text(f"Receipt {receipt}")
    reprint.get_by_label("Supervisor user name").fill(SUPERVISOR[0])
    reprint.get_by_label("Supervisor password").fill(SUPERVISOR[1])
    reprint.get_by_role("button", name="Print a copy").click()
    expect(reprint.locator("#reprint-done")).to_contain_text(f"A copy of receipt {receipt} is printing")
    copies = paper.wait_for_cuts(before + 2)
    copy = copies[-1].text
    assert "COPY" in copy and receipt in copy, copy  # in the store's language (en-CA here)
    page.keyboard.press("Escape")

    # The copy is cut; wait until the queue has marked it done before switching the printer off.
    wait_until(lambda: page.evaluate(PENDING) == 0, "the copy marked printed")

    # The printer off: the next copy waits, the problem shows in words, a supervisor cancels it.
    printer.go_offline()
    try:
        page.keyboard.press("Alt+c")
        reprint.get_by_label("Supervisor user name").fill(SUPERVISOR[0])
        reprint.get_by_label("Supervisor password").fill(SUPERVISOR[1])
        reprint.get_by_role("button", name="Print a copy").click()
        expect(reprint.locator("#reprint-done")).to_be_visible()
        page.keyboard.press("Escape")
        expect(page.locator("#printer-button")).to_be_visible()
        page.locator("#printer-button").click()
        queue = page.get_by_role("dialog", name="Printer queue")
        expect(queue.locator("#printer-body tr")).to_have_count(1)
        expect(queue.locator("#printer-body")).to_contain_text("Receipt copy")
        queue.get_by_role("button", name=re.compile("^Cancel print job")).click()
        expect(queue.get_by_role("group", name="Supervisor approval")).to_be_visible()
        queue.get_by_label("Supervisor user name").fill(SUPERVISOR[0])
        queue.get_by_label("Supervisor password").fill(SUPERVISOR[1])
        screenshot(page, "shift-07-printer-queue")
        queue.get_by_role("button", name=re.compile("^Cancel print job")).click()
        expect(queue.locator("#printer-done")).to_contain_text("cancelled")
        expect(queue.locator("#printer-empty")).to_be_visible()
    finally:
        printer.go_online()
    time.sleep(0.3)
    assert len(paper.cut_papers()) == before + 2, "the cancelled copy printed"


def test_scanners_reach_the_sale_whatever_has_the_focus(
    app: LiveApp, page: Any, scanner_port: tuple[int, str], screenshot: Any
) -> None:
    login(page, app.url)
    scan(page, BREAD)
    expect(page.locator("#lines-body tr")).to_have_count(1)

    # A keyboard-wedge burst while the no-sale dialog's reason field has the focus.
    page.keyboard.press("Alt+n")
    reason = page.get_by_role("dialog", name="No sale: open the drawer").get_by_label("Reason")
    expect(reason).to_be_focused()
    page.keyboard.type(COFFEE, delay=5)
    page.keyboard.press("Enter")
    expect(page.locator("#lines-body tr")).to_have_count(2)
    expect(reason).to_have_value("")
    # A person's typing in the same field still goes in, every key.
    page.keyboard.type("Float check", delay=70)
    expect(reason).to_have_value("Float check")
    screenshot(page, "shift-08-wedge-in-dialog")
    page.keyboard.press("Escape")

    # A serial scanner read by the backend: the code arrives over the event stream.
    os.write(scanner_port[0], f"{BREAD}\r\n".encode())
    expect(page.locator("#lines-body tr", has_text="Bread loaf").locator(".qty")).to_have_text("2")
    expect(page.locator("#t-total")).to_have_text("28.83")
