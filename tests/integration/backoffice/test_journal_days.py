"""The journal's tax and tender lines come from one grouped query for the whole period; they
must fall on the same local days as reading each day on its own did. A Toronto store
(daylight saving ends on 2 November 2025 and starts on 8 March 2026), sales stamped on
both sides of local midnight around both changes, and a cancelled and an open sale whose
payments and taxes must count on no day."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.app.services import auth, reports, users
from appliance.app.services.setup import NewStore, init_store
from appliance.app.services.shop import Shop, iso
from appliance.app.store import reports as q
from tests.conftest import PASSWORD

TORONTO = "America/Toronto"
PERIODS = (("2025-10-31", "2025-11-04"), ("2026-03-06", "2026-03-10"))


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Shop]:
    shop, _ = init_store(tmp_path / "data", NewStore(store_name="Toronto Market", timezone=TORONTO))
    users.add_user(shop, None, "manager", "manager", PASSWORD)
    _sales(shop)
    yield shop
    shop.close()


def _moments() -> list[dt.datetime]:
    """Times around each local midnight (EDT then EST, EST then EDT) and the changes themselves."""
    rng = random.Random(5)
    out = []
    for first, _ in PERIODS:
        start = dt.datetime.fromisoformat(first).replace(tzinfo=dt.UTC)
        for hours in range(0, 5 * 24, 1):
            hour = start + dt.timedelta(hours=hours)
            out += [hour, hour - dt.timedelta(seconds=1), hour + dt.timedelta(minutes=rng.randint(0, 59))]
    return out


def _sales(shop: Shop) -> None:
    rng = random.Random(7)
    cashier = shop.db.conn.execute("SELECT id FROM users WHERE username = 'manager'").fetchone()[0]
    with shop.db.transaction() as tx:
        tx.execute("INSERT OR IGNORE INTO terminals(id, next_receipt) VALUES ('T01', 1)")
        for n, moment in enumerate(_moments(), start=1):
            status = "completed" if n % 17 else rng.choice(["cancelled", "open"])
            at = iso(moment)
            tx.execute(
                "INSERT INTO sales(id, terminal_id, status, cashier_id, currency, prices_include_tax, receipt_no, "
                "opened_at, completed_at, subtotal, tax, total) VALUES (?, 'T01', ?, ?, 'CAD', 0, ?, ?, ?, ?, ?, ?)",
                (n, status, cashier, n, at, at if status == "completed" else None, 1000, 150, 1150),
            )
            for name, rate in (("GST", "5"), ("QST", "9.975")):
                tx.execute(
                    "INSERT INTO sale_taxes(sale_id, name, rate, base, amount) VALUES (?, ?, ?, 1000, ?)",
                    (n, name, rate, rng.randint(1, 150)),
                )
            for method in rng.sample(["cash", "card", "gift_card"], rng.randint(1, 2)):
                tx.execute(
                    "INSERT INTO payments(sale_id, method, amount, tendered, change, details, created_at, user_id) "
                    "VALUES (?, ?, ?, ?, 0, '{}', ?, ?)",
                    (n, method, rng.randint(1, 900), 0, at, cashier),
                )


def _day_by_day(shop: Shop, p: reports.Period) -> list[tuple[str, str, int, int, str]]:
    """The tax and tender lines as the journal read them before: three statements a day."""
    out = []
    for day, begin, finish in p.days():
        bounds = (iso(begin), iso(finish))
        for name, (amount,) in q.detail_sums(shop.db.conn, "sale_taxes", "name", "sum(amount)", bounds).items():
            out.append((day, f"Tax payable: {name}", 0, amount, f"{name} collected"))
        for method, (_, amount) in q.payments_by_method(shop.db.conn, bounds).items():
            out.append((day, reports.TENDER_ACCOUNTS.get(method, method), amount, 0, f"{method} taken"))
    return out


@pytest.mark.parametrize(("start", "end"), PERIODS)
def test_tax_and_tender_lines_fall_on_the_local_day_across_daylight_saving(shop: Shop, start: str, end: str) -> None:
    manager = auth.login(shop, "manager", PASSWORD, "127.0.0.1").actor
    p = reports.period(shop, start, end)
    journal = reports.journal(shop, manager, p)
    booked = [
        (r["date"], r["account"], r["debit"], r["credit"], r["memo"])
        for r in journal["rows"]
        if r["account"].startswith("Tax payable") or r["memo"].endswith(" taken")
    ]
    expected = _day_by_day(shop, p)
    assert sorted(booked) == sorted(expected)
    assert {d for d, *_ in expected} == {d for d, _, _ in p.days()}  # every day of the period has sales
