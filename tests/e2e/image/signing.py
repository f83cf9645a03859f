"""A throwaway update-signing CA for the image tests, made on first use under build/ (never in
the repository): a CA certificate (the keyring the test image carries) and a signing key and
certificate it issued, as a builder would be given by whoever holds the real CA."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.e2e.image.vm import REPO

SIGNING = REPO / "build" / "image-signing"


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, text=True)


def signing_ca(folder: Path = SIGNING, name: str = "test") -> dict[str, Path]:
    """{key, cert, keyring} of a CA named `name` (made once, then reused)."""
    folder = folder / name
    paths = {"key": folder / "signing.key", "cert": folder / "signing.crt", "keyring": folder / "ca.crt"}
    if all(p.exists() for p in paths.values()):
        return paths
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    days = "3650"
    openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", "ca.key", "-out", "ca.crt", "-days", days, "-subj", f"/O=Comptoir tests/CN=update CA {name}",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=folder,
    )  # fmt: skip
    openssl(
        "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", "signing.key", "-out", "signing.csr", "-subj", f"/O=Comptoir tests/CN=update signer {name}",
        cwd=folder,
    )  # fmt: skip
    (folder / "ext.cnf").write_text("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n")
    openssl(
        "x509", "-req", "-in", "signing.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "signing.crt", "-days", days, "-extfile", "ext.cnf",
        cwd=folder,
    )  # fmt: skip
    return paths
