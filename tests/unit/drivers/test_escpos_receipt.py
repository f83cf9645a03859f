"""The receipt on paper says what the screen says, with the style, barcode, drawer pulse
and cut a printer adds. Read back through the virtual printer's parser."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from appliance.app.domain.receipt import (
    Receipt,
    ReceiptTender,
    RefundSlipLine,
    RefundSlipTender,
    render_refund_text,
    render_text,
)
from appliance.drivers.drawer import DrawerKick
from appliance.drivers.escpos_receipt import (
    TEST_PAGE_TEXT,
    code128_data,
    render_escpos,
    render_refund_slip,
    render_report,
    render_test_page,
)
from appliance.drivers.profiles import PAPER_58MM, PAPER_80MM, PAPER_80MM_48, PrinterProfile
from tests.fakes.escpos_printer import Paper, VirtualPrinter
from tests.unit.drivers.samples import cafe_receipt, hardware_receipt, refund_slip

PROFILES = [PAPER_80MM, PAPER_80MM_48, PAPER_58MM]


def printed(data: bytes, profile: PrinterProfile = PAPER_80MM) -> Paper:
    printer = VirtualPrinter(columns=profile.columns)
    assert printer.feed(data) == b""
    papers = printer.all_paper()
    assert len(papers) == 1, "one job, one strip of paper"
    assert papers[0].unknown == [], "the parser met commands it does not know"
    return papers[0]


def inked(lines: list[str]) -> list[str]:
    return [line.strip() for line in lines if line.strip()]


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.name)
@pytest.mark.parametrize(
    "receipt",
    [
        cafe_receipt(),
        cafe_receipt(copy=True),
        hardware_receipt(),
        hardware_receipt(rounding=-2),
        # Spent while the office did not answer: the note beside the tender, or under it.
        cafe_receipt(tenders=(ReceiptTender("gift_card", 1305, 1305, 0, detail="****1234", office_offline=True),)),
    ],
    ids=["cafe", "cafe-copy", "hardware", "hardware-cash-rounding", "gift-card-office-offline"],
)
def test_paper_says_what_the_screen_says(receipt: Receipt, profile: PrinterProfile) -> None:
    paper = printed(render_escpos(receipt, profile), profile)
    screen = render_text(receipt, profile.columns).splitlines()
    assert inked([line.text for line in paper.lines]) == inked(screen)
    assert all(len(line.text) <= profile.columns for line in paper.lines)
    if any(t.office_offline for t in receipt.tenders):
        assert sum("(office offline)" in line for line in screen) == 1


def test_store_name_is_centred_and_emphasised_and_the_total_stands_out() -> None:
    paper = printed(render_escpos(cafe_receipt(), PAPER_80MM))
    name = paper.line_with("Épicerie du Coin")
    assert (name.align, name.bold, name.tall) == ("center", True, True)
    assert paper.line_with("12 rue de la Paix").align == "center"
    assert not paper.line_with("12 rue de la Paix").bold
    total = paper.line_with("TOTAL EUR")
    assert total.text.endswith("13.05") and total.bold and total.tall
    assert paper.line_with("Change").text.endswith("1.95")
    assert not paper.line_with("Croissant").bold
    assert paper.line_with("Croissant").align == "left"


def test_cash_rounding_is_printed_on_its_own_line() -> None:
    paper = printed(render_escpos(hardware_receipt(rounding=-2), PAPER_80MM))
    assert paper.line_with("Rounding").text.endswith("-$0.02")
    total = hardware_receipt().total
    assert paper.line_with("Total paid").text.endswith(f"{(total - 2) // 100}.{(total - 2) % 100:02d}")


def test_receipt_number_is_a_code128_barcode_and_the_paper_is_cut() -> None:
    receipt = cafe_receipt()
    paper = printed(render_escpos(receipt, PAPER_80MM))
    assert [(b.kind, b.data) for b in paper.barcodes] == [("CODE128", "T01-000042")]
    assert paper.barcodes[0].data == receipt.number
    assert paper.items[-1] != paper.barcodes[0] or paper.cut == "full"
    assert paper.cut == "full"


def test_a_copy_says_so_at_top_and_bottom_and_an_original_never_does() -> None:
    original = printed(render_escpos(cafe_receipt(), PAPER_80MM))
    copy = printed(render_escpos(cafe_receipt(copy=True), PAPER_80MM))
    assert "COPY" not in original.text
    marks = [line for line in copy.lines if line.text == "*** COPY ***"]
    assert len(marks) == 2 and all(m.bold and m.align == "center" for m in marks)
    assert copy.lines[0].text == "*** COPY ***"


@pytest.mark.parametrize(
    ("kick", "expected"),
    [(DrawerKick(pin=2, on_ms=100, off_ms=100), (2, 100, 100)),
     (DrawerKick(pin=5, on_ms=50, off_ms=200), (5, 50, 200))],
)  # fmt: skip
def test_drawer_opens_first_on_the_pin_and_pulse_from_config(kick: DrawerKick, expected: tuple[int, int, int]) -> None:
    data = render_escpos(cafe_receipt(), PAPER_80MM, open_drawer=kick)
    assert data.startswith(b"\x1b@" + kick.command())
    paper = printed(data)
    assert [(p.pin, p.on_ms, p.off_ms) for p in paper.pulses] == [expected]


def test_no_drawer_pulse_unless_asked() -> None:
    data = render_escpos(cafe_receipt(), PAPER_80MM)
    assert b"\x1bp" not in data
    assert printed(data).pulses == []


def test_every_job_starts_from_a_reset_printer() -> None:
    assert render_escpos(cafe_receipt(), PAPER_80MM).startswith(b"\x1b@")
    assert render_test_page(PAPER_58MM).startswith(b"\x1b@")
    assert render_report("Shift 3", [], PAPER_80MM).startswith(b"\x1b@")


def test_58mm_printer_without_cutter_gets_a_tear_off_feed_instead() -> None:
    printer = VirtualPrinter(columns=32)
    printer.feed(render_escpos(hardware_receipt(), PAPER_58MM))
    assert printer.cut_papers() == []
    strip = printer.all_paper()[0]
    assert strip.barcodes[0].data == "LANE-2-001337"
    assert strip.lines[-1].text == "" and strip.lines[-4].text == ""


def test_printer_without_barcodes_gets_none() -> None:
    plain = PrinterProfile("plain", columns=42, paper_mm=80, supports_barcode=False)
    paper = printed(render_escpos(cafe_receipt(), plain))
    assert paper.barcodes == []
    assert "Receipt T01-000042" in paper.text


def test_barcode_data_survives_braces_and_refuses_what_code_set_b_cannot_hold() -> None:
    assert code128_data("A{1") == "{BA{{1"
    assert code128_data("Ü-1") is None
    assert code128_data("") is None
    paper = printed(render_escpos(cafe_receipt(terminal_id="T{9"), PAPER_80MM))
    assert paper.barcodes[0].data == "T{9-000042"
    paper = printed(render_escpos(cafe_receipt(terminal_id="Caisse-É"), PAPER_80MM))
    assert paper.barcodes == []


def test_accents_and_symbols_reach_the_paper() -> None:
    paper = printed(render_escpos(cafe_receipt(), PAPER_80MM))
    assert "Card VISA •••• 1111" in paper.text
    assert "Merci et à bientôt !" in paper.text


def test_long_names_are_cut_to_the_line_not_wrapped() -> None:
    paper = printed(render_escpos(cafe_receipt(), PAPER_58MM), PAPER_58MM)
    line = paper.line_with("Confiture")
    assert len(line.text) == 32 and line.text.endswith(" €6.95")


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.name)
def test_test_page_shows_width_styles_accents_and_codes(profile: PrinterProfile) -> None:
    paper = printed(render_test_page(profile), profile)
    ruler = paper.line_with("1234567890")
    assert len(ruler.text) == profile.columns
    assert paper.line_with("Bold").bold and paper.line_with("Tall").tall
    assert TEST_PAGE_TEXT in paper.text
    assert [b.data for b in paper.barcodes] == ["TEST-PAGE"]
    assert len(paper.qr_codes) == (1 if profile.supports_qr else 0)
    assert paper.cut == ("full" if profile.supports_cut else None)


def test_report_rows_headings_and_blank_lines() -> None:
    rows = [
        ("Sales", ""),
        ("Count", "41"),
        ("Gross", "1 234.50"),
        ("", ""),
        ("Cash in drawer", "312.40"),
    ]
    data = render_report("Shift 7 — close", rows, PAPER_80MM, heading=("Till T01", "Ana"))
    paper = printed(data)
    assert paper.lines[0].text == "Shift 7 — close" and paper.lines[0].tall
    assert paper.line_with("Till T01").align == "center"
    assert paper.line_with("Sales").bold
    gross = paper.line_with("Gross")
    assert gross.text.endswith("1 234.50") and len(gross.text) == 42
    assert paper.cut == "full"


def test_importing_leaves_no_temp_folder_and_keeps_logging_unconfigured(tmp_path: Path) -> None:
    tmp, home = tmp_path / "tmp", tmp_path / "home"
    tmp.mkdir()
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("ESCPOS_CAPABILITIES_PICKLE_DIR",)}
    env.update(TMPDIR=str(tmp), HOME=str(home), XDG_CACHE_HOME="")
    code = (
        "import logging, appliance.drivers.escpos_receipt as r\n"
        "from appliance.drivers.profiles import PAPER_80MM\n"
        "r.render_test_page(PAPER_80MM)\n"
        "print(len(logging.root.handlers))\n"
    )
    for _ in range(2):
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        assert out.stdout.strip() == "0", "python-escpos's basicConfig() was left in place"
        assert out.stderr == ""
    assert list(tmp.iterdir()) == []
    pickles = list((home / ".cache" / "comptoir" / "escpos").iterdir())
    assert len(pickles) == 1 and pickles[0].name.endswith(".capabilities.pickle")


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.name)
def test_a_refund_slip_on_paper_says_what_its_text_says(profile: PrinterProfile) -> None:
    slip = refund_slip()
    paper = printed(render_refund_slip(slip, profile), profile)
    assert inked([line.text for line in paper.lines]) == inked(render_refund_text(slip, profile.columns).splitlines())
    assert all(len(line.text) <= profile.columns for line in paper.lines)


def test_a_refund_slip_carries_the_original_receipt_s_barcode_and_stands_out_as_a_refund() -> None:
    paper = printed(render_refund_slip(refund_slip(), PAPER_80MM))
    title = paper.line_with("REFUND")
    assert (title.align, title.bold, title.tall) == ("center", True, True)
    assert [(b.kind, b.data) for b in paper.barcodes] == [("CODE128", "LANE-2-001337")]
    total = paper.line_with("REFUNDED CAD")
    assert total.text.endswith("36.19") and total.bold and total.tall
    assert paper.line_with("Card VISA **** 1111").text.endswith("20.00")
    assert paper.line_with("Rounding").text.endswith("0.01")
    handed = paper.line_with("Cash handed back")
    assert handed.text.endswith("16.20") and handed.bold
    assert paper.cut == "full"


def test_a_cash_refund_slip_opens_the_drawer_first_and_only_when_asked() -> None:
    kick = DrawerKick(pin=5, on_ms=120)
    data = render_refund_slip(refund_slip(), PAPER_80MM, open_drawer=kick)
    assert data.startswith(b"\x1b@" + kick.command())
    assert [(p.pin, p.on_ms) for p in printed(data).pulses] == [(5, 120)]
    assert printed(render_refund_slip(refund_slip(), PAPER_80MM)).pulses == []


def test_control_characters_in_a_refund_slip_never_reach_the_printer() -> None:
    hostile = "Jam\x1bp\x00\x19\x19\x1dV\x00\x9b jar"
    slip = refund_slip(
        store_name="Shop\x1bp\x00",
        refunded_by="eve\x1d\x56\x00",
        lines=(RefundSlipLine(hostile, 1, 400, 400),),
        tenders=(RefundSlipTender("card", 3619, detail="VISA\x1bp **** 1111"),),
    )
    data = render_refund_slip(slip, PAPER_80MM)
    paper = printed(data)
    assert paper.pulses == [] and paper.cut == "full"
    assert b"\x1bp" not in data and data.count(b"\x1dV") == 1  # the one cut, at the end
    assert paper.line_with("Jam?p").text.startswith("Jam?p????V?? jar")


@pytest.mark.parametrize("locale", ["en-CA", "fr-CA", "uk-UA"])
@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.name)
def test_paper_says_what_the_screen_says_in_each_language(locale: str, profile: PrinterProfile) -> None:
    for receipt in (hardware_receipt(locale=locale, rounding=-2, copy=True), cafe_receipt(locale=locale)):
        paper = printed(render_escpos(receipt, profile), profile)
        screen = render_text(receipt, profile.columns).splitlines()
        assert inked([line.text for line in paper.lines]) == inked(screen)  # not one letter lost to "?"
    slip = refund_slip(locale=locale)
    paper = printed(render_refund_slip(slip, profile), profile)
    assert inked([line.text for line in paper.lines]) == inked(render_refund_text(slip, profile.columns).splitlines())


def test_french_is_printed_in_a_latin_code_page_with_its_separators() -> None:
    data = render_escpos(hardware_receipt(locale="fr-CA"), PAPER_80MM)
    assert b"\x1bt\x00" in data  # CP437, which has ç, é, à
    assert "Reçu LANE-2-001337".encode("cp437") in data
    assert "Caissier : Marc".encode("cp437") in data
    assert b"17,98 $\n" in data  # 17,98 $: a comma, and a plain space before the sign
    paper = printed(data)
    assert paper.line_with("TOTAL CAD").text.endswith(" 20,67 $") and paper.line_with("TOTAL CAD").bold
    assert paper.line_with("Sous-total (av. taxes)").text.endswith(" 17,98 $")
    assert paper.line_with("TVQ/QST 9,975 %").text.endswith(" 1,79 $")  # the tax's name as set


def test_ukrainian_is_printed_in_a_cyrillic_code_page() -> None:
    data = render_escpos(hardware_receipt(locale="uk-UA", rounding=-2), PAPER_80MM)
    cp866 = b"\x1bt\x11"  # ESC t 17: CP866
    assert cp866 + "Чек LANE-2-001337".encode("cp866") in data
    assert "Округлення".encode("cp866") in data and "Касир: Marc".encode("cp866") in data
    paper = printed(data)
    assert "?" not in paper.text  # nothing fell out of the code pages
    assert paper.line_with("РАЗОМ CAD").text.endswith(" 20,67 CAD") and paper.line_with("РАЗОМ CAD").tall
    assert paper.line_with("Сума без податку").text.endswith(" 17,98 CAD")
    assert paper.line_with("Готівка").text.endswith(" 20,67 CAD")  # і, which CP866 lacks: another page


def test_hryvnias_are_printed_as_the_shops_write_them() -> None:
    receipt = hardware_receipt(locale="uk-UA", currency="UAH")
    data = render_escpos(receipt, PAPER_80MM)
    paper = printed(data)
    assert paper.line_with("РАЗОМ UAH").text.endswith(" 20,67 грн")  # no code page has ₴
    assert "₴" not in render_text(receipt)  # the screen says the same as the paper


@pytest.mark.parametrize(
    ("locale", "title", "balance", "until", "keep"),
    [
        ("en-CA", "GIFT CARD TOP-UP", "Balance CAD", ("Valid until", "2027-03-31"), "Keep this slip"),
        ("fr-CA", "RECHARGE DE CARTE-CADEAU", "Solde CAD", ("Valide jusqu'au", "2027-03-31"), "Gardez ce reçu"),
        ("uk-UA", "ПОПОВНЕННЯ КАРТКИ", "Залишок CAD", ("Дійсна до", "31.03.27"), "Збережіть чек"),
    ],
)
def test_a_gift_card_slip_speaks_the_stores_language(
    locale: str, title: str, balance: str, until: tuple[str, str], keep: str
) -> None:
    from appliance.app.domain.gift_card import Slip
    from appliance.app.domain.words import Words
    from appliance.drivers.escpos_receipt import render_gift_card_slip

    slip = Slip("Quincaillerie Beaubien", "ABCD2345EFGH6789", "top_up", 500, 1500, "CAD", "2027-03-31", "now", locale)
    paper = printed(render_gift_card_slip(slip, PAPER_80MM))
    assert paper.line_with(title).bold
    assert paper.line_with(balance).text.endswith(" " + Words(locale).money(1500, "CAD"))
    assert paper.line_with(until[0]).text.endswith(" " + until[1])
    assert keep in paper.text and "?" not in paper.text
    forever = printed(render_gift_card_slip(replace(slip, expires_on=None), PAPER_80MM))
    assert Words(locale)("receipt.gift_card_no_expiry") in forever.text and until[0] not in forever.text
