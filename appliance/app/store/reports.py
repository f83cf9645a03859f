"""The queries of every report: the back office's period reports, the sales summary and the
till's X and Z reports. Rows only; what they add up to is `appliance/app/domain/report.py`.

Times are stored in UTC. Queries that the reports put on local hours group by UTC quarter
hour (`QUARTER`; a year is at most 35,040 groups) and the domain places each quarter on the
store's calendar: exact for any zone, half-hour offsets and daylight saving included. The
sales per local day take the days' UTC bounds instead (`Span`, from `Period.days`), and the
taxes and tenders per day read sums kept per quarter hour by triggers (migration 0032).

A gift card sold is an untaxed line of a sale; which lines loaded a card is in
`gift_card_pending` (activated: the sale's completion put the money on the card). The
reports read those rows to take the money out of sales: it is owed, not earned.
"""

from __future__ import annotations

import json
from typing import Any

from appliance.app.domain.report import Span
from appliance.app.store.db import Connection, Row

QUARTER = "substr({col}, 1, 14) || (CAST(substr({col}, 15, 2) AS INTEGER) / 15)"
_COMPLETED = "FROM sales WHERE status = 'completed' AND completed_at >= ? AND completed_at < ?"
Bounds = tuple[str, str]


def _q(col: str) -> str:
    return QUARTER.format(col=col)


def _rows(conn: Connection, sql: str, params: tuple[Any, ...] = ()) -> list[Row]:
    rows: list[Row] = conn.execute(sql, params).fetchall()
    return rows


def _row(conn: Connection, sql: str, params: tuple[Any, ...]) -> Row:
    row: Row = conn.execute(sql, params).fetchone()
    return row


def _per_quarter(conn: Connection, at: str, columns: str, source: str, bounds: Bounds, where: str = "") -> list[Row]:
    """(quarter, key, sums…) of the rows of `source` whose `at` falls in bounds, by quarter hour
    and key (the first of `columns`). All but `bounds` are fixed strings of this module."""
    return _rows(
        conn,
        f"SELECT {_q(at)}, {columns} FROM {source} WHERE {where}{at} >= ? AND {at} < ? GROUP BY 1, 2",  # noqa: S608
        bounds,
    )


def table_columns(conn: Connection, table: str) -> set[str]:
    return {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}  # table names are ours, never input


def user_names(conn: Connection) -> dict[int, str]:
    return {r[0]: r[1] for r in conn.execute("SELECT id, username FROM users")}


# -- completed sales in a period, read by sale id ---------------------------------------------------
#
# Joining every completed sale of a year to its lines, taxes or payments costs one index
# probe per sale (a second for a million lines here). Sale ids grow with time, so the sales
# completed in a period are nearly all of the ids between the first and the last of them:
# the detail rows of that id range are read in one sequential pass of a covering index, and
# the few sales in the range that do not belong (cancelled, still open, completed outside
# the period) are taken back out.


def id_range(conn: Connection, start: str, end: str) -> tuple[int, int] | None:
    row = conn.execute(
        "SELECT min(rowid), max(rowid), count(*) FROM sales "
        "WHERE status = 'completed' AND completed_at >= ? AND completed_at < ?",
        (start, end),
    ).fetchone()
    return None if not row[2] else (row[0], row[1])


_OUTSIDERS = (
    "SELECT id FROM sales INDEXED BY sales_state WHERE id BETWEEN ? AND ? "
    "AND NOT (status = 'completed' AND completed_at >= ? AND completed_at < ?)"
)


def detail_sums(
    conn: Connection, table: str, key: str, values: str, bounds: Bounds, extra: str = ""
) -> dict[Any, list[int]]:
    """{key: [sums…]} over the detail rows of the sales completed in bounds.
    `table`, `key`, `values` and `extra` are fixed strings of this module, never input."""
    start, end = bounds
    found = id_range(conn, start, end)
    if found is None:
        return {}
    lo, hi = found
    plain = table.split(" INDEXED BY ")[0]  # the few outsiders are found by sale id, not by a full scan
    out: dict[Any, list[int]] = {}
    whole = conn.execute(
        f"SELECT {key}, {values} FROM {table} WHERE sale_id BETWEEN ? AND ? {extra} GROUP BY 1",  # noqa: S608
        (lo, hi),
    )
    for row in whole:
        out[row[0]] = [v or 0 for v in tuple(row)[1:]]
    less = conn.execute(
        f"SELECT {key}, {values} FROM {plain} WHERE sale_id IN ({_OUTSIDERS}) {extra} GROUP BY 1",  # noqa: S608
        (lo, hi, start, end),
    )
    for row in less:
        acc = out[row[0]]
        for i, v in enumerate(tuple(row)[1:]):
            acc[i] -= v or 0
    return {k: v for k, v in out.items() if any(v)}


def payments_by_method(conn: Connection, bounds: Bounds) -> dict[str, list[int]]:
    """{method: [count, amount]} paid on the sales completed in bounds."""
    return detail_sums(conn, "payments", "method", "count(*), sum(amount)", bounds)


def taxes_by_rate(conn: Connection, bounds: Bounds) -> dict[tuple[str, str], list[int]]:
    """{(tax, rate): [base, amount]} of the sales completed in bounds."""
    sums = detail_sums(conn, "sale_taxes", "name || char(31) || rate", "sum(base), sum(amount)", bounds)
    return {(k.split("\x1f", 1)[0], k.split("\x1f", 1)[1]): v for k, v in sums.items()}


# -- sales, by quarter hour ---------------------------------------------------------------------------


def sales_by_quarter(conn: Connection, bounds: Bounds) -> list[Row]:
    """(quarter, sales, subtotal, tax, total, cash rounding) of the sales completed in bounds."""
    return _rows(
        conn,
        f"SELECT {_q('completed_at')}, count(*), sum(subtotal), sum(tax), sum(total), sum(cash_rounding) "
        f"{_COMPLETED} GROUP BY 1",
        bounds,
    )


# -- completed sales, by local day --------------------------------------------------------------------
#
# The days go in as one JSON list of (day, from, to) (`Span`): a year is one statement. A
# correlated subquery per day walks the covering index once, in order, where a GROUP BY
# over the days sorted 200,000 rows first (four times slower).


def sales_by_day(conn: Connection, days: list[Span]) -> list[tuple[str, list[int]]]:
    """(day, [sales, subtotal, tax, total, cash rounding]) of the sales completed in each span."""
    rows = conn.execute(
        "WITH d(day, lo, hi) AS (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), "
        "json_extract(value, '$[2]') FROM json_each(?)) "
        "SELECT d.day, (SELECT json_array(count(*), coalesce(sum(subtotal), 0), "
        "coalesce(sum(tax), 0), coalesce(sum(total), 0), coalesce(sum(cash_rounding), 0)) "
        "FROM sales INDEXED BY sales_completed_cover "
        "WHERE status = 'completed' AND completed_at >= d.lo AND completed_at < d.hi) FROM d",
        (json.dumps(days),),
    )
    return [(r[0], json.loads(r[1])) for r in rows]


# The journal's tax and tender lines: each day's whole quarter hours from the sums kept per
# quarter (migration 0032), the pieces of a quarter at a period's ends from the sales.
_BY_DAY = (
    "WITH w(day, lo, hi) AS (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), "
    "json_extract(value, '$[2]') FROM json_each(?)), "
    "p(day, lo, hi) AS (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), "
    "json_extract(value, '$[2]') FROM json_each(?)) "
    "SELECT w.day, k.{key}, sum(k.amount) FROM w CROSS JOIN {kept} k ON k.quarter >= w.lo AND k.quarter < w.hi "
    "GROUP BY 1, 2 UNION ALL "
    "SELECT p.day, x.{key}, sum(x.amount) FROM p CROSS JOIN sales s INDEXED BY sales_completed_cover "
    "ON s.status = 'completed' AND s.completed_at >= p.lo AND s.completed_at < p.hi "
    "JOIN {detail} x ON x.sale_id = s.id GROUP BY 1, 2"
)


def taxes_by_day(conn: Connection, whole: list[Span], pieces: list[Span]) -> list[Row]:
    """(day, tax, amount) of the sales completed in each day (`domain.report.in_quarters`); a day
    may come twice, from its whole quarters and from its pieces."""
    sql = _BY_DAY.format(key="name", kept="sale_tax_quarters", detail="sale_taxes")
    return _rows(conn, sql, (json.dumps(whole), json.dumps(pieces)))


def payments_by_day(conn: Connection, whole: list[Span], pieces: list[Span]) -> list[Row]:
    """(day, method, amount) paid on the sales completed in each day, as taxes_by_day."""
    sql = _BY_DAY.format(key="method", kept="payment_quarters", detail="payments")
    return _rows(conn, sql, (json.dumps(whole), json.dumps(pieces)))


def sales_by_cashier(conn: Connection, bounds: Bounds) -> list[Row]:
    """(cashier id, sales, total)."""
    return _rows(
        conn,
        f"SELECT cashier_id, count(*), sum(total) {_COMPLETED} GROUP BY cashier_id",
        bounds,
    )


def _card_sales(*, at_till: bool, end_included: bool) -> str:
    """Per completed sale that loaded gift cards: when, who, its subtotal, cards, amount loaded."""
    before = "<=" if end_included else "<"
    till = "AND s.terminal_id = ? " if at_till else ""
    # Over a period the card loads are far fewer than the sales: read them and look their sale
    # up (CROSS JOIN keeps that order), not every sale of a year probing for a card.
    join = "JOIN" if at_till else "CROSS JOIN"
    return (
        "SELECT s.completed_at AS at, s.cashier_id AS cashier, s.subtotal AS subtotal, count(*) AS cards, "  # noqa: S608
        f"sum(g.amount) AS loaded FROM gift_card_pending g {join} sales s ON s.id = g.sale_id "
        f"WHERE g.activated AND s.status = 'completed' AND s.completed_at >= ? AND s.completed_at {before} ? "
        f"{till}GROUP BY s.id"
    )


def gift_cards_sold(conn: Connection, bounds: Bounds) -> list[Row]:
    """(quarter, cashier id, cards, amount loaded, 1 when the sale sold nothing but cards) per
    sale completed in bounds that loaded gift cards: sales few enough to read one by one."""
    inner = _card_sales(at_till=False, end_included=False)
    return _rows(
        conn,
        f"SELECT {_q('at')}, cashier, cards, loaded, subtotal = loaded FROM ({inner})",  # noqa: S608
        bounds,
    )


def gift_cards_returned(conn: Connection, bounds: Bounds) -> list[Row]:
    """(quarter, '', amount) of gift cards sold on a sale and taken back by its refund."""
    return _per_quarter(
        conn, "at", "'', -sum(amount)", "gift_card_entries", bounds, "kind = 'void' AND sale_id IS NOT NULL AND "
    )


def store_credit_issued(conn: Connection, bounds: Bounds) -> list[Row]:
    """(quarter, '', amount) of refunds paid as store credit on a new gift card."""
    return _per_quarter(
        conn, "r.created_at", "'', sum(c.amount)", "store_credits c JOIN refunds r ON r.id = c.refund_id", bounds
    )


# -- refunds ------------------------------------------------------------------------------------------

_REFUND_TENDERS = "refunds r JOIN refund_tenders t ON t.refund_id = r.id"


def refunds_by_quarter(conn: Connection, bounds: Bounds) -> list[Row]:
    """(quarter, '', count, amount, tax) of refunds made in bounds."""
    return _per_quarter(conn, "created_at", "'', count(*), sum(amount), sum(tax)", "refunds", bounds)


def refund_tenders_by_quarter(conn: Connection, bounds: Bounds) -> list[Row]:
    """(quarter, method, amount) given back in bounds."""
    return _per_quarter(conn, "r.created_at", "t.method, sum(t.amount)", _REFUND_TENDERS, bounds)


def cash_refund_rounding(conn: Connection, bounds: Bounds) -> list[Row]:
    """(quarter, '', rounding) of cash refunds in bounds."""
    return _per_quarter(conn, "r.created_at", "'', sum(t.rounding)", _REFUND_TENDERS, bounds, "t.method = 'cash' AND ")


def refund_taxes_by_rate(conn: Connection, bounds: Bounds) -> dict[tuple[str, str], list[int]]:
    """{(tax, rate): [base, amount]} given back by the refunds made in bounds."""
    rows = conn.execute(
        "SELECT x.name, x.rate, sum(x.base), sum(x.amount) FROM refunds r "
        "JOIN refund_taxes x ON x.refund_id = r.id WHERE r.created_at >= ? AND r.created_at < ? GROUP BY 1, 2",
        bounds,
    )
    return {(r[0], r[1]): [r[2] or 0, r[3] or 0] for r in rows}


def refund_list(conn: Connection, bounds: Bounds) -> list[Row]:
    """(id, at, terminal, receipt no, employee, reason, amount, tax, items) of each refund."""
    return _rows(
        conn,
        "SELECT r.id, r.created_at, s.terminal_id, s.receipt_no, u.username, r.reason, r.amount, r.tax, "
        "(SELECT coalesce(sum(quantity), 0) FROM refund_lines x WHERE x.refund_id = r.id) "
        "FROM refunds r JOIN sales s ON s.id = r.sale_id JOIN users u ON u.id = r.user_id "
        "WHERE r.created_at >= ? AND r.created_at < ? ORDER BY r.created_at",
        bounds,
    )


# -- voids and discounts ------------------------------------------------------------------------------


def voided_lines(conn: Connection, bounds: Bounds) -> list[Row]:
    """(employee id, lines, amount) voided on sales opened in bounds."""
    return _rows(
        conn,
        "SELECT coalesce(l.voided_by, s.cashier_id), count(*), sum(l.quantity * l.unit_price) "
        "FROM sale_lines l INDEXED BY sale_lines_voided JOIN sales s ON s.id = l.sale_id "
        "WHERE l.voided = 1 AND s.opened_at >= ? AND s.opened_at < ? GROUP BY 1",
        bounds,
    )


def cancelled_sales(conn: Connection, bounds: Bounds) -> list[Row]:
    return _rows(
        conn,
        "SELECT cashier_id, count(*) FROM sales WHERE status = 'cancelled' AND opened_at >= ? AND opened_at < ? "
        "GROUP BY 1",
        bounds,
    )


def discounts(conn: Connection, bounds: Bounds) -> list[Row]:
    return _rows(
        conn,
        "SELECT cashier_id, count(*), sum(discount) FROM sales WHERE status = 'completed' "
        "AND completed_at >= ? AND completed_at < ? AND discount > 0 GROUP BY 1",
        bounds,
    )


# -- shifts -------------------------------------------------------------------------------------------


def shift_variance_by_quarter(conn: Connection, bounds: Bounds) -> list[Row]:
    return _per_quarter(conn, "closed_at", "'', sum(variance)", "shifts", bounds)


def closed_shifts(conn: Connection, bounds: Bounds, limit: int) -> list[Row]:
    """The shifts closed in bounds, newest first, with the figures of their Z report."""
    return _rows(
        conn,
        "SELECT s.id, s.terminal_id, u.username, s.opened_at, s.closed_at, s.counted, s.expected, s.variance, "
        "s.z_report FROM shifts s JOIN users u ON u.id = s.user_id "
        "WHERE s.closed_at >= ? AND s.closed_at < ? AND s.z_report IS NOT NULL ORDER BY s.closed_at DESC LIMIT ?",
        (*bounds, limit),
    )


def z_report(conn: Connection, shift_id: int) -> str | None:
    row = conn.execute("SELECT z_report FROM shifts WHERE id = ?", (shift_id,)).fetchone()
    return None if row is None else row[0]


def shift_sales(conn: Connection, terminal: str, start: str, until: str) -> Row:
    """(count, total, tax, discount) of the sales completed at a till from start to until (both included)."""
    return _row(
        conn,
        "SELECT count(*), coalesce(sum(total), 0), coalesce(sum(tax), 0), coalesce(sum(discount), 0) FROM sales "
        "WHERE status = 'completed' AND terminal_id = ? AND completed_at >= ? AND completed_at <= ?",
        (terminal, start, until),
    )


def shift_gift_cards(conn: Connection, terminal: str, start: str, until: str) -> Row:
    """(cards, amount loaded, sales of nothing but cards) at a till, start to until included."""
    inner = _card_sales(at_till=True, end_included=True)
    return _row(
        conn,
        f"SELECT coalesce(sum(cards), 0), coalesce(sum(loaded), 0), coalesce(sum(subtotal = loaded), 0) FROM ({inner})",  # noqa: S608
        (start, until, terminal),
    )


def shift_gift_cards_returned(conn: Connection, terminal: str, start: str, until: str) -> Row:
    """(cards, amount) of gift cards sold on a sale and taken back by a refund made at a till
    from start to until (both included). The card's ledger names the sale, not the till: the
    refund of that sale made at this till in the window is what took it back."""
    return _row(
        conn,
        "SELECT count(*), coalesce(-sum(e.amount), 0) FROM gift_card_entries e "
        "WHERE e.kind = 'void' AND e.sale_id IS NOT NULL AND e.at >= ? AND e.at <= ? "
        "AND EXISTS (SELECT 1 FROM refunds r WHERE r.sale_id = e.sale_id AND r.terminal_id = ? "
        "AND r.created_at >= ? AND r.created_at <= ?)",
        (start, until, terminal, start, until),
    )


def shift_tenders(conn: Connection, terminal: str, start: str, until: str) -> list[Row]:
    """(method, count, amount) taken at a till from start to until: what went into its drawer
    and terminals, whether or not the sale is complete yet."""
    return _rows(
        conn,
        "SELECT p.method, count(*), sum(p.amount) FROM payments p JOIN sales s ON s.id = p.sale_id "
        "WHERE s.terminal_id = ? AND p.created_at >= ? AND p.created_at <= ? GROUP BY p.method ORDER BY p.method",
        (terminal, start, until),
    )


def shift_refunds(conn: Connection, terminal: str, start: str, until: str) -> Row:
    return _row(
        conn,
        "SELECT count(*), coalesce(sum(amount), 0) FROM refunds WHERE terminal_id = ? AND created_at >= ? "
        "AND created_at <= ?",
        (terminal, start, until),
    )


def shift_voids(conn: Connection, start: str, until: str) -> int:
    return int(
        conn.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'void_line' AND at >= ? AND at <= ?", (start, until)
        ).fetchone()[0]
    )


def shift_cash(conn: Connection, shift_id: int, terminal: str, start: str, until: str) -> dict[str, int]:
    """The cash that moved through a drawer: sales, refunds, their rounding, paid in and out."""
    window = (terminal, start, until)
    sales, sales_rounding = conn.execute(
        "SELECT coalesce(sum(p.amount), 0), coalesce(sum(p.rounding), 0) FROM payments p "
        "JOIN sales s ON s.id = p.sale_id "
        "WHERE p.method = 'cash' AND s.terminal_id = ? AND p.created_at >= ? AND p.created_at <= ?",
        window,
    ).fetchone()
    refunds, refunds_rounding = conn.execute(
        "SELECT coalesce(sum(t.amount), 0), coalesce(sum(t.rounding), 0) FROM refund_tenders t "
        "JOIN refunds r ON r.id = t.refund_id "
        "WHERE t.method = 'cash' AND r.terminal_id = ? AND r.created_at >= ? AND r.created_at <= ?",
        window,
    ).fetchone()
    moved = dict(
        conn.execute("SELECT kind, sum(amount) FROM cash_movements WHERE shift_id = ? GROUP BY kind", (shift_id,))
    )
    return {
        "sales": int(sales),
        "refunds": int(refunds),
        "paid_in": int(moved.get("paid_in", 0)),
        "paid_out": int(moved.get("paid_out", 0)),
        "rounding": int(sales_rounding) - int(refunds_rounding),
    }


def z_prints(conn: Connection, shift_id: int, closed_at: str) -> int:
    """How often a shift's Z report went to the printer (its prints after the close)."""
    return int(
        conn.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'print_report' AND object = ? AND at >= ?",
            (f"shift:{shift_id}", closed_at),
        ).fetchone()[0]
    )


# -- returns without a receipt --------------------------------------------------------------------------
#
# No sale to point to, so none of the queries above see them: these read them for the
# drawer, the X and Z reports and the period reports alike.


def shift_receiptless(conn: Connection, terminal: str, start: str, until: str) -> list[Row]:
    """(refund_to, count, amount, tax, cash rounding) of the returns without a receipt made at
    a till from start to until (both included); refund_to is cash or gift_card."""
    return _rows(
        conn,
        "SELECT refund_to, count(*), sum(amount), sum(tax), sum(cash_rounding) FROM receiptless_returns "
        "WHERE terminal_id = ? AND created_at >= ? AND created_at <= ? GROUP BY refund_to ORDER BY refund_to",
        (terminal, start, until),
    )


def receiptless_by_quarter(conn: Connection, bounds: Bounds) -> list[Row]:
    """(quarter, refund_to, count, amount, tax, cash rounding) of returns without a receipt in bounds."""
    columns = "refund_to, count(*), sum(amount), sum(tax), sum(cash_rounding)"
    return _per_quarter(conn, "created_at", columns, "receiptless_returns", bounds)


def receiptless_list(conn: Connection, bounds: Bounds) -> list[Row]:
    """(id, at, terminal, employee, reason, amount, tax, items, refund_to) of each return
    without a receipt in bounds."""
    return _rows(
        conn,
        "SELECT r.id, r.created_at, r.terminal_id, u.username, r.reason, r.amount, r.tax, "
        "(SELECT coalesce(sum(quantity), 0) FROM receiptless_return_lines x WHERE x.return_id = r.id), r.refund_to "
        "FROM receiptless_returns r JOIN users u ON u.id = r.user_id "
        "WHERE r.created_at >= ? AND r.created_at < ? ORDER BY r.created_at",
        bounds,
    )
