"""The chain's books: the rows the books projection writes, and the sums the reports read.

Every report query takes the same filter: the stores (None: every store), a lane (None: all
of the stores' lanes), a period [start, end) in UTC, and the time zone whose days and hours
the rows are grouped by.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from psycopg.types.json import Jsonb

from appliance.office.store.db import Connection


@dataclass(frozen=True)
class Scope:
    stores: list[str] | None
    till: str | None
    start: dt.datetime
    end: dt.datetime
    zone: str

    def where(self, alias: str, at: str) -> tuple[str, dict[str, Any]]:
        """The WHERE clause that keeps a table's rows of this scope, and its parameters."""
        clause = (
            f"(%(stores)s::text[] IS NULL OR {alias}.store = ANY(%(stores)s))"
            f" AND (%(till)s::text IS NULL OR {alias}.till = %(till)s)"
            f" AND {alias}.{at} >= %(start)s AND {alias}.{at} < %(end)s"
        )
        return clause, {
            "stores": self.stores,
            "till": self.till,
            "start": self.start,
            "end": self.end,
            "zone": self.zone,
        }


# -- written by the projection ------------------------------------------------------------------


def add_sale(conn: Connection, store: str, till: str, seq: int, sale: dict[str, Any]) -> None:
    """The sale with its lines, taxes and tenders (jsonb arrays of its row: one row written
    per sale event, read back with jsonb_to_recordset); nothing when the lane's sale is held."""
    conn.execute(
        "INSERT INTO book_sales (store, till, sale_id, seq, receipt_no, completed_at, currency, subtotal, tax,"
        " total, discount, cash_rounding, gift_cards, gift_card_count, lines, taxes, tenders) VALUES (%(store)s,"
        " %(till)s, %(sale_id)s, %(seq)s, %(receipt_no)s, %(completed_at)s, %(currency)s, %(subtotal)s, %(tax)s,"
        " %(total)s, %(discount)s, %(cash_rounding)s, %(gift_cards)s, %(gift_card_count)s, %(lines)s, %(taxes)s,"
        " %(tenders)s) ON CONFLICT DO NOTHING",
        {
            "gift_cards": None,  # a sale that does not say (an older till's)
            "gift_card_count": None,
            **sale,
            "store": store,
            "till": till,
            "seq": seq,
            "lines": Jsonb(sale["lines"]),
            "taxes": Jsonb(sale["taxes"]),
            "tenders": Jsonb(sale["tenders"]),
        },
    )


def add_refund(conn: Connection, store: str, till: str, refund: dict[str, Any]) -> None:
    """A refund of a sale (receipted) or a return without a receipt, as its event told it."""
    conn.execute(
        "INSERT INTO book_refunds (store, till, refund_id, receipted, sale_id, at, currency, amount, tax, rounding,"
        " refund_to, tenders, gift_cards) VALUES (%(store)s, %(till)s, %(refund_id)s, %(receipted)s, %(sale_id)s,"
        " %(at)s, %(currency)s, %(amount)s, %(tax)s, %(rounding)s, %(refund_to)s, %(tenders)s, %(gift_cards)s)"
        " ON CONFLICT DO NOTHING",
        {
            "gift_cards": None,
            **refund,
            "store": store,
            "till": till,
            "tenders": None if refund.get("tenders") is None else Jsonb(refund["tenders"]),
        },
    )


def add_cash_move(
    conn: Connection,
    store: str,
    till: str,
    seq: int,
    shift_id: int,
    kind: str,
    at: dt.datetime,
    currency: str,
    amount: int,
) -> None:
    conn.execute(
        "INSERT INTO book_cash_moves (store, till, seq, shift_id, kind, at, currency, amount)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
        (store, till, seq, shift_id, kind, at, currency, amount),
    )


def shift_opened(conn: Connection, store: str, till: str, shift_id: int, at: dt.datetime) -> None:
    conn.execute(
        "INSERT INTO book_shifts (store, till, shift_id, opened_at) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (store, till, shift_id) DO UPDATE SET opened_at = excluded.opened_at",
        (store, till, shift_id, at),
    )


def shift_closed(
    conn: Connection,
    store: str,
    till: str,
    shift_id: int,
    span: tuple[dt.datetime, dt.datetime],
    currency: str,
    z: dict[str, Any],
) -> None:
    """The Z as the lane froze it; its shift opened when the Z says, whatever came first."""
    conn.execute(
        "INSERT INTO book_shifts (store, till, shift_id, opened_at, closed_at, currency, z)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (store, till, shift_id) DO UPDATE SET"
        " opened_at = excluded.opened_at, closed_at = excluded.closed_at, currency = excluded.currency, z = excluded.z",
        (store, till, shift_id, span[0], span[1], currency, Jsonb(z)),
    )


# -- read by the reports ------------------------------------------------------------------------


def store_zone(conn: Connection, stores: list[str] | None) -> str | None:
    """The time zone the stores' tills keep, as the latest of their word on it says: a Z, or
    the opening of a shift whose Z has not come (a store's first day has no Z yet; only the
    shift's `shift_opened` event, kept as it came, names its clock)."""
    row = conn.execute(
        "SELECT zone FROM ("
        " SELECT z->>'timezone' AS zone, closed_at AS said_at FROM book_shifts"
        "  WHERE z ? 'timezone' AND (%(stores)s::text[] IS NULL OR store = ANY(%(stores)s))"
        " UNION ALL"
        " SELECT e.body->>'timezone', s.opened_at FROM book_shifts s JOIN lane_events e"
        "  ON e.store = s.store AND e.till = s.till AND e.kind = 'shift_opened'"
        "  AND e.body->>'shift_id' = s.shift_id::text"
        "  WHERE s.z IS NULL AND e.body ? 'timezone'"
        "  AND (%(stores)s::text[] IS NULL OR s.store = ANY(%(stores)s))"
        ") said WHERE zone <> '' ORDER BY said_at DESC NULLS LAST LIMIT 1",
        {"stores": stores},
    ).fetchone()
    return str(row["zone"]) if row and row["zone"] else None


# Sales are net of the gift cards they loaded (owed, not earned), as the till's reports are;
# a sale of nothing but cards is no sale. A sale from a till that did not say (gift_cards
# NULL) counts whole, as it always did.
_CARDS = "coalesce(s.gift_cards, 0)"
_SALES = f"count(*) FILTER (WHERE NOT ({_CARDS} > 0 AND s.subtotal = s.gift_cards))"
_NET = f"sum(s.subtotal - {_CARDS}) AS subtotal, sum(s.tax) AS tax, sum(s.total - {_CARDS}) AS total"


def sales_by_lane(conn: Connection, scope: Scope) -> list[dict[str, Any]]:
    where, args = scope.where("s", "completed_at")
    return conn.execute(
        f"SELECT s.store, s.till, s.currency, {_SALES} AS sales, {_NET}, sum({_CARDS}) AS gift_cards,"  # noqa: S608
        " sum(s.discount) AS discount, sum(s.cash_rounding) AS cash_rounding"
        f" FROM book_sales s WHERE {where} GROUP BY s.store, s.till, s.currency ORDER BY s.store, s.till",
        args,
    ).fetchall()


def refunds_by_lane(conn: Connection, scope: Scope) -> list[dict[str, Any]]:
    """Refunds net of the gift cards they took back (`gift_cards_returned`), as the Z's are."""
    where, args = scope.where("r", "at")
    return conn.execute(
        "SELECT r.store, r.till, r.currency, r.receipted, count(*) AS count,"  # noqa: S608
        " sum(r.amount - coalesce(r.gift_cards, 0)) AS amount, sum(coalesce(r.gift_cards, 0)) AS gift_cards_returned,"
        f" sum(r.tax) AS tax, sum(r.rounding) AS cash_rounding FROM book_refunds r WHERE {where}"
        " GROUP BY r.store, r.till, r.currency, r.receipted ORDER BY r.store, r.till",
        args,
    ).fetchall()


def cash_moves_by_lane(conn: Connection, scope: Scope) -> list[dict[str, Any]]:
    where, args = scope.where("m", "at")
    return conn.execute(
        "SELECT m.store, m.till, m.currency, m.kind, count(*) AS count, sum(m.amount) AS amount"  # noqa: S608
        f" FROM book_cash_moves m WHERE {where} GROUP BY m.store, m.till, m.currency, m.kind"
        " ORDER BY m.store, m.till, m.kind",
        args,
    ).fetchall()


def by_day(conn: Connection, scope: Scope) -> list[dict[str, Any]]:
    where, args = scope.where("s", "completed_at")
    return conn.execute(
        f"SELECT (s.completed_at AT TIME ZONE %(zone)s)::date::text AS day, s.currency, {_SALES} AS sales,"  # noqa: S608
        f" {_NET}, sum({_CARDS}) AS gift_cards_sold FROM book_sales s WHERE {where} GROUP BY 1, 2 ORDER BY 1, 2",
        args,
    ).fetchall()


def by_hour(conn: Connection, scope: Scope) -> list[dict[str, Any]]:
    where, args = scope.where("s", "completed_at")
    return conn.execute(
        "SELECT extract(hour FROM s.completed_at AT TIME ZONE %(zone)s)::int AS hour, s.currency,"  # noqa: S608
        f" {_SALES} AS sales, sum(s.total - {_CARDS}) AS total, sum({_CARDS}) AS gift_cards_sold"
        f" FROM book_sales s WHERE {where} GROUP BY 1, 2 ORDER BY 1, 2",
        args,
    ).fetchall()


def by_tax(conn: Connection, scope: Scope) -> list[dict[str, Any]]:
    where, args = scope.where("s", "completed_at")
    return conn.execute(
        "SELECT t.name, t.rate, s.currency, sum(t.base) AS base, sum(t.amount) AS amount"  # noqa: S608
        " FROM book_sales s CROSS JOIN LATERAL jsonb_to_recordset(s.taxes)"
        " AS t(name text, rate text, base bigint, amount bigint)"
        f" WHERE {where} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
        args,
    ).fetchall()


def by_tender(conn: Connection, scope: Scope) -> list[dict[str, Any]]:
    where, args = scope.where("s", "completed_at")
    return conn.execute(
        "SELECT t.method, s.currency, count(*) AS count, sum(t.amount) AS amount, sum(t.rounding) AS rounding"  # noqa: S608
        " FROM book_sales s CROSS JOIN LATERAL jsonb_to_recordset(s.tenders)"
        " AS t(n integer, method text, amount bigint, rounding bigint)"
        f" WHERE {where} GROUP BY 1, 2 ORDER BY 4 DESC, 1",
        args,
    ).fetchall()


def refunds_by_tender(conn: Connection, scope: Scope) -> list[dict[str, Any]]:
    """What refunds and returns without a receipt gave back per tender (`store_credit` on a
    new card; `original` for an older till's refund, which did not say which tender)."""
    where, args = scope.where("r", "at")
    return conn.execute(
        "SELECT t.method, r.currency, sum(t.amount) AS refunded, sum(t.rounding) AS refund_rounding"  # noqa: S608
        " FROM book_refunds r CROSS JOIN LATERAL jsonb_to_recordset(coalesce(r.tenders, jsonb_build_array("
        "jsonb_build_object('method', CASE r.refund_to WHEN 'gift_card' THEN 'store_credit' ELSE r.refund_to END,"
        " 'amount', r.amount, 'rounding', r.rounding)))) AS t(method text, amount bigint, rounding bigint)"
        f" WHERE {where} GROUP BY 1, 2",
        args,
    ).fetchall()


def top_products(conn: Connection, scope: Scope, limit: int) -> list[dict[str, Any]]:
    where, args = scope.where("s", "completed_at")
    return conn.execute(
        "SELECT l.sku, s.currency, sum(l.quantity) AS quantity, sum(l.unit_price * l.quantity - l.discount) AS amount"  # noqa: S608
        " FROM book_sales s CROSS JOIN LATERAL jsonb_to_recordset(s.lines)"
        " AS l(line_no integer, sku text, quantity bigint, unit_price bigint, discount bigint)"
        f" WHERE {where} GROUP BY 1, 2 ORDER BY 4 DESC, 3 DESC, 1 LIMIT %(limit)s",
        {**args, "limit": limit},
    ).fetchall()


def z_reports(conn: Connection, scope: Scope) -> list[dict[str, Any]]:
    """The Z reports of the shifts closed in the scope, oldest first."""
    where, args = scope.where("z", "closed_at")
    return conn.execute(
        f"SELECT z.store, z.till, z.shift_id, z.opened_at, z.closed_at, z.currency, z.z FROM book_shifts z"  # noqa: S608
        f" WHERE z.z IS NOT NULL AND {where} ORDER BY z.closed_at, z.store, z.till",
        args,
    ).fetchall()


# -- the day check ------------------------------------------------------------------------------


def shift_takings(conn: Connection, store: str, till: str, shift_id: int, start: str, until: str) -> dict[str, Any]:
    """What the office holds of one lane from `start` to `until` (both included, as the Z
    counts them): the sales' total and tax, the tenders, refunds, returns and cash moved."""
    window = {"store": store, "till": till, "start": start, "until": until, "shift": shift_id}
    sales = conn.execute(
        "SELECT count(*) AS count, coalesce(sum(total), 0) AS total, coalesce(sum(tax), 0) AS tax,"
        " coalesce(sum(gift_cards), 0) AS gift_cards, coalesce(sum(gift_card_count), 0) AS gift_card_count,"
        " count(*) FILTER (WHERE gift_cards IS NULL) AS unsaid, coalesce(sum(cash_rounding), 0) AS cash_rounding"
        " FROM book_sales WHERE store = %(store)s AND till = %(till)s AND completed_at BETWEEN %(start)s AND %(until)s",
        window,
    ).fetchone()
    tenders = conn.execute(
        "SELECT t.method, count(*) AS count, sum(t.amount) AS amount FROM book_sales s"
        " CROSS JOIN LATERAL jsonb_to_recordset(s.tenders) AS t(method text, amount bigint)"
        " WHERE s.store = %(store)s AND s.till = %(till)s"
        " AND s.completed_at BETWEEN %(start)s AND %(until)s GROUP BY t.method",
        window,
    ).fetchall()
    refunds = conn.execute(
        "SELECT receipted, count(*) AS count, sum(amount) AS amount, sum(coalesce(gift_cards, 0)) AS gift_cards,"
        " sum(rounding) AS rounding, count(*) FILTER (WHERE tenders IS NULL) AS unsaid,"
        " sum(CASE WHEN receipted THEN (SELECT coalesce(sum(t.amount), 0) FROM jsonb_to_recordset(tenders)"
        "  AS t(method text, amount bigint) WHERE t.method = 'cash') WHEN refund_to = 'cash' THEN amount ELSE 0 END)"
        " AS cash FROM book_refunds"
        " WHERE store = %(store)s AND till = %(till)s AND at BETWEEN %(start)s AND %(until)s GROUP BY receipted",
        window,
    ).fetchall()
    moved = conn.execute(
        "SELECT kind, sum(amount) AS amount FROM book_cash_moves"
        " WHERE store = %(store)s AND till = %(till)s AND shift_id = %(shift)s GROUP BY kind",
        window,
    ).fetchall()
    return {"sales": sales, "tenders": tenders, "refunds": refunds, "moved": moved}


def outside_any_z(conn: Connection, store: str, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    """Per lane, the sales and refunds of the period that no Z the office holds counts yet."""
    args = {"store": store, "start": start, "end": end}
    return conn.execute(
        "WITH loose AS ("
        " SELECT s.till, 1 AS sales, s.total AS amount, 0 AS refunds FROM book_sales s"
        " WHERE s.store = %(store)s AND s.completed_at >= %(start)s AND s.completed_at < %(end)s"
        " AND NOT EXISTS (SELECT 1 FROM book_shifts z WHERE z.store = s.store AND z.till = s.till"
        "  AND z.z IS NOT NULL AND s.completed_at BETWEEN z.opened_at AND z.closed_at)"
        " UNION ALL"
        " SELECT r.till, 0, 0, r.amount FROM book_refunds r"
        " WHERE r.store = %(store)s AND r.at >= %(start)s AND r.at < %(end)s"
        " AND NOT EXISTS (SELECT 1 FROM book_shifts z WHERE z.store = r.store AND z.till = r.till"
        "  AND z.z IS NOT NULL AND r.at BETWEEN z.opened_at AND z.closed_at))"
        " SELECT till, sum(sales) AS sales, sum(amount) AS total, sum(refunds) AS refunds FROM loose"
        " GROUP BY till ORDER BY till",
        args,
    ).fetchall()


def open_shifts(conn: Connection, store: str, before: dt.datetime) -> list[dict[str, Any]]:
    """Shifts opened before `before` whose Z the office does not hold."""
    return conn.execute(
        "SELECT till, shift_id, opened_at FROM book_shifts WHERE store = %s AND z IS NULL AND opened_at < %s"
        " ORDER BY till, shift_id",
        (store, before),
    ).fetchall()


def lanes_behind(conn: Connection, store: str) -> list[dict[str, Any]]:
    """The store's lanes that have written events the office does not hold (a backlog not
    sent yet, or a gap): their days may not be whole."""
    return conn.execute(
        "SELECT till, acked_seq, last_seq, till_last_seq FROM lanes WHERE store = %s"
        " AND (acked_seq < last_seq OR acked_seq < till_last_seq) ORDER BY till",
        (store,),
    ).fetchall()


def lanes_of(conn: Connection, store: str) -> list[str]:
    return [str(r["till"]) for r in conn.execute("SELECT till FROM lanes WHERE store = %s ORDER BY till", (store,))]


def store_exists(conn: Connection, store: str) -> bool:
    return conn.execute("SELECT 1 FROM stores WHERE name = %s", (store,)).fetchone() is not None


# -- the journal --------------------------------------------------------------------------------

_ACCOUNT = (
    "CASE t.method WHEN 'cash' THEN 'Cash' WHEN 'card' THEN 'Card clearing' WHEN 'gift_card'"
    " THEN 'Gift card liability' WHEN 'loyalty' THEN 'Loyalty points redeemed' ELSE 'Tender: ' || t.method END"
)


# Where a refund's money went: the tender its lane names; a return without a receipt's
# `refund_to` (cash, gift_card: store credit); a refund from a till that did not say, to
# "Refunds paid" (`original`: the sale's tenders, unknown which).
_REFUND_ACCOUNT = (
    "CASE t.method WHEN 'cash' THEN 'Cash' WHEN 'card' THEN 'Card clearing' WHEN 'gift_card'"
    " THEN 'Gift card liability' WHEN 'store_credit' THEN 'Gift card liability' WHEN 'loyalty'"
    " THEN 'Loyalty points redeemed' WHEN 'original' THEN 'Refunds paid' ELSE 'Tender: ' || t.method END"
)


def journal(conn: Connection, scope: Scope) -> list[dict[str, Any]]:
    """The journal's lines per store, day and account, in one grouped query: tenders debited;
    sales before tax and each tax credited; refunds and returns the other way round; cash
    rounding, paid in and out, and the drawers' over/short from their Z reports."""
    sales, args = scope.where("s", "completed_at")
    backs, _ = scope.where("r", "at")
    moves, _ = scope.where("m", "at")
    zs, _ = scope.where("z", "closed_at")
    day = "(({a}.{c}) AT TIME ZONE %(zone)s)::date"
    sql = f"""
    WITH lines (store, day, account, debit, credit, memo) AS (
      SELECT s.store, {day.format(a="s", c="completed_at")}, {_ACCOUNT}, t.amount, 0, t.method || ' taken'
        FROM book_sales s CROSS JOIN LATERAL jsonb_to_recordset(s.tenders) AS t(method text, amount bigint)
       WHERE {sales}
      UNION ALL
      SELECT s.store, {day.format(a="s", c="completed_at")}, 'Sales', 0, s.total - s.tax - {_CARDS},
             'sales before tax'
        FROM book_sales s WHERE {sales}
      UNION ALL
      SELECT s.store, {day.format(a="s", c="completed_at")}, 'Gift card liability', 0, {_CARDS},
             'gift cards sold (liability)'
        FROM book_sales s WHERE {sales}
      UNION ALL
      SELECT s.store, {day.format(a="s", c="completed_at")}, 'Tax payable: ' || x.name, 0, x.amount,
             x.name || ' collected'
        FROM book_sales s CROSS JOIN LATERAL jsonb_to_recordset(s.taxes) AS x(name text, amount bigint)
       WHERE {sales}
      UNION ALL
      SELECT s.store, {day.format(a="s", c="completed_at")}, a.account, greatest(a.v, 0), greatest(-a.v, 0),
             'cash rounding'
        FROM book_sales s CROSS JOIN LATERAL (VALUES ('Cash', s.cash_rounding), ('Cash rounding', -s.cash_rounding))
             AS a(account, v) WHERE {sales}
      UNION ALL
      SELECT r.store, {day.format(a="r", c="at")}, a.account, a.debit, a.credit, a.memo
        FROM book_refunds r CROSS JOIN LATERAL (VALUES
             ('Sales returns', r.amount - r.tax - coalesce(r.gift_cards, 0), 0, 'refunds before tax'),
             ('Gift card liability', coalesce(r.gift_cards, 0), 0, 'gift cards returned'),
             ('Tax refunded', r.tax, 0, 'tax given back on refunds')) AS a(account, debit, credit, memo)
       WHERE {backs}
      UNION ALL
      SELECT r.store, {day.format(a="r", c="at")}, {_REFUND_ACCOUNT}, 0, t.amount, t.method || ' refunded'
        FROM book_refunds r CROSS JOIN LATERAL jsonb_to_recordset(coalesce(r.tenders,
             jsonb_build_array(jsonb_build_object('method', r.refund_to, 'amount', r.amount))))
             AS t(method text, amount bigint)
       WHERE {backs}
      UNION ALL
      SELECT r.store, {day.format(a="r", c="at")}, a.account, greatest(a.v, 0), greatest(-a.v, 0), 'cash rounding'
        FROM book_refunds r CROSS JOIN LATERAL (VALUES ('Cash', -r.rounding), ('Cash rounding', r.rounding))
             AS a(account, v) WHERE {backs}
      UNION ALL
      SELECT m.store, {day.format(a="m", c="at")}, a.account, a.debit, a.credit, m.kind
        FROM book_cash_moves m CROSS JOIN LATERAL (VALUES
             ('Cash', CASE m.kind WHEN 'paid_in' THEN m.amount ELSE 0 END,
                      CASE m.kind WHEN 'paid_out' THEN m.amount ELSE 0 END),
             (CASE m.kind WHEN 'paid_in' THEN 'Paid in' ELSE 'Paid out' END,
                      CASE m.kind WHEN 'paid_out' THEN m.amount ELSE 0 END,
                      CASE m.kind WHEN 'paid_in' THEN m.amount ELSE 0 END)) AS a(account, debit, credit)
       WHERE {moves}
      UNION ALL
      SELECT z.store, {day.format(a="z", c="closed_at")}, a.account, greatest(a.v, 0), greatest(-a.v, 0),
             'drawer counted against expected'
        FROM book_shifts z
        CROSS JOIN LATERAL (SELECT CASE jsonb_typeof(z.z->'variance') WHEN 'number'
             THEN (z.z->>'variance')::numeric::bigint ELSE 0 END AS variance) AS counted
        CROSS JOIN LATERAL (VALUES ('Cash', counted.variance), ('Cash over/short', -counted.variance)) AS a(account, v)
       WHERE z.z IS NOT NULL AND {zs}
    )
    SELECT store, day::text AS date, account, sum(debit)::bigint AS debit, sum(credit)::bigint AS credit,
           string_agg(DISTINCT memo, '; ' ORDER BY memo) AS memo
      FROM lines GROUP BY store, day, account HAVING sum(debit) <> 0 OR sum(credit) <> 0
     ORDER BY store, day, account
    """  # noqa: S608
    return conn.execute(sql, args).fetchall()
