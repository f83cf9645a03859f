"""The report queries rewritten for speed (issue 18) give what the queries they replaced
gave, on a varied store: a Toronto store (daylight saving ends on 2 November 2025 and
starts on 8 March 2026), sales stamped on both sides of local midnights, of quarter hours
and of the calendar quarters' ends; three taxes at four rates and exempt sales; cash
rounding both ways; voided lines; cancelled, open and parked sales (a parked sale completes
days after sales opened later, so ids and completion times disagree); gift card loads;
refunds; and a few sales sold through the till service itself.

"Before" is the SQL the reports ran until migration 0032, kept here verbatim as the
reference; the sums kept per quarter hour must equal the sales they are kept from, whether
the triggers wrote them at completion or the migration rebuilt them."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from importlib import resources
from typing import Any

import pytest

from appliance.app.domain import report as rules
from appliance.app.services import auth, catalog, reports, sales, users
from appliance.app.services.setup import NewStore, init_store
from appliance.app.services.shop import Shop, iso
from appliance.app.store import products_sold
from appliance.app.store import reports as q
from tests.conftest import CATALOG, PASSWORD, set_cash_needs_shift

TORONTO = "America/Toronto"
TAXES = (("GST", "5"), ("PST", "8"), ("HST", "13"), ("QST", "9.975"))
METHODS = ("cash", "card", "gift_card", "loyalty")
# Whole local days around both daylight saving changes and two calendar quarter ends, and
# periods given to the second, whose ends cut quarter hours (read from the sales themselves).
PERIODS = (
    ("2025-10-31", "2025-11-04"),
    ("2026-03-06", "2026-03-10"),
    ("2025-12-30", "2026-01-02"),
    ("2026-03-30", "2026-04-01"),
    ("2025-11-01T22:07:13-04:00", "2025-11-02T04:07:00-05:00"),
    ("2026-03-07T23:29:59.500000-05:00", "2026-03-08T12:37:00-04:00"),
    ("2025-12-31T23:29:59.500000-05:00", "2025-12-31T23:31:00-05:00"),  # inside one quarter hour
)
PRODUCTS = 40

OLD_QUARTER = "substr({col}, 1, 14) || (CAST(substr({col}, 15, 2) AS INTEGER) / 15)"
OLD_SALES = (
    f"SELECT {OLD_QUARTER.format(col='completed_at')}, count(*), sum(subtotal), sum(tax), sum(total), "
    "sum(cash_rounding) FROM sales WHERE status = 'completed' AND completed_at >= ? AND completed_at < ? GROUP BY 1"
)
OLD_DETAIL = (
    f"SELECT {OLD_QUARTER.format(col='s.completed_at')}, t.{{key}}, sum(t.amount) FROM sales s "
    "INDEXED BY sales_completed JOIN {table} t ON t.sale_id = s.id "
    "WHERE s.status = 'completed' AND s.completed_at >= ? AND s.completed_at < ? GROUP BY 1, 2"
)
OLD_SOLD = (
    "SELECT l.product_id, sum(l.quantity), sum(l.quantity * l.unit_price) FROM sale_lines l "
    "JOIN sales s ON s.id = l.sale_id WHERE s.status = 'completed' AND s.completed_at >= ? AND s.completed_at < ? "
    "AND l.voided = 0 GROUP BY 1"
)
OLD_CARD_PRODUCTS = (
    "SELECT DISTINCT l.product_id FROM gift_card_pending g "
    "CROSS JOIN sale_lines l ON l.sale_id = g.sale_id AND l.line_no = g.line_no"
)


def _moments(rng: random.Random) -> list[dt.datetime]:
    """Times on both sides of each hour and quarter hour of the periods, and between."""
    out = []
    for first in ("2025-10-31", "2025-12-30", "2026-03-06", "2026-03-30"):
        start = dt.datetime.fromisoformat(first).replace(tzinfo=dt.UTC)
        for quarter in range(0, 4 * 24 * 5, 3):
            at = start + dt.timedelta(minutes=15 * quarter)
            out += [at, at - dt.timedelta(microseconds=1), at + dt.timedelta(seconds=rng.randint(1, 899))]
    return out


def _sell(tx: Any, rng: random.Random, n: int, at: str, cashier: int, card_product: int) -> None:
    """One sale written in the order the till writes it: opened with its lines, paid, then
    completed (or not) and only then its taxes."""
    status = "completed" if n % 11 else rng.choice(["cancelled", "open"])
    tx.execute(
        "INSERT INTO sales(id, terminal_id, status, cashier_id, currency, prices_include_tax, opened_at) "
        "VALUES (?, 'T01', 'open', ?, 'CAD', 0, ?)",
        (n, cashier, at),
    )
    subtotal = 0
    for line in range(1, rng.randint(1, 4) + 1):
        product = 1000 + rng.randint(1, PRODUCTS - 1)
        price, qty, voided = rng.randint(0, 2000), rng.randint(1, 3), int(rng.random() < 0.1)
        tx.execute(
            "INSERT INTO sale_lines(sale_id, line_no, product_id, sku, name, unit_price, quantity, tax_class, "
            "voided, voided_by) VALUES (?, ?, ?, 'X', 'X', ?, ?, 'standard', ?, ?)",
            (n, line, product, price, qty, voided, cashier if voided and line % 2 else None),
        )
        subtotal += 0 if voided else price * qty
    if n % 23 == 0:  # a gift card loaded on the sale: its product sells nothing on any report
        card = tx.execute(
            "INSERT INTO gift_cards(code, status, balance, currency, created_at) VALUES (?, 'active', 0, 'CAD', ?)",
            (f"CARD{n:012d}", at),
        ).lastrowid
        tx.execute(
            "INSERT INTO sale_lines(sale_id, line_no, product_id, sku, name, unit_price, quantity, tax_class) "
            "VALUES (?, 9, ?, 'CARD', 'Gift card', 2500, 1, 'exempt')",
            (n, card_product),
        )
        tx.execute(
            "INSERT INTO gift_card_pending(sale_id, line_no, card_id, kind, amount) VALUES (?, 9, ?, 'issue', 2500)",
            (n, card),
        )
    taxes = [(name, rate, subtotal, subtotal * rng.randint(0, 15) // 100) for name, rate in rng.sample(TAXES, 2)]
    if n % 7 == 0:
        taxes = []  # exempt
    tax = sum(t[3] for t in taxes)
    rounding = rng.choice([-2, -1, 0, 1, 2])
    for method in rng.sample(METHODS, rng.randint(1, 2)):
        tx.execute(
            "INSERT INTO payments(sale_id, method, amount, tendered, change, rounding, details, created_at, user_id) "
            "VALUES (?, ?, ?, 0, 0, ?, '{}', ?, ?)",
            (n, method, rng.randint(1, 5000), rounding if method == "cash" else 0, at, cashier),
        )
    if status == "open":
        return
    if status == "cancelled":
        tx.execute("UPDATE sales SET status = 'cancelled' WHERE id = ?", (n,))
        return
    # One sale in 13 was parked and completed a day and a half later.
    done = iso(rules.parse(at) + dt.timedelta(hours=36)) if n % 13 == 0 else at
    tx.execute(
        "UPDATE sales SET status = 'completed', receipt_no = ?, completed_at = ?, subtotal = ?, tax = ?, total = ?, "
        "cash_rounding = ? WHERE id = ?",
        (n, done, subtotal, tax, subtotal + tax, rounding, n),
    )
    tx.executemany(
        "INSERT INTO sale_taxes(sale_id, name, rate, base, amount) VALUES (?, ?, ?, ?, ?)",
        [(n, *t) for t in taxes],
    )
    if n % 19 == 0:
        refund = tx.execute(
            "INSERT INTO refunds(sale_id, user_id, reason, amount, tax, created_at) VALUES (?, ?, 'test', ?, 0, ?)",
            (n, cashier, subtotal // 2, done),
        ).lastrowid
        payment = tx.execute("SELECT min(id) FROM payments WHERE sale_id = ?", (n,)).fetchone()[0]
        tx.execute(
            "INSERT INTO refund_tenders(refund_id, payment_id, method, amount, rounding) VALUES (?, ?, 'cash', ?, 1)",
            (refund, payment, subtotal // 2),
        )


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    """Built once for the module: the tests read it, and the two that write keep what they check."""
    shop, _ = init_store(
        tmp_path_factory.mktemp("queries") / "data", NewStore(store_name="Toronto Market", timezone=TORONTO)
    )
    set_cash_needs_shift(shop, False)
    users.add_user(shop, None, "manager", "manager", PASSWORD)
    catalog.import_csv(shop, None, CATALOG)
    rng = random.Random(18)
    conn = shop.db.conn
    cashier = conn.execute("SELECT id FROM users WHERE username = 'manager'").fetchone()[0]
    with shop.db.transaction() as tx:
        now = iso(shop.clock())
        tx.executemany(
            "INSERT INTO products(id, sku, name, price, tax_class, stock_on_hand, created_at, updated_at) "
            "VALUES (?, ?, ?, 100, 'standard', ?, ?, ?)",
            [(1000 + i, f"P{i:03d}", f"Product {i}", rng.randint(-2, 50), now, now) for i in range(1, PRODUCTS + 1)],
        )
        tx.execute("UPDATE products SET active = 0 WHERE id = 1003")
        tx.execute("UPDATE products SET stock_tracked = 0 WHERE id = 1004")
        tx.execute("INSERT OR IGNORE INTO terminals(id, next_receipt) VALUES ('T01', 1)")
    with shop.db.transaction() as tx:
        for n, moment in enumerate(_moments(rng), start=1):
            _sell(tx, rng, 100_000 + n, iso(moment), cashier, 1000 + PRODUCTS)
    # And through the till itself: the sums move in the sale's own completing transaction.
    manager = auth.login(shop, "manager", PASSWORD, "127.0.0.1").actor
    for minutes in (0, 14, 15, 29, 30):
        shop.clock = lambda m=minutes: dt.datetime(2026, 3, 8, 6, m, 30, tzinfo=dt.UTC)
        sale = sales.open_sale(shop, manager)
        sales.add_item(shop, manager, sale["id"], sku="MLK", quantity=3)
        sales.add_item(shop, manager, sale["id"], sku="BRD")
        sales.pay_cash(shop, manager, sale["id"], 5000)
    yield shop
    shop.close()


def _old_by_day(shop: Shop, sql: str, p: rules.Period, width: int) -> dict[tuple[str, str], list[int]]:
    rows = shop.db.conn.execute(sql, p.bounds).fetchall()
    return {k: v for k, v in rules.by_day(rows, p.zone, width).items() if any(v)}


def _period(shop: Shop, start: str, end: str) -> rules.Period:
    return reports.period(shop, start, end)


@pytest.mark.parametrize(("start", "end"), PERIODS)
def test_sales_per_day_are_the_quarter_hours_placed_on_the_store_s_days(shop: Shop, start: str, end: str) -> None:
    p = _period(shop, start, end)
    old_rows = [(r[0], "", *tuple(r)[1:]) for r in shop.db.conn.execute(OLD_SALES, p.bounds)]
    before = {day: sums for (day, _), sums in rules.by_day(old_rows, p.zone, 5).items()}
    after = {day: sums for day, sums in q.sales_by_day(shop.db.conn, rules.spans(p.days())) if any(sums)}
    assert after == before
    assert sum(v[0] for v in after.values()) > 0


@pytest.mark.parametrize(("start", "end"), PERIODS)
def test_tax_and_tender_sums_per_day_are_those_of_the_sales(shop: Shop, start: str, end: str) -> None:
    p = _period(shop, start, end)
    whole, pieces = rules.in_quarters(p.days())
    if "T" in start:  # both ends of these periods cut a quarter hour in which sales completed
        assert pieces and all(_completed(shop, lo, hi) for _, lo, hi in pieces)
    for key, table, read in (("name", "sale_taxes", q.taxes_by_day), ("method", "payments", q.payments_by_day)):
        before = _old_by_day(shop, OLD_DETAIL.format(key=key, table=table), p, 1)
        after = {k: v for k, v in rules.day_sums(read(shop.db.conn, whole, pieces), 1).items() if any(v)}
        assert after == before, table
        assert after


def _completed(shop: Shop, start: str, end: str) -> int:
    sql = "SELECT count(*) FROM sales WHERE status = 'completed' AND completed_at >= ? AND completed_at < ?"
    return int(shop.db.conn.execute(sql, (start, end)).fetchone()[0])


def _old_sold(shop: Shop, p: rules.Period) -> dict[int, list[int]]:
    conn = shop.db.conn
    cards = {r[0] for r in conn.execute(OLD_CARD_PRODUCTS)}
    return {r[0]: [r[1], r[2]] for r in conn.execute(OLD_SOLD, p.bounds) if r[0] not in cards and (r[1] or r[2])}


@pytest.mark.parametrize(("start", "end"), PERIODS)
@pytest.mark.parametrize("limit", [1, 5, 500])
def test_top_and_slow_products_rank_as_before(shop: Shop, start: str, end: str, limit: int) -> None:
    p = _period(shop, start, end)
    sold = _old_sold(shop, p)
    top = sorted(sold.items(), key=lambda kv: (-kv[1][1], kv[0]))[:limit]
    assert [tuple(r) for r in products_sold.top_sold(shop.db.conn, p.bounds, limit)] == [(k, *v) for k, v in top]
    stocked = shop.db.conn.execute("SELECT id, stock_on_hand FROM products WHERE active AND stock_tracked").fetchall()
    ranked = sorted(stocked, key=lambda r: (sold.get(r[0], [0, 0])[0], -r[1], r[0]))[:limit]
    expected = [(r[0], *sold.get(r[0], [0, 0])) for r in ranked]
    assert [tuple(r) for r in products_sold.least_sold(shop.db.conn, p.bounds, limit)] == expected


KEPT = {
    "sale_tax_quarters": (
        f"SELECT {OLD_QUARTER.format(col='s.completed_at')}, t.name, t.rate, sum(t.base), sum(t.amount) "
        "FROM sales s JOIN sale_taxes t ON t.sale_id = s.id WHERE s.status = 'completed' GROUP BY 1, 2, 3"
    ),
    "payment_quarters": (
        f"SELECT {OLD_QUARTER.format(col='s.completed_at')}, p.method, count(*), sum(p.amount) "
        "FROM sales s JOIN payments p ON p.sale_id = s.id WHERE s.status = 'completed' GROUP BY 1, 2"
    ),
}


def _kept(shop: Shop, table: str) -> set[tuple[Any, ...]]:
    rows = shop.db.conn.execute(f"SELECT * FROM {table}").fetchall()
    return {tuple(r) for r in rows if any(tuple(r)[2:])}


def _raw(shop: Shop, table: str) -> set[tuple[Any, ...]]:
    return {tuple(r) for r in shop.db.conn.execute(KEPT[table])}


def test_the_sums_kept_per_quarter_are_those_of_the_sales(shop: Shop) -> None:
    for table in KEPT:
        assert _kept(shop, table) == _raw(shop, table)
        assert len(_kept(shop, table)) > 100


def test_a_sale_completed_at_the_till_is_in_the_kept_sums_at_once(shop: Shop) -> None:
    manager = auth.login(shop, "manager", PASSWORD, "127.0.0.1").actor
    shop.clock = lambda: dt.datetime(2026, 6, 1, 12, 7, tzinfo=dt.UTC)
    sale = sales.open_sale(shop, manager)
    sales.add_item(shop, manager, sale["id"], sku="APL", quantity=2)
    sales.pay_cash(shop, manager, sale["id"], 1000)
    kept = shop.db.conn.execute("SELECT method, count, amount FROM payment_quarters WHERE quarter = '2026-06-01T12:0'")
    assert [tuple(r) for r in kept] == [("cash", 1, 250 + 13 + 25)]
    taxes = shop.db.conn.execute("SELECT name, amount FROM sale_tax_quarters WHERE quarter = '2026-06-01T12:0'")
    assert sorted(tuple(r) for r in taxes) == [("GST", 13), ("QST", 25)]
    for table in KEPT:
        assert _kept(shop, table) == _raw(shop, table)


def test_the_migration_rebuilds_the_sums_of_an_existing_store(shop: Shop) -> None:
    """A store with sales before 0032: its rebuild statements give the sums the triggers keep."""
    sql = (resources.files("appliance.app.store") / "migrations" / "0032_report_quarters.sql").read_text()
    rebuild = [s.strip() for s in sql.split(";\n") if s.lstrip("\n").startswith("INSERT INTO")]
    assert len(rebuild) == len(KEPT)
    with shop.db.transaction() as tx:
        for table in KEPT:
            tx.execute(f"DELETE FROM {table}")
        for statement in rebuild:
            tx.execute(statement)
    for table in KEPT:
        assert _kept(shop, table) == _raw(shop, table)
