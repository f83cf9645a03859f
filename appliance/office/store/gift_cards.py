"""The office's gift cards: each card by its reference, its entries (one per lane event that
moved it), the lanes' holds on it, and the chain's offline cap."""

from __future__ import annotations

import datetime as dt
from typing import Any

from appliance.office.store.db import Connection


def offline_cap(conn: Connection) -> int:
    row = conn.execute("SELECT offline_cap FROM gift_card_rules").fetchone()
    return int(str(row["offline_cap"])) if row else 0


def set_offline_cap(conn: Connection, amount: int, by: str, at: dt.datetime) -> int:
    """Sets the cap; answers the one before."""
    before = offline_cap(conn)
    conn.execute("UPDATE gift_card_rules SET offline_cap = %s, changed_at = %s, changed_by = %s", (amount, at, by))
    return before


def card_for_update(conn: Connection, ref: str, currency: str) -> dict[str, Any]:
    """The card of that reference, made if it is new, locked until the transaction ends."""
    conn.execute("INSERT INTO gift_cards (ref, currency) VALUES (%s, %s) ON CONFLICT (ref) DO NOTHING", (ref, currency))
    row = conn.execute("SELECT * FROM gift_cards WHERE ref = %s FOR UPDATE", (ref,)).fetchone()
    assert row is not None
    return dict(row)


def issued_card_for_update(conn: Connection, ref: str) -> dict[str, Any] | None:
    """The card of that reference if its issue has come, locked until the transaction ends."""
    row = conn.execute(
        "SELECT * FROM gift_cards WHERE ref = %s AND issued_at IS NOT NULL FOR UPDATE", (ref,)
    ).fetchone()
    return dict(row) if row else None


def add_entry(conn: Connection, card_id: int, store: str, till: str, event: dict[str, Any], offline: bool) -> int:
    """The event's entry, and the card's balance after it."""
    body = event["body"]
    conn.execute(
        "INSERT INTO gift_card_entries (store, till, seq, card_id, kind, amount, offline, hold_key, at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (store, till, event["seq"], card_id, body["kind"], body["amount"], offline, body.get("hold"), event["at"]),
    )
    row = conn.execute(
        "UPDATE gift_cards SET balance = balance + %s WHERE id = %s RETURNING balance", (body["amount"], card_id)
    ).fetchone()
    assert row is not None
    return int(str(row["balance"]))


def issued(
    conn: Connection, card_id: int, store: str, till: str, at: dt.datetime, expires_at: dt.datetime | None
) -> None:
    conn.execute(
        "UPDATE gift_cards SET store = %s, till = %s, issued_at = %s, expires_at = %s"
        " WHERE id = %s AND issued_at IS NULL",
        (store, till, at, expires_at, card_id),
    )


def spenders(conn: Connection, card_id: int) -> list[dict[str, Any]]:
    """Each lane that took money off the card: how much, and how much of it offline."""
    return list(
        conn.execute(
            "SELECT store, till, (-sum(amount))::bigint AS spent,"
            " coalesce(-sum(amount) FILTER (WHERE offline), 0)::bigint AS offline"
            " FROM gift_card_entries WHERE card_id = %s AND amount < 0 GROUP BY store, till ORDER BY store, till",
            (card_id,),
        ).fetchall()
    )


def held(conn: Connection, card_id: int, now: dt.datetime) -> int:
    """What live holds reserve on the card."""
    row = conn.execute(
        "SELECT coalesce(sum(amount), 0) AS held FROM gift_card_holds"
        " WHERE card_id = %s AND state = 'held' AND expires_at > %s",
        (card_id, now),
    ).fetchone()
    return int(str(row["held"])) if row else 0


def hold_by_key(conn: Connection, store: str, till: str, key: str) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT * FROM gift_card_holds WHERE store = %s AND till = %s AND key = %s", (store, till, key)
    ).fetchone()
    return dict(row) if row else None


def add_hold(
    conn: Connection, card_id: int, store: str, till: str, key: str, amount: int, at: dt.datetime, until: dt.datetime
) -> None:
    conn.execute(
        "INSERT INTO gift_card_holds (card_id, store, till, key, amount, made_at, expires_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (card_id, store, till, key, amount, at, until),
    )


def end_hold(conn: Connection, store: str, till: str, key: str, state: str) -> bool:
    """A live hold spent (its sale's event came) or released; False when none was live."""
    done = conn.execute(
        "UPDATE gift_card_holds SET state = %s WHERE store = %s AND till = %s AND key = %s AND state = 'held'",
        (state, store, till, key),
    ).rowcount
    return bool(done == 1)


def card(conn: Connection, card_id: int) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM gift_cards WHERE id = %s", (card_id,)).fetchone()
    return dict(row) if row else None
