"""What a receipt printer can do, by paper width. The renderer lays out for the columns of
font A and leaves out what the printer cannot do (cut, barcode, QR) instead of sending
commands it would print as garbage.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PrinterProfile:
    name: str
    columns: int  # characters per line in font A
    paper_mm: int
    supports_cut: bool = True
    supports_barcode: bool = True
    supports_qr: bool = True
    supports_status: bool = True  # answers DLE EOT real-time status queries
    # The python-escpos capabilities profile whose code pages the text encoder may use.
    escpos_profile: str = "default"


# Epson TM-T88 class: 80 mm paper, 72 mm printable, 42 columns of font A.
PAPER_80MM = PrinterProfile("80mm", columns=42, paper_mm=80)
# Most other 80 mm printers (TM-T20, Star, the generic ones) fit 48 columns.
PAPER_80MM_48 = PrinterProfile("80mm-48", columns=48, paper_mm=80)
# The common 58 mm printers have no cutter, and many answer no status query.
PAPER_58MM = PrinterProfile(
    "58mm", columns=32, paper_mm=58, supports_cut=False, supports_qr=False, supports_status=False
)

PROFILES: dict[str, PrinterProfile] = {p.name: p for p in (PAPER_80MM, PAPER_80MM_48, PAPER_58MM)}


def profile_named(name: str) -> PrinterProfile:
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise ValueError(f"unknown printer profile {name!r}; known profiles: {known}") from None
