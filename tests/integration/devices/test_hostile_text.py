"""Printers print only what the renderer means: a product name, a cashier's name or the
store's own text holding printer commands (ESC p opens the drawer, GS V cuts, ESC @ resets)
reaches paper as harmless characters. The drawer opens only when the sale takes cash."""

from __future__ import annotations

from typing import Any

from appliance.app.domain.receipt import Receipt, ReceiptLine, ReceiptTender
from appliance.drivers.escpos_receipt import printable, render_escpos, render_report
from appliance.drivers.profiles import PAPER_80MM
from tests.fakes.escpos_printer import DrawerPulse, VirtualPrinter, VirtualPrinterServer
from tests.integration.devices.conftest import sell
from tests.unit.drivers.samples import hardware_receipt

KICK = "\x1bp\x00\x19\xfa"  # ESC p: pulse drawer pin 2 for 50 ms
CUT = "\x1dV\x00"  # GS V: full cut
RESET = "\x1b@"  # ESC @
HOSTILE = f"Pain{KICK}au{CUT}choc{RESET}olat\x9b\u202e\t!"


def _paper(data: bytes) -> Any:
    printer = VirtualPrinter(columns=PAPER_80MM.columns)
    printer.feed(data)
    return printer.all_paper()


def test_no_control_character_survives_printable() -> None:
    text = printable(HOSTILE + "".join(chr(c) for c in range(32)) + "\x7f")
    assert all(ch >= " " and ch != "\x7f" and not 0x80 <= ord(ch) < 0xA0 for ch in text)
    assert printable("Café crème 12,50 €") == "Café crème 12,50 €"


def test_hostile_text_in_every_field_of_a_card_receipt_opens_nothing_and_cuts_once() -> None:
    base = hardware_receipt()
    receipt = Receipt(
        **{
            **base.__dict__,
            "store_name": f"Boulangerie{KICK}",
            "header": (f"rue{CUT}Saint-Denis",),
            "cashier": f"Ana{RESET}",
            "lines": (ReceiptLine(HOSTILE, 1, base.total, base.total, sku=f"X{KICK}"),),
            "tenders": (ReceiptTender("card", base.total, base.total, 0, detail=f"VISA{KICK} 1111"),),
            "footer": (f"Merci{CUT}",),
        }
    )
    [paper] = _paper(render_escpos(receipt, PAPER_80MM))
    assert paper.pulses == [], "no drawer on a card sale, whatever its text says"
    assert paper.unknown == []
    assert "au" in paper.text and "choc" in paper.text, "the name still prints, defused"


def test_a_report_with_hostile_labels_prints_one_strip() -> None:
    data = render_report(f"Z{CUT}", [(f"Cash{KICK}", "1.00"), (HOSTILE, "")], PAPER_80MM)
    papers = _paper(data)
    assert len(papers) == 1 and papers[0].pulses == [] and papers[0].unknown == []


def test_a_product_named_with_printer_commands_sold_for_cash_pulses_the_drawer_once(
    as_user: Any, printer: VirtualPrinterServer
) -> None:
    manager, cashier = as_user("manager"), as_user("cashier")
    made = manager.post(
        "/api/v1/products",
        json={"sku": "EVIL-1", "name": HOSTILE, "price": 250, "barcodes": ["2000000000008"]},
    )
    assert made.status_code == 201, made.text
    sell(cashier, "2000000000008", pay=1000)
    [paper] = printer.printer.wait_for_cuts(1)
    assert paper.pulses == [DrawerPulse(5, 120, 100)], "the one pulse the cash tender asked for"
    assert paper.unknown == []
    assert paper.barcodes, "the strip was not cut before its end"
