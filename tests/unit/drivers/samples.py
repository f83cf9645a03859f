"""Receipts the driver tests print: what a shop's day actually produces."""

from __future__ import annotations

from dataclasses import replace

from appliance.app.domain.receipt import (
    Receipt,
    ReceiptLine,
    ReceiptTax,
    ReceiptTender,
    RefundSlip,
    RefundSlipLine,
    RefundSlipTender,
)


def cafe_receipt(**changes: object) -> Receipt:
    """Prices include tax, a multi-quantity line, card plus cash with change, a footer."""
    receipt = Receipt(
        store_name="Épicerie du Coin",
        header=("12 rue de la Paix, Lyon", "TVA FR40123456789"),
        terminal_id="T01",
        receipt_no=42,
        completed_at="2025-03-01 14:03",
        cashier="Ana",
        currency="EUR",
        prices_include_tax=True,
        lines=(
            ReceiptLine("Café crème", 1, 250, 250, sku="CAF-1"),
            ReceiptLine("Croissant au beurre", 3, 120, 360, sku="VIE-2"),
            ReceiptLine("Confiture d'abricots artisanale, pot de 370 g", 1, 695, 695),
        ),
        subtotal=1237,
        taxes=(ReceiptTax("TVA", "5.5", 68),),
        total=1305,
        tenders=(
            ReceiptTender("card", 1000, 1000, 0, detail="VISA •••• 1111"),
            ReceiptTender("cash", 305, 500, 195),
        ),
        footer=("Merci et à bientôt !",),
    )
    return replace(receipt, **changes)  # type: ignore[arg-type]


def hardware_receipt(**changes: object) -> Receipt:
    """Prices before tax (Québec: GST and QST on top), one line, exact cash."""
    receipt = Receipt(
        store_name="Quincaillerie Beaubien",
        header=("6500 rue Saint-Denis, Montréal",),
        terminal_id="LANE-2",
        receipt_no=1337,
        completed_at="2025-03-02 09:15",
        cashier="Marc",
        currency="CAD",
        prices_include_tax=False,
        lines=(ReceiptLine("Vis à bois #8 x 1-1/4 (100)", 2, 899, 1798),),
        subtotal=1798,
        taxes=(ReceiptTax("TPS/GST", "5", 90), ReceiptTax("TVQ/QST", "9.975", 179)),
        total=2067,
        tenders=(ReceiptTender("cash", 2067, 2067, 0),),
    )
    return replace(receipt, **changes)  # type: ignore[arg-type]


def refund_slip(**changes: object) -> RefundSlip:
    """Prices before tax; two lines back (one discounted), to a card and to cash with its
    rounding; a cashier's refund a supervisor approved."""
    slip = RefundSlip(
        store_name="Quincaillerie Beaubien",
        header=("6500 rue Saint-Denis, Montréal",),
        refund_id=7,
        receipt_number="LANE-2-001337",
        refunded_at="2025-03-03 16:40",
        refunded_by="Marc",
        approved_by="Sophie",
        currency="CAD",
        prices_include_tax=False,
        lines=(
            RefundSlipLine("Vis à bois #8 x 1-1/4 (100)", 2, 899, 1798),
            RefundSlipLine("Marteau", 1, 1500, 1350),
        ),
        taxes=(ReceiptTax("TPS/GST", "5", 157), ReceiptTax("TVQ/QST", "9.975", 314)),
        total=3619,
        tenders=(
            RefundSlipTender("card", 2000, detail="VISA **** 1111"),
            RefundSlipTender("cash", 1619, rounding=1),
        ),
        terminal_id="LANE-1",
    )
    return replace(slip, **changes)  # type: ignore[arg-type]
