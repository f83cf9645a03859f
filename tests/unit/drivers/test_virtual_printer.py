"""The fake is only as good as its parser: python-escpos output goes in, the paper that a
real printer would produce comes out. These hold the fake to the ESC/POS manual."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from appliance.drivers import escpos_receipt
from tests.fakes.escpos_printer import (
    Barcode,
    DrawerPulse,
    Image,
    Paper,
    QrCode,
    VirtualPrinter,
    decode_code128,
)


def run(build: Callable[[Any], None], *, chunk: int | None = None) -> tuple[VirtualPrinter, Paper]:
    dummy = escpos_receipt.load_escpos()()  # through our module, which sets python-escpos up
    dummy.hw("INIT")
    build(dummy)
    data = dummy.output
    printer = VirtualPrinter()
    step = chunk or len(data)
    for i in range(0, len(data), step):
        printer.feed(data[i : i + step])
    papers = printer.all_paper()
    return printer, papers[-1]


def test_styles_round_trip() -> None:
    def build(p: Any) -> None:
        p.set(bold=True, align="center")
        p.textln("bold centre")
        p.set(bold=False, underline=1, align="right")
        p.textln("underlined right")
        p.set(underline=0, align="left", double_width=True, double_height=True)
        p.textln("big")
        p.set(custom_size=True, width=3, height=4)
        p.textln("custom")
        p.set(normal_textsize=True, invert=True, font="b")
        p.textln("small inverted")

    _, paper = run(build)
    lines = {line.text: line for line in paper.lines}
    assert lines["bold centre"].bold and lines["bold centre"].align == "center"
    span = lines["underlined right"].spans[0].style
    assert span.underline == 1 and not span.bold and lines["underlined right"].align == "right"
    big = lines["big"].spans[0].style
    assert (big.width, big.height) == (2, 2)
    custom = lines["custom"].spans[0].style
    assert (custom.width, custom.height) == (3, 4)
    small = lines["small inverted"].spans[0].style
    assert small.invert and small.font == 1 and (small.width, small.height) == (1, 1)
    assert paper.unknown == []


def test_alignment_takes_effect_at_the_start_of_a_line() -> None:
    def build(p: Any) -> None:
        p.text("starts left ")
        p.set(align="center")
        p.textln("then asks for centre")
        p.textln("centred")

    _, paper = run(build)
    assert [(line.text, line.align) for line in paper.lines] == [
        ("starts left then asks for centre", "left"),
        ("centred", "center"),
    ]


def test_mixed_styles_in_one_line_keep_their_spans() -> None:
    def build(p: Any) -> None:
        p.text("Total ")
        p.set(bold=True)
        p.textln("12.50")

    _, paper = run(build)
    line = paper.lines[0]
    assert [(s.text, s.style.bold) for s in line.spans] == [("Total ", False), ("12.50", True)]
    assert not line.bold, "a line is bold only when all of its ink is"


def test_code_pages_are_switched_and_decoded() -> None:
    text = "Grüße, Ελλάδα, Привет, € 5, naïve"
    _, paper = run(lambda p: p.textln(text))
    assert paper.lines[0].text == text


@pytest.mark.parametrize(
    ("code", "kind", "expected"),
    [
        ("{BT01-000042", "CODE128", "T01-000042"),
        ("{C\x0c\x22\x38", "CODE128", "123456"),
        ("{Babc{{def", "CODE128", "abc{def"),
        ("400638133393", "EAN13", "4006381333931"),
        ("4006381333931", "EAN13", "4006381333931"),
        ("9638507", "EAN8", "96385074"),
    ],
)
def test_barcodes_round_trip(code: str, kind: str, expected: str) -> None:
    _, paper = run(lambda p: p._hw_barcode(code, kind, function_type="B", check=False))
    assert paper.barcodes == [Barcode(kind, expected, code.encode("latin-1"), "below")]


def test_function_a_barcode_ends_at_nul() -> None:
    _, paper = run(lambda p: p._hw_barcode("400638133393", "EAN13", function_type="A"))
    assert [b.data for b in paper.barcodes] == ["4006381333931"]


def test_a_barcode_a_printer_would_refuse_is_not_on_paper() -> None:
    _, paper = run(lambda p: p._hw_barcode("T01-000042", "CODE128", function_type="B", check=False))
    assert paper.barcodes == []
    assert paper.unknown, "the refused barcode is reported"
    assert decode_code128(b"{Bok") == "ok" and decode_code128(b"no-set") is None


def test_native_qr_round_trips_and_an_image_qr_is_an_image() -> None:
    _, paper = run(lambda p: p.qr("https://example.invalid/r/42", native=True, size=5, ec=1))
    assert paper.qr_codes == [QrCode("https://example.invalid/r/42", 5, "M")]
    _, paper = run(lambda p: p.qr("hello"))
    assert paper.qr_codes == [] and any(isinstance(i, Image) for i in paper.items)
    assert paper.unknown == []


def test_cuts_make_papers_and_drawer_pulses_are_recorded() -> None:
    def build(p: Any) -> None:
        p.cashdraw(2)
        p.textln("first")
        p.cut()
        p.cashdraw(5)
        p.textln("second")
        p.cut(mode="PART")
        p.textln("third, still in the printer")

    printer, _ = run(build)
    papers = printer.all_paper()
    assert [p.cut for p in papers] == ["full", "partial", None]
    assert papers[0].pulses == [DrawerPulse(2, 100, 100)]
    assert papers[1].pulses == [DrawerPulse(5, 100, 100)]
    assert printer.pulses == [DrawerPulse(2, 100, 100), DrawerPulse(5, 100, 100)]
    assert papers[2].lines[0].text == "third, still in the printer"


def test_byte_by_byte_is_the_same_as_all_at_once() -> None:
    from appliance.drivers.drawer import DrawerKick
    from appliance.drivers.escpos_receipt import render_escpos
    from appliance.drivers.profiles import PAPER_80MM
    from tests.unit.drivers.samples import cafe_receipt

    data = render_escpos(cafe_receipt(copy=True), PAPER_80MM, open_drawer=DrawerKick())
    whole, split = VirtualPrinter(), VirtualPrinter()
    whole.feed(data)
    for i in range(len(data)):
        split.feed(data[i : i + 1])
    assert whole.all_paper() == split.all_paper()


def test_init_throws_away_a_half_received_line() -> None:
    printer = VirtualPrinter()
    printer.feed(b"\x1b@half a li")
    printer.feed(b"\x1b@whole\n")
    assert [line.text for line in printer.all_paper()[0].lines] == ["whole"]


def test_status_queries_are_answered_in_the_stream() -> None:
    printer = VirtualPrinter()
    assert printer.feed(b"\x10\x04\x01\x10\x04\x02\x10\x04\x04") == b"\x12\x12\x12"
    printer.paper_out = True
    assert printer.feed(b"\x10\x04\x01\x10\x04\x02\x10\x04\x04") == b"\x1a\x32\x72"
    printer.paper_out, printer.cover_open = False, True
    assert printer.feed(b"\x10\x04\x01\x10\x04\x02") == b"\x1a\x16"
    printer.answers_status = False
    assert printer.feed(b"\x10\x04\x01") == b""
    assert printer.status_queries == 9


def test_cover_open_or_no_paper_prints_nothing() -> None:
    printer = VirtualPrinter()
    printer.cover_open = True
    printer.feed(b"\x1b@\x1bp\x00\x32\x32lost\n\x1dV\x00")
    assert printer.all_paper() == [] and printer.pulses == []
    printer.cover_open = False
    printer.feed(b"\x1b@kept\n\x1dV\x00")
    assert [p.text for p in printer.cut_papers()] == ["kept"]


def test_unknown_commands_are_reported_not_printed() -> None:
    printer = VirtualPrinter()
    printer.feed(b"\x1b@\x1bQok\n\x07")
    paper = printer.all_paper()[0]
    assert paper.lines[0].text == "ok"
    assert paper.unknown == [b"\x1bQ", b"\x07"]
