"""What the simulated nexo terminal says: its answers to payments and refunds as Adyen's
terminals shape them (receipt lines as `name=...&value=...&key=...`), its Reject
notification, and the certificate it presents, signed by a CA of its own."""

from __future__ import annotations

import datetime as dt
import urllib.parse
from pathlib import Path
from typing import Any

from appliance.drivers.nexo_protocol import CA_FILE, PROTOCOL_VERSION, to_major, write_private

POIID = "SIM400-000000001"


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def answer_header(header: dict[str, Any]) -> dict[str, Any]:
    return {**header, "MessageType": "Response"}


def line(name: str, value: str = "", key: str = "") -> dict[str, Any]:
    fields = {"name": name, **({"value": value} if value else {}), **({"key": key} if key else {})}
    return {"Text": urllib.parse.urlencode(fields, quote_via=urllib.parse.quote), "EndOfLineFlag": True}


def payment_response(record: dict[str, Any]) -> dict[str, Any]:
    approved = record["state"] == "approved"
    currency = record["currency"]
    total = f"{currency} {to_major(record['amount'], currency)}"
    response: dict[str, Any] = {
        "Response": {"Result": "Success" if approved else "Failure"},
        "SaleData": {
            "SaleTransactionID": {"TransactionID": record["transaction_id"], "TimeStamp": record["sale_timestamp"]}
        },
    }
    if not approved:
        condition = "Aborted" if record["state"] == "cancelled" else "Refusal"
        response["Response"]["ErrorCondition"] = condition
        response["Response"]["AdditionalResponse"] = urllib.parse.urlencode(
            {"message": record.get("reason", ""), "refusalReason": record.get("reason", "")}
        )
        verdict = "DECLINED" if record["state"] == "declined" else "CANCELLED"
    else:
        response["Response"]["AdditionalResponse"] = urllib.parse.urlencode(
            {"cardSummary": record["last_four"], "paymentMethod": record["brand"], "authCode": record["auth_code"]}
        )
        response["POIData"] = {
            "POITransactionID": {"TransactionID": record["poi_transaction_id"], "TimeStamp": record["poi_timestamp"]}
        }
        response["PaymentResult"] = {
            "PaymentType": "Refund" if record["kind"] == "refund" else "Normal",
            "PaymentInstrumentData": {
                "PaymentInstrumentType": "Card",
                "CardData": {
                    "PaymentBrand": record["brand"],
                    "MaskedPan": f"****** **** {record['last_four']}",
                    "EntryMode": ["Tapped"],
                    "PaymentToken": {"TokenRequestedType": "Customer", "TokenValue": record["token"]},
                },
            },
            "AmountsResp": {"Currency": currency, "AuthorizedAmount": to_major(record["approved"], currency)},
            "PaymentAcquirerData": {"ApprovalCode": record["auth_code"], "AcquirerPOIID": POIID},
            "AuthenticationMethod": ["OnLinePIN"] if record.get("behaviour") == "pin" else ["NoAuthentication"],
        }
        verdict = "APPROVED"
    receipts = []
    for qualifier, title in (("CashierReceipt", "MERCHANT COPY"), ("CustomerReceipt", "CARDHOLDER COPY")):
        lines = [line(title, key="title"), line("Date", record.get("finished_at", "")[:19], "txdate")]
        if approved:
            lines += [
                line("Card", f"************{record['last_four']}", "pan"),
                line("Card type", record["brand"], "cardType"),
                line("Auth. code", record["auth_code"], "authCode"),
                line("Tender", record["poi_transaction_id"].split(".")[0], "txRef"),
            ]
        lines += [line("Reference", record["transaction_id"], "mref"), line("TOTAL", total, "totalAmount")]
        lines.append(line(verdict, key="approved" if approved else "declined"))
        receipts.append(
            {
                "DocumentQualifier": qualifier,
                "RequiredSignatureFlag": False,
                "OutputContent": {"OutputFormat": "Text", "OutputText": lines},
            }
        )
    response["PaymentReceipt"] = receipts
    return response


def display_notification(header: dict[str, Any], transaction_id: str, event: str) -> dict[str, Any]:
    """A display notification as an Adyen terminal sends it to its Display URL, "Decrypted"
    (appliance.drivers.nexo_display): the payment's ServiceID in the header, the event
    form-encoded in ReferenceID."""
    reference = urllib.parse.urlencode({"event": event, "TransactionID": transaction_id, "TimeStamp": now()})
    output = {
        "Device": "CashierDisplay",
        "InfoQualify": "Status",
        "OutputContent": {"OutputFormat": "Text", "PredefinedContent": {"ReferenceID": reference}},
    }
    return {
        "SaleToPOIRequest": {
            "MessageHeader": {
                "ProtocolVersion": PROTOCOL_VERSION,
                "MessageClass": "Device",
                "MessageCategory": "Display",
                "MessageType": "Request",
                "SaleID": header["SaleID"],
                "ServiceID": header["ServiceID"],
                "POIID": POIID,
                "DeviceID": "0",
            },
            "DisplayRequest": {"DisplayOutput": [output]},
        }
    }


def reject(details: str) -> dict[str, Any]:
    """How a terminal answers what it will not read: an EventNotification, not protected
    (the sender may not hold the key)."""
    return {
        "SaleToPOIRequest": {
            "MessageHeader": {
                "ProtocolVersion": PROTOCOL_VERSION,
                "MessageClass": "Event",
                "MessageCategory": "Event",
                "MessageType": "Notification",
                "DeviceID": "0",
                "POIID": POIID,
            },
            "EventNotification": {
                "TimeStamp": now(),
                "EventToNotify": "Reject",
                "EventDetails": urllib.parse.urlencode({"message": details}),
            },
        }
    }


def make_certificates(folder: Path, cert_file: str, key_file: str) -> None:
    """A CA of its own (its key thrown away once it has signed) and the terminal's certificate,
    named as Adyen names a test terminal's."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Comptoir terminal simulator CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    name = f"{POIID}.test.terminal.adyen.com"
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=825))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    write_private(
        folder / key_file,
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    )
    write_private(folder / cert_file, cert.public_bytes(pem))
    write_private(folder / CA_FILE, ca.public_bytes(pem))
