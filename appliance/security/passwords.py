"""Staff passwords: Argon2id at or above OWASP's floor, and the rules a new one must meet.

The parameters are the floor (m=19 MiB, t=2, p=1) unless the store raises them; a hash
made with weaker parameters is re-made at the next good login (`needs_rehash`).
"""

from __future__ import annotations

import hashlib
import itertools
import secrets
import string
from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from appliance.app.domain.errors import Invalid

MIN_LENGTH = 12
MAX_LENGTH = 256  # long enough for a passphrase, short enough not to be a DoS on Argon2


@dataclass(frozen=True)
class Argon2Params:
    time_cost: int = 2
    memory_kib: int = 19 * 1024
    parallelism: int = 1

    def check_floor(self) -> None:
        floor = Argon2Params()
        if (
            self.time_cost < floor.time_cost
            or self.memory_kib < floor.memory_kib
            or self.parallelism < floor.parallelism
        ):
            raise Invalid("Argon2 parameters are below OWASP's floor (m=19 MiB, t=2, p=1)", "weak_kdf")


class Passwords:
    def __init__(self, params: Argon2Params | None = None) -> None:
        self.params = params or Argon2Params()
        self.params.check_floor()
        self._hasher = PasswordHasher(
            time_cost=self.params.time_cost,
            memory_cost=self.params.memory_kib,
            parallelism=self.params.parallelism,
            type=Type.ID,
        )
        self._decoy: str | None = None

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def _decoy_hash(self) -> str:
        # Verifying against this keeps a login for an unknown user as slow as a real one. Made
        # at the first such login, not at start (one Argon2 hash, tens of ms); two threads
        # racing to make it each make a good one.
        if self._decoy is None:
            self._decoy = self._hasher.hash(secrets.token_urlsafe(16))
        return self._decoy

    def verify(self, stored_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash or self._decoy_hash(), password) and stored_hash is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)


def check_strength(password: str, username: str = "") -> None:
    """PCI DSS 8.3.6: at least 12 characters, letters and digits."""
    if not isinstance(password, str):
        raise Invalid("the password must be text", "weak_password")
    if len(password) < MIN_LENGTH:
        raise Invalid(f"the password must have at least {MIN_LENGTH} characters", "weak_password")
    if len(password) > MAX_LENGTH:
        raise Invalid(f"the password must have at most {MAX_LENGTH} characters", "weak_password")
    if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
        raise Invalid("the password must contain letters and digits", "weak_password")
    if username and username.lower() in password.lower():
        raise Invalid("the password must not contain the user name", "weak_password")


# Read off a screen or a slip and typed on a till: no 0/O/o, 1/l/I, 5/S/s, 2/Z/z, 8/B, u/v.
UNAMBIGUOUS = "".join(c for c in string.ascii_letters + string.digits if c not in "0Oo1lIi5Ss2Zz8BuvUV")


def one_time_password() -> str:
    """A random password that meets the rules, for a first login that must change it."""
    alphabet = UNAMBIGUOUS
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(16))
        if any(c.isalpha() for c in candidate) and any(c.isdigit() for c in candidate):
            return candidate


# -- PINs ----------------------------------------------------------------------------------
# A cashier's PIN (PCI DSS v4.0 8.3 leaves out POS cashier IDs that see at most one card
# number at a time): 4 to 8 digits, kept as Argon2id like a password, locked after the same
# 10 tries. A PIN anyone would try first is refused.

PIN_MIN = 4
PIN_MAX = 8
ONE_TIME_PIN_LENGTH = 6


def looks_like_pin(secret: object) -> bool:
    """4 to 8 ASCII digits: what a till's login form sends as a PIN (a password has 12+)."""
    return isinstance(secret, str) and PIN_MIN <= len(secret) <= PIN_MAX and secret.isascii() and secret.isdigit()


def check_pin(pin: object) -> str:
    if not looks_like_pin(pin):
        raise Invalid(f"a PIN is {PIN_MIN} to {PIN_MAX} digits", "weak_pin")
    assert isinstance(pin, str)
    if len(set(pin)) == 1:
        raise Invalid("a PIN must not be one digit repeated (like 1111)", "weak_pin")
    steps = {int(b) - int(a) for a, b in itertools.pairwise(pin)}
    if steps in ({1}, {-1}):
        raise Invalid("a PIN must not be a straight run of digits (like 1234 or 9876)", "weak_pin")
    return pin


def one_time_pin() -> str:
    """A random 6-digit PIN that meets the rules, for a first use that must change it."""
    while True:
        candidate = "".join(secrets.choice(string.digits) for _ in range(ONE_TIME_PIN_LENGTH))
        try:
            return check_pin(candidate)
        except Invalid:
            continue


# -- badges --------------------------------------------------------------------------------
BADGE_MIN = 4
BADGE_MAX = 64
_BADGE_PREFIX = b"comptoir-staff-badge-v1\x00"


def check_badge(code: object) -> str:
    """A badge's code as its reader types it: 4 to 64 visible ASCII characters."""
    if not isinstance(code, str):
        raise Invalid("a badge code must be text", "invalid_badge")
    code = code.strip()
    if not BADGE_MIN <= len(code) <= BADGE_MAX or not all("!" <= c <= "~" for c in code):
        raise Invalid(f"a badge code is {BADGE_MIN} to {BADGE_MAX} letters, digits or signs", "invalid_badge")
    return code


def badge_digest(code: str) -> str:
    """What the store keeps of a badge: a hash to look it up by, never the code. A fixed
    prefix keeps a table of plain SHA-256 hashes of codes from matching it."""
    return hashlib.sha256(_BADGE_PREFIX + code.encode("ascii")).hexdigest()
