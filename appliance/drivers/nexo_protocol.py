"""What the nexo driver and its simulator share: Adyen's local message protection, JSON with
exact decimal amounts, and the files both read in the key dir.

Message protection (Adyen Terminal API, local communications, "shared key"): the whole
message, `{"SaleToPOIRequest": {...}}` or `{"SaleToPOIResponse": {...}}` as JSON, is
encrypted with AES-256-CBC and authenticated with HMAC-SHA256 over the plaintext; the keys
and a base IV come from the passphrase by PBKDF2-HMAC-SHA1 (salt `AdyenNexoV1Salt`, 4000
rounds, 80 bytes: HMAC key, cipher key, IV in that order). Each message carries a fresh
16-byte nonce; the IV used is the base IV XOR the nonce. On the wire only the MessageHeader
travels in clear, beside the `NexoBlob` and its `SecurityTrailer`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import urllib.parse
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from appliance.app.domain.money import EXPONENTS

PASSPHRASE_FILE = "terminal-nexo.passphrase"  # noqa: S105 (a file name, not a secret)
CA_FILE = "terminal-nexo-ca.pem"
SALT = b"AdyenNexoV1Salt"
ROUNDS = 4000
HMAC_KEY_LENGTH = 32
CIPHER_KEY_LENGTH = 32
IV_LENGTH = 16
CRYPTO_VERSION = 1
PROTOCOL_VERSION = "3.0"
ROOTS = ("SaleToPOIRequest", "SaleToPOIResponse")


class ProtectionError(ValueError):
    """A protected message that cannot be opened: wrong key, tampered, or not protected."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class SharedKey:
    """The shared key as the terminal's settings name it: identifier, version, passphrase."""

    identifier: str
    version: int
    passphrase: str = ""

    def __repr__(self) -> str:  # the passphrase never reaches a log through a repr
        return f"SharedKey({self.identifier!r}, {self.version})"


@dataclass(frozen=True)
class DerivedKeys:
    hmac_key: bytes
    cipher_key: bytes
    iv: bytes


@lru_cache(maxsize=8)
def derive(passphrase: str) -> DerivedKeys:
    """The key material of a passphrase: 4000 PBKDF2 rounds, so computed once per passphrase."""
    material = hashlib.pbkdf2_hmac(
        "sha1", passphrase.encode("utf-8"), SALT, ROUNDS, HMAC_KEY_LENGTH + CIPHER_KEY_LENGTH + IV_LENGTH
    )
    return DerivedKeys(
        hmac_key=material[:HMAC_KEY_LENGTH],
        cipher_key=material[HMAC_KEY_LENGTH : HMAC_KEY_LENGTH + CIPHER_KEY_LENGTH],
        iv=material[HMAC_KEY_LENGTH + CIPHER_KEY_LENGTH :],
    )


def _cipher(keys: DerivedKeys, nonce: bytes) -> Cipher[modes.CBC]:
    iv = bytes(a ^ b for a, b in zip(keys.iv, nonce, strict=True))
    return Cipher(algorithms.AES(keys.cipher_key), modes.CBC(iv))


def protect(root: str, message: dict[str, Any], key: SharedKey, *, nonce: bytes | None = None) -> dict[str, Any]:
    """`{root: message}` as it goes on the wire: header in clear, the rest in the blob."""
    keys = derive(key.passphrase)
    plain = dumps({root: message}).encode("utf-8")
    nonce = nonce if nonce is not None else secrets.token_bytes(IV_LENGTH)
    padder = padding.PKCS7(128).padder()
    encryptor = _cipher(keys, nonce).encryptor()
    blob = encryptor.update(padder.update(plain) + padder.finalize()) + encryptor.finalize()
    return {
        root: {
            "MessageHeader": message["MessageHeader"],
            "NexoBlob": base64.b64encode(blob).decode("ascii"),
            "SecurityTrailer": {
                "AdyenCryptoVersion": CRYPTO_VERSION,
                "KeyIdentifier": key.identifier,
                "KeyVersion": key.version,
                "Nonce": base64.b64encode(nonce).decode("ascii"),
                "Hmac": base64.b64encode(hmac.new(keys.hmac_key, plain, hashlib.sha256).digest()).decode("ascii"),
            },
        }
    }


def unprotect(envelope: Any, key: SharedKey) -> tuple[str, dict[str, Any]]:
    """(root, message) of a protected message; ProtectionError unless it opens under `key`,
    its HMAC holds, and the header in clear is the one inside."""
    if not isinstance(envelope, dict) or len(envelope) != 1:
        raise ProtectionError("not a nexo message", "format")
    root, outer = next(iter(envelope.items()))
    if root not in ROOTS or not isinstance(outer, dict):
        raise ProtectionError("not a nexo message", "format")
    trailer = outer.get("SecurityTrailer")
    if "NexoBlob" not in outer or not isinstance(trailer, dict):
        raise ProtectionError("the message is not protected", "unprotected")
    if trailer.get("KeyIdentifier") != key.identifier or trailer.get("KeyVersion") != key.version:
        raise ProtectionError(
            f"protected under key {trailer.get('KeyIdentifier')!r} v{trailer.get('KeyVersion')!r},"
            f" not {key.identifier!r} v{key.version}",
            "key",
        )
    if trailer.get("AdyenCryptoVersion") != CRYPTO_VERSION:
        raise ProtectionError("unknown AdyenCryptoVersion", "crypto_version")
    try:
        blob = base64.b64decode(str(outer["NexoBlob"]), validate=True)
        nonce = base64.b64decode(str(trailer.get("Nonce")), validate=True)
        mac = base64.b64decode(str(trailer.get("Hmac")), validate=True)
    except ValueError:
        raise ProtectionError("NexoBlob, Nonce or Hmac is not base64", "format") from None
    if len(nonce) != IV_LENGTH or not blob or len(blob) % 16:
        raise ProtectionError("NexoBlob or Nonce has the wrong length", "format")
    keys = derive(key.passphrase)
    decryptor = _cipher(keys, nonce).decryptor()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        plain = unpadder.update(decryptor.update(blob) + decryptor.finalize()) + unpadder.finalize()
    except ValueError:
        plain = b""  # bad padding: the HMAC check below fails the same way, saying no more
    if not hmac.compare_digest(hmac.new(keys.hmac_key, plain, hashlib.sha256).digest(), mac):
        raise ProtectionError("the HMAC does not match: wrong passphrase or a tampered message", "hmac")
    try:
        inner = loads(plain)
    except ValueError:
        raise ProtectionError("the blob is not JSON", "format") from None
    message = inner.get(root) if isinstance(inner, dict) else None
    if not isinstance(message, dict) or message.get("MessageHeader") != outer.get("MessageHeader"):
        raise ProtectionError("the header in clear is not the one inside the blob", "header")
    return root, message


# -- JSON with exact amounts ----------------------------------------------------------------------


def dumps(value: Any) -> str:
    """JSON where a Decimal is written as the number it is (10.99, never 10.990000000000000213)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    if isinstance(value, float):
        raise TypeError("amounts are Decimal here, never float")
    return json.dumps(value, ensure_ascii=False)


def loads(data: bytes | str) -> Any:
    """JSON whose fractional numbers come back as Decimal, exactly as written."""
    return json.loads(data, parse_float=Decimal)


def to_major(amount: int, currency: str) -> Decimal:
    """Minor units as the decimal amount in major units nexo carries (1099 CAD → 10.99)."""
    return Decimal(amount).scaleb(-exponent(currency))


def to_minor(value: Any, currency: str) -> int:
    """A nexo amount back in minor units; ValueError unless exact."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise ValueError(f"amount {value!r} is not a number")
    try:
        minor = Decimal(value).scaleb(exponent(currency))
        whole = minor.to_integral_value()
    except InvalidOperation:
        raise ValueError(f"amount {value!r} is not a number") from None
    if minor != whole:
        raise ValueError(f"amount {value} has more decimals than {currency} has")
    return int(whole)


def exponent(currency: str) -> int:
    try:
        return EXPONENTS[currency]
    except KeyError:
        raise ValueError(f"unsupported currency {currency!r}") from None


def part(message: Any, *path: str) -> dict[str, Any]:
    """The object at `path` in a message, or {} where it is missing or not an object."""
    for name in path:
        message = message.get(name) if isinstance(message, dict) else None
    return message if isinstance(message, dict) else {}


# -- receipts and key=value strings -----------------------------------------------------------------


def form(text: Any) -> dict[str, str]:
    """Adyen's `a=1&b=2` strings (AdditionalResponse, receipt lines) as a dict."""
    return dict(urllib.parse.parse_qsl(text, keep_blank_values=True)) if isinstance(text, str) else {}


def receipt_line(text: str) -> str:
    """One OutputText line as printed: Adyen sends `name=Card&value=...3511&key=pan`."""
    fields = form(text)
    if "key" not in fields and "name" not in fields:
        return text
    name, value = fields.get("name", ""), fields.get("value", "")
    return f"{name}: {value}" if name and value else name or value


# -- files ---------------------------------------------------------------------------------------------


def write_private(path: Path, data: bytes) -> None:
    """Written whole or not at all, readable by this user only."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
