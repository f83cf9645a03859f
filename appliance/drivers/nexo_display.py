"""The nexo terminal's display notifications: what its screen shows while it takes a payment
(waiting for the card, asking for the PIN), heard on a small HTTP endpoint of the till.

Source: Adyen, "Display notifications" (docs.adyen.com/point-of-sale/design-your-integration/
notifications/display-notifications, and the older "Receive terminal notifications" page).
During a transaction the terminal POSTs a Terminal API `DisplayRequest` (MessageClass
Device, MessageCategory Display) to the display URL set up for it (Customer Area, In-person
payments > Terminal settings > Integrations > Display URLs, "Decrypted"; in a local setup
also "the IP that started the transaction"). Its header carries the ServiceID of the
payment it is about; the event travels form-encoded in
DisplayOutput[].OutputContent.PredefinedContent.ReferenceID (`event=WAIT_FOR_PIN&
TransactionID=…&TimeStamp=…`). No answer body is expected, and a lost one is not retried.

Events read (Adyen's table): TENDER_CREATED and PROVIDE_CARD_DETAILS (the terminal asks for
the card), WAIT_FOR_PIN (a PIN is requested). The others of the table (WAIT_FOR_APP_SELECTION,
ASK_SIGNATURE, ASK_GRATUITY, ASK_DCC, DCC_ACCEPTED, DCC_REJECTED, …) come once the card is
read: the till says "processing" for them, having no finer words. A notification is only
words on the screen: the outcome always comes from the payment's answer or its status, so a
forged or lost notification never moves money; one that names no payment of ours is ignored.

URL option `display=127.0.0.1:PORT`: where the till listens. The box opens no port to the
shop's network, so this is loopback only (the simulator, or a relay on the box); plain HTTP,
as Adyen allows for the test environment (a live Adyen account requires HTTPS). A terminal on
the LAN therefore cannot reach it: such a till shows "in progress on the terminal", as it
does without the option.
"""

from __future__ import annotations

import contextlib
import http.server
import logging
import threading
from collections.abc import Callable
from typing import Any

from appliance.drivers.nexo_protocol import ProtectionError, SharedKey, form, loads, part, unprotect
from appliance.drivers.terminal import TerminalState

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
# Adyen's display events, as the till's states.
EVENTS: dict[str, TerminalState] = {
    "TENDER_CREATED": "waiting_for_card",
    "PROVIDE_CARD_DETAILS": "waiting_for_card",
    "WAIT_FOR_PIN": "pin",
}

Heard = Callable[[str, TerminalState], None]  # (the payment's ServiceID, its state)


def display_event(envelope: Any, *, poi: str, sale_id: str, key: SharedKey) -> tuple[str, TerminalState] | None:
    """(ServiceID, state) of a display notification for this till and terminal, else None.
    A notification protected with the shared key is read too (a terminal set to "Encrypted")."""
    try:
        if isinstance(envelope, dict) and "SecurityTrailer" in part(envelope, "SaleToPOIRequest"):
            root, message = unprotect(envelope, key)
        else:
            root, message = "SaleToPOIRequest", part(envelope, "SaleToPOIRequest")
    except ProtectionError:
        return None
    header = part(message, "MessageHeader")
    if root != "SaleToPOIRequest" or (header.get("MessageClass"), header.get("MessageCategory")) != (
        "Device",
        "Display",
    ):
        return None
    if header.get("POIID") != poi or header.get("SaleID") != sale_id or not isinstance(header.get("ServiceID"), str):
        return None
    outputs = part(message, "DisplayRequest").get("DisplayOutput")
    for output in outputs if isinstance(outputs, list) else ():
        event = form(part(output, "OutputContent", "PredefinedContent").get("ReferenceID")).get("event")
        if event:
            return str(header["ServiceID"]), EVENTS.get(event, "processing")
    return None


class DisplayListener:
    """The till's endpoint for the terminal's display notifications, in a thread of its own."""

    def __init__(self, host: str, port: int, *, poi: str, sale_id: str, key: SharedKey, heard: Heard) -> None:
        listener = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if 0 < length <= MAX_BODY:
                    with contextlib.suppress(ValueError):
                        found = display_event(loads(self.rfile.read(length)), poi=poi, sale_id=sale_id, key=key)
                        if found is not None:
                            listener.heard(*found)
                self.send_response(200 if 0 < length <= MAX_BODY else 413)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.heard = heard
        self._server = http.server.ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self.address = self._server.server_address
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.5}, name="nexo-display", daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
