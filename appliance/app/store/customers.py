"""Customers' rows, the sale each is named on (`sale_customers`), and their points: the
balance, the ledger (`loyalty_entries`) and what refunds took back (`loyalty_take_backs`)."""

from __future__ import annotations

from typing import Any

from appliance.app.store.db import Connection


def on_a_recent_sale(conn: Connection, customer_id: int, terminal_id: str, since: str) -> bool:
    """Whether the customer is named on a sale opened at `terminal_id` since `since`."""
    row = conn.execute(
        "SELECT 1 FROM sale_customers c JOIN sales s ON s.id = c.sale_id "
        "WHERE c.customer_id = ? AND s.terminal_id = ? AND s.opened_at >= ? LIMIT 1",
        (customer_id, terminal_id, since),
    ).fetchone()
    return row is not None


def add_points(conn: Connection, customer_id: int, points: int) -> None:
    """Adds `points` to a customer's balance (negative takes them off, unchecked)."""
    conn.execute("UPDATE customers SET points = points + ? WHERE id = ?", (points, customer_id))


def add_entry(
    conn: Connection,
    customer_id: int,
    kind: str,
    points: int,
    at: str,
    *,
    sale_id: int | None = None,
    payment_id: int | None = None,
    user_id: int | None = None,
    reason: str = "",
) -> None:
    """One line of a customer's points ledger (`loyalty_entries`): earn, redeem or adjust."""
    conn.execute(
        "INSERT INTO loyalty_entries(customer_id, kind, points, sale_id, payment_id, user_id, reason, at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (customer_id, kind, points, sale_id, payment_id, user_id, reason, at),
    )


def on_sale(conn: Connection, sale_id: int) -> dict[str, Any] | None:
    """The sale's customer (id, name, points, points_owed) and the points this sale earned them."""
    row = conn.execute(
        "SELECT c.id, c.name, c.points, c.points_owed, "
        "(SELECT coalesce(sum(e.points), 0) FROM loyalty_entries e WHERE e.sale_id = s.sale_id AND e.kind = 'earn' "
        "AND e.customer_id = c.id) AS earned "
        "FROM sale_customers s JOIN customers c ON c.id = s.customer_id WHERE s.sale_id = ?",
        (sale_id,),
    ).fetchone()
    return dict(row) if row is not None else None


def by_id(conn: Connection, customer_id: int) -> Any:
    """The customer (a row), or None."""
    return conn.execute("SELECT * FROM customers WHERE id = ?", (customer_id,)).fetchone()


def insert(
    conn: Connection,
    name: str,
    email: str | None,
    phone: str | None,
    consent: int,
    loyalty_card: str | None,
    now: str,
    chain_id: str | None = None,
) -> int:
    """A new customer; IntegrityError when another has that email, phone or loyalty card."""
    cur = conn.execute(
        "INSERT INTO customers(name, email, phone, consent, loyalty_card, created_at, updated_at, chain_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (name, email, phone, consent, loyalty_card, now, now, chain_id),
    )
    return int(cur.lastrowid)


def newest(conn: Connection, limit: int) -> list[Any]:
    return list(
        conn.execute("SELECT * FROM customers WHERE erased_at IS NULL ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
    )


def by_email(conn: Connection, email: str) -> list[Any]:
    return list(conn.execute("SELECT * FROM customers WHERE email = ? AND erased_at IS NULL", (email,)).fetchall())


def by_phone(conn: Connection, phone: str | None) -> list[Any]:
    return list(conn.execute("SELECT * FROM customers WHERE phone = ? AND erased_at IS NULL", (phone,)).fetchall())


def by_loyalty_card(conn: Connection, card: str) -> Any:
    """The live (not erased) customer holding `card`, or None."""
    return conn.execute("SELECT * FROM customers WHERE loyalty_card = ? AND erased_at IS NULL", (card,)).fetchone()


def card_shown(conn: Connection, sale_id: int, customer_id: int) -> bool:
    """Whether `customer_id` was named on the sale by a scan of their loyalty card."""
    row = conn.execute(
        "SELECT card_shown FROM sale_customers WHERE sale_id = ? AND customer_id = ?", (sale_id, customer_id)
    ).fetchone()
    return row is not None and bool(row[0])


def by_name(conn: Connection, like: str, limit: int) -> list[Any]:
    """Customers whose name, or a word of it, starts with `like` (a LIKE pattern, escaped with \\)."""
    return list(
        conn.execute(
            "SELECT * FROM customers WHERE erased_at IS NULL AND (name LIKE ? ESCAPE '\\' "
            "OR name LIKE ? ESCAPE '\\') ORDER BY name LIMIT ?",
            (like, "% " + like, limit),
        ).fetchall()
    )


UPDATABLE = frozenset({"name", "email", "phone", "consent", "loyalty_card"})


def update(conn: Connection, customer_id: int, changes: dict[str, object], now: str) -> None:
    """Sets the given fields (of UPDATABLE); IntegrityError when an email or phone is taken."""
    if not changes or not set(changes) <= UPDATABLE:
        raise ValueError(f"only {sorted(UPDATABLE)} change here")
    assignments = ", ".join(f"{k} = ?" for k in changes)  # keys checked against UPDATABLE above
    conn.execute(
        f"UPDATE customers SET {assignments}, updated_at = ? WHERE id = ?",  # noqa: S608
        (*changes.values(), now, customer_id),
    )


def erase(conn: Connection, customer_id: int, erased_name: str, now: str) -> None:
    """The person's data goes and their points with it; the record stays."""
    conn.execute(
        "UPDATE customers SET name = ?, email = NULL, phone = NULL, loyalty_card = NULL, consent = 0, points = 0, "
        "points_owed = 0, erased_at = ?, updated_at = ? WHERE id = ?",
        (erased_name, now, now, customer_id),
    )


def purchases(conn: Connection, customer_id: int, limit: int) -> list[Any]:
    """The customer's completed sales, newest first, with their live lines and the points earned."""
    return list(
        conn.execute(
            "SELECT s.id, s.terminal_id, s.receipt_no, s.completed_at, s.total, "
            "(SELECT count(*) FROM sale_lines l WHERE l.sale_id = s.id AND NOT l.voided) AS lines, "
            "coalesce((SELECT sum(points) FROM loyalty_entries e WHERE e.sale_id = s.id AND e.kind = 'earn'), 0) "
            "AS earned FROM sale_customers c JOIN sales s ON s.id = c.sale_id "
            "WHERE c.customer_id = ? AND s.status = 'completed' ORDER BY s.completed_at DESC LIMIT ?",
            (customer_id, limit),
        ).fetchall()
    )


def spend_points(conn: Connection, customer_id: int, points: int) -> bool:
    """Takes `points` off a balance that holds them; False when it does not (guarded in SQL:
    the balance never goes below zero, whoever else is paying)."""
    done = conn.execute(
        "UPDATE customers SET points = points - ? WHERE id = ? AND points >= ?", (points, customer_id, points)
    ).rowcount
    return bool(done == 1)


def add_owed(conn: Connection, customer_id: int, points: int) -> None:
    """Points a customer owes (taken back after they were spent); negative pays some off."""
    conn.execute("UPDATE customers SET points_owed = points_owed + ? WHERE id = ?", (points, customer_id))


def customer_of_sale(conn: Connection, sale_id: int) -> int | None:
    row = conn.execute("SELECT customer_id FROM sale_customers WHERE sale_id = ?", (sale_id,)).fetchone()
    return int(row[0]) if row is not None else None


def customer_row_of_sale(conn: Connection, sale_id: int) -> Any:
    """The sale's customer, with `card_shown`: whether their loyalty card was scanned."""
    return conn.execute(
        "SELECT c.*, s.card_shown FROM sale_customers s JOIN customers c ON c.id = s.customer_id WHERE s.sale_id = ?",
        (sale_id,),
    ).fetchone()


def attach(conn: Connection, sale_id: int, customer_id: int, *, replace: bool, card_shown: bool = False) -> None:
    """Names the sale's customer; with `replace`, over any named before (else the first stays).
    `card_shown`: named by a scan of their loyalty card (they may then spend points)."""
    if replace:
        conn.execute(
            "INSERT INTO sale_customers(sale_id, customer_id, card_shown) VALUES (?, ?, ?) "
            "ON CONFLICT(sale_id) DO UPDATE SET customer_id = excluded.customer_id, card_shown = excluded.card_shown",
            (sale_id, customer_id, int(card_shown)),
        )
    else:
        conn.execute(
            "INSERT INTO sale_customers(sale_id, customer_id, card_shown) VALUES (?, ?, ?) "
            "ON CONFLICT(sale_id) DO NOTHING",
            (sale_id, customer_id, int(card_shown)),
        )


def detach(conn: Connection, sale_id: int) -> None:
    conn.execute("DELETE FROM sale_customers WHERE sale_id = ?", (sale_id,))


def earned_on_sale(conn: Connection, sale_id: int, customer_id: int) -> int:
    return int(
        conn.execute(
            "SELECT coalesce(sum(points), 0) FROM loyalty_entries WHERE sale_id = ? AND customer_id = ? "
            "AND kind = 'earn'",
            (sale_id, customer_id),
        ).fetchone()[0]
    )


def taken_back(conn: Connection, sale_id: int) -> int:
    """Points the sale's refunds took back so far, taken or owed."""
    return int(
        conn.execute(
            "SELECT coalesce(sum(taken + owed), 0) FROM loyalty_take_backs WHERE sale_id = ?", (sale_id,)
        ).fetchone()[0]
    )


def add_take_back(conn: Connection, refund_id: int, sale_id: int, customer_id: int, taken: int, owed: int) -> None:
    conn.execute(
        "INSERT INTO loyalty_take_backs(refund_id, sale_id, customer_id, taken, owed) VALUES (?, ?, ?, ?, ?)",
        (refund_id, sale_id, customer_id, taken, owed),
    )


# -- what the office has not heard yet (customers_to_office, migration 0043) --------------------


def by_chain_id(conn: Connection, chain_id: str) -> Any:
    return conn.execute("SELECT * FROM customers WHERE chain_id = ?", (chain_id,)).fetchone()


def set_chain_id(conn: Connection, customer_id: int, chain_id: str) -> None:
    conn.execute("UPDATE customers SET chain_id = ? WHERE id = ? AND chain_id IS NULL", (chain_id, customer_id))


def queue_for_office(conn: Connection, customer_id: int) -> None:
    conn.execute(
        "INSERT INTO customers_to_office(customer_id) VALUES (?) "
        "ON CONFLICT(customer_id) DO UPDATE SET changes = changes + 1",
        (customer_id,),
    )


def for_office(conn: Connection, limit: int) -> list[Any]:
    """The customers waiting to go to the office, with the count of changes each had then."""
    return list(
        conn.execute(
            "SELECT q.changes, c.* FROM customers_to_office q JOIN customers c ON c.id = q.customer_id "
            "ORDER BY q.customer_id LIMIT ?",
            (limit,),
        ).fetchall()
    )


def office_took(conn: Connection, customer_id: int, changes: int) -> None:
    """The office has the customer as they were at `changes`; a change since stays queued."""
    conn.execute("DELETE FROM customers_to_office WHERE customer_id = ? AND changes = ?", (customer_id, changes))


def office_failed(conn: Connection, customer_id: int, error: str) -> None:
    conn.execute(
        "UPDATE customers_to_office SET tries = tries + 1, last_error = ? WHERE customer_id = ?",
        (error[:200], customer_id),
    )


def not_for_office(conn: Connection, customer_id: int) -> None:
    conn.execute("DELETE FROM customers_to_office WHERE customer_id = ?", (customer_id,))


def take_office_points(conn: Connection, customer_id: int, points: int) -> None:
    """The office's figure for the customer's points (what is free across the chain): this
    till's copy takes it, and the count of what was spent offline starts again."""
    conn.execute(
        "UPDATE customers SET points = ?, points_offline_spent = 0 WHERE id = ?", (max(0, points), customer_id)
    )


def spent_offline(conn: Connection, customer_id: int, points: int) -> None:
    conn.execute(
        "UPDATE customers SET points_offline_spent = points_offline_spent + ? WHERE id = ?", (points, customer_id)
    )
