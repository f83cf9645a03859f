"""Opening the cash drawer without a sale ("no sale"): a supervisor's right, or a cashier's
with a supervisor's approval, always audited. It is sent at once, between print jobs, not
queued: a drawer that springs open minutes later, when the printer is back, is worse than
one that does not open (print_queue.PrintWorker.send_now)."""

from __future__ import annotations

from typing import TypedDict

from appliance.app.domain.errors import Conflict, Invalid
from appliance.app.services import audit_log
from appliance.app.services.auth import require
from appliance.app.services.printing import drawer_kick
from appliance.app.services.shop import Actor, Shop
from appliance.drivers.printer import PrinterError
from appliance.security.rbac import Permission


class DrawerOpened(TypedDict):
    status: str  # opened
    pin: int  # the drawer's pin on the printer
    approved_by: str | None


def open_drawer(shop: Shop, actor: Actor, reason: str, approval: str | None = None) -> DrawerOpened:
    reason = reason.strip()
    if not reason:
        raise Invalid("say why the drawer is opened (change for the float, a check…)", "reason_required")
    worker = shop.devices.printer if shop.devices else None
    if worker is None:
        raise Conflict("this till has no receipt printer, so the drawer cannot be opened from here", "no_printer")
    kick = drawer_kick(shop.config)
    # The right (or the approval, used up here) is settled and committed first; the pulse
    # goes out after, so that no write lock is held while the printer is slow to answer.
    with shop.db.transaction():
        approver = require(shop, actor, Permission.NO_SALE, approval)
    failure: PrinterError | None = None
    try:
        worker.send_now(kick.command())
    except PrinterError as exc:
        failure = exc
    audit_log.record(
        shop,
        actor=actor,
        action="no_sale",
        outcome="failure" if failure else "success",
        object=f"drawer:pin{kick.pin}",
        details={"reason": reason[:200], "approved_by": approver, **({"error": failure.message} if failure else {})},
    )
    if failure is not None:
        raise Conflict(f"the drawer did not open: {failure.message}", "drawer_not_opened")
    return {"status": "opened", "pin": kick.pin, "approved_by": approver}
