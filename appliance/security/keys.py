"""Where the store's keys come from.

A key is 32 random bytes used as a raw SQLCipher key (so opening costs no KDF). On the
appliance systemd hands each key to the service as a credential ($CREDENTIALS_DIRECTORY:
`comptoir-store-key`, `comptoir-vault-key`), sealed by systemd-creds, so no plain key file
sits on disk. Elsewhere (development, a bench) each lives in a 0600 file in a **key folder
apart from the data dir** (0700): `$COMPTOIR_KEY_DIR`, else `key_dir` in the data dir's
comptoir.toml, else the data dir's sibling `<data dir>-keys`. A copy or backup of the data
dir then holds no key, and the store and the card vault never sit beside the keys that
open them. Key files found in the data dir (the layout before) are moved to the key
folder the first time they are looked for; where that cannot be done (a read-only
parent), they are used where they are, with a warning each time.
Nothing here ever invents a default key.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

KEY_BYTES = 32
KEY_DIR_ENV = "COMPTOIR_KEY_DIR"
KEY_DIR_SUFFIX = "-keys"

log = logging.getLogger(__name__)


class KeyError_(Exception):
    """A key is missing, malformed or too open. The message says which and how to fix it."""


class KeyProvider(Protocol):
    """Gives one named key. Implementations never log or print the key."""

    name: str

    def load(self) -> bytes: ...

    def describe(self) -> str: ...


def new_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def _check_mode(path: Path) -> None:
    st = path.stat()
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyError_(
            f"key file {path} is readable by others (mode {stat.S_IMODE(st.st_mode):04o}); run: chmod 600 {path}"
        )


def _decode(raw: bytes, where: str) -> bytes:
    # The file holds the key as 64 hex characters so that it survives copy and paste;
    # raw 32-byte files (systemd-creds output) are accepted as they are.
    text = raw.strip()
    if len(raw) == KEY_BYTES:
        return raw
    try:
        key = bytes.fromhex(text.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise KeyError_(f"key in {where} is not 64 hex characters") from None
    if len(key) != KEY_BYTES:
        raise KeyError_(f"key in {where} must be {KEY_BYTES} bytes, found {len(key)}")
    return key


@dataclass
class KeyFile:
    """A key kept in a file of mode 0600 (development and tests)."""

    name: str
    path: Path

    def load(self) -> bytes:
        if not self.path.exists():
            raise KeyError_(f"key file {self.path} is missing")
        _check_mode(self.path)
        return _decode(self.path.read_bytes(), str(self.path))

    def describe(self) -> str:
        return f"file {self.path}"

    def create(self) -> bytes:
        """Writes a fresh key; refuses to overwrite one (that would lose the store). The key
        folder is made 0700 if it is missing, and refused if others can enter it."""
        ensure_key_dir(self.path.parent)
        key = new_key()
        write_key_file(self.path, key, exclusive=True)
        return key


def ensure_key_dir(folder: Path) -> None:
    """The key folder, made 0700 when missing; KeyError_ when others may enter it."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise KeyError_(
            f"cannot make the key folder {folder}: {exc.strerror or exc}; make it (mode 700, owned by"
            f" the service's user) or set {KEY_DIR_ENV}, or hand the keys over as systemd credentials"
        ) from None
    mode = stat.S_IMODE(folder.stat().st_mode)
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyError_(f"key folder {folder} is open to others (mode {mode:04o}); run: chmod 700 {folder}")


def write_key_file(path: Path, key: bytes, *, exclusive: bool = False) -> None:
    """Writes a key with mode 0600 from the first byte, durably."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, key.hex().encode("ascii") + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)


def pending_key_path(provider: KeyProvider) -> Path | None:
    """Where a key file's successor waits (`<name>.key.next`) while a rekey or a rotation
    changes what it opens; None for a key that is not a file (nothing to swap)."""
    if isinstance(provider, KeyFile):
        return provider.path.with_name(provider.path.name + ".next")
    return None


def fsync_dir(path: Path) -> None:
    """Makes a rename in the folder durable: a key swapped in must survive a power cut."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class SystemdCredential:
    """A key delivered by systemd (LoadCredential/LoadCredentialEncrypted)."""

    name: str
    credential: str

    def _path(self) -> Path:
        directory = os.environ.get("CREDENTIALS_DIRECTORY")
        if not directory:
            raise KeyError_("CREDENTIALS_DIRECTORY is not set: not started by systemd")
        return Path(directory) / self.credential

    def load(self) -> bytes:
        path = self._path()
        if not path.exists():
            raise KeyError_(f"credential {self.credential} not found in {path.parent}")
        return _decode(path.read_bytes(), f"credential {self.credential}")

    def describe(self) -> str:
        return f"systemd credential {self.credential}"


def default_key_dir(data_dir: Path) -> Path:
    """The data dir's sibling `<name>-keys`: apart from the store, on the same disk."""
    absolute = Path(os.path.abspath(data_dir.expanduser()))
    return absolute.with_name(absolute.name + KEY_DIR_SUFFIX)


def key_dir_for(data_dir: Path) -> Path:
    """Where the data dir's key files live: $COMPTOIR_KEY_DIR, else comptoir.toml's key_dir
    (relative to the data dir), else `default_key_dir`."""
    chosen = os.environ.get(KEY_DIR_ENV)
    if not chosen:
        try:
            text = (data_dir / "comptoir.toml").read_text(encoding="utf-8")
            value = tomllib.loads(text).get("comptoir", {}).get("key_dir")
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            value = None  # the config loader reports a bad file; here the default stands
        chosen = value if isinstance(value, str) and value else None
    if not chosen:
        return default_key_dir(data_dir)
    path = Path(chosen).expanduser()
    return path if path.is_absolute() else Path(os.path.abspath(data_dir / path))


def _move_beside_store(name: str, data_dir: Path, key_dir: Path) -> Path | None:
    """Moves `<name>.key` (and a rekey's `.next`) from the data dir into the key folder.
    Returns the folder the key is now in, or None when there was nothing to move."""
    files = [f"{name}.key.next", f"{name}.key"]  # .next first: a crash between leaves both findable
    if not any((data_dir / f).exists() for f in files):
        return None
    if data_dir.resolve() == key_dir.resolve():
        return data_dir
    try:
        ensure_key_dir(key_dir)
        for file in files:
            if (data_dir / file).exists():
                if (key_dir / file).exists():
                    raise KeyError_(f"both {data_dir / file} and {key_dir / file} exist; keep the right one")
                os.replace(data_dir / file, key_dir / file)
        fsync_dir(key_dir)
    except (OSError, KeyError_) as exc:
        log.warning(
            "%s.key is still in the data dir %s, beside the store; it could not be moved to %s (%s)."
            " Move it there (mode 600, folder 700), or hand it over as the systemd credential comptoir-%s-key.",
            name,
            data_dir,
            key_dir,
            exc,
            name,
        )
        return data_dir if (data_dir / f"{name}.key").exists() else key_dir
    log.warning(
        "moved %s.key from the data dir %s to the key folder %s: keys are kept apart from the store",
        name,
        data_dir,
        key_dir,
    )
    return key_dir


def provider_for(name: str, data_dir: Path) -> KeyProvider:
    """The systemd credential when the service was handed one, else the key file in the
    data dir's key folder (moved there from the data dir if it was still beside the store)."""
    credential = f"comptoir-{name}-key"
    directory = os.environ.get("CREDENTIALS_DIRECTORY")
    if directory and (Path(directory) / credential).exists():
        return SystemdCredential(name=name, credential=credential)
    key_dir = key_dir_for(data_dir)
    folder = key_dir
    if not (key_dir / f"{name}.key").exists():
        folder = _move_beside_store(name, data_dir, key_dir) or key_dir
    return KeyFile(name=name, path=folder / f"{name}.key")
