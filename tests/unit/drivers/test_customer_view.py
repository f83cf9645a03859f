"""What the customer display and the pole show of a sale: items, totals, change; nothing
of a parked or cancelled sale."""

from __future__ import annotations

from typing import Any

from appliance.app.services.display import customer_view, pole_lines


def sale(status: str = "open", **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": 7,
        "status": status,
        "parked": False,
        "currency": "CAD",
        "terminal_id": "T01",
        "cashier": "alice",
        "lines": [
            {"name": "Bread", "quantity": 1, "measure": None, "net": 349, "discount": 0, "voided": False},
            {"name": "Gum", "quantity": 2, "measure": None, "net": 198, "discount": 0, "voided": True},
            {"name": "Café crème", "quantity": 1, "measure": None, "net": 320, "discount": 0, "voided": False},
        ],
        "totals": {"total": 669, "discount": 0, "tax": 0, "paid": 0, "due": 669},
        "payments": [],
        "change": 0,
    }
    return {**base, **changes}


def test_open_sale_shows_items_not_voided_and_the_total() -> None:
    view = customer_view(sale(), "Test Market")
    assert [line["name"] for line in view["lines"]] == ["Bread", "Café crème"]
    assert view["total_text"] == "6.69" and view["paid_text"] is None and "alice" not in str(view)
    assert pole_lines(view) == ("Cafe creme      3.20", "TOTAL           6.69")


def test_completed_cash_sale_shows_the_change() -> None:
    done = sale("completed", payments=[{"tendered": 1000}], change=331)
    view = customer_view(done, "Test Market")
    assert view["paid_text"] == "10.00" and view["change_text"] == "3.31"
    assert view["rounding_text"] is None
    assert pole_lines(view) == ("TOTAL           6.69", "CHANGE          3.31")


def test_a_rounded_cash_sale_shows_the_rounding_beside_the_change() -> None:
    done = sale("completed", payments=[{"tendered": 1000}], change=330, rounding=1)  # 6.69 is 6.70 in cash
    view = customer_view(done, "Test Market")
    assert (view["rounding_text"], view["change_text"]) == ("0.01", "3.30")


def test_parked_or_cancelled_leaves_the_welcome() -> None:
    for gone in (sale(parked=True), sale("cancelled")):
        view = customer_view(gone, "Test Market")
        assert view == {"idle": True, "store_name": "Test Market", "language": "en"}
        assert pole_lines(view) == ("Test Market" + " " * 9, "Welcome" + " " * 13)


def test_the_display_speaks_the_stores_language_whoever_is_at_the_till() -> None:
    assert customer_view(sale(), "Test Market", "fr-CA")["language"] == "fr"
    assert customer_view(sale("cancelled"), "Test Market", "uk-UA")["language"] == "uk"
    assert customer_view(sale(), "Test Market", "de-DE")["language"] == "en", "no words in German: English"


def test_the_display_writes_amounts_as_the_stores_language_does() -> None:
    done = sale("completed", payments=[{"tendered": 1000}], change=331)
    french = customer_view(done, "Test Market", "fr-CA")
    assert (french["total_text"], french["paid_text"], french["change_text"]) == ("6,69", "10,00", "3,31")
    assert [line["amount_text"] for line in french["lines"]] == ["3,49", "3,20"]
    assert customer_view(done, "Test Market", "en-CA")["total_text"] == "6.69"
