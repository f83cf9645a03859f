"""Where the store's keys come from.

A key is 32 random bytes used as a raw SQLCipher key (so opening costs no KDF). On a
development machine it lives in a 0600 file in the data dir; on the appliance systemd
hands it to the service as a credential ($CREDENTIALS_DIRECTORY), so the plain file
never sits on disk in the clear. Nothing here ever invents a default key.
"""

from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

KEY_BYTES = 32


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
        """Writes a fresh key; refuses to overwrite one (that would lose the store)."""
        key = new_key()
        write_key_file(self.path, key, exclusive=True)
        return key


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


def provider_for(name: str, data_dir: Path) -> KeyProvider:
    """The systemd credential when the service was handed one, else the data dir's key file."""
    credential = f"comptoir-{name}-key"
    directory = os.environ.get("CREDENTIALS_DIRECTORY")
    if directory and (Path(directory) / credential).exists():
        return SystemdCredential(name=name, credential=credential)
    return KeyFile(name=name, path=data_dir / f"{name}.key")
