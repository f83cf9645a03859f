"""Sales reports over a period: totals, by tender, by tax, top products."""

from __future__ import annotations

from typing import Any

from appliance.app.services.auth import require
from appliance.app.services.shop import Actor, Shop
from appliance.security.rbac import Permission


def sales_report(shop: Shop, actor: Actor, start: str, end: str, top: int = 10) -> dict[str, Any]:
    """Completed sales with start <= completed_at < end (UTC ISO times)."""
    require(shop, actor, Permission.VIEW_REPORTS)
    conn = shop.db.conn
    period = (start, end)
    head = conn.execute(
        "SELECT count(*), coalesce(sum(subtotal), 0), coalesce(sum(tax), 0), coalesce(sum(total), 0), "
        "coalesce(sum(cash_rounding), 0) FROM sales "
        "WHERE status = 'completed' AND completed_at >= ? AND completed_at < ?",
        period,
    ).fetchone()
    refunds = conn.execute(
        "SELECT count(*), coalesce(sum(amount), 0) FROM refunds WHERE created_at >= ? AND created_at < ?",
        period,
    ).fetchone()
    by_tender = conn.execute(
        "SELECT p.method, count(*), sum(p.amount) FROM payments p JOIN sales s ON s.id = p.sale_id "
        "WHERE s.status = 'completed' AND s.completed_at >= ? AND s.completed_at < ? GROUP BY p.method "
        "ORDER BY sum(p.amount) DESC",
        period,
    ).fetchall()
    by_tax = conn.execute(
        "SELECT t.name, t.rate, sum(t.base), sum(t.amount) FROM sale_taxes t JOIN sales s ON s.id = t.sale_id "
        "WHERE s.status = 'completed' AND s.completed_at >= ? AND s.completed_at < ? GROUP BY t.name, t.rate "
        "ORDER BY t.name",
        period,
    ).fetchall()
    top_products = conn.execute(
        "SELECT l.sku, l.name, sum(l.quantity), sum(l.quantity * l.unit_price) FROM sale_lines l "
        "JOIN sales s ON s.id = l.sale_id WHERE s.status = 'completed' AND s.completed_at >= ? "
        "AND s.completed_at < ? AND NOT l.voided GROUP BY l.product_id ORDER BY 4 DESC LIMIT ?",
        (*period, top),
    ).fetchall()
    return {
        "from": start,
        "to": end,
        "currency": shop.settings.currency,
        "sales": head[0],
        "subtotal": head[1],
        "tax": head[2],
        "total": head[3],
        "cash_rounding": head[4],  # what cash paid beyond the totals (negative: less)
        "refunds": {"count": refunds[0], "amount": refunds[1]},
        "by_tender": [{"method": r[0], "count": r[1], "amount": r[2]} for r in by_tender],
        "by_tax": [{"name": r[0], "rate": r[1], "base": r[2], "amount": r[3]} for r in by_tax],
        "top_products": [{"sku": r[0], "name": r[1], "quantity": r[2], "amount": r[3]} for r in top_products],
    }
