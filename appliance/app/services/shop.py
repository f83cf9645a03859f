"""The shop as the services see it: its store, its settings, its clock and its devices.

One `Shop` per process. Services are plain functions taking the shop and the acting
person (`Actor`); each owns its transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypedDict

from appliance.app.domain.barcode import DEFAULT_LAYOUT, DEFAULT_PREFIXES
from appliance.app.domain.card import KEYED_RULE
from appliance.app.domain.money import DEFAULT_CASH_ROUNDING, Money, Rounding, cash_increment
from appliance.app.domain.tax import TaxClass
from appliance.app.services.broadcast import Broadcast
from appliance.app.services.card_desk import CardDesk
from appliance.app.services.open_sales import OpenSales
from appliance.app.services.sale_results import SaleView
from appliance.app.services.session_cache import SessionCache
from appliance.app.services.terminal_desk import TerminalDesk
from appliance.app.store import settings as settings_store
from appliance.app.store.db import Connection, Database
from appliance.config import Config
from appliance.security.passwords import Passwords

log = logging.getLogger(__name__)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


# A store's locale unless set (the store rule `locale`), where the currency says where the shop
# is; a currency of several languages (EUR, CHF) gets plain "en" until a manager says. A
# Canadian store reads fr-CA, which also takes 4.50 as English Canada writes it.
DEFAULT_LOCALE = {"CAD": "fr-CA", "USD": "en-US", "GBP": "en-GB"}

# The store rule "cash needs an open shift": on unless a manager switched it off, so that
# every coin taken or given back is counted into a drawer someone answers for.
CASH_NEEDS_SHIFT = "cash_requires_shift"
DEFAULT_DISCOUNT_LIMITS = {"cashier": 10, "supervisor": 50, "manager": 100, "admin": 100}


@dataclass(frozen=True)
class StoreSettings:
    """What a manager sets for the whole store (kept in the store, changes audited)."""

    store_name: str
    header: tuple[str, ...]
    footer: tuple[str, ...]
    currency: str
    prices_include_tax: bool
    tax_rounding: Rounding
    timezone: str
    discount_limits: dict[str, int] = field(default_factory=dict)  # percent a role may give alone
    variable_measure_prefixes: dict[str, str] = field(default_factory=dict)
    variable_measure_layout: str = DEFAULT_LAYOUT
    cash_rounding: str = "none"  # one of money.CASH_ROUNDINGS; the currency's default when unset
    locale: str = "en"  # how people here write and read amounts (BCP 47: fr-CA), the screens' Intl locale
    keyed_card_payments: bool = False  # card not present: a manager may type a card's number (card.KEYED_RULE)
    # Cash only on a till with an open shift (CASH_NEEDS_SHIFT): held here, with the other
    # rules, so that a cash payment reads no settings from the store.
    cash_needs_shift: bool = True

    @property
    def cash_increment(self) -> int:
        """The cash rounding in minor units (5 for CAD's 0.05); 1 means none."""
        return cash_increment(self.cash_rounding, self.currency)

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> StoreSettings:
        currency = str(values.get("currency", "CAD"))
        return cls(
            store_name=str(values.get("store_name", "Comptoir")),
            header=tuple(values.get("header", ())),
            footer=tuple(values.get("footer", ("Thank you!",))),
            currency=currency,
            prices_include_tax=bool(values.get("prices_include_tax", False)),
            tax_rounding=Rounding(values.get("tax_rounding", Rounding.HALF_UP.value)),
            timezone=str(values.get("timezone", "UTC")),
            discount_limits={str(k): int(v) for k, v in values.get("discount_limits", DEFAULT_DISCOUNT_LIMITS).items()},
            variable_measure_prefixes=dict(values.get("variable_measure_prefixes", DEFAULT_PREFIXES)),
            variable_measure_layout=str(values.get("variable_measure_layout", DEFAULT_LAYOUT)),
            cash_rounding=str(values.get("cash_rounding") or DEFAULT_CASH_ROUNDING.get(currency, "none")),
            locale=str(values.get("locale") or DEFAULT_LOCALE.get(currency, "en")),
            keyed_card_payments=values.get(KEYED_RULE) is True,  # off unless a manager turned it on
            cash_needs_shift=bool(values.get(CASH_NEEDS_SHIFT, True)),
        )


class TillSettings(TypedDict):
    """What every screen reads of the store and the till at start (GET /settings)."""

    store_name: str
    currency: str
    prices_include_tax: bool
    terminal_id: str
    mode: str  # staffed, or self_service
    timezone: str
    currency_exponent: int  # 2 for CAD: amounts are in hundredths
    denominations: list[Money]  # the notes and coins the drawer is counted in
    discount_limits: dict[str, int]  # percent each role may give alone
    locale: str
    cash_rounding: str
    cash_increment: Money  # what cash rounds to (5 for CAD's 0.05); 1 means none
    keyed_card_payments: bool  # whether the till may offer "card not present (keyed)" to who may take it


@dataclass(frozen=True)
class Actor:
    """Who is acting, with which role, from where. `session` is the session's hash."""

    user_id: int
    username: str
    role: str
    origin: str
    session: str = ""
    must_change_password: bool = False  # a session a one-time password opened
    must_change_pin: bool = False  # a session a one-time PIN opened


SYSTEM_ORIGIN = "cli"
# Where a first start by the service leaves the admin's one-time password (a file name, not a secret).
FIRST_PASSWORD_FILE = "admin-one-time-password"  # noqa: S105


# What a completed sale, a refund or a logout sets off in other parts of the shop. Each runs
# inside the transaction that set it off, so that all of it commits together or not at all.
SaleCompleted = Callable[["Shop", Connection, int], None]  # shop, tx, sale id
# shop, tx, who, sale id, refund id, lines (line number: quantity): what it answers joins
# the refund's answer and its audit entry.
Refunded = Callable[["Shop", Connection, "Actor", int, int, dict[int, int]], dict[str, Any]]
LoggingOut = Callable[["Shop", Connection, "Actor"], dict[str, Any]]  # joins the logout's audit entry


@dataclass
class Effects:
    """The effects the parts of the shop hang on a sale's completion, a refund and a logout,
    registered at start-up (services.opening) so that the module that completes a sale needs
    to know none of them. They run in the order they were registered."""

    sale_completed: list[SaleCompleted] = field(default_factory=list)
    refunded: list[Refunded] = field(default_factory=list)
    logging_out: list[LoggingOut] = field(default_factory=list)

    def on_sale_completed(self, shop: Shop, tx: Connection, sale_id: int) -> None:
        """Once per sale, after its receipt number is taken and its stock moved."""
        for effect in self.sale_completed:
            effect(shop, tx, sale_id)

    def on_refund(
        self, shop: Shop, tx: Connection, actor: Actor, sale_id: int, refund_id: int, lines: dict[int, int]
    ) -> dict[str, Any]:
        """Once per refund, after its lines and amount are recorded."""
        answer: dict[str, Any] = {}
        for effect in self.refunded:
            answer.update(effect(shop, tx, actor, sale_id, refund_id, lines))
        return answer

    def on_logout(self, shop: Shop, tx: Connection, actor: Actor) -> dict[str, Any]:
        """Inside the logout's transaction, before the session ends."""
        answer: dict[str, Any] = {}
        for effect in self.logging_out:
            answer.update(effect(shop, tx, actor))
        return answer


class ReceiptPrinter(Protocol):
    """The receipt printer's worker as the services use it (print_queue.PrintWorker)."""

    @property
    def problem(self) -> str | None: ...  # the last failure, until a job goes through

    @property
    def running(self) -> bool: ...  # its thread is alive: queued receipts will print

    def wake(self, _: object = None) -> None: ...

    def send_now(self, data: bytes) -> None: ...


class ScanFeed(Protocol):
    """The scanners' codes as the screens hear them (scanners.ScannerHub)."""

    @property
    def scans(self) -> Broadcast: ...


class DisplayFeed(Protocol):
    """The customer display's feed (display.CustomerDisplay)."""

    @property
    def feed(self) -> Broadcast: ...


class Devices(Protocol):
    """What the services and the web ask of the till's devices. services.devices.start makes
    them at start-up and sets them on the shop; the shop names only this, so that the
    modules behind them (the print worker, the card path, the display), which use the shop,
    are not imported by it."""

    @property
    def printer(self) -> ReceiptPrinter | None: ...

    @property
    def cards(self) -> CardDesk | None: ...

    @property
    def terminal(self) -> TerminalDesk | None: ...

    @property
    def scans(self) -> ScanFeed | None: ...

    @property
    def display(self) -> DisplayFeed | None: ...

    def close(self) -> None: ...


@dataclass
class Shop:
    config: Config
    db: Database
    passwords: Passwords
    clock: Callable[[], dt.datetime] = utc_now
    _settings: StoreSettings | None = field(default=None, repr=False)
    _tax_classes: dict[str, TaxClass] | None = field(default=None, repr=False)
    on_receipt: list[Callable[[int], None]] = field(default_factory=list, repr=False)
    # Called with the sale's view after a change to it commits (the customer display).
    on_sale_change: list[Callable[[SaleView], None]] = field(default_factory=list, repr=False)
    devices: Devices | None = field(default=None, repr=False)  # once the app has started them
    audit_key: bytes = field(default=b"", repr=False)  # links the audit log; set by open_shop
    effects: Effects = field(default_factory=Effects, repr=False)  # registered by open_shop
    # The live sessions this process checked (session_cache.py): no SQL to know who asks.
    sessions: SessionCache = field(default_factory=SessionCache, repr=False, compare=False)
    # The open sales this process last wrote (open_sales.py): a scan need not read them back.
    open_sales: OpenSales = field(default_factory=OpenSales, repr=False, compare=False)

    @property
    def data_dir(self) -> Path:
        return self.config.data_dir

    def now(self) -> str:
        return iso(self.clock())

    @property
    def settings(self) -> StoreSettings:
        if self._settings is None:
            self._settings = StoreSettings.from_mapping(settings_store.get_all(self.db.conn))
        return self._settings

    @property
    def tax_classes(self) -> dict[str, TaxClass]:
        if self._tax_classes is None:
            self._tax_classes = settings_store.tax_classes(self.db.conn)
        return self._tax_classes

    def sale_changed(self, read: Callable[[], SaleView]) -> None:
        """Tells the listeners, with the sale as `read()` sees it now. Runs after the commit,
        so a failure here is logged and never turns a sale that went through into an error."""
        try:
            sale = read()
        except Exception:
            log.exception("could not read a changed sale for its listeners")
            return
        for callback in list(self.on_sale_change):
            try:
                callback(sale)
            except Exception:
                log.exception("a sale-change listener failed")

    def forget_settings(self) -> None:
        """Called after a settings change commits, so the next read sees it."""
        self._settings = None
        self._tax_classes = None

    def close(self) -> None:
        if self.devices is not None:
            self.devices.close()
            self.devices = None
        self.db.close()
