"""A lane's own sale refunded on an enrolled till: its quantities held at the office first,
as another lane's would be (docs/office.md, "Returns across lanes"), so that goods another
lane already gave back are not given back again here.

Best effort by design: the till holds its own sale, so an office out of reach (or one that
has not received the sale yet, and so cannot have let another lane find it) does not stop
the refund; the office raises `over_returned` if the two ever cross. Only the office's
refusal (what remains across all lanes is less) stops it. The office is given a few seconds
at most: a refund at the counter does not wait on a network that is down.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from appliance.app.domain.errors import Conflict, DomainError, NotFound
from appliance.app.domain.sale import COMPLETED
from appliance.app.services import idempotency, outbox_push, tender_holds
from appliance.app.services.shop import Shop
from appliance.app.store import sales as sales_store

OWN_HOLD_PREFIX = "own-"  # the office marks such a hold used when the lane's `refund` event comes
TIMEOUT = 3.0
# The office's answers to a key whose hold ended (released, used) or holds other lines.
RENEW = ("hold_not_live", "hold_key_reused")


def hold_own(
    shop: Shop, sale_id: int, lines: list[dict[str, int]], client_key: str | None = None, user_id: int = 0
) -> Callable[[], None] | None:
    """Holds the lines about to be refunded; what gives the hold back if the refund fails
    (None when nothing was held). Under the till's Idempotency-Key the hold's key is made
    from it: a refund retried after a crash between the hold and its write takes the same
    hold, not a second one that would keep those units unreturnable (a hold never lapses)."""
    if not outbox_push.enrolled(shop):
        return None
    tender_holds.not_in_transaction(shop)
    sale = sales_store.load(shop.db.conn, sale_id)
    if sale is None or sale.status != COMPLETED:
        return None  # the refund itself says why
    wanted: dict[int, int] = {}
    for item in lines:
        line_no, quantity = item.get("line"), item.get("quantity")
        known = {ln.line_no: ln for ln in sale.lines}
        if not isinstance(line_no, int) or line_no not in known:
            return None
        if quantity is None:
            quantity = known[line_no].quantity - known[line_no].refunded_qty
        if not isinstance(quantity, int) or quantity < 1:
            return None
        wanted[line_no] = wanted.get(line_no, 0) + quantity
    from appliance.lane.enrolment import EnrolmentError, link  # httpx only on an enrolled till
    from appliance.lane.returns import OfficeReturns

    try:
        me = link(shop.data_dir)
    except EnrolmentError:
        return None
    office = OfficeReturns(shop.data_dir, timeout=TIMEOUT)
    digest = None if client_key is None else idempotency.sale_digest(shop, sale_id, user_id, client_key, "own-return")
    key = OWN_HOLD_PREFIX + (digest[:24] if digest else secrets.token_hex(12))
    asked = [{"line": n, "quantity": q} for n, q in sorted(wanted.items())]
    origin = {"store": me.store, "till": me.till, "sale_id": sale_id}
    try:
        try:
            office.hold(key, origin, asked)
        except Conflict as exc:
            if exc.code not in RENEW:
                raise
            # An earlier try under this key failed and gave its hold back (or asked for other
            # lines): this one holds afresh.
            key = f"{key}-{secrets.token_hex(4)}"
            office.hold(key, origin, asked)
    except NotFound:
        return None
    except Conflict as exc:
        if exc.code == "office_unreachable":
            return None
        raise

    def release() -> None:
        try:
            office.release(key)
        except DomainError:
            pass  # out of reach now: the hold stays held, and nothing is refunded twice

    return release


@contextmanager
def holding_own(
    shop: Shop, sale_id: int, lines: list[dict[str, int]], client_key: str | None = None, user_id: int = 0
) -> Iterator[None]:
    """Around a refund of the lane's own sale: held first, given back if the refund fails."""
    release = hold_own(shop, sale_id, lines, client_key, user_id)
    try:
        yield
    except BaseException:
        if release is not None:
            release()
        raise
