"""Stripe's webhook events, turned into the payments services' calls.

The Stripe gateway puts each call's idempotency key in the metadata of the object it makes,
so an event names the call it settles; events that carry no key (a cancel, a charge's
refunds in newer API versions) are matched through the PaymentIntent the payment was
authorized on. Settling goes through `payment_webhook_apply`, which changes only a call
still in flight or unknown: a replayed or late event changes nothing.
"""

from decimal import Decimal

from payments.enums import TransactionKind, TransactionOutcome
from payments.gateways.stripe import AUTHORIZE_KEY, CAPTURE_KEY, DECLINE_MESSAGES, REFUND_KEY, from_minor
from payments.models import Payment, PaymentTransaction
from payments.services import payment_dispute_open, payment_webhook_apply

UNSETTLED = (TransactionOutcome.PENDING, TransactionOutcome.UNKNOWN)


class NotAnEvent(ValueError):
    """The body was signed rightly but is not a Stripe event the OMS can read."""


def stripe_event_apply(*, event: dict) -> dict:
    """Apply one verified event; returns what it did, for the answer to Stripe."""
    kind = event.get("type") if isinstance(event, dict) else None
    obj = (event.get("data") or {}).get("object") if isinstance(kind, str) else None
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
        raise NotAnEvent("expected a Stripe event with data.object")
    handler = HANDLERS.get(kind)
    if handler is None:
        return {"event": kind, "handled": False}
    return {"event": kind, "handled": True, "transactions": [row.pk for row in handler(obj) if row is not None]}


def _metadata(obj: dict) -> dict:
    metadata = obj.get("metadata")
    return metadata if isinstance(metadata, dict) else {}


def _settle(key, success: bool, reference: str, code: str = "", message: str = "") -> PaymentTransaction | None:
    """The call named by `key`, if this event settles it (None when it was settled before)."""
    if not isinstance(key, str) or not PaymentTransaction.objects.filter(idempotency_key=key,
                                                                         outcome__in=UNSETTLED).exists():
        return None
    return payment_webhook_apply(idempotency_key=key, success=success, reference=reference or "",
                                 error_code=code, error_message=message)


def _payment_of(intent_id) -> Payment | None:
    if not isinstance(intent_id, str) or not intent_id:
        return None
    return Payment.objects.filter(authorization_reference=intent_id).first()


def _unsettled(payment: Payment | None, kind: str) -> list[PaymentTransaction]:
    if payment is None:
        return []
    return list(payment.transactions.filter(kind=kind, outcome__in=UNSETTLED).order_by("pk"))


def _intent_authorized(intent: dict) -> list:
    """payment_intent.amount_capturable_updated: the card is authorized, waiting for capture."""
    return [_settle(_metadata(intent).get(AUTHORIZE_KEY), True, intent["id"])]


def _intent_succeeded(intent: dict) -> list:
    """payment_intent.succeeded: with manual capture, the capture went through (and so had the authorization)."""
    metadata = _metadata(intent)
    charge = intent.get("latest_charge") if isinstance(intent.get("latest_charge"), str) else ""
    return [_settle(metadata.get(AUTHORIZE_KEY), True, intent["id"]),
            _settle(metadata.get(CAPTURE_KEY), True, charge or intent["id"])]


def _intent_failed(intent: dict) -> list:
    """payment_intent.payment_failed: the authorization was declined."""
    error = intent.get("last_payment_error") if isinstance(intent.get("last_payment_error"), dict) else {}
    code = str(error.get("decline_code") or error.get("code") or "card_declined")
    message = DECLINE_MESSAGES.get(code) or f"The card was declined ({code})."
    return [_settle(_metadata(intent).get(AUTHORIZE_KEY), False, intent["id"], code[:50], message)]


def _intent_canceled(intent: dict) -> list:
    """payment_intent.canceled: a void that got no answer went through."""
    return [_settle(row.idempotency_key, True, intent["id"])
            for row in _unsettled(_payment_of(intent["id"]), TransactionKind.VOID)]


def _charge_refunded(charge: dict) -> list:
    """charge.refunded: refunds named by their key settle; the others settle in order while the
    charge's refunded total covers them."""
    payment = _payment_of(charge.get("payment_intent"))
    if payment is None:
        return []
    refunds = (charge.get("refunds") or {}).get("data") if isinstance(charge.get("refunds"), dict) else None
    settled = [_settle(_metadata(refund).get(REFUND_KEY), True, refund.get("id", ""))
               for refund in refunds or [] if isinstance(refund, dict) and refund.get("status") in (
                   "succeeded", "pending")]
    try:
        refunded_at_stripe = from_minor(int(charge.get("amount_refunded")), payment.currency)
    except (TypeError, ValueError):
        return settled
    payment.refresh_from_db()
    covered: Decimal = payment.refunded_amount
    for row in _unsettled(payment, TransactionKind.REFUND):
        if covered + row.amount <= refunded_at_stripe:
            settled.append(_settle(row.idempotency_key, True, charge["id"]))
            covered += row.amount
    return settled


def _dispute_created(dispute: dict) -> list:
    """charge.dispute.created: the customer's bank disputes the charge."""
    payment = _payment_of(dispute.get("payment_intent"))
    if payment is None:
        return []
    try:
        amount = from_minor(int(dispute.get("amount")), payment.currency)
    except (TypeError, ValueError):
        raise NotAnEvent("a dispute without an amount") from None
    payment_dispute_open(payment=payment, reference=dispute["id"], amount=amount,
                         reason=str(dispute.get("reason") or ""))
    return []


HANDLERS = {
    "payment_intent.amount_capturable_updated": _intent_authorized,
    "payment_intent.succeeded": _intent_succeeded,
    "payment_intent.payment_failed": _intent_failed,
    "payment_intent.canceled": _intent_canceled,
    "charge.refunded": _charge_refunded,
    "charge.dispute.created": _dispute_created,
}
