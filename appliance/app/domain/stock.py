"""Stock rules: reasons, counts, receiving, reorder suggestions, average cost. Pure.

On-hand itself moves with every sale and refund (the sale service does that); these are
the other ways it changes, each with a reason a manager can be asked about.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from appliance.app.domain.errors import Invalid
from appliance.app.domain.money import round_fraction

MAX_MOVE = 1_000_000  # one adjustment or receipt of more than this is a typo
MAX_ON_HAND = 10**9

ADJUSTMENT_REASONS = ("damaged", "expired", "theft", "found", "correction", "sample", "returned_to_supplier")


def check_reason(reason: object, allowed: tuple[str, ...] | None = None) -> str:
    """A reason is one of the shop's words, or free text of 3 to 200 characters."""
    if not isinstance(reason, str) or not 3 <= len(reason.strip()) <= 200:
        raise Invalid("give a reason of 3 to 200 characters", "reason_required")
    text = reason.strip()
    if allowed is not None and text not in allowed:
        raise Invalid(f"the reason must be one of {', '.join(allowed)}", "unknown_reason")
    return text


def check_adjustment(quantity: object) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise Invalid("the quantity must be a whole number", "invalid_quantity")
    if quantity == 0 or abs(quantity) > MAX_MOVE:
        raise Invalid(f"an adjustment is between 1 and {MAX_MOVE} up or down, not 0", "invalid_quantity")
    return quantity


def check_count(counted: object) -> int:
    if isinstance(counted, bool) or not isinstance(counted, int) or not 0 <= counted <= MAX_ON_HAND:
        raise Invalid("a counted quantity is a whole number, 0 or more", "invalid_quantity")
    return counted


def check_positive(quantity: object, what: str = "quantity") -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_MOVE:
        raise Invalid(f"the {what} must be between 1 and {MAX_MOVE}", "invalid_quantity")
    return quantity


def check_cost(cost: object) -> int:
    if isinstance(cost, bool) or not isinstance(cost, int) or not 0 <= cost <= 10**10:
        raise Invalid("a cost is a whole number of minor units, 0 or more", "invalid_cost")
    return cost


def average_cost(on_hand: int, cost: int, received: int, unit_cost: int) -> int:
    """Weighted average cost after receiving; stock below zero counts as none, so a
    shortfall never drags the cost of what arrives."""
    before = max(on_hand, 0)
    if before + received <= 0:
        return unit_cost
    return round_fraction(Fraction(before * cost + received * unit_cost, before + received))


@dataclass(frozen=True)
class StockLevel:
    product_id: int
    sku: str
    name: str
    on_hand: int
    reorder_point: int | None
    reorder_quantity: int | None
    on_order: int = 0
    supplier_id: int | None = None
    cost: int = 0


def is_low(level: StockLevel) -> bool:
    """At or under its reorder point, counting what is already on order."""
    return level.reorder_point is not None and level.on_hand + level.on_order <= level.reorder_point


def suggested_quantity(level: StockLevel) -> int:
    """How many to order so that on-hand plus on-order gets back to the target: the product's
    reorder quantity above its point when set, else twice the point (at least one)."""
    if not is_low(level):
        return 0
    assert level.reorder_point is not None
    target = level.reorder_point + level.reorder_quantity if level.reorder_quantity else 2 * level.reorder_point
    return max(target - level.on_hand - level.on_order, 1)


def suggestions(levels: list[StockLevel]) -> dict[int | None, list[tuple[StockLevel, int]]]:
    """Low products grouped by supplier (None: no supplier set), with the quantity to order."""
    out: dict[int | None, list[tuple[StockLevel, int]]] = {}
    for level in levels:
        qty = suggested_quantity(level)
        if qty > 0:
            out.setdefault(level.supplier_id, []).append((level, qty))
    return out


def receivable(ordered: int, received: int, quantity: object) -> int:
    """A partial receipt never takes a line past what was ordered."""
    quantity = check_positive(quantity)
    if received + quantity > ordered:
        raise Invalid(
            f"{quantity} is more than the {ordered - received} still expected on this line",
            "receipt_exceeds_order",
        )
    return quantity
