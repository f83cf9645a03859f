"""Receipts: a completed sale's receipt, built from what was frozen when it completed
(its lines, discounts, taxes, tenders), as the till shows it and the printer prints it."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from appliance.app.domain.errors import Conflict
from appliance.app.domain.receipt import Receipt, ReceiptLine, ReceiptTax, ReceiptTender
from appliance.app.domain.sale import COMPLETED
from appliance.app.domain.words import Words
from appliance.app.services.auth import require
from appliance.app.services.sale_view import read
from appliance.app.services.shop import Actor, Shop, parse_iso
from appliance.app.store import sales as sales_store
from appliance.app.store.db import Connection
from appliance.app.store.sales import SaleRecord
from appliance.security.rbac import Permission


def receipt(shop: Shop, actor: Actor, sale_id: int, *, copy: bool = False) -> Receipt:
    require(shop, actor, Permission.SELL)
    return _receipt(shop, shop.db.conn, read(shop.db.conn, sale_id, actor), copy)


def build_receipt(shop: Shop, conn: Connection, sale_id: int, *, copy: bool = False) -> Receipt:
    """The receipt of a completed sale, from what was stored when it completed."""
    return _receipt(shop, conn, read(conn, sale_id), copy)


def _receipt(shop: Shop, conn: Connection, found: SaleRecord, copy: bool) -> Receipt:
    sale, head, frozen = found.sale, found.head, found.frozen
    if sale.status != COMPLETED or sale.receipt_no is None:
        raise Conflict(
            f"sale {sale.id} is {sale.status}; a receipt needs a completed sale",
            "sale_not_completed",
        )
    settings = shop.settings
    return Receipt(
        store_name=settings.store_name,
        header=settings.header,
        terminal_id=head["terminal_id"],
        receipt_no=sale.receipt_no,
        completed_at=Words(settings.locale).moment(parse_iso(head["completed_at"]), settings.timezone),
        cashier=head["cashier"],
        currency=sale.currency,
        prices_include_tax=sale.prices_include_tax,
        lines=tuple(
            ReceiptLine(
                name=ln.name,
                quantity=ln.quantity,
                unit_price=ln.unit_price,
                amount=ln.amount,
                sku=ln.sku,
                discount=frozen.get(ln.line_no, (0, None))[0],
                promotion=frozen.get(ln.line_no, (0, None))[1],
                measure=ln.measure,
                original_price=ln.original_price,
            )
            for ln in sale.lines
            if not ln.voided
        ),
        discount=head["discount"],
        subtotal=head["subtotal"],
        taxes=tuple(ReceiptTax(t.name, t.rate, t.amount) for t in sales_store.stored_taxes(conn, sale.id)),
        total=head["total"],
        rounding=head["cash_rounding"],
        tenders=tuple(
            ReceiptTender(
                method=p["method"],
                amount=p["amount"],
                tendered=p["tendered"],
                change=p["change"],
                detail=_tender_detail(p),
                office_offline=json.loads(p.get("details") or "{}").get("office") == "offline",
                terminal_lines=tuple(str(x) for x in json.loads(p.get("details") or "{}").get("terminal_receipt", ())),
            )
            for p in found.payments
        ),
        footer=settings.footer,
        copy=copy,
        locale=settings.locale,
    )


def _tender_detail(payment: dict[str, Any]) -> str:
    details = json.loads(payment.get("details") or "{}")
    if details.get("brand") and details.get("last4"):
        return f"{details['brand'].upper()} **** {details['last4']}"
    card = details.get("gift_card")  # masked when the tender was taken: ****-****-****-1234
    if isinstance(card, str) and len(card) >= 4 and card[-4:].isalnum():
        return f"****{card[-4:]}"
    return ""


def local_time(utc_text: str, timezone: str) -> str:
    moment = parse_iso(utc_text)
    try:
        moment = moment.astimezone(ZoneInfo(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M")
