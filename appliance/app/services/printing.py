"""Receipts to paper: rendered to ESC/POS from the stored sale, queued in the sale's own
transaction, sent by the print worker after the commit."""

from __future__ import annotations

from appliance.app.domain.receipt import Receipt
from appliance.app.services import print_queue
from appliance.app.services.shop import Shop
from appliance.app.store.db import Connection
from appliance.config import Config
from appliance.drivers.drawer import DrawerKick
from appliance.drivers.escpos_receipt import render_escpos
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
