"""Caisse-AP over IP: the French vendor-neutral protocol between a till (la caisse) and a
payment terminal (le TPE), designed by the Association du Paiement; Ingenico, Verifone and
PAX terminals sold in France speak it. `caisse-ap://HOST:PORT?caisse=01`.

Specification: "Protocole Caisse-AP IP", version 3.2 (CZ = "0320"; `?version=0300` for a
terminal that speaks 3.0). The AP's document is not public; what this driver follows is
what the published integrations of it agree on:
- HiPay's "Local API for Nepting" (a Caisse-AP 3.2 terminal): request and answer tags, the
  AE/AF codes, CC applications, the CK/ZT/AK receipt, with example frames;
- the OCA module l10n_fr_pos_caisse_ap_ip (Akretion, Odoo 14-18) and its terminal
  simulator: CZ first, CJ/CA/CB/CD/CE mandatory, BA/BF, AF labels, no abort from the till;
- Fidecoin's CAISSE_AP_V3.20 tag dictionary (AA, AB, AC, AI, CI, ZT; CD action list);
- Dolibarr's and other tills' integrations, reading CF as "données privées" (private data).

Transport: one TCP connection per exchange, the till connects (the terminal listens, 8888
by default), sends one message and reads one answer; the answer has no total length, so it
is complete when the terminal closes or when the records end on a boundary with AE read and
nothing more comes for a moment. A message is records of TAG (2 capitals), LENGTH (3
digits, 1-999) and VALUE (ASCII); CZ first, the others in any order, each tag at most once.
ZT is a constructed record: its value is itself records (CK and AK, the receipt). The
codec is appliance.drivers.caisse_ap_messages.

Tags sent:   CZ version · CJ till's protocol identifier (12) · CA till number (2) · CB amount
             in the currency's minor units (2-12 digits) · CD action (0 debit, 1 credit,
             3 consultation) · CE currency, ISO 4217 numeric · BA 0 (answer at the end of
             the transaction) · BF 0 (no partial approval) · CF private data: OUR reference
             (a digest of it when longer than CF's 32 characters: `private_data`),
             echoed in the answer · CK 100 (return the customer receipt).
Tags read:   AE result (10 done, 01 not done, 11 request taken, answer to follow) · AF
             reason when not done (2 digits, then the acquirer's details) · CB amount
             approved · AC authorisation number · AI card AID · CC application · AA card
             number as the terminal sends it · ZT{CK, AK} the receipt, base64 · CF.
Kept:        brand (from AI, else CC), the last four of AA, AC (as auth code and terminal
             reference) and the receipt lines. AA beyond its last four, AB (expiry), the AID
             itself and CG (contract) are dropped on reading and never logged. Caisse-AP
             returns no card token: a refund is a credit (CD 1) to the card presented.

Status by our reference. Caisse-AP has NO query of a transaction by the till's reference.
The nearest honest mechanism: our reference travels in CF (private data, which terminals
echo), and `status()` sends a consultation (CD 3, "Consultation" in the 3.20 action list;
what a terminal answers to it is not published, so nothing below depends on more than the
answer's own CF/CD/AE/AF) carrying it. The answer is read this way, and never as
"not found" unless the terminal says so:
- an answer whose CF is ours: its AE/AF/CB are the outcome (AE 11: still in progress);
- `?lookup=journal` (a terminal known to search its journal by CF, like our simulator):
  the consultation echoed (CD 3) with AE 01 AF 10 (nothing selected) means not_found;
- anything else (a terminal that answers with its LAST transaction, under another CF, or
  refuses the consultation): in_progress. The terminal cannot tell us, so neither do we.
Consequence for exactly-once: after a lost answer the till learns the outcome when the
terminal can tell; when it cannot, the payment stays in progress (no second card tender
under a new reference) until a manager settles it from the terminal's own journal or
ticket. Without `lookup=journal` a reference the terminal never received is never
"not_found", which costs a manager's look, never a double charge.

Cancel: Caisse-AP gives the till no way to stop a running transaction (the cashier presses
the red key on the terminal; CD 2 "annulation" reverses a finished debit and is not an
abort). `cancel()` raises TerminalRejected(code="cancel_not_supported").

Errors: connect refused or timed out → TerminalUnavailable; sent and no complete answer
(time-out, connection closed, or an answer we cannot read or that is not ours: money may
have moved) → TerminalTimeout; the terminal saying our message is malformed (AF 09), the
action unknown (AF 12) or the currency unsupported (AF 13), or a request we refuse to send
→ TerminalRejected. Caisse-AP has no "busy" answer: a terminal in another till's session
does not take the connection, or drops it unanswered, which is TerminalTimeout (resolved by
status(), which a journal terminal answers even then). Caisse-AP over IP carries no
intermediate display events (BA 0 asks for the answer at the end of the transaction; AE 11,
"request taken", is all a terminal may say before it): `on_state` hears "in_progress" once
the request is sent, and nothing of the card or the PIN, so the till says "in progress on
the terminal" rather than guess.
"""

from __future__ import annotations

import hashlib
import re
import socket
import time
from collections.abc import Mapping
from pathlib import Path

from appliance.drivers.caisse_ap_messages import (
    CONSULTATION,
    CREDIT,
    DEBIT,
    LETTERS,
    NOT_DONE,
    TAKEN,
    MessageError,
    amount_field,
    currency_field,
    decode_all,
    encode,
    result_of,
)
from appliance.drivers.terminal import (
    Kind,
    Outcome,
    StateListener,
    TerminalConfigError,
    TerminalRejected,
    TerminalResult,
    TerminalState,
    TerminalTimeout,
    TerminalUnavailable,
    TerminalUrl,
)

DEFAULT_VERSION = "0320"
# The till's protocol identifier (CJ, 12 characters): the value in the published examples;
# a terminal configured for another one is given it with `?cj=`.
DEFAULT_CJ = "247300123456"
_REFERENCE = re.compile(r"[\x21-\x7e]{1,32}")  # CF is echoed on 1-32 characters
_PRINTABLE = re.compile(r"[\x21-\x7e]+")
QUIET = 0.3  # seconds of silence after a complete answer before it is taken as whole


class CaisseApTerminal:
    """One terminal. Not shared between threads: the till runs one transaction at a time."""

    protocol = "caisse-ap"

    def __init__(
        self,
        host: str,
        port: int,
        *,
        caisse: str = "01",
        cj: str = DEFAULT_CJ,
        version: str = DEFAULT_VERSION,
        currency: str = "EUR",
        lookup: str = "last",
        receipts: bool = True,
        connect_timeout: float = 5.0,
        status_timeout: float = 10.0,
    ) -> None:
        if not re.fullmatch(r"\d{2}", caisse):
            raise ValueError(f"caisse must be two digits, not {caisse!r}")
        if len(cj) != 12 or not cj.isascii():
            raise ValueError("cj must be 12 ASCII characters")
        if not re.fullmatch(r"\d{4}", version):
            raise ValueError(f"version must be four digits (0320), not {version!r}")
        if lookup not in ("last", "journal"):
            raise ValueError("lookup must be last or journal")
        currency_field(currency)
        self.host, self.port = host, port
        self.caisse, self.cj, self.version = caisse, cj, version
        self.currency, self.lookup, self.receipts = currency, lookup, receipts
        self.connect_timeout, self.status_timeout = connect_timeout, status_timeout

    # The till's calls.

    def pay(
        self,
        reference: str,
        amount: int,
        currency: str,
        *,
        timeout: float,
        on_state: StateListener | None = None,
    ) -> TerminalResult:
        return self._transact(DEBIT, "payment", reference, amount, currency, timeout, on_state)

    def refund(
        self,
        reference: str,
        amount: int,
        currency: str,
        *,
        original: TerminalResult | None = None,
        timeout: float,
        on_state: StateListener | None = None,
    ) -> TerminalResult:
        # A credit goes to the card presented: Caisse-AP has no token of the original card.
        return self._transact(CREDIT, "refund", reference, amount, currency, timeout, on_state)

    def cancel(self, reference: str) -> None:
        raise TerminalRejected(
            "Caisse-AP cannot stop a transaction from the till: press the red key on the terminal",
            "cancel_not_supported",
        )

    def status(self, reference: str) -> TerminalResult:
        cf = private_data(reference)
        request = [*self._head(CONSULTATION, "00", currency_field(self.currency)), ("CF", cf)]
        fields = self._exchange(encode(request), self.status_timeout, None, final_only=False)
        return self._consulted(fields, reference, cf)

    def terminal_status(self) -> TerminalState:
        """A terminal known to answer consultations (`lookup=journal`) is asked whether it is
        busy; any other is only reached over TCP, as an unknown consultation could print a
        duplicate ticket each time the till's header looks."""
        if self.lookup != "journal":
            try:
                socket.create_connection((self.host, self.port), timeout=min(self.connect_timeout, 3.0)).close()
            except OSError:
                return "offline"
            return "idle"
        request = encode(self._head(CONSULTATION, "00", currency_field(self.currency)))
        try:
            fields = self._exchange(request, min(self.status_timeout, 3.0), None, final_only=False)
        except TerminalUnavailable:
            return "offline"
        except TerminalTimeout:
            return "busy"  # it took the connection and said nothing: in another exchange
        return "busy" if fields.get("AE") == TAKEN else "idle"

    def close(self) -> None:
        """Nothing is held between calls: every exchange has its own connection."""

    # The exchanges.

    def _head(self, action: str, amount: str, currency: str) -> list[tuple[str, str]]:
        return [
            ("CZ", self.version),
            ("CJ", self.cj),
            ("CA", self.caisse),
            ("CB", amount),
            ("CD", action),
            ("CE", currency),
        ]

    def _transact(
        self,
        action: str,
        kind: Kind,
        reference: str,
        amount: int,
        currency: str,
        timeout: float,
        on_state: StateListener | None,
    ) -> TerminalResult:
        cf = private_data(reference)
        numeric = currency_field(currency)
        request = self._head(action, amount_field(amount), numeric)
        request += [("BA", "0"), ("BF", "0"), ("CF", cf)]
        if self.receipts:
            request.append(("CK", "100"))
        fields = self._exchange(encode(request), timeout, on_state, final_only=True)
        # An answer that names another till, action, currency or reference is not ours; one
        # that leaves a tag out (a refusal of a malformed request may) does not contradict.
        mismatch = [t for t, v in (("CA", self.caisse), ("CD", action), ("CE", numeric)) if fields.get(t, v) != v]
        if mismatch or fields.get("CF", cf) != cf:
            raise TerminalTimeout(
                f"the terminal answered another transaction ({', '.join(mismatch) or 'CF'}): outcome unknown"
            )
        try:
            return result_of(fields, reference, kind, currency)
        except MessageError as exc:
            raise TerminalTimeout(f"unreadable answer ({exc}): outcome unknown") from None

    def _consulted(self, fields: Mapping[str, str], reference: str, cf: str) -> TerminalResult:
        currency = LETTERS.get(fields.get("CE", ""), self.currency)

        def unknown(outcome: Outcome) -> TerminalResult:
            return TerminalResult(reference=reference, kind="payment", outcome=outcome, amount=0, currency=currency)

        ours = fields.get("CF") == cf
        action = fields.get("CD")
        if ours and fields.get("AE") == TAKEN:
            return unknown("in_progress")
        if ours and action in (DEBIT, CREDIT):
            kind: Kind = "payment" if action == DEBIT else "refund"
            try:
                return result_of(fields, reference, kind, currency)
            except TerminalRejected as exc:  # the original request was refused unread
                return TerminalResult(
                    reference=reference,
                    kind=kind,
                    outcome="declined",
                    amount=0,
                    currency=currency,
                    decline_reason=str(exc),
                )
            except MessageError:
                return unknown("in_progress")
        said_unknown = ours and action == CONSULTATION and fields.get("AE") == NOT_DONE
        if said_unknown and self.lookup == "journal" and fields.get("AF", "")[:2] == "10":
            return unknown("not_found")
        return unknown("in_progress")

    def _exchange(
        self, request: bytes, timeout: float, on_state: StateListener | None, *, final_only: bool
    ) -> dict[str, str]:
        """One connection, one request, one answer. `final_only`: an AE 11 (request taken)
        is not the answer of a transaction, whose outcome follows on the same connection."""
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout)
        except OSError as exc:
            raise TerminalUnavailable(f"terminal {self.host}:{self.port} unreachable: {exc}") from None
        with sock:
            try:
                sock.sendall(request)
            except OSError as exc:
                raise TerminalTimeout(f"sending to the terminal failed ({exc}): outcome unknown") from None
            if on_state is not None:
                on_state("in_progress")
            deadline = time.monotonic() + timeout
            while True:
                messages = _read_answer(sock, deadline, timeout)
                if not final_only:
                    return messages[-1]
                outcome = [m for m in messages if m.get("AE") != TAKEN]
                if len(outcome) > 1:
                    raise TerminalTimeout("the terminal sent two outcomes for one request: outcome unknown")
                if outcome:
                    return outcome[0]


def private_data(reference: str) -> str:
    """What travels in CF for our reference: the reference itself when it fits CF (1 to 32
    printable characters), else a digest of it that does. The till's references are longer
    (a payment's is 36 characters, a reversal's 45), and the same reference always gives
    the same CF, so that status() finds a transaction after any restart."""
    if _REFERENCE.fullmatch(reference):
        return reference
    if not _PRINTABLE.fullmatch(reference):
        raise TerminalRejected("a reference is printable ASCII characters, no space (Caisse-AP CF)", "reference")
    return "#" + hashlib.sha256(reference.encode("ascii")).hexdigest()[:31]


def _answered(buf: bytes) -> bool:
    """Whether `buf` holds whole messages, the last of which states a result (AE)."""
    try:
        return "AE" in decode_all(buf)[-1]
    except MessageError:
        return False


def _read_answer(sock: socket.socket, deadline: float, timeout: float) -> list[dict[str, str]]:
    """The messages the terminal sent, once they end with a result and the line is quiet, or
    the terminal closed."""
    buf = b""
    while True:
        complete = _answered(buf)
        left = deadline - time.monotonic()
        if left <= 0 and not complete:
            raise TerminalTimeout(f"no answer from the terminal in {timeout:g} s: outcome unknown")
        sock.settimeout(QUIET if complete else max(left, 0.001))
        try:
            chunk = sock.recv(4096)
        except TimeoutError:
            if complete:
                break
            raise TerminalTimeout(f"no answer from the terminal in {timeout:g} s: outcome unknown") from None
        except OSError as exc:
            raise TerminalTimeout(f"the connection broke ({exc}): outcome unknown") from None
        if not chunk:
            break
        buf += chunk
    if not buf:
        raise TerminalTimeout("the terminal closed the connection without an answer: outcome unknown")
    try:
        return decode_all(buf)
    except MessageError as exc:
        raise TerminalTimeout(f"unreadable answer ({exc}): outcome unknown") from None


def connect(where: TerminalUrl, key_dir: Path | None = None) -> CaisseApTerminal:
    """`caisse-ap://HOST:PORT?caisse=01&cj=…&version=0320&currency=EUR&lookup=journal`.
    Caisse-AP over IP is in clear on the LAN: there is no key, so key_dir is unused."""
    o = where.options
    known = {"caisse", "cj", "version", "currency", "lookup", "receipts"}
    if set(o) - known:
        raise TerminalConfigError(f"unknown Caisse-AP option(s): {', '.join(sorted(set(o) - known))}")
    try:
        return CaisseApTerminal(
            where.host,
            where.port,
            caisse=o.get("caisse", "01"),
            cj=o.get("cj", DEFAULT_CJ),
            version=o.get("version", DEFAULT_VERSION),
            currency=o.get("currency", "EUR"),
            lookup=o.get("lookup", "last"),
            receipts=o.get("receipts", "1") not in ("0", "no", "false"),
        )
    except (ValueError, TerminalRejected) as exc:
        raise TerminalConfigError(f"terminal_url: {exc}") from None
