"""The office's stock ledger, fed by the lanes' events (a projection, services/projections.py).

Every way a till's on-hand moves reaches the office as an event that says by how much: a sale's
lines (`sale_completed`), a refund's and a receiptless return's lines, and `stock_moved` for
the rest (adjustments, counts, receipts at the lane, opening stock). A count goes up as the
delta it made, the figure counted beside it: the office adds deltas and never sets an
on-hand, so events from several lanes, in any order, add up to the same figure.

A gift card line (sku `GIFT-CARD`; a sale's line loading cards says `gift_card` too) sells
money owed, not goods on a shelf: it moves no stock, sold or refunded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from appliance.app.domain.gift_card import PRODUCT_SKU
from appliance.office.services.found import Found, Lane
from appliance.office.store import stock as stock_store
from appliance.office.store.db import Connection
from appliance.office.store.stock import Movement

KINDS = frozenset({"sale_completed", "refund", "return_without_receipt", "stock_moved"})


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _sku(value: object) -> str | None:
    return value if isinstance(value, str) and 1 <= len(value) <= 64 else None


def _lines(conn: Connection, lane: Lane, kind: str, body: dict[str, Any]) -> Iterator[tuple[Any, Any, int]]:
    """(line, sku, delta) of each line the event moves; sku None when it cannot be told."""
    raw = body.get("lines")
    lines: list[dict[str, Any]] = [ln for ln in raw if isinstance(ln, dict)] if isinstance(raw, list) else []
    if kind == "sale_completed":
        for ln in lines:
            if "gift_card" in ln:
                continue
            yield ln.get("line_no"), ln.get("sku"), -(_int(ln.get("quantity")) or 0)
    elif kind == "refund":
        # Refunds sent before their lines named the sku: the lane's sale, as it was sent, does.
        sold = None
        for ln in lines:
            sku = ln.get("sku")
            if sku is None:
                if sold is None and _int(body.get("sale_id")) is not None:
                    sold = stock_store.sale_skus(conn, lane.store, lane.till, int(body["sale_id"])) or {}
                sku = (sold or {}).get(_int(ln.get("line_no")) or 0)
            yield ln.get("line_no"), sku, _int(ln.get("quantity")) or 0
    elif kind == "return_without_receipt":
        for number, ln in enumerate(lines, start=1):
            yield number, ln.get("sku"), _int(ln.get("quantity")) or 0
    else:
        yield 0, body.get("sku"), _int(body.get("delta")) or 0


_MOVEMENT = {"sale_completed": "sale", "refund": "refund", "return_without_receipt": "return"}


def project(conn: Connection, lane: Lane, event: dict[str, Any]) -> list[Found]:
    kind, seq, body = str(event["kind"]), int(event["seq"]), event["body"]
    found: list[Found] = []
    moved_kind = _MOVEMENT.get(kind) or str(body.get("kind") or "moved")
    for line, sku_text, delta in _lines(conn, lane, kind, body):
        if not delta or (sku_text == PRODUCT_SKU and kind != "stock_moved"):
            continue
        sku = _sku(sku_text)
        if sku is None or _int(line) is None:
            found.append(Found("stock_unplaced", seq, {"event": kind, "line": line, "delta": delta}))
            continue
        movement = Movement(
            store=lane.store,
            till=lane.till,
            seq=seq,
            line=int(line),
            sku=sku,
            kind=moved_kind if kind != "stock_moved" else _kind_word(moved_kind),
            delta=delta,
            lane_on_hand=_int(body.get("on_hand")) if kind == "stock_moved" else None,
            reason=str(body.get("reason") or "")[:200],
            ref=str(body["ref"])[:100] if body.get("ref") else None,
            at=str(event["at"]),
            by=str(body["by"])[:64] if body.get("by") else None,
        )
        stock_store.add(conn, movement, dt.datetime.now(dt.UTC))
    return found


def _kind_word(kind: str) -> str:
    word = "".join(c for c in kind.lower() if c.isalpha() or c == "_")[:32]
    return word if word and word[0].isalpha() else "moved"
