"""The chain's customer directory (migration 0012): each customer's contact fields under its
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
    conn.execute(
        "INSERT INTO customer_lanes (store, till, customer_id, chain_id) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (store, till, customer_id) DO UPDATE SET chain_id = excluded.chain_id",
        (store, till, customer_id, chain_id),
    )


def erase(conn: Connection, chain_id: str, store: str, till: str, at: dt.datetime) -> None:
    """Scrubs the person's fields; the row stays, so that no late call brings them back."""
    conn.execute(
        "INSERT INTO customers (chain_id, consent, store, till, updated_at, erased_at)"
        " VALUES (%s, false, %s, %s, %s, %s)"
        " ON CONFLICT (chain_id) DO UPDATE SET name = NULL, email = NULL, phone = NULL, loyalty_card = NULL,"
        " consent = false, store = excluded.store, till = excluded.till, updated_at = excluded.updated_at,"
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
        f"SELECT chain_id, name, email, phone, loyalty_card, consent FROM customers"  # noqa: S608
        f" WHERE {column} = %s AND erased_at IS NULL ORDER BY updated_at DESC LIMIT 5",
        (value,),
    ).fetchall()
    return [dict(r) for r in rows]
