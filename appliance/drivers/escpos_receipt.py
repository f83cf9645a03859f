"""Receipts, shift reports and test pages as ESC/POS bytes, through python-escpos.

The receipt follows `appliance.app.domain.receipt.render_text` line for line (the tests
hold the two together), with what paper adds: emphasis, alignment, a CODE128 barcode of
the receipt number for returns, the drawer pulse and the cut. Every job starts with ESC @
so that it prints the same whatever the job before it left behind.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
import tempfile
import threading
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from appliance.app.domain.gift_card import Slip, display
from appliance.app.domain.receipt import (
    Receipt,
    RefundSlip,
    line_rows,
    refund_rows,
    tax_label,
    tender_label,
)
from appliance.app.domain.words import Words
from appliance.drivers.drawer import DrawerKick
from appliance.drivers.profiles import PrinterProfile

if TYPE_CHECKING:
    from escpos.printer import Dummy


def _capabilities_dir() -> str:
    """Where python-escpos keeps its pickled printer database between processes.

    Without a fixed place it makes a new temp folder on every import. The folder holds a
    pickle, which is code when loaded, so it must be ours alone: a fallback under /tmp is
    only used when it is owned by this user and closed to everyone else.
    """
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = cache / "comptoir" / "escpos"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        return str(folder)
    except OSError:
        pass
    folder = Path(tempfile.gettempdir()) / f"comptoir-escpos-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    info = folder.lstat()
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise RuntimeError(f"{folder} is not private to this user; remove it and retry")
    return str(folder)


_loading = threading.Lock()


def load_escpos() -> type[Dummy]:
    """python-escpos's Dummy printer, imported on first use: the library (with Pillow, qrcode
    and python-barcode behind it) costs a till without a printer most of its start-up, so it
    is loaded only where something prints. A till with a printer loads it at start-up
    (devices.start), before the server takes a request, because the import below borrows
    tempfile.mkdtemp for a moment."""
    with _loading:
        if "escpos.capabilities" not in sys.modules:  # the module with the side effects below
            _import_escpos()
        from escpos.printer import Dummy as loaded

        dummy: type[Dummy] = loaded  # python-escpos has no type hints
        return dummy


def _import_escpos() -> None:
    if os.environ.get("ESCPOS_CAPABILITIES_PICKLE_DIR"):
        # A folder named by the operator may not exist yet; python-escpos would crash on it.
        Path(os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"]).mkdir(parents=True, exist_ok=True)
    else:
        os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"] = _capabilities_dir()
    # python-escpos 3.1 calls mkdtemp() on import even when the variable above is set (it is
    # the eager default of an environ.get), leaving an empty folder per process: for that
    # one import, mkdtemp hands back the folder we already have.
    # It also calls logging.basicConfig(); had nobody configured logging yet, the app's own
    # basicConfig would later be a silent no-op. Undo just that.
    handlers_before = list(logging.root.handlers)
    real_mkdtemp = tempfile.mkdtemp
    tempfile.mkdtemp = lambda *a, **k: os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"]  # type: ignore[assignment]
    try:
        import escpos.printer  # noqa: F401
    finally:
        tempfile.mkdtemp = real_mkdtemp
    if not handlers_before:
        for handler in list(logging.root.handlers):
            logging.root.removeHandler(handler)


_CODE128_SET_B = "{B"  # GS k 73 data starts by choosing a code set; B is printable ASCII


def code128_data(text: str) -> str | None:
    """The GS k payload for `text` in code set B, or None when B cannot hold it."""
    if not text or not all(32 <= ord(ch) < 127 for ch in text):
        return None
    return _CODE128_SET_B + text.replace("{", "{{")  # a literal brace is sent doubled


def printable(text: str) -> str:
    """`text` with nothing a printer would read as a command.

    Names, notes and store text come from people and imports: an ESC p or GS V inside a
    product name would open the drawer or cut the paper on every receipt that shows it,
    with no "no sale" in the audit log. Control characters (C0, DEL, C1) become "?", so a
    line keeps its width; format, surrogate and unassigned code points go; a tab is a space.
    """
    out = []
    for ch in text:
        kind = unicodedata.category(ch)
        if ch == "\t":
            out.append(" ")
        elif kind == "Cc":
            out.append("?")
        elif not kind.startswith("C"):
            out.append(ch)
    return "".join(out)


def _row(left: str, right: str, width: int) -> str:
    room = width - len(right) - 1
    if len(left) > room:
        left = left[: max(room, 0)]
    return f"{left}{' ' * (width - len(left) - len(right))}{right}"


class _Page:
    """One print job being written; sends a style command only when the style changes."""

    def __init__(self, profile: PrinterProfile, open_drawer: DrawerKick | None = None) -> None:
        self.profile = profile
        self.width = profile.columns
        self._printer = load_escpos()(profile=profile.escpos_profile)
        self._printer.hw("INIT")
        self._align = "left"
        self._bold = False
        self._tall = False
        if open_drawer is not None:
            # First, so that the cashier can count change while the paper is still printing.
            self.raw(open_drawer.command())

    def _style(self, align: str, bold: bool, tall: bool) -> None:
        if tall != self._tall:
            self._printer.set(normal_textsize=not tall, double_height=tall)
            self._tall = tall
            self._bold = False  # the size command (ESC !) also switches emphasis off
        if bold != self._bold:
            self._printer.set(bold=bold)
            self._bold = bold
        if align != self._align:
            self._printer.set(align=align)
            self._align = align

    # Every text on paper passes line() or centred(): the one place data becomes bytes.
    def line(self, text: str = "", *, bold: bool = False, tall: bool = False) -> None:
        self._style("left", bold, tall)
        self._printer.textln(printable(text)[: self.width])

    def centred(self, text: str, *, bold: bool = False, tall: bool = False) -> None:
        self._style("center", bold, tall)
        self._printer.textln(printable(text)[: self.width].strip())

    def row(self, left: str, right: str, *, bold: bool = False, tall: bool = False) -> None:
        self.line(_row(printable(left), printable(right), self.width), bold=bold, tall=tall)

    def rule(self) -> None:
        self.line("-" * self.width)

    def raw(self, data: bytes) -> None:
        self._printer._raw(data)

    def barcode(self, text: str) -> None:
        data = code128_data(text)
        if not self.profile.supports_barcode or data is None:
            return  # the number is printed as text on the receipt already
        self._style("center", False, False)
        # The public barcode() prints a line to stdout on every call; the hardware
        # renderer it calls is the same code without the noise (python-escpos 3.1 pinned).
        self._printer._hw_barcode(
            data,
            "CODE128",
            height=64,
            width=3 if self.width >= 42 else 2,
            pos="BELOW",
            font="A",
            align_ct=True,
            function_type="B",
        )
        self._align = "center"  # _hw_barcode centres and leaves it so
        self._printer.ln()

    def qr(self, text: str) -> None:
        if not self.profile.supports_qr:
            return
        self._style("center", False, False)
        # Native: the printer draws it from ~70 bytes; as an image it would be ~3.4 kB.
        self._printer.qr(text, native=True, size=6)
        self._printer.ln()

    def finish(self) -> bytes:
        if self.profile.supports_cut:
            self._printer.cut()  # feeds past the cutter first
        else:
            self._printer.ln(4)  # enough to tear off below the last line
        return bytes(self._printer.output)


def _money(words: Words, currency: str) -> Callable[[int], str]:
    """Amounts in `currency` as the store's words write them."""
    return lambda amount: words.money(amount, currency)


def render_escpos(receipt: Receipt, profile: PrinterProfile, *, open_drawer: DrawerKick | None = None) -> bytes:
    """The receipt as one ESC/POS job, in the store's language; with `open_drawer`, the
    drawer opens as it prints. Accents and Cyrillic reach the paper through python-escpos'
    encoder, which switches to a code page of the profile that holds each character."""
    words = receipt.words
    money = _money(words, receipt.currency)
    page = _Page(profile, open_drawer)
    if receipt.copy:
        page.centred(words("receipt.copy"), bold=True)
    page.centred(receipt.store_name, bold=True, tall=True)
    for header in receipt.header:
        page.centred(header)
    page.line()
    page.row(words("receipt.receipt_number", number=receipt.number), receipt.completed_at)
    page.line(words("receipt.cashier", name=receipt.cashier))
    page.rule()
    for item in receipt.lines:
        for left, right in line_rows(item, words, money):
            if right:
                page.row(left, right)
            else:
                page.line(left)
    page.rule()
    if receipt.discount:
        page.row(words("receipt.you_saved"), money(receipt.discount))
    label = words("receipt.net" if receipt.prices_include_tax else "receipt.subtotal_before_tax")
    page.row(label, money(receipt.subtotal))
    for tax in receipt.taxes:
        page.row(tax_label(tax, words, receipt.prices_include_tax), money(tax.amount))
    page.row(words("receipt.total", currency=receipt.currency), money(receipt.total), bold=True, tall=True)
    if receipt.rounding:
        page.row(words("receipt.rounding"), money(receipt.rounding))
        page.row(words("receipt.total_paid"), money(receipt.total + receipt.rounding), bold=True)
    page.line()
    for tender in receipt.tenders:
        amount = money(tender.tendered)
        name, note = tender_label(tender, words, page.width - len(printable(amount)) - 1)
        page.row(name, amount)
        if note:
            page.line(note)
        for line in tender.terminal_lines:
            page.line(line)
    if receipt.change:
        page.row(words("receipt.change"), money(receipt.change), bold=True)
    if receipt.footer:
        page.line()
        for footer in receipt.footer:
            page.centred(footer)
    if receipt.copy:
        page.centred(words("receipt.copy"), bold=True)
    page.line()
    page.barcode(receipt.number)
    return page.finish()


def render_gift_card_slip(slip: Slip, profile: PrinterProfile) -> bytes:
    """A gift card's own slip, in the store's language: its whole number, large, and as a
    barcode the till scans."""
    words = Words(slip.locale)
    money = _money(words, slip.currency)
    page = _Page(profile)
    page.centred(slip.store_name, bold=True, tall=True)
    page.centred(words(f"receipt.gift_card_{slip.kind}"), bold=True)
    page.rule()
    page.centred(display(slip.code), bold=True, tall=True)
    page.barcode(slip.code)
    page.rule()
    page.row(words("receipt.gift_card_loaded", currency=slip.currency), money(slip.loaded))
    page.row(words("receipt.gift_card_balance", currency=slip.currency), money(slip.balance), bold=True)
    if slip.expires_on:
        page.row(words("receipt.gift_card_valid_until"), words.day(dt.date.fromisoformat(slip.expires_on)))
    else:
        page.line(words("receipt.gift_card_no_expiry"))
    page.line()
    page.centred(words("receipt.gift_card_keep"))
    page.centred(slip.printed_at)
    return page.finish()


def render_refund_slip(slip: RefundSlip, profile: PrinterProfile, *, open_drawer: DrawerKick | None = None) -> bytes:
    """A refund's slip, row for row as `render_refund_text`, with the original receipt's
    barcode; with `open_drawer` (cash goes back), the drawer opens as it prints."""
    words = slip.words
    money = _money(words, slip.currency)
    page = _Page(profile, open_drawer)
    page.centred(slip.store_name, bold=True, tall=True)
    for header in slip.header:
        page.centred(header)
    page.line()
    page.centred(words("receipt.refund_title"), bold=True, tall=True)
    page.line()
    for left, right, style in refund_rows(slip, words, money):
        if style == "rule":
            page.rule()
        elif right:
            page.row(left, right, bold=style in ("bold", "total"), tall=style == "total")
        else:
            page.line(left, bold=style == "bold")
    page.line()
    if not slip.without_receipt:  # no sale to find again by its barcode
        page.barcode(slip.receipt_number)
    return page.finish()


def render_report(
    title: str,
    rows: Iterable[tuple[str, str]],
    profile: PrinterProfile,
    *,
    heading: Sequence[str] = (),
) -> bytes:
    """A report (shift, cash-up) as label/amount rows; a row with no amount is a heading."""
    page = _Page(profile)
    page.centred(title, bold=True, tall=True)
    for text in heading:
        page.centred(text)
    page.rule()
    for label, value in rows:
        if value:
            page.row(label, value)
        elif label:
            page.line(label, bold=True)
        else:
            page.line()
    page.rule()
    return page.finish()


TEST_PAGE_TEXT = "Caf\u00e9 cr\u00e8me, d\u00e9j\u00e0 vu, 12.50 \u20ac"


def render_test_page(profile: PrinterProfile) -> bytes:
    """What an installer prints to see width, styles, accents, barcode, QR and cutter."""
    page = _Page(profile)
    page.centred("Comptoir test page", bold=True, tall=True)
    page.centred(f"profile {profile.name}: {profile.paper_mm} mm, {profile.columns} columns")
    page.rule()
    page.line(("1234567890" * (profile.columns // 10 + 1))[: profile.columns])
    page.row("left", "right")
    page.line("Bold", bold=True)
    page.line("Tall", tall=True)
    page.line(TEST_PAGE_TEXT)
    page.rule()
    page.barcode("TEST-PAGE")
    page.qr("https://comptoir.invalid/test-page")
    page.centred("End of test page")
    return page.finish()
