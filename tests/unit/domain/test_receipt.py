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
    assert any(line.startswith("  3 x $1.25") and line.endswith("3.75") for line in lines)
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
    assert any(line.startswith("Rounding") and line.endswith("-$0.01") for line in lines)
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
    assert "Apple" in lines and "  2 x $1.25" in lines
    assert next(ln for ln in lines if ln.startswith("  2 returned")).endswith("2.50")
    # A discounted unit: the discount it had comes off what is given back.
    assert next(ln for ln in lines if ln.startswith("  less discount")).endswith("-$0.35")
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
    assert next(ln for ln in lines if ln.startswith("  Rounding")).endswith("-$0.01")
    assert next(ln for ln in lines if ln.startswith("  Cash handed back")).endswith("6.50")
    assert all(len(ln) <= 32 for ln in lines)


def test_a_refund_slip_names_the_till_that_gave_it() -> None:
    from dataclasses import replace

    from appliance.app.domain.receipt import render_refund_text
    from tests.unit.drivers.samples import refund_slip

    lines = render_refund_text(replace(refund_slip(), terminal_id="LANE-1")).splitlines()
    assert any(ln.startswith("Refund 7 at LANE-1") and ln.endswith("2025-03-03 16:40") for ln in lines)
    assert "Original receipt LANE-2-001337" in lines


def test_a_receipt_speaks_the_stores_language_and_writes_its_money() -> None:
    from dataclasses import replace

    rounded = replace(receipt(), tenders=(ReceiptTender("cash", 832, 2000, 1168),), rounding=-2, copy=True)
    english = render_text(replace(rounded, locale="en-CA")).splitlines()
    french = render_text(replace(rounded, locale="fr-CA")).splitlines()
    ukrainian = render_text(replace(rounded, locale="uk-UA")).splitlines()
    assert [len(text) for text in (english, french, ukrainian)] == [len(english)] * 3  # the same rows
    assert english[0].strip() == "*** COPY ***" and french[0].strip() == "*** COPIE ***"
    assert ukrainian[0].strip() == "*** КОПІЯ ***"
    assert any(ln.startswith("Receipt T01-000042") for ln in english)
    assert any(ln.startswith("Reçu T01-000042") for ln in french)
    assert any(ln.startswith("Чек T01-000042") for ln in ukrainian)
    assert "Caissier : alice" in french and "Касир: alice" in ukrainian

    def row(lines: list[str], left: str) -> str:
        return next(ln for ln in lines if ln.startswith(left))

    assert row(french, "  3 x 1,25 $").endswith(" 3,75 $") and row(english, "  3 x $1.25").endswith(" $3.75")
    assert row(ukrainian, "  3 x 1,25 CAD").endswith(" 3,75 CAD")

    assert row(english, "Subtotal (excl. tax)").endswith(" $7.24")
    assert row(french, "Sous-total (av. taxes)").endswith(" 7,24 $")
    assert row(ukrainian, "Сума без податку").endswith(" 7,24 CAD")
    # Tax names stay as configured; their rates are numbers of the locale.
    assert row(english, "QST 9.975%").endswith(" $0.72")
    assert row(french, "QST 9,975 %").endswith(" 0,72 $")
    assert row(ukrainian, "QST 9,975%").endswith(" 0,72 CAD")
    assert row(english, "TOTAL CAD").endswith(" $8.32") and row(french, "TOTAL CAD").endswith(" 8,32 $")
    assert row(ukrainian, "РАЗОМ CAD").endswith(" 8,32 CAD")
    assert row(french, "Arrondi").endswith(" -0,02 $") and row(french, "Total payé").endswith(" 8,30 $")
    assert row(ukrainian, "Округлення").endswith(" -0,02 CAD") and row(ukrainian, "Сплачено").endswith("8,30 CAD")
    assert row(english, "Cash ").endswith(" $20.00") and row(english, "Change").endswith(" $11.68")
    assert row(french, "Comptant ").endswith(" 20,00 $") and row(french, "Monnaie").endswith(" 11,68 $")
    assert row(ukrainian, "Готівка").endswith(" 20,00 CAD") and row(ukrainian, "Решта").endswith(" 11,68 CAD")
    assert all(len(ln) <= 42 for ln in english + french + ukrainian)


def test_every_tender_has_a_name_in_each_language() -> None:
    from appliance.app.domain.receipt import tender_name
    from appliance.app.domain.words import Words

    methods = ("cash", "card", "gift_card", "loyalty", "store_credit", "exchange")
    assert [tender_name(m, Words("en-CA")) for m in methods] == [
        "Cash", "Card", "Gift card", "Points", "Store credit", "Exchange"
    ]  # fmt: skip
    assert [tender_name(m, Words("fr-CA")) for m in methods] == [
        "Comptant", "Carte", "Carte-cadeau", "Points", "Crédit magasin", "Échange"
    ]  # fmt: skip
    assert tender_name("gift_card", Words("uk-UA")) == "Подарункова картка"
    assert tender_name("cheque_of_the_future", Words("fr-CA")) == "Cheque Of The Future"  # no words: its name


def test_a_refund_slip_speaks_the_stores_language() -> None:
    from dataclasses import replace

    from appliance.app.domain.receipt import render_refund_text
    from tests.unit.drivers.samples import refund_slip

    slip = replace(refund_slip(), terminal_id="LANE-1")
    french = render_refund_text(replace(slip, locale="fr-CA")).splitlines()
    ukrainian = render_refund_text(replace(slip, locale="uk-UA")).splitlines()
    assert "REMBOURSEMENT" in (ln.strip() for ln in french) and "ПОВЕРНЕННЯ" in (ln.strip() for ln in ukrainian)
    assert any(ln.startswith("Remb. 7 à LANE-1") for ln in french)
    assert "Reçu d'origine LANE-2-001337" in french and "Початковий чек LANE-2-001337" in ukrainian
    assert any(ln.startswith("REMBOURSÉ CAD") and ln.endswith(" $") for ln in french)
    assert any(ln.startswith("ПОВЕРНУТО CAD") and ln.endswith(" CAD") for ln in ukrainian)
    assert all(len(ln) <= 42 for ln in french + ukrainian)
