"""The customer display: what the customer sees of the sale, live.

A second browser window (`/display`) listens on `GET /api/v1/display/stream`; a serial pole
display, when configured, shows the last item and the total. Both are fed after a sale's
change commits (`Shop.on_sale_change`) and when a sale completes (`Shop.on_receipt`, which
also covers card payments finished outside the sale's own transaction). Only what the
customer may see goes out: item names, quantities, amounts, totals — no cashier, no ids
of payments.
"""

from __future__ import annotations

import logging
import threading
from decimal import Decimal
from typing import Literal, TypedDict

from appliance.app.domain.money import Money, exponent
from appliance.app.domain.words import Words, language_of
from appliance.app.services import sale_view
from appliance.app.services.broadcast import Broadcast
from appliance.app.services.sale_results import SaleView
from appliance.app.services.shop import Shop
from appliance.drivers.pole_display import PoleDisplay, PoleDisplayError, pole_display_from_spec, row

log = logging.getLogger(__name__)

SHOWN = ("open", "completed")  # a parked or cancelled sale leaves the screen to the welcome


class Welcome(TypedDict):
    """No sale to show: the store's name, in the store's language."""

    idle: Literal[True]
    store_name: str
    language: str


class ShownLine(TypedDict):
    name: str
    quantity: int
    measure: str | None
    amount: Money
    amount_text: str  # in the shop's money, as the screen writes it
    discount_text: str | None


class ShownSale(TypedDict):
    """A sale as the customer sees it: the amounts written out, nothing of who sells."""

    idle: Literal[False]
    store_name: str
    language: str
    sale: int
    status: str  # open or completed
    currency: str
    lines: list[ShownLine]
    count: int
    total: Money
    total_text: str
    discount_text: str | None
    tax_text: str
    paid_text: str | None
    due_text: str
    change_text: str | None
    rounding_text: str | None


CustomerView = Welcome | ShownSale


def customer_view(sale: SaleView, store_name: str, locale: str = "en") -> CustomerView:
    """The sale as the customer sees it, with amounts already written in the shop's money, and
    the language the display speaks (the store's: a customer did not choose the cashier's)."""
    language = language_of(locale)
    currency = sale["currency"]
    totals = sale["totals"]

    words = Words(locale)

    def money(amount: int) -> str:
        # As the till's own screen writes the sale (6,51 in French, 6.51 in English).
        return words.number(Decimal(amount).scaleb(-exponent(currency)))

    tendered = sum(p["tendered"] for p in sale["payments"])
    if sale["status"] not in SHOWN or sale.get("parked"):
        return {"idle": True, "store_name": store_name, "language": language}
    lines: list[ShownLine] = [
        {
            "name": line["name"],
            "quantity": line["quantity"],
            "measure": line.get("measure"),
            "amount": line["net"],
            "amount_text": money(line["net"]),
            "discount_text": money(line["discount"]) if line["discount"] else None,
        }
        for line in sale["lines"]
        if not line["voided"]
    ]
    return {
        "idle": False,
        "store_name": store_name,
        "language": language,
        "sale": sale["id"],
        "status": sale["status"],
        "currency": currency,
        "lines": lines,
        "count": sum(1 for _ in lines),
        "total": totals["total"],
        "total_text": money(totals["total"]),
        "discount_text": money(totals["discount"]) if totals.get("discount") else None,
        "tax_text": money(totals["tax"]),
        # What the customer handed over (5.00 for a 3.49 sale), beside the change it gave.
        "paid_text": money(tendered) if tendered else None,
        "due_text": money(totals["due"]),
        "change_text": money(sale["change"]) if sale["change"] else None,
        # Cash rounding (6.51 paid in cash is 6.50): the customer sees why the change is what it is.
        "rounding_text": money(sale["rounding"]) if sale.get("rounding") else None,
    }


def pole_lines(view: CustomerView) -> tuple[str, str]:
    """Two lines of 20: the last item and the total; after payment, the change."""
    if view["idle"] is True:
        return row(view["store_name"]), row("Welcome")
    if view["status"] == "completed":
        if view["change_text"]:
            return row("TOTAL", view["total_text"]), row("CHANGE", view["change_text"])
        return row("TOTAL", view["total_text"]), row("Thank you!")
    last = view["lines"][-1] if view["lines"] else None
    top = row(last["name"], last["amount_text"]) if last else row(view["store_name"])
    return top, row("TOTAL", view["total_text"])


class CustomerDisplay:
    def __init__(self, shop: Shop, pole: PoleDisplay | None = None) -> None:
        self.shop = shop
        self.pole = pole
        self.pole_problem: str | None = None
        self.feed = Broadcast(keep=8, replay=1)  # a window that opens sees the sale at once
        # The pole is written from its own thread: a sale must never wait on a serial port.
        self._pending: tuple[str, str] | None = None
        self._wake = threading.Condition()
        self._stop = False
        self._thread: threading.Thread | None = None
        self._shown: tuple[object, object] | None = None  # the last sale shown: its id and status

    def start(self) -> CustomerDisplay:
        settings = self.shop.settings
        welcome: Welcome = {"idle": True, "store_name": settings.store_name, "language": language_of(settings.locale)}
        self.feed.publish(dict(welcome))
        self.shop.on_sale_change.append(self.sale_changed)
        self.shop.on_receipt.append(self.sale_completed)
        if self.pole is not None:
            self._pending = pole_lines(welcome)
            self._thread = threading.Thread(target=self._drive_pole, name="pole-display", daemon=True)
            self._thread.start()
        return self

    def sale_changed(self, sale: SaleView) -> None:
        if sale.get("terminal_id") not in (None, self.shop.config.terminal_id):
            return  # another lane's sale (a back-office lookup) is not this customer's
        self._shown = (sale.get("id"), sale.get("status"))
        store_name, locale = self.shop.settings.store_name, self.shop.settings.locale
        if self.pole is None:
            # Built only when a screen is open (or opens before the next change): a till
            # with no customer display does no work for one on each scan.
            self.feed.publish_later(lambda: dict(customer_view(sale, store_name, locale)))
            return
        view = customer_view(sale, store_name, locale)
        self.feed.publish(dict(view))
        with self._wake:
            self._pending = pole_lines(view)
            self._wake.notify()

    def sale_completed(self, sale_id: int) -> None:
        if self._shown == (sale_id, "completed"):
            return  # the tender's own answer showed it completed (cash, in-store tenders)
        try:  # called straight after the payment's commit: a failure here must not undo its answer
            self.sale_changed(sale_view.view(self.shop, sale_id))
        except Exception:
            log.exception("customer display: could not show completed sale %d", sale_id)

    def _drive_pole(self) -> None:
        assert self.pole is not None
        while True:
            with self._wake:
                self._wake.wait_for(lambda: self._stop or self._pending is not None)
                if self._stop:
                    return
                lines, self._pending = self._pending, None
            assert lines is not None
            try:
                self.pole.show(*lines)
                self.pole_problem = None
            except PoleDisplayError as exc:
                if self.pole_problem != str(exc):
                    log.warning("%s", exc)
                self.pole_problem = str(exc)

    def stop(self) -> None:
        for hooks, fn in ((self.shop.on_sale_change, self.sale_changed), (self.shop.on_receipt, self.sale_completed)):
            if fn in hooks:
                hooks.remove(fn)  # type: ignore[arg-type]
        with self._wake:
            self._stop = True
            self._wake.notify()
        if self._thread is not None:
            self._thread.join(2.0)
        if self.pole is not None:
            self.pole.close()
        self.feed.close()


def start_display(shop: Shop) -> CustomerDisplay:
    pole: PoleDisplay | None = None
    try:
        pole = pole_display_from_spec(shop.config.pole_display)
    except ValueError as exc:
        log.error("%s", exc)  # the browser display still works; `devices list` shows the fault
    return CustomerDisplay(shop, pole).start()
