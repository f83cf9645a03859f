"""Receipts to paper: rendered to ESC/POS from the stored sale, queued in the sale's own
transaction, sent by the print worker after the commit."""

from __future__ import annotations

from appliance.app.domain.receipt import Receipt
from appliance.app.services.shop import Shop
from appliance.app.store.db import Connection
from appliance.drivers.escpos_receipt import render_escpos
from appliance.drivers.profiles import profile_named


def receipt_bytes(shop: Shop, receipt: Receipt) -> bytes:
    return render_escpos(receipt, profile_named(shop.config.printer_profile))


def queue_receipt(shop: Shop, tx: Connection, sale_id: int) -> int:
    """A print job row for the sale's receipt, committed with the sale or not at all."""
    from appliance.app.services.sales import build_receipt

    payload = receipt_bytes(shop, build_receipt(shop, tx, sale_id))
    now = shop.now()
    cur = tx.execute(
        "INSERT INTO print_jobs(kind, sale_id, payload, status, next_try_at, created_at) "
        "VALUES ('receipt', ?, ?, 'pending', ?, ?)",
        (sale_id, payload, now, now),
    )
    return int(cur.lastrowid)
