from appliance.app.domain.receipt import (
    Receipt,
    ReceiptLine,
    ReceiptTax,
    ReceiptTender,
    render_text,
)


def receipt(copy: bool = False) -> Receipt:
    return Receipt(
        store_name="Test Market",
        header=("1 Main St",),
        terminal_id="T01",
        receipt_no=42,
        completed_at="2026-11-23 10:15",
        cashier="alice",
        currency="CAD",
        prices_include_tax=False,
        lines=(
            ReceiptLine("Apple", 3, 125, 375),
            ReceiptLine("A very long product name that will not fit", 1, 349, 349),
        ),
        subtotal=724,
        taxes=(ReceiptTax("GST", "5", 36), ReceiptTax("QST", "9.975", 72)),
        total=832,
        tenders=(ReceiptTender("cash", 832, 2000, 1168),),
        footer=("Thank you!",),
        copy=copy,
    )


def test_text_receipt_has_every_part_within_the_paper_width() -> None:
    text = render_text(receipt(), width=42)
    lines = text.splitlines()
    assert all(len(line) <= 42 for line in lines)
    assert "Test Market" in lines[0]
    assert "Receipt T01-000042" in text
    assert any(line.startswith("  3 x 1.25") and line.endswith("3.75") for line in lines)
    assert any(line.startswith("GST 5%") and line.endswith("0.36") for line in lines)
    assert any(line.startswith("QST 9.975%") and line.endswith("0.72") for line in lines)
    assert any(line.startswith("TOTAL CAD") and line.endswith("8.32") for line in lines)
    assert any(line.startswith("Change") and line.endswith("11.68") for line in lines)
    assert "COPY" not in text


def test_narrow_paper_and_copy_marking() -> None:
    text = render_text(receipt(copy=True), width=32)
    assert all(len(line) <= 32 for line in text.splitlines())
    assert text.count("*** COPY ***") == 2


def test_cash_rounding_has_its_own_line_and_the_total_paid() -> None:
    from dataclasses import replace

    rounded = replace(receipt(), total=651, tenders=(ReceiptTender("cash", 651, 1000, 350),), rounding=-1)
    lines = render_text(rounded, width=42).splitlines()
    assert any(line.startswith("Rounding") and line.endswith("-0.01") for line in lines)
    assert any(line.startswith("Total paid") and line.endswith("6.50") for line in lines)
    assert any(line.startswith("Change") and line.endswith("3.50") for line in lines)
    assert not any(line.startswith("Rounding") for line in render_text(receipt()).splitlines())


def test_a_refund_slip_says_what_came_back_and_where_the_money_went() -> None:
    from appliance.app.domain.receipt import RefundSlip, RefundSlipLine, RefundSlipTender, render_refund_text

    slip = RefundSlip(
        store_name="Test Market",
        header=("1 Main St",),
        refund_id=3,
        receipt_number="T01-000042",
        refunded_at="2026-11-24 09:05",
        refunded_by="alice",
        approved_by="sam",
        currency="CAD",
        prices_include_tax=False,
        lines=(RefundSlipLine("Apple", 2, 125, 250), RefundSlipLine("Bread", 1, 349, 314)),
        taxes=(ReceiptTax("GST", "5", 28), ReceiptTax("QST", "9.975", 56)),
        total=648,
        tenders=(
            RefundSlipTender("cash", 300, rounding=0),
            RefundSlipTender("card", 200, detail="VISA **** 1111"),
            RefundSlipTender("store_credit", 148, detail="****-****-****-AB12"),
        ),
    )
    text = render_refund_text(slip)
    lines = text.splitlines()
    assert lines[0].strip() == "Test Market" and lines[1].strip() == "1 Main St"
    assert "REFUND" in (ln.strip() for ln in lines)
    assert lines[5].startswith("Refund 3") and lines[5].endswith("2026-11-24 09:05")
    assert "Original receipt T01-000042" in lines
    assert "Refunded by: alice" in lines and "Approved by: sam" in lines
    assert "Apple" in lines and "  2 x 1.25" in lines
    assert next(ln for ln in lines if ln.startswith("  2 returned")).endswith("2.50")
    # A discounted unit: the discount it had comes off what is given back.
    assert next(ln for ln in lines if ln.startswith("  less discount")).endswith("-0.35")
    assert next(ln for ln in lines if ln.startswith("Subtotal (excl. tax)")).endswith("5.64")
    assert next(ln for ln in lines if ln.startswith("GST 5%")).endswith("0.28")
    assert next(ln for ln in lines if ln.startswith("REFUNDED CAD")).endswith("6.48")
    assert next(ln for ln in lines if ln.startswith("Cash")).endswith("3.00")
    assert next(ln for ln in lines if ln.startswith("Card VISA **** 1111")).endswith("2.00")
    assert next(ln for ln in lines if ln.startswith("Store credit ****-****-****-AB12")).endswith("1.48")
    assert "Rounding" not in text  # no cash rounding, no line for it
    assert all(len(ln) <= 42 for ln in lines)


def test_a_refund_slip_shows_cash_rounding_and_no_approver_when_none_was_needed() -> None:
    from appliance.app.domain.receipt import RefundSlip, RefundSlipLine, RefundSlipTender, render_refund_text

    slip = RefundSlip(
        store_name="Test Market",
        header=(),
        refund_id=4,
        receipt_number="T01-000043",
        refunded_at="2026-11-24 09:06",
        refunded_by="sam",
        approved_by=None,
        currency="CAD",
        prices_include_tax=True,
        lines=(RefundSlipLine("Apple", 1, 651, 651),),
        taxes=(ReceiptTax("GST", "5", 31),),
        total=651,
        tenders=(RefundSlipTender("cash", 651, rounding=-1),),
    )
    lines = render_refund_text(slip, width=32).splitlines()
    assert not any(ln.startswith("Approved by") for ln in lines)
    assert next(ln for ln in lines if ln.startswith("Apple")).endswith("6.51")
    assert next(ln for ln in lines if ln.startswith("Net")).endswith("6.51")
    assert next(ln for ln in lines if ln.startswith("GST 5% incl.")).endswith("0.31")
    assert next(ln for ln in lines if ln.startswith("  Rounding")).endswith("-0.01")
    assert next(ln for ln in lines if ln.startswith("  Cash handed back")).endswith("6.50")
    assert all(len(ln) <= 32 for ln in lines)


def test_a_refund_slip_names_the_till_that_gave_it() -> None:
    from dataclasses import replace

    from appliance.app.domain.receipt import render_refund_text
    from tests.unit.drivers.samples import refund_slip

    lines = render_refund_text(replace(refund_slip(), terminal_id="LANE-1")).splitlines()
    assert any(ln.startswith("Refund 7 at LANE-1") and ln.endswith("2025-03-03 16:40") for ln in lines)
    assert "Original receipt LANE-2-001337" in lines
