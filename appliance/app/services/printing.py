"""Receipts, refund slips and gift card slips to paper: rendered to ESC/POS from what is
stored, queued in the sale's (or the refund's) own transaction, sent by the print worker
after the commit."""

from __future__ import annotations

import json

from appliance.app.domain.errors import NotFound
from appliance.app.domain.gift_card import Slip, masked
from appliance.app.domain.receipt import Receipt, ReceiptTax, RefundSlip, RefundSlipLine, RefundSlipTender
from appliance.app.domain.words import Words
from appliance.app.services import print_queue
from appliance.app.services.shop import Shop, parse_iso
from appliance.app.store import gift_cards as gift_cards_store
from appliance.app.store import refunds as refunds_store
from appliance.app.store.db import Connection
from appliance.config import Config
from appliance.drivers.drawer import DrawerKick
from appliance.drivers.escpos_receipt import render_escpos, render_gift_card_slip, render_refund_slip
from appliance.drivers.profiles import profile_named


def drawer_kick(config: Config) -> DrawerKick:
    """The pulse this till's drawer needs, from config (checked there at start)."""
    return DrawerKick(pin=config.drawer_pin, on_ms=config.drawer_pulse_ms)


def receipt_bytes(shop: Shop, receipt: Receipt, *, open_drawer: DrawerKick | None = None) -> bytes:
    return render_escpos(receipt, profile_named(shop.config.printer_profile), open_drawer=open_drawer)


def takes_cash(receipt: Receipt) -> bool:
    return any(tender.method == "cash" for tender in receipt.tenders)


def queue_receipt(shop: Shop, tx: Connection, sale_id: int) -> int:
    """A print job row for the sale's receipt, committed with the sale or not at all. When
    cash changed hands the job opens the drawer first, in the same bytes, so the kick is
    kept and retried with the receipt: it is never lost to a printer that was briefly off."""
    from appliance.app.services.receipts import build_receipt

    receipt = build_receipt(shop, tx, sale_id)
    kick = drawer_kick(shop.config) if takes_cash(receipt) else None
    payload = receipt_bytes(shop, receipt, open_drawer=kick)
    return print_queue.enqueue(tx, "receipt", payload, sale_id, now=shop.now())


def build_refund_slip(shop: Shop, conn: Connection, refund_id: int) -> RefundSlip:
    """A refund's slip from what the refund stored: its lines, taxes and where the money
    went. A card is named by brand and last four, a gift card by its last four."""
    head = refunds_store.header(conn, refund_id)
    if head is None:
        raise NotFound(f"no refund {refund_id}", "refund_not_found")
    settings = shop.settings
    words = Words(settings.locale)
    tenders = [
        RefundSlipTender(t["method"], t["amount"], t["rounding"], _payment_detail(t["details"]))
        for t in refunds_store.tenders(conn, refund_id)
    ]
    tenders += [
        RefundSlipTender("store_credit", c["amount"], detail=masked(c["code"]))
        for c in refunds_store.store_credits(conn, refund_id)
    ]
    tenders += [
        RefundSlipTender(
            "exchange",
            x["amount"],
            detail=words("receipt.exchange_to_receipt", number=f"{x['terminal_id']}-{x['receipt_no']:06d}"),
        )
        if x["receipt_no"] is not None
        else RefundSlipTender("exchange", x["amount"], detail=words("receipt.exchange_to_new_sale"))
        for x in refunds_store.exchanges(conn, refund_id)
    ]
    return RefundSlip(
        store_name=settings.store_name,
        header=settings.header,
        refund_id=refund_id,
        receipt_number=f"{head['sale_terminal']}-{head['receipt_no']:06d}",
        refunded_at=words.moment(parse_iso(head["created_at"]), settings.timezone),
        refunded_by=head["refunded_by"],
        approved_by=head["approved_by"],
        currency=head["currency"],
        prices_include_tax=bool(head["prices_include_tax"]),
        lines=tuple(
            RefundSlipLine(ln["name"], ln["quantity"], ln["unit_price"], ln["amount"], ln["measure"] or "")
            for ln in refunds_store.lines(conn, refund_id)
        ),
        taxes=tuple(ReceiptTax(t.name, t.rate, t.amount) for t in refunds_store.taxes(conn, refund_id))
        or ((ReceiptTax(words("receipt.tax"), "", head["tax"]),) if head["tax"] else ()),
        total=head["amount"],
        tenders=tuple(tenders),
        terminal_id=head["terminal_id"] or "",
        locale=settings.locale,
    )


def _payment_detail(details: str | None) -> str:
    """What a refund slip says of the tender that paid: a card's brand and last four, a gift
    card's masked number. Nothing else of a payment's details reaches paper."""
    try:
        found = json.loads(details or "{}")
    except ValueError:
        return ""
    if not isinstance(found, dict):
        return ""
    brand, last4 = str(found.get("brand") or ""), str(found.get("last4") or "")
    if brand and len(last4) == 4 and last4.isdigit():
        return f"{brand.upper()} **** {last4}"
    card = str(found.get("gift_card") or "")
    if len(card) >= 4:
        return masked(card)
    return ""


def refund_slip_bytes(shop: Shop, slip: RefundSlip, *, open_drawer: DrawerKick | None = None) -> bytes:
    return render_refund_slip(slip, profile_named(shop.config.printer_profile), open_drawer=open_drawer)


def queue_refund_slip(shop: Shop, tx: Connection, refund_id: int, sale_id: int) -> int:
    """The refund's slip, in the refund's own transaction (as a sale's receipt is in the
    sale's). When cash goes back, the job opens the drawer first, in the same bytes."""
    return _queue_slip(shop, tx, build_refund_slip(shop, tx, refund_id), sale_id)


def _queue_slip(shop: Shop, tx: Connection, slip: RefundSlip, sale_id: int | None) -> int:
    """A slip of money given back, as a print job; when cash goes back the job opens the
    drawer first, in the same bytes."""
    kick = drawer_kick(shop.config) if any(t.method == "cash" for t in slip.tenders) else None
    payload = refund_slip_bytes(shop, slip, open_drawer=kick)
    return print_queue.enqueue(tx, "refund", payload, sale_id, now=shop.now())


def build_return_slip(shop: Shop, conn: Connection, return_id: int) -> RefundSlip:
    """The slip of a return without a receipt, as a refund's: its lines, tax and where the
    money went (cash with its rounding, or store credit on a card named by its last four)."""
    head = refunds_store.receiptless_header(conn, return_id)
    if head is None:
        raise NotFound(f"no return {return_id}", "return_not_found")
    settings = shop.settings
    words = Words(settings.locale)
    if head["refund_to"] == "cash":
        tender = RefundSlipTender("cash", head["amount"], head["cash_rounding"])
    else:
        tender = RefundSlipTender("store_credit", head["amount"], detail=masked(head["gift_card_code"] or ""))
    return RefundSlip(
        store_name=settings.store_name,
        header=settings.header,
        refund_id=return_id,
        receipt_number="",
        refunded_at=words.moment(parse_iso(head["created_at"]), settings.timezone),
        refunded_by=head["refunded_by"],
        approved_by=head["approved_by"],
        currency=settings.currency,
        prices_include_tax=settings.prices_include_tax,
        lines=tuple(
            RefundSlipLine(ln["name"], ln["quantity"], ln["unit_price"], ln["amount"])
            for ln in refunds_store.receiptless_lines(conn, return_id)
        ),
        taxes=(ReceiptTax(words("receipt.tax"), "", head["tax"]),) if head["tax"] else (),
        total=head["amount"],
        tenders=(tender,),
        terminal_id=head["terminal_id"],
        locale=settings.locale,
        without_receipt=True,
    )


def queue_return_slip(shop: Shop, tx: Connection, return_id: int) -> int:
    """A return without a receipt's slip, in the return's transaction, as a refund's is; when
    cash goes back the job opens the drawer first, in the same bytes."""
    return _queue_slip(shop, tx, build_return_slip(shop, tx, return_id), None)


def queue_gift_card_slips(shop: Shop, tx: Connection, sale_id: int) -> None:
    """A slip for each card the completing sale sold or topped up (they were just activated)."""
    rows = gift_cards_store.loaded_on_sale(tx, sale_id)
    for row in rows:
        queue_gift_card_slip(shop, tx, row["card_id"], row["kind"], row["amount"], sale_id)


def queue_gift_card_slip(shop: Shop, tx: Connection, card_id: int, kind: str, loaded: int, sale_id: int | None) -> int:
    """The card's slip, printed once: a copy of a receipt never carries the number, and
    nothing reprints a slip."""
    from appliance.app.services.receipts import local_time

    zone = shop.settings.timezone
    words = Words(shop.settings.locale)
    card = gift_cards_store.slip_figures(tx, card_id)
    slip = Slip(
        store_name=shop.settings.store_name,
        code=card["code"],
        kind=kind,
        loaded=loaded,
        balance=card["balance"],
        currency=card["currency"],
        expires_on=local_time(card["expires_at"], zone)[:10] if card["expires_at"] else None,
        printed_at=words.moment(parse_iso(shop.now()), zone),
        locale=shop.settings.locale,
    )
    payload = render_gift_card_slip(slip, profile_named(shop.config.printer_profile))
    return print_queue.enqueue(tx, "gift_card", payload, sale_id, now=shop.now())
