"""The card token vault: a card number goes in, a random token comes out.

Three layers of keys, so that no single file gives the PANs away (PCI DSS v4.0 3.5, 3.6):

- the **KEK** (key-encryption key) comes from the key provider `vault` (`vault.key` in the
  data dir, or the systemd credential `comptoir-vault-key`), never from the store, and is
  separate from the SQLCipher key (3.6.1.2);
- **data keys** (DEKs) encrypt the PANs with AES-256-GCM; they sit in `vault_keys` only
  wrapped (AES-256-GCM) by the KEK;
- the **fingerprint key** makes a keyed HMAC-SHA256 of each PAN, so that the same card is
  found again without decrypting anything (3.5.1.1); it is wrapped by the KEK too.

Beside each token the vault keeps brand, last four and expiry: what a receipt may show.
Track data, CVV and PIN have no parameter anywhere here: they are never stored (3.3.1).

A number is kept only while a payment needs it (3.2.1): `forget_settled` erases the number
(ciphertext, nonce and fingerprint) of every token whose payment attempts the acquirer has
all answered definitively (approved, declined, voided, failed), and deletes a retired data
key once no number is left under it. The token row stays, with brand, last four and expiry,
as the reference receipts and payments use. A declined number is never kept; an approved
one at most for the store rule `card_number_keep_minutes` (0, at once, by default); a
pending attempt keeps its number until it is settled. Refunds go back through the
acquirer's reference to the authorisation and never need the number.

Detokenising returns the PAN for the payment service only; every call goes through the
caller's audit callable before the number leaves, and no PAN is ever logged.

`rotate()` puts a new KEK in place and re-wraps every data key in one transaction; the key
file is swapped in the same crash-safe order as `Database.rekey` (new key beside the old as
`.next`, store changed in one transaction, then the file replaced), and opening the vault
finishes whichever step a crash interrupted.

The vault's rows live in the store, and their SQL in the store's modules of those tables
(`store/card_tokens.py`, `store/vault_keys.py`); security does not import the store, so
whoever opens the vault hands it the store (`Store`) and those modules (`Tables`):
`services/card_vault.open_vault` does. Every write the vault makes is one of the functions
`TokenRows` and `KeyRows` list.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from appliance.app.domain.card import Card, detect_brand
from appliance.app.domain.errors import Forbidden, NotFound
from appliance.security.keys import (
    KeyError_,
    KeyFile,
    KeyProvider,
    fsync_dir,
    new_key,
    pending_key_path,
    provider_for,
    write_key_file,
)

KEY_NAME = "vault"
TOKEN_PREFIX = "tok_"  # noqa: S105 - a prefix that names tokens, not a secret
NONCE_BYTES = 12

# Why a PAN may leave the vault. Anything else is refused (and audited as denied).
PURPOSES = frozenset({"authorise", "resolve"})
# Attempt statuses the acquirer has answered for good: the number is no longer needed.
# Any other status (pending, or one a later change adds for an unknown outcome) keeps it.
SETTLED = ("approved", "declined", "voided", "failed")
# Settled for good and never worth keeping, whatever the store's rule says.
NEVER_KEPT = ("declined",)

Audit = Callable[[str, str, str, dict[str, Any]], None]


class Store(Protocol):
    """What the vault needs of the store its rows live in (`store.db.Database`)."""

    @property
    def conn(self) -> Any: ...

    def transaction(self) -> AbstractContextManager[Any]: ...

    def after_commit(self, callback: Callable[[], None]) -> None: ...


class TokenRows(Protocol):
    """The card_tokens table (`store/card_tokens.py`): numbers come and go sealed."""

    def by_fingerprint(self, conn: Any, fingerprint: bytes) -> Any: ...

    def by_token(self, conn: Any, token: str) -> Any: ...

    def sealed(self, conn: Any, token: str) -> Any: ...

    def insert(
        self,
        tx: Any,
        *,
        token: str,
        data_key_id: int,
        nonce: bytes,
        ciphertext: bytes,
        fingerprint: bytes,
        brand: str,
        last_four: str,
        exp_month: int,
        exp_year: int,
        at: str,
    ) -> None: ...

    def seen_again(self, tx: Any, token: str, *, exp_month: int, exp_year: int, at: str) -> None: ...

    def held(self, conn: Any) -> list[str]: ...

    def count_held(self, conn: Any) -> int: ...

    def held_and_settled(self, conn: Any, *, kept_since: str | None) -> list[str]: ...

    def erase_number(self, tx: Any, token: str, *, at: str) -> None: ...


class KeyRows(Protocol):
    """The vault_keys table (`store/vault_keys.py`): keys come and go wrapped."""

    def count(self, conn: Any) -> int: ...

    def all_keys(self, conn: Any) -> list[Any]: ...

    def next_id(self, tx: Any) -> int: ...

    def insert(self, tx: Any, *, key_id: int, purpose: str, wrapped: bytes, kek_id: str, at: str) -> None: ...

    def rewrap(self, tx: Any, key_id: int, *, wrapped: bytes, kek_id: str, at: str) -> None: ...

    def retire_data_keys(self, tx: Any) -> None: ...

    def retired_and_unused(self, tx: Any) -> list[int]: ...

    def delete(self, tx: Any, key_id: int) -> None: ...


@dataclass(frozen=True)
class Tables:
    """The store modules of the vault's two tables."""

    tokens: TokenRows
    keys: KeyRows


class VaultError(Exception):
    """The vault cannot be opened or used as it is. The message says why; never a PAN."""


@dataclass(frozen=True)
class TokenInfo:
    """What may be kept and shown about a card: never the number."""

    token: str
    brand: str
    last_four: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True)
class Rotation:
    kek_id: str
    rewrapped: int
    new_data_key_id: int | None


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def kek_id(kek: bytes) -> str:
    """A name for a KEK that reveals nothing about it: which key opens which row."""
    return hmac.new(kek, b"comptoir vault kek id", hashlib.sha256).hexdigest()[:16]


def _key_aad(key_id: int, purpose: str) -> bytes:
    # Binding a wrapped key to its row and purpose: a row copied over another fails to open.
    return f"comptoir-vault-key:{key_id}:{purpose}".encode()


def _wrap(kek: bytes, key: bytes, key_id: int, purpose: str) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + AESGCM(kek).encrypt(nonce, key, _key_aad(key_id, purpose))


def _unwrap(kek: bytes, wrapped: bytes, key_id: int, purpose: str) -> bytes:
    return AESGCM(kek).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _key_aad(key_id, purpose))


class TokenVault:
    def __init__(self, db: Store, provider: KeyProvider, tables: Tables) -> None:
        self.db = db
        self.provider = provider
        self.tables = tables
        self._lock = threading.Lock()
        self._kek = b""
        self._data_keys: dict[int, AESGCM] = {}
        self._raw_keys: dict[int, tuple[str, bytes]] = {}  # id -> (purpose, key), for rotate
        self._active_data_key = 0
        self._fingerprint_key = b""
        self._load_keys()

    @classmethod
    def open(cls, db: Store, data_dir: Path, tables: Tables) -> TokenVault:
        """The vault of the store in data_dir; its KEK is made on first use, never after."""
        provider = provider_for(KEY_NAME, data_dir)
        if isinstance(provider, KeyFile) and not provider.path.exists():
            has_keys = tables.keys.count(db.conn)
            pending = pending_key_path(provider)
            if not has_keys and not (pending is not None and pending.exists()):
                provider.create()
        return cls(db, provider, tables)

    # -- keys ---------------------------------------------------------------------------

    def _load_kek(self) -> bytes:
        try:
            return self.provider.load()
        except KeyError_ as exc:
            raise VaultError(f"vault key: {exc}") from None

    def _load_keys(self) -> None:
        rows = self.tables.keys.all_keys(self.db.conn)
        pending = pending_key_path(self.provider)
        if not rows:
            self._kek = self._load_kek()
            self._create_first_keys()
            return
        wanted = {str(r["kek_id"]) for r in rows}
        if len(wanted) != 1:
            raise VaultError("vault keys are wrapped by more than one KEK; the vault is damaged")
        wanted_id = wanted.pop()
        kek = self._load_kek() if self._provider_present() else b""
        if kek and kek_id(kek) == wanted_id:
            if pending is not None and pending.exists():
                pending.unlink()  # a rotation that never committed: the old KEK stands
        elif pending is not None and pending.exists():
            next_kek = KeyFile(self.provider.name, pending).load()
            if kek_id(next_kek) != wanted_id:
                raise VaultError(self._wrong_key_message())
            # The rotation committed but the new key file was not yet moved into place.
            assert isinstance(self.provider, KeyFile)
            self._install_kek(pending, self.provider.path)
            kek = next_kek
        else:
            raise VaultError(self._wrong_key_message())
        self._kek = kek
        for row in rows:
            try:
                key = _unwrap(kek, bytes(row["wrapped"]), int(row["id"]), str(row["purpose"]))
            except InvalidTag:
                raise VaultError(f"vault key {row['id']} does not unwrap: damaged") from None
            self._remember(int(row["id"]), str(row["purpose"]), key, bool(row["active"]))

    def _provider_present(self) -> bool:
        return not (isinstance(self.provider, KeyFile) and not self.provider.path.exists())

    def _wrong_key_message(self) -> str:
        return f"the vault key ({self.provider.describe()}) does not open this store's card vault: wrong or missing key"

    def _remember(self, key_id: int, purpose: str, key: bytes, active: bool) -> None:
        self._raw_keys[key_id] = (purpose, key)
        if purpose == "data":
            self._data_keys[key_id] = AESGCM(key)
            if active:
                self._active_data_key = key_id
        elif purpose == "fingerprint":
            self._fingerprint_key = key

    def _insert_key(self, tx: Any, purpose: str, kek: bytes) -> tuple[int, bytes]:
        key_id = self.tables.keys.next_id(tx)
        key = new_key()
        self.tables.keys.insert(
            tx, key_id=key_id, purpose=purpose, wrapped=_wrap(kek, key, key_id, purpose), kek_id=kek_id(kek), at=_now()
        )
        return key_id, key

    def _create_first_keys(self) -> None:
        with self.db.transaction() as tx:
            data_id, data_key = self._insert_key(tx, "data", self._kek)
            fp_id, fp_key = self._insert_key(tx, "fingerprint", self._kek)
        self._remember(data_id, "data", data_key, True)
        self._remember(fp_id, "fingerprint", fp_key, True)

    @staticmethod
    def _install_kek(pending: Path, path: Path) -> None:
        os.replace(pending, path)
        fsync_dir(path.parent)

    # -- tokens -------------------------------------------------------------------------

    def fingerprint(self, pan: str) -> bytes:
        return hmac.new(self._fingerprint_key, pan.encode("ascii"), hashlib.sha256).digest()

    def tokenise(self, card: Card) -> TokenInfo:
        """The card's token: the existing one when this PAN is already in the vault.

        The card must come from `parse_card` (validated); the expiry kept is the latest one
        presented, since a reissued card keeps its number and gets a new expiry.
        """
        fp = self.fingerprint(card.number)
        now = _now()
        tokens = self.tables.tokens
        with self.db.transaction() as tx:
            row = tokens.by_fingerprint(tx, fp)
            if row is not None:
                token = str(row["token"])
                tokens.seen_again(tx, token, exp_month=card.exp_month, exp_year=card.exp_year, at=now)
            else:
                token = TOKEN_PREFIX + secrets.token_urlsafe(16)
                key_id = self._active_data_key
                nonce = secrets.token_bytes(NONCE_BYTES)
                ciphertext = self._data_keys[key_id].encrypt(nonce, card.number.encode("ascii"), token.encode("ascii"))
                tokens.insert(
                    tx,
                    token=token,
                    data_key_id=key_id,
                    nonce=nonce,
                    ciphertext=ciphertext,
                    fingerprint=fp,
                    brand=card.brand.code,
                    last_four=card.last_four,
                    exp_month=card.exp_month,
                    exp_year=card.exp_year,
                    at=now,
                )
        return TokenInfo(token, card.brand.code, card.last_four, card.exp_month, card.exp_year)

    def find(self, pan: str) -> TokenInfo | None:
        """The token already held for this PAN, found by fingerprint without decrypting.
        A token whose number was forgotten has no fingerprint left: it is never found."""
        row = self.tables.tokens.by_fingerprint(self.db.conn, self.fingerprint(pan))
        return None if row is None else _info(row)

    def info(self, token: str) -> TokenInfo:
        """Brand, last four and expiry of a token: no decryption, no audit needed."""
        row = self.tables.tokens.by_token(self.db.conn, token)
        if row is None:
            raise NotFound("no such card token", "card_token_not_found")
        return _info(row)

    def detokenise(self, token: str, *, purpose: str, actor: str, audit: Audit) -> Card:
        """The card behind a token, for the payment service's gateway call only.

        Every call is passed to `audit` (allowed, denied or failed) before anything is
        returned; if the audit cannot be written, the PAN does not leave.
        """
        details: dict[str, Any] = {"purpose": purpose, "actor": actor}
        if purpose not in PURPOSES:
            audit("vault.detokenise", "denied", token, details)
            raise Forbidden("card numbers are revealed only to the payment service", "forbidden")
        row = self.tables.tokens.sealed(self.db.conn, token)
        if row is None:
            audit("vault.detokenise", "not_found", token, details)
            raise NotFound("no such card token", "card_token_not_found")
        details["last_four"] = str(row["last_four"])
        if row["ciphertext"] is None:
            audit("vault.detokenise", "forgotten", token, details)
            raise NotFound("the number behind this card token was erased once its payment settled", "card_forgotten")
        aead = self._data_keys.get(int(row["data_key_id"]))
        try:
            if aead is None:
                raise InvalidTag
            pan = aead.decrypt(bytes(row["nonce"]), bytes(row["ciphertext"]), token.encode("ascii")).decode("ascii")
        except InvalidTag:
            audit("vault.detokenise", "failure", token, details)
            raise VaultError("the card behind this token cannot be decrypted") from None
        brand = detect_brand(pan)
        if brand is None:  # only possible if the vault was written around tokenise()
            audit("vault.detokenise", "failure", token, details)
            raise VaultError("the card behind this token has no known brand")
        audit("vault.detokenise", "success", token, details)
        return Card(pan, int(row["exp_month"]), int(row["exp_year"]), brand)

    # -- forgetting ---------------------------------------------------------------------

    def held(self) -> list[str]:
        """Tokens whose number the vault still holds (for the tests and `comptoir`)."""
        return self.tables.tokens.held(self.db.conn)

    def forget_settled(self, *, kept_since: str | None = None) -> int:
        """`forget_settled` on this vault's store; retired data keys leave memory too."""
        count, retired = forget_settled(self.db, self.tables, kept_since=kept_since)

        def drop() -> None:
            with self._lock:
                for key_id in retired:
                    self._data_keys.pop(key_id, None)
                    self._raw_keys.pop(key_id, None)

        self.db.after_commit(drop)
        return count

    # -- rotation -----------------------------------------------------------------------

    def rotate(self, *, new_data_key: bool = True) -> Rotation:
        """A new KEK; every data key re-wrapped under it in one transaction.

        Old tokens keep working (their data keys are the same keys, wrapped anew). With
        `new_data_key`, new tokens are also written under a fresh data key from now on, so
        that a data key's use is bounded in time (cryptoperiod, PCI DSS 3.6.1.3).
        """
        if not isinstance(self.provider, KeyFile):
            raise VaultError(f"rotate needs a key file; this vault's key comes from {self.provider.describe()}")
        pending = pending_key_path(self.provider)
        assert pending is not None
        kek = new_key()
        write_key_file(pending, kek)
        new_id: int | None = None
        try:
            with self._lock, self.db.transaction() as tx:
                now = _now()
                for key_id, (purpose, key) in sorted(self._raw_keys.items()):
                    self.tables.keys.rewrap(
                        tx, key_id, wrapped=_wrap(kek, key, key_id, purpose), kek_id=kek_id(kek), at=now
                    )
                rewrapped = len(self._raw_keys)
                if new_data_key:
                    self.tables.keys.retire_data_keys(tx)
                    new_id, fresh = self._insert_key(tx, "data", kek)
        except BaseException:
            with contextlib.suppress(OSError):
                pending.unlink()
            raise
        # Committed: from here the store opens only with the new KEK. A crash before the
        # file is replaced is finished by the next open (_load_keys).
        self._install_kek(pending, self.provider.path)
        with self._lock:
            self._kek = kek
            if new_id is not None:
                self._remember(new_id, "data", fresh, True)
        return Rotation(kek_id(kek), rewrapped, new_id)


def _info(row: Any) -> TokenInfo:
    return TokenInfo(
        str(row["token"]),
        str(row["brand"]),
        str(row["last_four"]),
        int(row["exp_month"]),
        int(row["exp_year"]),
    )


def count_held(db: Store, tables: Tables) -> int:
    """How many numbers the vault holds (for `comptoir vault sweep`); needs no key."""
    return tables.tokens.count_held(db.conn)


def forget_settled(db: Store, tables: Tables, *, kept_since: str | None = None) -> tuple[int, list[int]]:
    """Erases the number of every token no payment attempt still needs: (how many, the ids of
    the data keys retired). Needs no key: erasing is plain SQL, so a store whose vault key is
    lost can still be cleaned.

    A token's number goes when every attempt on it is settled (`SETTLED`) and none of them
    that may be kept was settled after `kept_since` (an ISO UTC time, the start of the store's
    keep window; None keeps nothing). Declined attempts are never kept. A token with no
    attempt at all has nothing to wait for. It runs in one transaction (or joins the
    caller's): a token reused by a new attempt is either seen pending here, or forgotten
    before that attempt's tokenise looks for it (and then it gets a new token).
    """
    # The statuses in the store's query are those of SETTLED and NEVER_KEPT (a test holds
    # them equal).
    with db.transaction() as tx:
        tokens = tables.tokens.held_and_settled(tx, kept_since=kept_since)
        now = _now()
        for token in tokens:
            tables.tokens.erase_number(tx, token, at=now)
        # A data key new numbers are no longer written under, with no number left under it,
        # protects nothing: its wrapped copy goes too, so that nothing the store's pages might
        # still hold of the numbers it encrypted can ever be decrypted again.
        retired = tables.keys.retired_and_unused(tx)
        for key_id in retired:
            tables.keys.delete(tx, key_id)
    return len(tokens), retired


def run_keys_rotate(data_dir: Path, db: Store, tables: Tables) -> Rotation:
    """`comptoir keys rotate`: the vault's KEK (the store's own key is `Database.rekey`)."""
    return TokenVault.open(db, data_dir, tables).rotate()
