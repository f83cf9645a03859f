"""The configuration bundle a box pulls from its office (issue 19, point 3): a tar of the
office's `provisioning/` (and `policies/`) with that box's inventory, and the office's Ed25519
signature over the tar's bytes.

The tar is made the same way every time (names sorted, times, owners and modes fixed), so its
SHA-256, the bundle's version, changes only when its content does: a box that applies the same
version twice and changes something the second time has drifted.

Shared by the office (`make`, `sign`) and the box (`verify`, `unpack`); no I/O but the folder
it is told to unpack into.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import tarfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

MAX_BUNDLE = 32 * 1024 * 1024  # the playbook and policies are some 300 KiB


class BadBundle(Exception):
    """A bundle that is not one (a path out of its folder, a link, a device, not a tar)."""


def make(files: Mapping[str, bytes]) -> bytes:
    """The tar of `files` (relative POSIX path: content), byte for byte the same for the same
    files. Executable bits are not kept: Ansible reads the tree, it runs nothing in it."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(files):
            data = files[name]
            info = tarfile.TarInfo(_safe(name))
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def version(bundle: bytes) -> str:
    return hashlib.sha256(bundle).hexdigest()


def new_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


def key_pem(key: ed25519.Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def load_key(pem: bytes) -> ed25519.Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise ValueError("the configuration signing key is not an Ed25519 key")
    return key


def public_pem(key: ed25519.Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return raw.decode("ascii")


def sign(key: ed25519.Ed25519PrivateKey, bundle: bytes) -> str:
    return base64.b64encode(key.sign(bundle)).decode("ascii")


def verify(public: str, bundle: bytes, signature: str) -> bool:
    """True when `signature` is the key's over `bundle`; never raises for a bad key, a bad
    encoding or a bad signature."""
    try:
        key = serialization.load_pem_public_key(public.encode("ascii"))
        raw = base64.b64decode(signature.encode("ascii"), validate=True)
    except (ValueError, binascii.Error, UnicodeEncodeError):
        return False
    if not isinstance(key, ed25519.Ed25519PublicKey):
        return False
    try:
        key.verify(raw, bundle)
    except InvalidSignature:
        return False
    return True


def _safe(name: str) -> str:
    path = PurePosixPath(name)
    if not name or path.is_absolute() or ".." in path.parts or str(path) != name:
        raise BadBundle(f"a bundle's path must stay inside it: {name!r}")
    return name


def unpack(bundle: bytes, dest: Path) -> list[str]:
    """Writes the bundle's regular files under `dest` (an empty folder of the caller's); the
    names written. Anything else (a link, a device, a path out of `dest`) refuses it whole."""
    try:
        with tarfile.open(fileobj=io.BytesIO(bundle), mode="r:") as tar:
            members = tar.getmembers()
            for m in members:
                if not m.isfile():
                    raise BadBundle(f"a bundle holds regular files only, not {m.name!r}")
                _safe(m.name)
            names = []
            for m in members:
                target = dest / m.name
                target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                source = tar.extractfile(m)
                if source is None:
                    raise BadBundle(f"{m.name!r} cannot be read")
                target.write_bytes(source.read())
                target.chmod(0o600)
                names.append(m.name)
    except (tarfile.TarError, EOFError) as exc:
        raise BadBundle(f"not a tar: {exc}") from None
    return names
