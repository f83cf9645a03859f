"""The messages of Caisse-AP over IP, version 3.2: records of TAG (2 capitals), LENGTH (3
digits) and VALUE (ASCII), CZ first; the tables of codes; and the reading of an answer into
what the shop keeps. The specification, its sources and the tags used are described in
appliance.drivers.terminal_caisse_ap, the driver that speaks them."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping

from appliance.drivers.terminal import Kind, Outcome, TerminalRejected, TerminalResult

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
CONSTRUCTED = {"ZT"}


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
    messages = decode_all(data)
    if len(messages) != 1:
        raise MessageError("tag CZ twice: more than one message")
    return messages[0]


def decode_all(data: bytes) -> list[dict[str, str]]:
    """The messages one after the other in `data` (a terminal may send "request taken" and
    then the outcome on the same connection): each starts at its CZ record."""
    data = data.rstrip(b"\r\n")
    if not data.startswith(b"CZ"):
        raise MessageError("a message starts with CZ")
    messages: list[dict[str, str]] = []

    def take(fields: dict[str, str], records: list[tuple[str, bytes]]) -> None:
        for tag, value in records:
            if tag in fields:
                raise MessageError(f"tag {tag} twice")
            if tag in CONSTRUCTED:
                take(fields, _records(value))
                continue
            try:
                fields[tag] = value.decode("ascii")
            except UnicodeDecodeError:
                raise MessageError(f"{tag} is not ASCII") from None

    for tag, value in _records(data):
        if tag == "CZ":
            messages.append({})
        take(messages[-1], [(tag, value)])
    return messages


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
