"""The chain's customer directory (migration 0013): each customer's contact fields under its
chain id, scrubbed in place when erased, and which lane's customer id is which."""

from __future__ import annotations

import datetime as dt
from typing import Any

from appliance.office.store.db import Connection

FIELDS = ("name", "email", "phone", "loyalty_card", "consent")


def for_update(conn: Connection, chain_id: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM customers WHERE chain_id = %s FOR UPDATE", (chain_id,)).fetchone()
    return dict(row) if row else None


def put(conn: Connection, chain_id: str, fields: dict[str, Any], store: str, till: str, at: dt.datetime) -> None:
    """Writes the customer as the lane sent it (a live one: the caller checked)."""
    conn.execute(
        "INSERT INTO customers (chain_id, name, email, phone, loyalty_card, consent, store, till, updated_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (chain_id) DO UPDATE SET name = excluded.name, email = excluded.email,"
        " phone = excluded.phone, loyalty_card = excluded.loyalty_card, consent = excluded.consent,"
        " store = excluded.store, till = excluded.till, updated_at = excluded.updated_at",
        (chain_id, *(fields[k] for k in FIELDS), store, till, at),
    )


def link(conn: Connection, store: str, till: str, customer_id: int, chain_id: str) -> None:
    """Links the lane's id to the chain's, and counts the lane's points entries that came
    before the link."""
    conn.execute(
        "INSERT INTO customer_lanes (store, till, customer_id, chain_id) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (store, till, customer_id) DO UPDATE SET chain_id = excluded.chain_id",
        (store, till, customer_id, chain_id),
    )
    row = conn.execute(
        "WITH linked AS (UPDATE points_entries SET chain_id = %s"
        " WHERE store = %s AND till = %s AND customer_id = %s AND chain_id IS NULL RETURNING points)"
        " SELECT coalesce(sum(points), 0) AS points FROM linked",
        (chain_id, store, till, customer_id),
    ).fetchone()
    if row and int(str(row["points"])):
        conn.execute(
            "UPDATE customers SET points = points + %s WHERE chain_id = %s AND erased_at IS NULL",
            (int(str(row["points"])), chain_id),
        )


def chain_of(conn: Connection, store: str, till: str, customer_id: int) -> str | None:
    row = conn.execute(
        "SELECT chain_id FROM customer_lanes WHERE store = %s AND till = %s AND customer_id = %s",
        (store, till, customer_id),
    ).fetchone()
    return str(row["chain_id"]) if row else None


# -- points ---------------------------------------------------------------------------------------


def add_points_entry(
    conn: Connection, store: str, till: str, event: dict[str, Any], chain_id: str | None, counted: bool
) -> int | None:
    """The event's entry; with `counted`, added to the customer's balance: the balance after."""
    body = event["body"]
    conn.execute(
        "INSERT INTO points_entries (store, till, seq, customer_id, chain_id, kind, points, offline, hold_key, at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
        (
            store,
            till,
            event["seq"],
            body["customer_id"],
            chain_id,
            str(body.get("kind") or ""),
            body["points"],
            bool(body.get("offline")),
            body.get("hold"),
            event["at"],
        ),
    )
    if not counted or chain_id is None:
        return None
    row = conn.execute(
        "UPDATE customers SET points = points + %s WHERE chain_id = %s RETURNING points", (body["points"], chain_id)
    ).fetchone()
    return int(str(row["points"])) if row else None


def spenders(conn: Connection, chain_id: str) -> list[dict[str, Any]]:
    """Each lane that took points off the customer: how many, and how many of them offline."""
    rows = conn.execute(
        "SELECT store, till, -sum(points) AS spent, -sum(points) FILTER (WHERE offline) AS offline"
        " FROM points_entries WHERE chain_id = %s AND points < 0 GROUP BY store, till ORDER BY store, till",
        (chain_id,),
    ).fetchall()
    return [
        {"store": r["store"], "till": r["till"], "spent": int(str(r["spent"])), "offline": int(str(r["offline"] or 0))}
        for r in rows
    ]


def held_points(conn: Connection, chain_id: str, now: dt.datetime) -> int:
    row = conn.execute(
        "SELECT coalesce(sum(points), 0) AS held FROM points_holds"
        " WHERE chain_id = %s AND state = 'held' AND expires_at > %s",
        (chain_id, now),
    ).fetchone()
    return int(str(row["held"])) if row else 0


def hold_by_key(conn: Connection, store: str, till: str, key: str) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT * FROM points_holds WHERE store = %s AND till = %s AND key = %s", (store, till, key)
    ).fetchone()
    return dict(row) if row else None


def add_hold(
    conn: Connection, chain_id: str, store: str, till: str, key: str, points: int, at: dt.datetime, until: dt.datetime
) -> None:
    conn.execute(
        "INSERT INTO points_holds (store, till, key, chain_id, points, created_at, expires_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (store, till, key, chain_id, points, at, until),
    )


def end_hold(conn: Connection, store: str, till: str, key: str, state: str) -> bool:
    done = conn.execute(
        "UPDATE points_holds SET state = %s WHERE store = %s AND till = %s AND key = %s AND state = 'held'",
        (state, store, till, key),
    ).rowcount
    return bool(done)


def points_offline_cap(conn: Connection) -> int:
    row = conn.execute("SELECT offline_cap FROM points_rules").fetchone()
    return int(str(row["offline_cap"])) if row else 0


def set_points_offline_cap(conn: Connection, points: int, by: str, at: dt.datetime) -> int:
    before = points_offline_cap(conn)
    conn.execute("UPDATE points_rules SET offline_cap = %s, changed_at = %s, changed_by = %s", (points, at, by))
    return before


def erase(conn: Connection, chain_id: str, store: str, till: str, at: dt.datetime) -> None:
    """Scrubs the person's fields; the row stays, so that no late call brings them back."""
    conn.execute(
        "INSERT INTO customers (chain_id, consent, store, till, updated_at, erased_at)"
        " VALUES (%s, false, %s, %s, %s, %s)"
        " ON CONFLICT (chain_id) DO UPDATE SET name = NULL, email = NULL, phone = NULL, loyalty_card = NULL,"
        " consent = false, points = 0, store = excluded.store, till = excluded.till, updated_at = excluded.updated_at,"
        " erased_at = excluded.erased_at",
        (chain_id, store, till, at, at),
    )


def find(conn: Connection, *, phone: str | None, email: str | None, card: str | None) -> list[dict[str, Any]]:
    """The live customers with that exact phone, e-mail or loyalty card (one key is given)."""
    column, value = "loyalty_card", card
    if phone is not None:
        column, value = "phone", phone
    elif email is not None:
        column, value = "email", email
    rows = conn.execute(
        f"SELECT chain_id, name, email, phone, loyalty_card, consent, points FROM customers"  # noqa: S608
        f" WHERE {column} = %s AND erased_at IS NULL ORDER BY updated_at DESC LIMIT 5",
        (value,),
    ).fetchall()
    return [dict(r) for r in rows]


# -- a lane's lookups (migration 0014) ------------------------------------------------------------


def lookup_lane(conn: Connection, store: str, till: str) -> dict[str, Any]:
    """The lane's lookup row, locked for the caller's transaction (made on its first lookup)."""
    row = conn.execute(
        "INSERT INTO customer_lookup_lanes (store, till) VALUES (%s, %s)"
        " ON CONFLICT (store, till) DO UPDATE SET store = excluded.store RETURNING refused_since, alarmed_on",
        (store, till),
    ).fetchone()
    return dict(row) if row else {"refused_since": None, "alarmed_on": None}


def lookup_misses(conn: Connection, store: str, till: str, since: dt.datetime) -> list[dt.datetime]:
    """When the lane's lookups since `since` found nobody, the oldest first."""
    rows = conn.execute(
        "SELECT at FROM customer_lookup_misses WHERE store = %s AND till = %s AND at > %s ORDER BY at",
        (store, till, since),
    ).fetchall()
    return [at for r in rows if isinstance(at := r["at"], dt.datetime)]


def lookup_missed(conn: Connection, store: str, till: str, at: dt.datetime, forget_before: dt.datetime) -> None:
    """Counts a lookup that found nobody, and forgets the lane's misses no window counts now."""
    conn.execute(
        "DELETE FROM customer_lookup_misses WHERE store = %s AND till = %s AND at <= %s", (store, till, forget_before)
    )
    conn.execute("INSERT INTO customer_lookup_misses (store, till, at) VALUES (%s, %s, %s)", (store, till, at))


def lookup_answered(conn: Connection, store: str, till: str) -> None:
    conn.execute(
        "UPDATE customer_lookup_lanes SET refused_since = NULL WHERE store = %s AND till = %s"
        " AND refused_since IS NOT NULL",
        (store, till),
    )


def lookup_refused(conn: Connection, store: str, till: str, at: dt.datetime, alarmed_on: dt.date | None) -> None:
    conn.execute(
        "UPDATE customer_lookup_lanes SET refused_since = coalesce(refused_since, %s),"
        " alarmed_on = coalesce(%s, alarmed_on) WHERE store = %s AND till = %s",
        (at, alarmed_on, store, till),
    )
