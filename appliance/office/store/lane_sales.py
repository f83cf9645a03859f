"""The lanes' sales as the office keeps them for returns across lanes: rows only (the rules
are services/returns_across.py's)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from psycopg.types.json import Jsonb

from appliance.office.store.db import Connection


def insert_sale(conn: Connection, store: str, till: str, sale: dict[str, Any], lines: Sequence[dict[str, Any]]) -> bool:
    """Keeps a completed sale and its lines; False when the lane's sale is held already."""
    row = conn.execute(
        "INSERT INTO lane_sales (store, till, sale_id, terminal_id, receipt_no, currency, completed_at,"
        " subtotal, tax, total, discount, taxes, tenders)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (store, till, sale_id) DO NOTHING RETURNING sale_id",
        (
            store,
            till,
            sale["sale_id"],
            sale["terminal_id"],
            sale["receipt_no"],
            sale["currency"],
            sale["completed_at"],
            sale["subtotal"],
            sale["tax"],
            sale["total"],
            sale["discount"],
            Jsonb(sale["taxes"]),
            Jsonb(sale["tenders"]),
        ),
    ).fetchone()
    if row is None:
        return False
    for ln in lines:
        conn.execute(
            "INSERT INTO lane_sale_lines (store, till, sale_id, line_no, product_id, sku, quantity, unit_price,"
            " discount, tax_class) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                store,
                till,
                sale["sale_id"],
                ln["line_no"],
                ln["product_id"],
                ln["sku"],
                ln["quantity"],
                ln["unit_price"],
                ln["discount"],
                ln["tax_class"],
            ),
        )
    return True


def add_refunded(
    conn: Connection,
    sale: tuple[str, str, int],
    by: tuple[str, str],
    refund: str,
    lines: dict[int, int],
    seq: int,
) -> None:
    """What a refund gave back of a sale's lines; a refund already counted is not counted again."""
    for line_no, quantity in lines.items():
        conn.execute(
            "INSERT INTO lane_refunded (store, till, sale_id, line_no, by_store, by_till, refund, quantity, seq)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (*sale, line_no, *by, refund, quantity, seq),
        )


def find(conn: Connection, terminal_id: str, receipt_no: int) -> list[dict[str, Any]]:
    """The sales printed with this number, at every store that has one."""
    return conn.execute(
        "SELECT * FROM lane_sales WHERE terminal_id = %s AND receipt_no = %s ORDER BY store, till",
        (terminal_id, receipt_no),
    ).fetchall()


def lines(conn: Connection, sale: tuple[str, str, int], *, lock: bool = False) -> list[dict[str, Any]]:
    """The sale's lines, each with what was refunded of it (by any lane) and what is held;
    locked until the transaction ends with `lock` (one hold of a sale at a time)."""
    if lock:
        conn.execute(
            "SELECT 1 FROM lane_sales WHERE store = %s AND till = %s AND sale_id = %s FOR UPDATE", sale
        ).fetchall()
    return conn.execute(
        "SELECT l.line_no, l.product_id, l.sku, l.quantity, l.unit_price, l.discount, l.tax_class,"
        " coalesce((SELECT sum(r.quantity) FROM lane_refunded r WHERE r.store = l.store AND r.till = l.till"
        "  AND r.sale_id = l.sale_id AND r.line_no = l.line_no), 0)::bigint AS refunded,"
        " coalesce((SELECT sum(h.quantity) FROM return_holds h WHERE h.store = l.store AND h.till = l.till"
        "  AND h.sale_id = l.sale_id AND h.line_no = l.line_no AND h.status = 'held'), 0)::bigint AS held"
        " FROM lane_sale_lines l WHERE l.store = %s AND l.till = %s AND l.sale_id = %s ORDER BY l.line_no",
        sale,
    ).fetchall()


def hold_of(conn: Connection, by: tuple[str, str], key: str) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT line_no, store, till, sale_id, quantity, status FROM return_holds"
        " WHERE by_store = %s AND by_till = %s AND hold_key = %s ORDER BY line_no",
        (*by, key),
    ).fetchall()


def insert_hold(
    conn: Connection,
    by: tuple[str, str],
    key: str,
    sale: tuple[str, str, int],
    lines: dict[int, int],
    at: dt.datetime,
) -> None:
    for line_no, quantity in lines.items():
        conn.execute(
            "INSERT INTO return_holds (by_store, by_till, hold_key, line_no, store, till, sale_id, quantity,"
            " created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (*by, key, line_no, *sale, quantity, at),
        )


def close_hold(conn: Connection, by: tuple[str, str], key: str, status: str, at: dt.datetime | None) -> int:
    """Marks a held hold used or released (at `at`, or the database's time inside ingest);
    how many of its lines were still held."""
    return conn.execute(
        "UPDATE return_holds SET status = %s, closed_at = coalesce(%s::timestamptz, now())"
        " WHERE by_store = %s AND by_till = %s AND hold_key = %s AND status = 'held'",
        (status, at, *by, key),
    ).rowcount


def close_own_hold(conn: Connection, sale: tuple[str, str, int], lines: dict[int, int]) -> None:
    """A lane's refund of its own sale: the oldest hold it took for exactly those lines
    (a key `own-…`) is used now."""
    rows = conn.execute(
        "SELECT hold_key, jsonb_object_agg(line_no::text, quantity) AS lines, min(created_at) AS at"
        " FROM return_holds WHERE by_store = %s AND by_till = %s AND store = %s AND till = %s AND sale_id = %s"
        " AND status = 'held' AND hold_key LIKE 'own-%%' GROUP BY hold_key ORDER BY at, hold_key",
        (sale[0], sale[1], *sale),
    ).fetchall()
    for row in rows:
        held: dict[str, Any] = row["lines"]  # type: ignore[assignment]  # jsonb: {"1": 2}
        if {int(k): int(v) for k, v in held.items()} == lines:
            close_hold(conn, (sale[0], sale[1]), str(row["hold_key"]), "used", None)
            return


def open_holds(conn: Connection) -> list[dict[str, Any]]:
    """The holds still held, oldest first: the lane that holds, the sale and its lines."""
    return conn.execute(
        "SELECT by_store, by_till, hold_key, store, till, sale_id, min(created_at) AS created_at,"
        " jsonb_agg(jsonb_build_object('line', line_no, 'quantity', quantity) ORDER BY line_no) AS lines"
        " FROM return_holds WHERE status = 'held'"
        " GROUP BY by_store, by_till, hold_key, store, till, sale_id ORDER BY created_at, hold_key"
    ).fetchall()
