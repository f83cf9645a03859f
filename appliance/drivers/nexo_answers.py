"""Reading the nexo terminal's answers into what the till keeps (`TerminalResult`): brand,
last four, references, receipt lines; never the masked PAN, never the card's expiry."""

from __future__ import annotations

from typing import Any

from appliance.drivers.nexo_protocol import form, part, receipt_line, to_minor
from appliance.drivers.terminal import Kind, Outcome, TerminalResult, TerminalTimeout


class AnswerRefused(TerminalTimeout):
    """An answer came but cannot be trusted or read (bad protection, not nexo): for a payment
    the outcome is unknown, as after a time-out; `code` says why."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def payment_result(reference: str, kind: Kind, payment: dict[str, Any], *, currency_hint: str | None) -> TerminalResult:
    """A PaymentResponse as the till keeps it: the masked PAN is read for its last four only."""
    response = part(payment, "Response")
    if response.get("Result") not in ("Success", "Failure", "Partial"):
        raise AnswerRefused("a payment answer without a Result", "format")
    extra = form(response.get("AdditionalResponse"))
    result = part(payment, "PaymentResult")
    amounts = part(result, "AmountsResp")
    currency = str(amounts.get("Currency") or currency_hint or "")
    poi = part(payment, "POIData", "POITransactionID")
    terminal_reference = None
    if poi.get("TransactionID"):
        terminal_reference = str(poi["TransactionID"])
    ours = part(payment, "SaleData", "SaleTransactionID").get("TransactionID")
    if ours not in (None, reference):
        raise AnswerRefused("the answer is for another of our transactions", "reference")
    customer, merchant = receipts(payment.get("PaymentReceipt"))
    common: dict[str, Any] = {
        "terminal_reference": terminal_reference,
        "customer_receipt": customer,
        "merchant_receipt": merchant,
    }
    if response["Result"] == "Failure":
        condition = str(response.get("ErrorCondition") or "")
        outcome: Outcome = "cancelled" if condition in ("Aborted", "Cancel", "UserCancel") else "declined"
        reason = extra.get("message") or extra.get("refusalReason") or condition or None
        return TerminalResult(reference, kind, outcome, 0, currency, decline_reason=reason, **common)
    card = part(result, "PaymentInstrumentData", "CardData")
    masked = str(card.get("MaskedPan") or "")  # read for its last four, never kept
    last_four = masked[-4:] if masked[-4:].isdigit() and len(masked) >= 4 else extra.get("cardSummary")
    token = part(card, "PaymentToken").get("TokenValue")
    acquirer = part(result, "PaymentAcquirerData")
    try:
        approved = to_minor(amounts.get("AuthorizedAmount"), currency)
    except ValueError as exc:
        raise AnswerRefused(f"the approved amount cannot be read: {exc}", "amount") from None
    return TerminalResult(
        reference,
        kind,
        "approved",
        approved,
        currency,
        brand=str(card.get("PaymentBrand") or extra.get("paymentMethod") or "") or None,
        last_four=last_four,
        card_token=str(token or extra.get("alias") or "") or None,
        auth_code=str(acquirer.get("ApprovalCode") or extra.get("authCode") or "") or None,
        **common,
    )


def body_of(message: Any, name: str) -> dict[str, Any]:
    body = message.get(name) if isinstance(message, dict) else None
    if not isinstance(body, dict):
        raise AnswerRefused(f"the terminal's answer has no {name}", "format")
    return body


def rejection(envelope: Any) -> str | None:
    """The terminal's words when it rejects a request unread (an EventNotification Reject)."""
    request = envelope.get("SaleToPOIRequest") if isinstance(envelope, dict) else None
    event = request.get("EventNotification") if isinstance(request, dict) else None
    if not isinstance(event, dict) or event.get("EventToNotify") != "Reject":
        return None
    details = form(event.get("EventDetails"))
    return details.get("message") or str(event.get("EventDetails") or "rejected")


def receipts(found: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    customer: tuple[str, ...] = ()
    merchant: tuple[str, ...] = ()
    for receipt in found if isinstance(found, list) else ():
        content = receipt.get("OutputContent") if isinstance(receipt, dict) else None
        texts = content.get("OutputText") if isinstance(content, dict) else None
        lines = (
            tuple(receipt_line(str(t.get("Text", ""))) for t in texts if isinstance(t, dict))
            if isinstance(texts, list)
            else ()
        )
        if receipt.get("DocumentQualifier") == "CustomerReceipt":
            customer = lines
        elif receipt.get("DocumentQualifier") == "CashierReceipt":
            merchant = lines
    return customer, merchant
