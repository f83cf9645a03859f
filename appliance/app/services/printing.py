"""Receipts and gift card slips to paper: rendered to ESC/POS from what is stored, queued in
the sale's (or the refund's) own transaction, sent by the print worker after the commit."""

from __future__ import annotations

from appliance.app.domain.gift_card import Slip
from appliance.app.domain.receipt import Receipt
from appliance.app.services import print_queue
from appliance.app.services.shop import Shop
from appliance.app.store.db import Connection
from appliance.config import Config
from appliance.drivers.drawer import DrawerKick
from appliance.drivers.escpos_receipt import render_escpos, render_gift_card_slip
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
    from appliance.app.services.sales import build_receipt

    receipt = build_receipt(shop, tx, sale_id)
    kick = drawer_kick(shop.config) if takes_cash(receipt) else None
    payload = receipt_bytes(shop, receipt, open_drawer=kick)
    return print_queue.enqueue(tx, "receipt", payload, sale_id, now=shop.now())


def queue_gift_card_slips(shop: Shop, tx: Connection, sale_id: int) -> None:
    """A slip for each card the completing sale sold or topped up (they were just activated)."""
    rows = tx.execute(
        "SELECT card_id, kind, amount FROM gift_card_entries WHERE sale_id = ? AND kind IN ('issue', 'top_up') "
        "ORDER BY id",
        (sale_id,),
    ).fetchall()
    for row in rows:
        queue_gift_card_slip(shop, tx, row["card_id"], row["kind"], row["amount"], sale_id)


def queue_gift_card_slip(shop: Shop, tx: Connection, card_id: int, kind: str, loaded: int, sale_id: int | None) -> int:
    """The card's slip, printed once: a copy of a receipt never carries the number, and
    nothing reprints a slip."""
    from appliance.app.services.sales import local_time

    zone = shop.settings.timezone
    card = tx.execute("SELECT code, balance, currency, expires_at FROM gift_cards WHERE id = ?", (card_id,)).fetchone()
    slip = Slip(
        store_name=shop.settings.store_name,
        code=card["code"],
        kind=kind,
        loaded=loaded,
        balance=card["balance"],
        currency=card["currency"],
        expires_on=local_time(card["expires_at"], zone)[:10] if card["expires_at"] else None,
        printed_at=local_time(shop.now(), zone),
    )
    payload = render_gift_card_slip(slip, profile_named(shop.config.printer_profile))
    return print_queue.enqueue(tx, "gift_card", payload, sale_id, now=shop.now())
