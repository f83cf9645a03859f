"""The office's own certificate authority, and the certificates it signs for lanes.

Keys are ECDSA P-256: small, fast on a till's CPU, and what every TLS stack takes. The CA
signs two kinds of leaf, each limited to its side of a connection by its extended key usage:
the office's server certificate (serverAuth, its host names) and a lane's client
certificate (clientAuth, naming its store and till). A lane's names come from the enrolment
token the office issued, never from what the till asked for in its request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_YEARS = 10
SERVER_DAYS = 825  # the longest most TLS clients accept for a server certificate
LANE_DAYS = 397
# A store and a till are named in certificates and URNs: plain letters, digits, '-', '_'.
NAME_RULE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")
LANE_URN = "urn:comptoir:lane:{store}:{till}"


class CertificateError(Exception):
    """A certificate, key or request that cannot be used; the message says why."""


def check_name(kind: str, value: str) -> str:
    if not NAME_RULE.fullmatch(value):
        raise CertificateError(
            f"{kind} {value!r} must be 1 to 40 letters, digits, '-' or '_' (it is written in certificates)"
        )
    return value


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of the certificate's DER, as 64 lower-case hex characters."""
    return cert.fingerprint(hashes.SHA256()).hex()


def der_fingerprint(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


def normalise_fingerprint(text: str) -> str:
    """A fingerprint as a person may paste it (`SHA256:AB:CD…`, spaces, upper case) as 64 hex."""
    cleaned = text.strip().lower()
    cleaned = cleaned.removeprefix("sha256:").removeprefix("sha256=")
    cleaned = re.sub(r"[\s:]", "", cleaned)
    if not re.fullmatch(r"[0-9a-f]{64}", cleaned):
        raise CertificateError("a SHA-256 fingerprint is 64 hex characters (colons and spaces allowed)")
    return cleaned


def show_fingerprint(hex_digest: str) -> str:
    """For reading aloud or comparing by eye: `SHA256:ab:cd:…`."""
    return "SHA256:" + ":".join(hex_digest[i : i + 2] for i in range(0, len(hex_digest), 2))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey, days: int
) -> x509.CertificateBuilder:
    start = _now() - dt.timedelta(minutes=5)  # a till whose clock is a little behind still accepts it
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


@dataclass(frozen=True)
class Authority:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    @classmethod
    def create(cls, name: str) -> Authority:
        key = new_key()
        subject = x509.Name(
            [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Comptoir"), x509.NameAttribute(NameOID.COMMON_NAME, name)]
        )
        cert = (
            _builder(subject, subject, key.public_key(), 365 * CA_YEARS)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(key, hashes.SHA256())
        )
        return cls(key, cert)

    def _leaf(self, subject: x509.Name, public_key: ec.EllipticCurvePublicKey, days: int) -> x509.CertificateBuilder:
        return (
            _builder(subject, self.cert.subject, public_key, days)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=True,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
        )

    def server_certificate(self, key: ec.EllipticCurvePrivateKey, host_names: list[str]) -> x509.Certificate:
        if not host_names:
            raise CertificateError("the office's certificate needs at least one host name")
        names: list[x509.GeneralName] = []
        for host in host_names:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host_names[0])])
        return (
            self._leaf(subject, key.public_key(), SERVER_DAYS)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(self.key, hashes.SHA256())
        )

    def lane_certificate(self, request: x509.CertificateSigningRequest, store: str, till: str) -> x509.Certificate:
        """Signs a lane's request. Only its public key is taken from it: the names are the
        token's, so a till cannot enrol as another store's till."""
        public_key = checked_request_key(request)
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Comptoir"),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, check_name("store", store)),
                x509.NameAttribute(NameOID.COMMON_NAME, f"{check_name('till', till)}.{store}"),
            ]
        )
        urn = LANE_URN.format(store=store, till=till)
        return (
            self._leaf(subject, public_key, LANE_DAYS)
            .add_extension(
                x509.SubjectAlternativeName([x509.UniformResourceIdentifier(urn)]),
                critical=False,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(self.key, hashes.SHA256())
        )


def checked_request_key(request: x509.CertificateSigningRequest) -> ec.EllipticCurvePublicKey:
    """The request's public key, once its signature proves the till holds the private key."""
    public_key = request.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey) or public_key.curve.name != "secp256r1":
        raise CertificateError("the request's key must be ECDSA P-256")
    try:
        valid = request.is_signature_valid
    except (InvalidSignature, ValueError):
        valid = False
    if not valid:
        raise CertificateError("the request's signature does not match its key")
    return public_key


def lane_request(key: ec.EllipticCurvePrivateKey, store_hint: str, till: str) -> x509.CertificateSigningRequest:
    """A till's request; the names in it are only a hint (the office signs the token's)."""
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{till}.{store_hint}")])
    return x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())


def lane_of(cert: x509.Certificate) -> tuple[str, str] | None:
    """The (store, till) a lane certificate names in its URN, or None."""
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    for uri in names.get_values_for_type(x509.UniformResourceIdentifier):
        parts = uri.split(":")
        if len(parts) == 5 and parts[:3] == ["urn", "comptoir", "lane"]:
            return parts[3], parts[4]
    return None


# -- files -------------------------------------------------------------------------------------


def key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def request_pem(request: x509.CertificateSigningRequest) -> str:
    return request.public_bytes(serialization.Encoding.PEM).decode("ascii")


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def write_private(path: Path, data: bytes, *, exclusive: bool = True) -> None:
    """A private key, mode 0600 from the first byte and on disk before this returns."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def write_public(path: Path, data: bytes) -> None:
    """A certificate: public, but written whole (temporary file, then renamed)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def load_key(path: Path) -> ec.EllipticCurvePrivateKey:
    mode = path.stat().st_mode & 0o077
    if mode:
        raise CertificateError(f"key file {path} is readable by others; run: chmod 600 {path}")
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise CertificateError(f"{path} does not hold an ECDSA key")
    return key


def load_cert(path: Path) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except ValueError:
        raise CertificateError(f"{path} does not hold a PEM certificate") from None


def load_request(pem: str) -> x509.CertificateSigningRequest:
    try:
        return x509.load_pem_x509_csr(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise CertificateError("the certificate request is not a PEM CSR") from None
