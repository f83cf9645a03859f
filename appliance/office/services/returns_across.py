"""Returns across lanes: a receipt made at one lane, found and given back at another.

The office keeps each lane's completed sales and their lines (`sale_completed` events), and
what every lane refunded of each line (`refund` at the sale's own lane, `refund_across_lanes`
elsewhere), whichever comes first: a line's returnable quantity is what was sold less what
was refunded anywhere less what a lane holds right now. A lane refunding another lane's
receipt first holds the quantities here (idempotent by its hold key; refused as a conflict
beyond what remains), and its refund's event marks the hold used; a refund that failed
releases it. A count that goes past what was sold (a lane refunding its own sale offline
while another refunded it here) is raised as an `over_returned` alarm.
"""

from __future__ import annotations

import re
from typing import Any

from appliance.app.domain.errors import Conflict, Forbidden, Invalid, NotFound
from appliance.office.services import audit_log
from appliance.office.services.found import Found, Lane
from appliance.office.services.office import Office
from appliance.office.store import lane_sales as store
from appliance.office.store import lanes as lanes_store
from appliance.office.store.db import Connection

KINDS = frozenset({"sale_completed", "refund", "refund_across_lanes"})
_RECEIPT = re.compile(r"([A-Za-z0-9_.]{1,40})-([0-9]{1,18})")
_KEY = re.compile(r"[A-Za-z0-9_:-]{8,64}")
_MAX_LINES = 100


def _whole(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(value)
    return value


def _refund_lines(raw: object) -> dict[int, int]:
    if not isinstance(raw, list):
        raise ValueError(raw)
    found: dict[int, int] = {}
    for item in raw:
        line_no, quantity = _whole(item["line_no"]), _whole(item["quantity"])
        if quantity > 0:
            found[line_no] = found.get(line_no, 0) + quantity
    return found


def project(conn: Connection, lane: Lane, event: dict[str, Any]) -> list[Found]:
    """Keeps what a sale, a refund or a refund across lanes says (registered in PROJECTIONS)."""
    body, seq = event["body"], int(event["seq"])
    try:
        if event["kind"] == "sale_completed":
            sale = (lane.store, lane.till, _whole(body["sale_id"]))
            lines = [
                {
                    "line_no": _whole(ln["line_no"]),
                    "product_id": ln.get("product_id") if isinstance(ln.get("product_id"), int) else None,
                    "sku": str(ln["sku"]),
                    "quantity": _whole(ln["quantity"]),
                    "unit_price": _whole(ln["unit_price"]),
                    "discount": _whole(ln.get("discount") or 0),
                    "tax_class": str(ln["tax_class"]),
                }
                for ln in body["lines"]
                if _whole(ln["quantity"]) > 0  # a weighed line's grams are its quantity; never 0
            ]
            for key in ("receipt_no", "subtotal", "tax", "total"):
                _whole(body[key])
            head = {
                **body,
                "terminal_id": str(body["terminal_id"]),
                "currency": str(body["currency"]),
                "completed_at": str(body["completed_at"]),
                "discount": _whole(body.get("discount") or 0),
                "taxes": list(body.get("taxes") or []),
                "tenders": [{"method": str(t["method"]), "amount": _whole(t["amount"])} for t in body["tenders"]],
            }
            store.insert_sale(conn, lane.store, lane.till, head, lines)
        elif event["kind"] == "refund":
            sale = (lane.store, lane.till, _whole(body["sale_id"]))
            refund = f"refund:{_whole(body['refund_id'])}"
            given = _refund_lines(body["lines"])
            store.add_refunded(conn, sale, (lane.store, lane.till), refund, given, seq)
            # The lane held its own sale's lines before refunding them (till's office_holds.py).
            store.close_own_hold(conn, sale, given)
        else:
            origin = body["origin"]
            sale = (str(origin["store"]), str(origin["till"]), _whole(origin["sale_id"]))
            refund = f"across:{_whole(body['refund_id'])}"
            store.add_refunded(conn, sale, (lane.store, lane.till), refund, _refund_lines(body["lines"]), seq)
            store.close_hold(conn, (lane.store, lane.till), str(body["hold_key"]), "used", None)
    except (KeyError, TypeError, ValueError, AttributeError):
        return [Found("unreadable_sale_event", seq, {"kind": event["kind"]})]
    over = [
        {"line_no": ln["line_no"], "sold": ln["quantity"], "refunded": ln["refunded"]}
        for ln in store.lines(conn, sale)
        if int(ln["refunded"]) > int(ln["quantity"])
    ]
    if over:
        return [Found("over_returned", seq, {"store": sale[0], "till": sale[1], "sale_id": sale[2], "lines": over})]
    return []


def _lane(conn: Connection, office: Office, fingerprint: str) -> tuple[str, str]:
    lane = lanes_store.touch(conn, fingerprint, office.now())
    if lane is None:
        raise Forbidden("this certificate is not a lane's current one: enrol the till again", "unknown_lane")
    return str(lane["store"]), str(lane["till"])


def _receipt(number: object) -> tuple[str, int]:
    match = _RECEIPT.fullmatch(number.strip()) if isinstance(number, str) else None
    if match is None:
        raise Invalid("a receipt number looks like T01-000042", "invalid_receipt_number")
    return match[1], int(match[2])


def _view(conn: Connection, sale: dict[str, Any], asker: tuple[str, str]) -> dict[str, Any]:
    key = (str(sale["store"]), str(sale["till"]), int(sale["sale_id"]))
    lines = store.lines(conn, key)
    return {
        "own": key[:2] == asker,  # the asking lane's own sale: it refunds it from its own copy
        "store": key[0],
        "till": key[1],
        "sale_id": key[2],
        "receipt_number": f"{sale['terminal_id']}-{int(sale['receipt_no']):06d}",
        "currency": sale["currency"],
        "completed_at": sale["completed_at"],
        "subtotal": int(sale["subtotal"]),
        "tax": int(sale["tax"]),
        "total": int(sale["total"]),
        "discount": int(sale["discount"]),
        "taxes": sale["taxes"],
        "tenders": sale["tenders"],
        "lines": [
            {
                "line_no": int(ln["line_no"]),
                "product_id": ln["product_id"],
                "sku": ln["sku"],
                "quantity": int(ln["quantity"]),
                "unit_price": int(ln["unit_price"]),
                "discount": int(ln["discount"]),
                "tax_class": ln["tax_class"],
                "refunded": int(ln["refunded"]),
                "held": int(ln["held"]),
                "returnable": max(0, int(ln["quantity"]) - int(ln["refunded"]) - int(ln["held"])),
            }
            for ln in lines
        ],
    }


def lookup(office: Office, fingerprint: str, number: object, store_name: str | None = None) -> dict[str, Any]:
    """A receipt by its printed number, with what is still returnable of each line across all
    lanes. Two stores' tills may share a terminal id: then the store must be named."""
    terminal, receipt_no = _receipt(number)
    with office.connection() as conn, conn.transaction():
        asker = _lane(conn, office, fingerprint)
        found = [s for s in store.find(conn, terminal, receipt_no) if store_name in (None, s["store"])]
        if not found:
            raise NotFound(f"no receipt {number} at the office", "receipt_not_found")
        if len(found) > 1:
            stores = sorted({str(s["store"]) for s in found})
            raise Conflict(
                f"receipt {number} was printed at more than one store ({', '.join(stores)}): name the store",
                "receipt_ambiguous",
                {"stores": stores},
            )
        return _view(conn, found[0], asker)


def _wanted(raw: object) -> dict[int, int]:
    if not isinstance(raw, list) or not 1 <= len(raw) <= _MAX_LINES:
        raise Invalid(f"lines is a list of 1 to {_MAX_LINES} {{line, quantity}}", "invalid_lines")
    wanted: dict[int, int] = {}
    for item in raw:
        line, quantity = (item.get("line"), item.get("quantity")) if isinstance(item, dict) else (None, None)
        if any(isinstance(v, bool) or not isinstance(v, int) for v in (line, quantity)):
            raise Invalid("each line is {line, quantity}, whole numbers", "invalid_lines")
        assert isinstance(line, int) and isinstance(quantity, int)
        if quantity < 1:
            raise Invalid(f"line {line}: the quantity is 1 or more", "invalid_lines")
        wanted[line] = wanted.get(line, 0) + quantity
    return wanted


def hold(office: Office, fingerprint: str, key: object, sale: object, lines: object) -> dict[str, Any]:
    """Holds quantities of another lane's sale for a refund about to be made; the same key
    again answers the same hold while it holds (a retry), is refused with other lines
    (`hold_key_reused`), and once released or used is refused (`hold_not_live`)."""
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise Invalid("hold_key is 8 to 64 letters, digits, _ : or -", "invalid_hold_key")
    if not isinstance(sale, dict):
        raise Invalid("sale is {store, till, sale_id}", "invalid_sale")
    target_store, target_till, sale_id = sale.get("store"), sale.get("till"), sale.get("sale_id")
    if (
        not isinstance(target_store, str)
        or not isinstance(target_till, str)
        or isinstance(sale_id, bool)
        or not isinstance(sale_id, int)
    ):
        raise Invalid("sale is {store, till, sale_id}", "invalid_sale")
    target = (target_store, target_till, sale_id)
    wanted = _wanted(lines)
    with office.connection() as conn, conn.transaction():
        by = _lane(conn, office, fingerprint)
        held = store.hold_of(conn, by, key)
        if held:
            same = {int(h["line_no"]): int(h["quantity"]) for h in held} == wanted and all(
                (h["store"], h["till"], int(h["sale_id"])) == target for h in held
            )
            if not same:
                raise Conflict(f"hold {key} was taken for other lines", "hold_key_reused")
            status = str(held[0]["status"])
            if status != "held":
                # Released (its refund failed, or a chain admin gave it back) or used by the
                # refund it was for: answering its status as if it held would let a lane pay
                # for units this key no longer keeps from the other lanes.
                raise Conflict(
                    f"hold {key} is {status}, no longer held: take a new hold with a new key",
                    "hold_not_live",
                    {"hold_key": key, "status": status},
                )
            return {"hold_key": key, "status": "held", "sale": _sale(target), "lines": _lines(wanted)}
        sold = {int(ln["line_no"]): ln for ln in store.lines(conn, target, lock=True)}
        if not sold:
            raise NotFound(f"no sale {sale_id} of {target_store}/{target_till} at the office", "sale_not_found")
        for line_no, quantity in wanted.items():
            ln = sold.get(line_no)
            if ln is None:
                raise NotFound(f"the sale has no line {line_no}", "line_not_found")
            left = int(ln["quantity"]) - int(ln["refunded"]) - int(ln["held"])
            if quantity > left:
                raise Conflict(
                    f"line {line_no}: {quantity} is more than the {max(left, 0)} still returnable across all lanes",
                    "refund_exceeds_returnable",
                    {"line": line_no, "returnable": max(left, 0)},
                )
        store.insert_hold(conn, by, key, target, wanted, office.now())
    return {"hold_key": key, "status": "held", "sale": _sale(target), "lines": _lines(wanted)}


def _sale(target: tuple[str, str, int]) -> dict[str, Any]:
    return {"store": target[0], "till": target[1], "sale_id": target[2]}


def _lines(wanted: dict[int, int]) -> list[dict[str, int]]:
    return [{"line": n, "quantity": q} for n, q in sorted(wanted.items())]


def release(office: Office, fingerprint: str, key: object) -> dict[str, Any]:
    """Gives a hold back (the refund it was for failed); a used hold stays used."""
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise Invalid("hold_key is 8 to 64 letters, digits, _ : or -", "invalid_hold_key")
    with office.connection() as conn, conn.transaction():
        by = _lane(conn, office, fingerprint)
        held = store.hold_of(conn, by, key)
        if not held:
            raise NotFound(f"no hold {key}", "hold_not_found")
        store.close_hold(conn, by, key, "released", office.now())
        status = str(store.hold_of(conn, by, key)[0]["status"])
    return {"hold_key": key, "status": status}


def open_holds(office: Office) -> list[dict[str, Any]]:
    """Holds no refund used nor released yet: a till that went offline between its hold and
    its refund's event, or whose refund failed while the office was out of reach."""
    with office.connection() as conn:
        return store.open_holds(conn)


def release_at_office(office: Office, actor: str, lane: str, key: str, origin: str = "cli") -> int:
    """A chain admin gives back a hold a lane left (its refund never came, say the till was
    replaced); audited. Look at the lane's events first: a refund still in its outbox marks
    the hold used when it arrives, and releasing it before would let those units go twice."""
    by_store, sep, by_till = lane.partition("/")
    if not sep or not by_store or not by_till:
        raise Invalid("a lane is STORE/TILL", "invalid_lane")
    with office.connection() as conn, conn.transaction():
        released = store.close_hold(conn, (by_store, by_till), key, "released", office.now())
        if not released:
            raise NotFound(f"no hold {key} held by {lane}", "hold_not_found")
        audit_log.record(
            office,
            conn,
            actor=actor,
            action="return_hold_released",
            object=f"hold:{lane}/{key}",
            details={"lines": released},
            origin=origin,
        )
    with office.connection() as conn:
        audit_log.anchor(office, conn)
    return released
