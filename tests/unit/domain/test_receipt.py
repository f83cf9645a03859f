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
