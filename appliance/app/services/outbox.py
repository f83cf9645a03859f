"""The outbox: every business event, written in the transaction that makes it, for the office.

`emit` joins the caller's transaction (or makes its own), so an event commits with the sale,
refund, shift or movement it tells of, or not at all: a failed sale writes none. Its number
is the last one + 1, read inside that write transaction (writers queue one at a time, see
docs/architecture.md), so the numbers run with no gap, and a rolled-back event gives its
number back. Each event links to the one before (`domain/outbox.py`).

Always written, enrolled or not (docs/office.md says why): a till enrolled later sends its
history from event 1, and the office can tell a complete history from one that starts late.

What an event may carry: amounts in integer minor units with their currency, ids, times,
names of staff. Never card data, a PIN or a password hash (`domain.outbox.forbidden_keys`
refuses the keys that would name them, and the events below are made from fields, not rows).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, TypedDict

from appliance.app.domain.gift_card import PRODUCT_SKU, card_ref, loading
from appliance.app.domain.outbox import GENESIS, OutboxEvent, canonical, chain_problems, event_hash, forbidden_keys
from appliance.app.domain.product import Product
from appliance.app.domain.sale import Sale, SaleLine, SaleTotals
from appliance.app.domain.tax import Totals
from appliance.app.services.shop import Actor, Shop, iso, parse_iso
from appliance.app.store import customers as customers_store
from appliance.app.store import gift_cards as gift_cards_store
from appliance.app.store import outbox as outbox_store
from appliance.app.store import refunds as refunds_store
from appliance.app.store.db import Connection

BATCH = 500  # events per push: ~200 KiB of JSON, one office transaction


def emit(shop: Shop, kind: str, body: dict[str, Any]) -> int:
    """Appends an event in the caller's transaction (or its own); returns its number."""
    wrong = forbidden_keys(body)
    if wrong:
        # A programming error, never a customer's: refuse rather than send a secret away.
        raise ValueError(f"an outbox event may not carry {sorted(set(wrong))}")
    text = canonical(body)
    with shop.db.transaction() as tx:
        at = shop.now()
        held = outbox_store.last(tx)
        seq, prev_hash = (held[0] + 1, held[1]) if held else (1, GENESIS)
        outbox_store.insert(tx, seq, at, kind, text, prev_hash, event_hash(prev_hash, seq, at, kind, body))
    return seq


def _who(actor: Actor | str | None) -> str | None:
    return actor.username if isinstance(actor, Actor) else actor


# -- the events, in the shop's words -------------------------------------------------------------


def _cards_loaded(tx: Connection, sale: Sale) -> dict[int, dict[str, int]]:
    """{line no: {cards, amount}} of the gift cards the completing sale loads (sold or topped
    up): as gift_cards.activate_on_completion is about to apply them."""
    if not any(line.sku == PRODUCT_SKU for line in sale.lines):
        return {}  # the common sale: no read on its hot path
    pending = gift_cards_store.pending_on_sale(tx, sale.id)
    out: dict[int, dict[str, int]] = {}
    for p, loads in zip(pending, loading(pending), strict=True):
        if loads:
            held = out.setdefault(int(p["line_no"]), {"cards": 0, "amount": 0})
            held["cards"] += 1
            held["amount"] += int(p["amount"])
    return out


def _line(line: SaleLine, discount: int, cards: dict[str, int] | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "line_no": line.line_no,
        "product_id": line.product_id,
        "sku": line.sku,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "discount": discount,
        "tax_class": line.tax_class,
    }
    if cards:
        # Money loaded on gift cards is owed, not earned: the office keeps it out of sales.
        body["gift_card"] = cards
    return body


def sale_completed(shop: Shop, tx: Connection, sale: Sale, totals: SaleTotals, completed_at: str) -> None:
    cards = _cards_loaded(tx, sale)
    emit(
        shop,
        "sale_completed",
        {
            "sale_id": sale.id,
            "receipt_no": sale.receipt_no,
            "terminal_id": shop.config.terminal_id,
            "currency": sale.currency,
            "completed_at": completed_at,
            "subtotal": totals.subtotal,
            "tax": totals.tax,
            "total": totals.total,
            "discount": totals.discount,
            "cash_rounding": sale.cash_rounding,
            "lines": [_line(p.line, p.discount, cards.get(p.line.line_no)) for p in totals.lines if not p.line.voided],
            # Always there (zeros when none), so the office tells "no cards" from an older till.
            "gift_cards": {
                "cards": sum(c["cards"] for c in cards.values()),
                "amount": sum(c["amount"] for c in cards.values()),
            },
            "taxes": [{"name": t.name, "rate": t.rate, "base": t.base, "amount": t.amount} for t in totals.taxes.taxes],
            # The method and amount only: a card's reference, brand and digits stay at the till.
            "tenders": [{"method": t.method, "amount": t.amount, "rounding": t.rounding} for t in sale.tenders],
        },
    )


def refunded(
    shop: Shop,
    tx: Connection,
    actor: Actor,
    sale_id: int,
    refund_id: int,
    lines: dict[int, int],
    tenders: list[dict[str, int | str]],
    gift_cards: int,
) -> None:
    """Every refund (services/returns.refund, once the money's way is written): the refund
    as recorded, the tenders its money went to (`method`: the sale's tender it went back to,
    `store_credit` on a new card, or `exchange` into another sale; `rounding`: what cash
    paid beyond it), and what it took back off the gift cards the refunded lines sold."""
    head = refunds_store.header(tx, refund_id) or {}
    # The sku of each line: the office's stock ledger puts the goods back by product.
    skus = {int(r["line_no"]): r["sku"] for r in refunds_store.lines(tx, refund_id)}
    emit(
        shop,
        "refund",
        {
            "refund_id": refund_id,
            "sale_id": sale_id,
            "receipt_no": head.get("receipt_no"),
            "terminal_id": shop.config.terminal_id,
            "currency": head.get("currency", shop.settings.currency),
            "amount": head.get("amount"),
            "tax": head.get("tax"),
            "by": actor.username,
            "approved_by": head.get("approved_by"),
            "lines": [{"line_no": n, "sku": skus.get(n), "quantity": q} for n, q in sorted(lines.items())],
            "tenders": tenders,
            "gift_cards": gift_cards,
        },
    )


def line_voided(shop: Shop, actor: Actor, sale: Sale, line: SaleLine, approved_by: str | None) -> None:
    amount = line.unit_price * line.quantity
    event(
        shop,
        "line_voided",
        actor,
        sale_id=sale.id,
        line_no=line.line_no,
        sku=line.sku,
        quantity=line.quantity,
        currency=sale.currency,
        amount=amount,
        approved_by=approved_by,
    )


def returned_without_receipt(
    shop: Shop,
    actor: Actor,
    return_id: int,
    totals: Totals,
    rounding: int,
    refund_to: str,
    approved_by: str | None,
    returned: list[tuple[Product, int, int]],
) -> None:
    """Goods taken back with no sale to point to (services/receiptless_returns.without_receipt)."""
    lines = [{"product_id": p.id, "sku": p.sku, "quantity": q, "unit_price": price} for p, q, price in returned]
    event(
        shop,
        "return_without_receipt",
        actor,
        return_id=return_id,
        currency=shop.settings.currency,
        amount=totals.total,
        tax=totals.tax,
        rounding=rounding,
        refund_to=refund_to,
        approved_by=approved_by,
        lines=lines,
    )


def audit_entry(shop: Shop, entry: dict[str, Any]) -> None:
    """Each audit entry also goes to the office (its details are canonical JSON already)."""
    emit(
        shop,
        "audit_entry",
        {k: entry[k] for k in ("id", "at", "actor", "action", "outcome", "origin", "object")}
        | {"details": entry["details"]},
    )


def event(shop: Shop, kind: str, actor: Actor | str | None = None, /, **fields: Any) -> None:
    """A plain event: shift opened or closed, paid in or out, stock moved, a gift card's or
    points' movement, a customer changed. Amounts come with the store's currency."""
    body = {"terminal_id": shop.config.terminal_id, "by": _who(actor), **fields}
    if any(k in fields for k in ("amount", "float", "counted", "balance")) and "currency" not in fields:
        body["currency"] = shop.settings.currency
    emit(shop, kind, body)


# -- reading it: what the push loop sends, what the lead's screens show --------------------------


class Backlog(TypedDict):
    """The link to the office as the till knows it."""

    last_seq: int  # the last event written
    acked_seq: int  # the highest the office holds with none missing before it
    backlog: int  # events written and not yet acknowledged
    oldest_unsent_at: str | None
    oldest_unsent_age_seconds: int | None
    last_contact: str | None  # the office's last answer
    last_error: str | None  # why the last try failed, until one succeeds


def backlog(shop: Shop) -> Backlog:
    state = outbox_store.link_state(shop.db.conn)
    oldest = state["oldest_unsent_at"]
    age = None
    if oldest is not None:
        age = max(0, int((shop.clock() - parse_iso(oldest)).total_seconds()))
    return {
        "last_seq": int(state["last_seq"]),
        "acked_seq": int(state["acked_seq"]),
        "backlog": max(0, int(state["last_seq"]) - int(state["acked_seq"])),
        "oldest_unsent_at": oldest,
        "oldest_unsent_age_seconds": age,
        "last_contact": state["last_contact"],
        "last_error": state["last_error"],
    }


def unsent(shop: Shop, limit: int = BATCH) -> list[OutboxEvent]:
    """The next batch: the events after the office's acknowledgement, oldest first."""
    conn = shop.db.conn
    acked = int(outbox_store.link_state(conn)["acked_seq"])
    return [_event(row) for row in outbox_store.events(conn, after=acked, limit=limit)]


def events(shop: Shop, after: int = 0, limit: int | None = None) -> list[OutboxEvent]:
    return [_event(row) for row in outbox_store.events(shop.db.conn, after=after, limit=limit)]


def _event(row: dict[str, Any]) -> OutboxEvent:
    return {
        "seq": int(row["seq"]),
        "at": str(row["at"]),
        "kind": str(row["kind"]),
        "body": json.loads(row["body"]),
        "prev_hash": str(row["prev_hash"]),
        "hash": str(row["hash"]),
    }


def verify(shop: Shop) -> list[str]:
    """The till's own chain, checked from event 1: empty when it holds."""
    return chain_problems(events(shop))


def acknowledged(shop: Shop, acked_seq: int, at: dt.datetime | None = None) -> None:
    with shop.db.transaction() as tx:
        outbox_store.acknowledged(tx, acked_seq, iso(at or shop.clock()))


def failed(shop: Shop, error: str) -> None:
    with shop.db.transaction() as tx:
        outbox_store.failed(tx, error, shop.now())


# -- ledgers: the line written and its event, in one call ----------------------------------------


def gift_card_entry(
    shop: Shop,
    tx: Connection,
    card_id: int,
    kind: str,
    amount: int,
    balance: int,
    at: str,
    *,
    sale_id: int | None = None,
    user_id: int | None = None,
    hold: str | None = None,
    offline: bool = False,
) -> None:
    """A line of a gift card's ledger (store/gift_cards.add_entry) and its event: the card by
    its id and its reference (the SHA-256 the office finds it by, docs/office.md); its code is
    what spends it, and stays at the till. `hold`: the office's hold this spend uses;
    `offline`: spent while the office did not answer."""
    gift_cards_store.add_entry(tx, card_id, kind, amount, balance, at, sale_id=sale_id, user_id=user_id)
    shared: dict[str, Any] = {"hold": hold} if hold else {}
    if offline:
        shared["offline"] = True
    card = gift_cards_store.by_id(tx, card_id)
    if kind == "issue":
        shared["expires_at"] = card["expires_at"]  # other lanes learn it through the office
    emit(
        shop,
        "gift_card_moved",
        shared
        | {
            "card_id": card_id,
            "card_ref": card_ref(card["code"]),
            "kind": kind,
            "amount": amount,
            "balance": balance,
            "currency": shop.settings.currency,
            "sale_id": sale_id,
            "user_id": user_id,
            "terminal_id": shop.config.terminal_id,
        },
    )


def points_entry(
    shop: Shop,
    tx: Connection,
    customer_id: int,
    kind: str,
    points: int,
    at: str,
    *,
    sale_id: int | None = None,
    payment_id: int | None = None,
    user_id: int | None = None,
    reason: str = "",
    hold: str | None = None,
    offline: bool = False,
) -> None:
    """A line of a customer's points ledger (store/customers.add_entry) and its event; `hold`
    names the office's hold the spend ends, `offline` a spend made while it was silent."""
    customers_store.add_entry(
        tx, customer_id, kind, points, at, sale_id=sale_id, payment_id=payment_id, user_id=user_id, reason=reason
    )
    emit(
        shop,
        "points_moved",
        {
            "customer_id": customer_id,
            "kind": kind,
            "points": points,
            "sale_id": sale_id,
            "payment_id": payment_id,
            "user_id": user_id,
            "reason": reason,
            "terminal_id": shop.config.terminal_id,
            **({"hold": hold} if hold else {}),
            **({"offline": True} if offline else {}),
        },
    )


def refunded_across_lanes(
    shop: Shop,
    actor: Actor,
    return_id: int,
    hold_key: str,
    origin: tuple[str, str, int],
    receipt_number: str,
    lines: list[dict[str, int]],
) -> None:
    """Which sale of which lane a return here gave back (services/returns_across.py): the
    office counts the lines against that sale and marks its hold used. Its money is in the
    `return_without_receipt` event of the same return_id, written just before it."""
    event(
        shop,
        "refund_across_lanes",
        actor,
        refund_id=return_id,
        hold_key=hold_key,
        receipt_number=receipt_number,
        origin={"store": origin[0], "till": origin[1], "sale_id": origin[2]},
        lines=[{"line_no": ln["line"], "quantity": ln["quantity"]} for ln in lines],
    )
