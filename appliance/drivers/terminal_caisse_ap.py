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
- Fidecoin's CAISSE_AP_V3.20 tag dictionary (AA, AB, AC, AI, CI, ZT; CD action list).

Transport: one TCP connection per exchange, the till connects (the terminal listens, 8888
by default), sends one message and reads one answer; the answer has no total length, so it
is complete when the terminal closes or when the records end on a boundary with AE read and
nothing more comes for a moment. A message is records of TAG (2 capitals), LENGTH (3
digits, 1-999) and VALUE (ASCII); CZ first, the others in any order, each tag at most once.
ZT is a constructed record: its value is itself records (CK and AK, the receipt).

Tags sent:   CZ version · CJ till's protocol identifier (12) · CA till number (2) · CB amount
             in the currency's minor units (2-12 digits) · CD action (0 debit, 1 credit,
             3 consultation) · CE currency, ISO 4217 numeric · BA 0 (answer at the end of
             the transaction) · BF 0 (no partial approval) · CF private data: OUR reference,
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
echo), and `status()` sends a consultation (CD 3, in the 3.2 action list) carrying it. The
answer is read this way, and never as "not found" unless the terminal says so:
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
→ TerminalRejected. Caisse-AP over IP carries no intermediate display events: `on_state`
hears "waiting_for_card" once the request is sent, and nothing of the PIN.
"""

from __future__ import annotations

import base64
import binascii
import re
import socket
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

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
DEBIT, CREDIT, CONSULTATION = "0", "1", "3"
DONE, NOT_DONE, TAKEN = "10", "01", "11"

# ISO 4217: letters → (numeric code, minor-unit exponent). The amount travels in minor
# units, so the exponent only serves the simulator's receipt; the till's own table is
# appliance.app.domain.money.EXPONENTS, which a driver may not import.
CURRENCIES: dict[str, tuple[str, int]] = {
    "AUD": ("036", 2),
    "BHD": ("048", 3),
    "CAD": ("124", 2),
    "CHF": ("756", 2),
    "CZK": ("203", 2),
    "DKK": ("208", 2),
    "EUR": ("978", 2),
    "GBP": ("826", 2),
    "HUF": ("348", 2),
    "JPY": ("392", 0),
    "KRW": ("410", 0),
    "KWD": ("414", 3),
    "MXN": ("484", 2),
    "NOK": ("578", 2),
    "NZD": ("554", 2),
    "PLN": ("985", 2),
    "RON": ("946", 2),
    "SEK": ("752", 2),
    "TND": ("788", 3),
    "UAH": ("980", 2),
    "USD": ("840", 2),
    "XPF": ("953", 0),
}
LETTERS = {numeric: letters for letters, (numeric, _) in CURRENCIES.items()}

# AF, first two characters, when AE is 01 (the specification's labels).
REASONS = {
    "00": "Inconnu",
    "01": "Transaction autorisée",
    "02": "Appel phonie",
    "03": "Forçage",
    "04": "Refusée",
    "05": "Interdite",
    "06": "Abandon",
    "07": "Non aboutie",
    "08": "Time-out saisie",
    "09": "Erreur format message",
    "10": "Erreur sélection",
    "11": "Abandon opérateur",
    "12": "Type d'action inconnu",
    "13": "Devise non supportée",
}
CANCELLED = {"06", "07", "08", "11"}  # stopped on the terminal before any money moved
REFUSED_REQUEST = {"09", "12", "13"}  # our message was refused unread

# CC, the application that ran, for the brand when the AID says nothing.
APPLICATIONS = {
    "001": "CB",
    "00B": "CB",
    "002": "American Express",
    "00D": "American Express",
    "009": "JCB",
    "006": "Diners Club",
    "00U": "UnionPay",
    "00C": "Chèque",
}
# The registered application provider (first 10 hex digits of the AID).
AID_BRANDS = {
    "A000000003": "Visa",
    "A000000004": "Mastercard",
    "A000000042": "CB",
    "A000000025": "American Express",
    "A000000065": "JCB",
    "A000000152": "Discover",
    "A000000333": "UnionPay",
}

MAX_AMOUNT = 10**12 - 1  # CB holds 12 digits
_TAG = re.compile(rb"[A-Z]{2}")
_REFERENCE = re.compile(r"[\x21-\x7e]{1,32}")  # CF is echoed on 1-32 characters
CONSTRUCTED = {"ZT"}
QUIET = 0.3  # seconds of silence after a complete answer before it is taken as whole


class MessageError(ValueError):
    """Not a Caisse-AP message."""


def encode(fields: Iterable[tuple[str, str]], *, whole: bool = True) -> bytes:
    """Records in the order given, no tag twice; a whole message starts with CZ (the
    inside of a constructed record such as ZT does not)."""
    out = bytearray()
    seen: set[str] = set()
    for tag, value in fields:
        if not _TAG.fullmatch(tag.encode("ascii", "replace")):
            raise MessageError(f"tag {tag!r} is not two capital letters")
        if whole and not seen and tag != "CZ":
            raise MessageError("CZ must be the first record")
        if tag in seen:
            raise MessageError(f"tag {tag} twice")
        raw = value.encode("ascii")
        if not 1 <= len(raw) <= 999:
            raise MessageError(f"{tag}: a value has 1 to 999 characters")
        seen.add(tag)
        out += tag.encode("ascii") + b"%03d" % len(raw) + raw
    return bytes(out)


def _records(data: bytes) -> list[tuple[str, bytes]]:
    records: list[tuple[str, bytes]] = []
    i = 0
    while i < len(data):
        head = data[i : i + 5]
        if len(head) < 5:
            raise MessageError("truncated record header")
        if not _TAG.fullmatch(head[:2]):
            raise MessageError(f"bad tag {head[:2]!r} at {i}")
        if not head[2:].isdigit():
            raise MessageError(f"bad length {head[2:]!r} at {i}")
        size = int(head[2:])
        if size == 0:
            raise MessageError(f"{head[:2].decode()} has a length of zero")
        value = data[i + 5 : i + 5 + size]
        if len(value) < size:
            raise MessageError(f"{head[:2].decode()} is cut short")
        records.append((head[:2].decode("ascii"), value))
        i += 5 + size
    return records


def decode(data: bytes) -> dict[str, str]:
    """The records of one message, with ZT's inner records lifted up beside the others.
    Strict: a trailing CR/LF is tolerated, anything else malformed raises MessageError."""
    data = data.rstrip(b"\r\n")
    if not data.startswith(b"CZ"):
        raise MessageError("a message starts with CZ")
    fields: dict[str, str] = {}

    def take(records: list[tuple[str, bytes]]) -> None:
        for tag, value in records:
            if tag in fields:
                raise MessageError(f"tag {tag} twice")
            if tag in CONSTRUCTED:
                take(_records(value))
                continue
            try:
                fields[tag] = value.decode("ascii")
            except UnicodeDecodeError:
                raise MessageError(f"{tag} is not ASCII") from None

    take(_records(data))
    return fields


def amount_field(amount: int) -> str:
    if not 0 < amount <= MAX_AMOUNT:
        raise TerminalRejected(f"amount {amount} is out of Caisse-AP's range (1 to 12 digits)", "amount")
    return f"{amount:02d}"


def currency_field(currency: str) -> str:
    try:
        return CURRENCIES[currency][0]
    except KeyError:
        raise TerminalRejected(f"currency {currency!r} is not known to this driver", "currency") from None


def brand_of(fields: Mapping[str, str]) -> str | None:
    aid = fields.get("AI", "").upper()
    return AID_BRANDS.get(aid[:10]) or APPLICATIONS.get(fields.get("CC", ""))


def last_four_of(fields: Mapping[str, str]) -> str | None:
    """The last four of AA, whatever the terminal masked; the rest is never kept."""
    digits = fields.get("AA", "")[-4:]
    return digits if len(digits) == 4 and digits.isdigit() else None


def receipt_of(fields: Mapping[str, str]) -> tuple[str, ...]:
    text = fields.get("AK")
    if not text:
        return ()
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return ()
    return tuple(raw.decode("latin-1").splitlines())


def reason_of(af: str) -> str:
    code = af[:2]
    return f"{REASONS.get(code, 'Code inconnu')} ({code})" if code else "Non effectuée"


def result_of(fields: Mapping[str, str], reference: str, kind: Kind, currency: str) -> TerminalResult:
    """The outcome a transaction's answer (or its consultation) states. Raises
    TerminalRejected when the terminal refused the request unread."""
    ae = fields.get("AE")
    af = fields.get("AF", "")
    if ae == DONE:
        cb = fields.get("CB", "")
        if not cb.isdigit() or int(cb) <= 0:
            raise MessageError(f"approved without an amount (CB {cb!r})")
        return TerminalResult(
            reference=reference,
            kind=kind,
            outcome="approved",
            amount=int(cb),
            currency=currency,
            terminal_reference=fields.get("AC") or None,
            brand=brand_of(fields),
            last_four=last_four_of(fields),
            auth_code=fields.get("AC") or None,
            customer_receipt=receipt_of(fields),
        )
    if ae == NOT_DONE:
        code = af[:2]
        if code in REFUSED_REQUEST:
            raise TerminalRejected(f"the terminal refused the request: {reason_of(af)}", f"af_{code}")
        outcome: Outcome = "cancelled" if code in CANCELLED else "declined"
        return TerminalResult(
            reference=reference,
            kind=kind,
            outcome=outcome,
            amount=0,
            currency=currency,
            brand=brand_of(fields),
            last_four=last_four_of(fields),
            decline_reason=reason_of(af),
            customer_receipt=receipt_of(fields),
        )
    raise MessageError(f"AE {ae!r} states no outcome")


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
        _check_reference(reference)
        request = [*self._head(CONSULTATION, "00", currency_field(self.currency)), ("CF", reference)]
        fields = self._exchange(encode(request), self.status_timeout, None, final_only=False)
        return self._consulted(fields, reference)

    def terminal_status(self) -> TerminalState:
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
        _check_reference(reference)
        numeric = currency_field(currency)
        request = self._head(action, amount_field(amount), numeric)
        request += [("BA", "0"), ("BF", "0"), ("CF", reference)]
        if self.receipts:
            request.append(("CK", "100"))
        fields = self._exchange(encode(request), timeout, on_state, final_only=True)
        mismatch = [t for t, v in (("CA", self.caisse), ("CD", action), ("CE", numeric)) if fields.get(t) != v]
        if mismatch or fields.get("CF", reference) != reference:
            raise TerminalTimeout(
                f"the terminal answered another transaction ({', '.join(mismatch) or 'CF'}): outcome unknown"
            )
        try:
            return result_of(fields, reference, kind, currency)
        except MessageError as exc:
            raise TerminalTimeout(f"unreadable answer ({exc}): outcome unknown") from None

    def _consulted(self, fields: Mapping[str, str], reference: str) -> TerminalResult:
        currency = LETTERS.get(fields.get("CE", ""), self.currency)

        def unknown(outcome: Outcome) -> TerminalResult:
            return TerminalResult(reference=reference, kind="payment", outcome=outcome, amount=0, currency=currency)

        ours = fields.get("CF") == reference
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
                on_state("waiting_for_card")
            deadline = time.monotonic() + timeout
            while True:
                fields = _read_answer(sock, deadline, timeout)
                if not final_only or fields.get("AE") != TAKEN:
                    return fields


def _check_reference(reference: str) -> None:
    if not _REFERENCE.fullmatch(reference):
        raise TerminalRejected("a reference is 1 to 32 printable ASCII characters (Caisse-AP CF)", "reference")


def _answer_in(buf: bytes) -> bool:
    try:
        return "AE" in decode(buf)
    except MessageError:
        return False


def _read_answer(sock: socket.socket, deadline: float, timeout: float) -> dict[str, str]:
    buf = b""
    while True:
        complete = _answer_in(buf)
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
        return decode(buf)
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
