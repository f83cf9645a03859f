"""Roles and what each may do. A permission names an action, not a screen."""

from __future__ import annotations

from enum import StrEnum

from appliance.app.domain.errors import Forbidden, Invalid


class Permission(StrEnum):
    SELL = "sell"
    VOID_LINE = "void_line"
    REFUND = "refund"
    PRICE_OVERRIDE = "price_override"
    MANAGE_PRODUCTS = "manage_products"
    MANAGE_USERS = "manage_users"
    VIEW_REPORTS = "view_reports"
    VIEW_AUDIT = "view_audit"
    MANAGE_SETTINGS = "manage_settings"
    MANAGE_STOCK = "manage_stock"
    SERVE_CUSTOMERS = "serve_customers"  # find, enrol and attach a customer at the till
    MANAGE_CUSTOMERS = "manage_customers"  # edit, erase, adjust points
    MANAGE_GIFT_CARDS = "manage_gift_cards"  # list and void cards (selling one is `sell`)
    CLOCK_IN = "clock_in"
    NO_SALE = "no_sale"  # open the cash drawer without a sale
    REPRINT = "reprint"  # reprint a receipt (marked COPY), or cancel a print job that is stuck
    DISCOUNT_OVER_LIMIT = "discount_over_limit"
    RETURN_WITHOUT_RECEIPT = "return_without_receipt"
    STORE_CREDIT = "store_credit"  # refund onto a gift card instead of the original tenders
    APPROVE_VARIANCE = "approve_variance"  # close a shift whose count is off by more than the limit
    APPROVE_RESTRICTED = "approve_restricted"  # an attendant's OK for age-restricted items at self-service
    POINTS_WITHOUT_CARD = "points_without_card"  # spend a customer's points who cannot show their loyalty card
    KEYED_CARD = "keyed_card"  # type a card's number at the till, card not present (when the store rule allows it)
    # settle what the payment terminal moved and the till could not put right on its own
    SETTLE_TERMINAL = "settle_terminal"


# Least to most; auditor sits beside the line, it reads and changes nothing.
ROLE_ORDER = ("customer", "cashier", "supervisor", "manager", "admin")
ROLES = (*ROLE_ORDER, "auditor")
STAFF_ROLES = ("cashier", "supervisor", "manager", "admin", "auditor")
# Who may hold a PIN or a badge: a cashier to log in, the others to approve at the till.
PIN_ROLES = ("cashier", "supervisor", "manager", "admin")
# Who may log in with one (PCI DSS v4.0 8.3 leaves out POS cashier IDs only).
PIN_LOGIN_ROLES = ("cashier",)

_P = Permission
PERMISSIONS: dict[str, frozenset[Permission]] = {
    "customer": frozenset({_P.SELL}),
    "cashier": frozenset({_P.SELL, _P.SERVE_CUSTOMERS, _P.CLOCK_IN}),
    "supervisor": frozenset(
        {
            _P.SELL,
            _P.VOID_LINE,
            _P.REFUND,
            _P.PRICE_OVERRIDE,
            _P.DISCOUNT_OVER_LIMIT,
            _P.APPROVE_RESTRICTED,
            _P.POINTS_WITHOUT_CARD,
            _P.RETURN_WITHOUT_RECEIPT,
            _P.SERVE_CUSTOMERS,
            _P.CLOCK_IN,
            _P.NO_SALE,
            _P.REPRINT,
        }
    ),
    "manager": frozenset(
        {
            _P.SELL,
            _P.VOID_LINE,
            _P.REFUND,
            _P.PRICE_OVERRIDE,
            _P.MANAGE_PRODUCTS,
            _P.MANAGE_USERS,
            _P.VIEW_REPORTS,
            _P.DISCOUNT_OVER_LIMIT,
            _P.APPROVE_RESTRICTED,
            _P.POINTS_WITHOUT_CARD,
            _P.APPROVE_VARIANCE,
            _P.SETTLE_TERMINAL,
            _P.RETURN_WITHOUT_RECEIPT,
            _P.STORE_CREDIT,
            _P.MANAGE_STOCK,
            _P.SERVE_CUSTOMERS,
            _P.MANAGE_CUSTOMERS,
            _P.MANAGE_GIFT_CARDS,
            _P.CLOCK_IN,
            _P.NO_SALE,
            _P.REPRINT,
            _P.KEYED_CARD,
        }
    ),
    "admin": frozenset(Permission),
    "auditor": frozenset({_P.VIEW_REPORTS, _P.VIEW_AUDIT}),
}


def check_role(role: str) -> str:
    if role not in STAFF_ROLES:
        raise Invalid(f"unknown role {role!r}; one of {', '.join(STAFF_ROLES)}", "unknown_role")
    return role


def can(role: str, permission: Permission) -> bool:
    return permission in PERMISSIONS.get(role, frozenset())


def require(role: str, permission: Permission) -> None:
    if not can(role, permission):
        raise Forbidden(f"the {role} role may not {permission.value.replace('_', ' ')}", "forbidden")


def may_grant(granter: str, role: str) -> bool:
    """A manager makes staff below them; only an admin makes managers, admins and auditors."""
    if granter == "admin":
        return True
    if granter == "manager":
        return role in ("cashier", "supervisor")
    return False


def idle_timeout_minutes(role: str) -> int:
    """PCI DSS 8.2.8: 15 idle minutes for anyone who can change what others did."""
    return 15 if role in ("supervisor", "manager", "admin", "auditor") else 60
