"""A lane's signature on what it sends outside the outbox (its compliance report): ECDSA
P-256 over SHA-256 with the lane's own office key, checked at the office against the public
key of the lane's certificate. The office keeps the signature with the report, so a report
can be checked again later, by anyone holding the certificate, long after the connection
that brought it is gone."""

from __future__ import annotations

import base64
import binascii

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec


def sign(key: ec.EllipticCurvePrivateKey, data: bytes) -> str:
    """The signature (DER) in base64."""
    return base64.b64encode(key.sign(data, ec.ECDSA(hashes.SHA256()))).decode("ascii")


def verify(cert_der: bytes, data: bytes, signature: str) -> bool:
    """True when `signature` is the certificate's key's over `data`; never raises for a bad
    signature, a bad encoding or a certificate that holds another kind of key."""
    try:
        public = x509.load_der_x509_certificate(cert_der).public_key()
        raw = base64.b64decode(signature.encode("ascii"), validate=True)
    except (ValueError, binascii.Error, UnicodeEncodeError):
        return False
    if not isinstance(public, ec.EllipticCurvePublicKey):
        return False
    try:
        public.verify(raw, data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True
