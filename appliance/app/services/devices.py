"""The shop's connections to the world beyond the store: the receipt printer's worker and
the card desk (vault + gateway). Made once at start-up, closed at shutdown."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from appliance.app.services import card_vault, idempotency, outbox_push
from appliance.app.services.card_desk import CardDesk
from appliance.app.services.card_payments import PendingCardsResolver, resolve_pending, send_pending_card_refunds
from appliance.app.services.display import CustomerDisplay, start_display
from appliance.app.services.print_queue import PrintWorker
from appliance.app.services.scanners import ScannerHub
from appliance.app.services.shop import Shop
from appliance.app.services.terminal_desk import TerminalDesk
from appliance.app.services.terminal_payments import resolve_open
from appliance.app.services.terminal_resolver import TerminalResolver
from appliance.drivers.escpos_receipt import load_escpos
from appliance.drivers.payment import GatewayConfig, HttpGateway
from appliance.drivers.printer_spec import printer_from_spec

if TYPE_CHECKING:
    from appliance.drivers.terminal import PaymentTerminal

log = logging.getLogger(__name__)


@dataclass
class TillDevices:
    """The devices this till started; the shop holds them as its `Devices` (shop.Devices)."""

    printer: PrintWorker | None = None
    cards: CardDesk | None = None
    card_resolver: PendingCardsResolver | None = None
    terminal: TerminalDesk | None = None
    terminal_resolver: TerminalResolver | None = None
    scans: ScannerHub | None = None
    display: CustomerDisplay | None = None
    outbox_pusher: outbox_push.Pusher | None = None

    def close(self) -> None:
        if self.outbox_pusher is not None:
            self.outbox_pusher.stop()
        for part in (self.scans, self.display):
            if part is not None:
                part.stop()  # their threads, and the screens' event streams with them
        if self.printer is not None:
            self.printer.stop()
        if self.card_resolver is not None:
            self.card_resolver.stop()
        if self.cards is not None and isinstance(self.cards.gateway, HttpGateway):
            self.cards.gateway.close()
        if self.terminal_resolver is not None:
            self.terminal_resolver.stop()
        if self.terminal is not None:
            self.terminal.terminal.close()


def start(shop: Shop) -> TillDevices:
    """Starts what the config names, and finishes what a crash left in flight: pending
    card payments are looked up at the gateway and pending card refunds sent (then again in
    the background until the acquirer settles them), pending receipts print, and the card
    vault forgets every number no payment still needs (gateway or not)."""
    devices = TillDevices()
    try:
        forgotten = card_vault.sweep(shop)
        if forgotten:
            log.warning("the card vault erased %d card number(s) whose payments had settled", forgotten)
    except Exception:
        log.exception("the card vault could not sweep settled card numbers; will retry after the next payment")
    idempotency.purge_quietly(shop)  # answers older than the store rule: no retry can come for them
    if shop.config.printer != "none":
        printer = printer_from_spec(shop.config.printer)
        load_escpos()  # now rather than at the first receipt: see load_escpos
        worker = PrintWorker(shop.db, printer)
        worker.start()
        shop.on_receipt.append(worker.wake)
        devices.printer = worker
    devices.scans = ScannerHub(shop.config.scanners).start()
    devices.display = start_display(shop)
    gateway = GatewayConfig.from_env(shop.config.gateway_url)
    if gateway is not None:
        devices.cards = CardDesk(
            vault=card_vault.open_vault(shop.db, shop.data_dir),
            gateway=HttpGateway(gateway),
            in_flight_window=gateway.in_flight_window,
        )
        try:
            outcomes = resolve_pending(shop, devices.cards)
            if outcomes:
                log.warning("card payments in flight at the last stop were resolved: %s", outcomes)
            send_pending_card_refunds(shop, devices.cards)
        except Exception:
            log.exception("could not resolve card payments in flight; the resolver retries")
        devices.card_resolver = PendingCardsResolver(shop, devices.cards).start()
    if shop.config.terminal_url:
        start_terminal(shop, devices)
    devices.outbox_pusher = outbox_push.start(shop)  # an enrolled till only
    shop.devices = devices
    return devices


def start_terminal(
    shop: Shop, devices: TillDevices, terminal: PaymentTerminal | None = None, **desk: float
) -> TerminalDesk:
    """The payment terminal of `terminal_url` (or `terminal`, a test's), and what a crash left
    with it: each open transaction asked about by its reference (a charge that landed goes
    on its sale or back to the card), then again in the background until settled."""
    if terminal is None:
        from appliance.drivers import terminal as terminals  # a till without a terminal never loads a driver

        assert shop.config.terminal_url is not None
        terminal = terminals.connect(shop.config.terminal_url, key_dir=shop.config.key_dir)
    made = TerminalDesk(terminal, **desk)  # desk: the timings a test or a bench sets
    try:
        outcomes = resolve_open(shop, made)
        if outcomes:
            log.warning("terminal transactions in flight at the last stop were asked about: %s", outcomes)
    except Exception:
        log.exception("could not ask the terminal about transactions in flight; the resolver retries")
    devices.terminal = made
    devices.terminal_resolver = TerminalResolver(shop, made).start()
    return made
