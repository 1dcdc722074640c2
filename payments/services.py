"""Payments own the money side of an order: payment details, gateway calls (authorize,
capture, void, refund), manual receipts (wire received, cash on delivery collected),
invoices and credit notes, and tax rates.

Exactly once, with no lock held during a gateway call:
1. reserve: in a short transaction, lock the payment, refuse what is not allowed,
   reserve the amount with a conditional UPDATE and insert the transaction row with
   its unique idempotency key (a repeated key finds the row and never calls twice);
2. call the gateway with that key, outside any transaction;
3. record: in a second short transaction, write the outcome on the transaction row
   (once: only a pending row is updated) and move the payment's amounts and status.
A gateway that does not answer leaves the row `unknown` and the amount reserved; a
retry with the same key asks the gateway again, which answers with its first answer.

Payments never call orders' services: the order services call these (on commit).
"""

import logging
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django_fsm import can_proceed

from oms.actors import user_or_none
from oms.exceptions import DomainError, TransitionRefused
from oms.fsm import transition_refusal
from oms.money import ZERO, minor_units, quantize
from oms.sequences import sequence_next
from notifications.services import notification_request
from oms.tasks import enqueue_on_commit
from orders.enums import OrderStatus
from orders.locks import lock_order
from orders.models import Order
from payments.enums import (
    AUTHORIZE_METHODS,
    FINAL_OUTCOMES,
    InvoiceStatus,
    PaymentStatus,
    TransactionKind,
    TransactionOutcome,
)
from payments.gateways import GatewayResult, GatewayTimeout, get_gateway
from payments.gateways.base import GatewayError
from payments.locks import lock_invoice, lock_payment
from payments.models import CreditNote, Invoice, InvoiceLine, Payment, PaymentTransaction, TaxRate
from payments.notifications import INVOICE_ISSUED, REFUND_ISSUED
from payments.signals import send_order_payment_event

logger = logging.getLogger(__name__)

FULLY_SHIPPED_STATUSES = (OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED)
UNINVOICEABLE_STATUSES = (OrderStatus.DRAFT, OrderStatus.CANCELLED)
MANUAL_GATEWAY = "manual"
TIMEOUT_MESSAGE = "The payment gateway did not answer in time; the outcome is unknown. Retrying is safe."


def clean_amount(amount, currency: str) -> Decimal:
    """A positive amount in `currency`'s minor unit, or a DomainError saying what is wrong."""
    try:
        minor_units(currency)
    except ValueError as exc:
        raise DomainError(str(exc), code="unknown_currency") from None
    if amount is None or amount == "":
        raise DomainError("Enter an amount.", code="invalid_amount")
    try:
        amount = Decimal(str(amount))
    except InvalidOperation:
        raise DomainError(f"{amount!r} is not an amount.", code="invalid_amount") from None
    if not amount.is_finite() or amount <= 0:
        raise DomainError("The amount must be more than zero.", code="invalid_amount")
    if quantize(amount, currency) != amount:
        raise DomainError(f"{currency} amounts have at most {minor_units(currency)} decimals.", code="invalid_amount")
    return quantize(amount, currency)


# -- payment details ------------------------------------------------------------------


def payment_open_for_order(*, order: Order) -> None:
    """Give a placed order its pending payment, so finance sees every order awaiting money.

    One `INSERT ... ON CONFLICT DO NOTHING`: a card given on the draft already made the row,
    and `payment_for_order` brings its amount up to date when it is next used.
    """
    Payment.objects.bulk_create(
        [Payment(order_id=order.pk, method=order.payment_method, currency=order.currency, amount=order.total)],
        ignore_conflicts=True,
    )


def payment_for_order(*, order: Order) -> Payment:
    """The order's payment, created (pending, for the order total) the first time it is needed."""
    payment = Payment.objects.filter(order_id=order.pk).first()
    if payment is not None:
        changed = (payment.amount, payment.method, payment.currency) != (order.total, order.payment_method,
                                                                          order.currency)
        if changed and payment.status in (PaymentStatus.PENDING, PaymentStatus.FAILED):
            # The draft changed after the card was given: nothing was authorized yet, follow the order.
            Payment.objects.filter(
                pk=payment.pk, status__in=[PaymentStatus.PENDING, PaymentStatus.FAILED], captured_amount=0,
            ).update(amount=order.total, method=order.payment_method, currency=order.currency)
            payment = Payment.objects.get(pk=payment.pk)
        return payment
    try:
        with transaction.atomic():
            return Payment.objects.create(order_id=order.pk, method=order.payment_method, currency=order.currency,
                                          amount=order.total)
    except IntegrityError:  # created concurrently
        return Payment.objects.get(order_id=order.pk)


def payment_card_tokenize(*, card_number: str = "", payment_method: str = ""):
    """The gateway's token for a card number, or for a payment method id the provider's script
    made in the browser; None when neither was given (a network call: make it before any lock)."""
    gateway = get_gateway()
    try:
        if payment_method:
            return gateway.payment_method_card(payment_method=payment_method)
        if card_number:
            return gateway.tokenize(card_number=card_number)
    except GatewayError as exc:
        raise DomainError(str(exc), code="invalid_card") from None
    return None


def payment_details_set(*, actor, order: Order, card_number: str = "", payment_method: str = "",
                        card=None) -> Payment:
    """Give the order a (new) card: tokenized at once, only the token and last four digits are kept.

    Pass `card` (from `payment_card_tokenize`) when the caller holds locks or a transaction, so
    that no gateway call happens inside them. After a decline this makes the payment pending
    again with a new authorization attempt (so a new idempotency key); releasing the order's
    hold re-verifies and authorizes it.
    """
    if card is None:
        card = payment_card_tokenize(card_number=card_number, payment_method=payment_method)
    if card is None:
        raise DomainError("Enter the card.", code="invalid_card")
    with transaction.atomic():
        payment = lock_payment(payment_for_order(order=order).pk)
        if payment.method not in AUTHORIZE_METHODS:
            raise DomainError(f"Order {order.number} is paid by {payment.get_method_display()}; it takes no card.")
        if payment.status not in (PaymentStatus.PENDING, PaymentStatus.FAILED):
            raise TransitionRefused(f"The payment is {payment.get_status_display().lower()}; "
                                    "its card can no longer be changed.")
        if payment.transactions.filter(kind=TransactionKind.AUTHORIZE, outcome__in=[
                TransactionOutcome.PENDING, TransactionOutcome.UNKNOWN]).exists():
            raise DomainError("The last authorization has no answer from the gateway yet; retry it (release the "
                              "order's hold) before giving another card.", code="in_progress")
        if payment.status == PaymentStatus.FAILED:
            payment.retry()
        payment.source_token = card.token
        payment.card_last4 = card.last4
        payment.failure_message = ""
        payment.authorization_attempt = F("authorization_attempt") + 1
        payment.save(update_fields=["status", "source_token", "card_last4", "failure_message",
                                    "authorization_attempt", "updated_at"])
    return Payment.objects.get(pk=payment.pk)


# -- the three steps of a gateway operation -------------------------------------------


def _reserve(*, payment_id: int, kind: str, amount: Decimal, key: str, actor, note: str = "",
             notify_customer: bool = True, final: bool = True) -> tuple[PaymentTransaction, bool]:
    """Insert the transaction row and reserve its amount; returns (row, whether to call the gateway)."""
    with transaction.atomic():
        payment = lock_payment(payment_id)
        existing = PaymentTransaction.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return _replay(existing, payment_id=payment_id, kind=kind, amount=amount)
        _refuse_or_reserve(payment, kind, amount)
        try:
            with transaction.atomic():
                row = PaymentTransaction.objects.create(
                    payment=payment, kind=kind, amount=amount, currency=payment.currency, idempotency_key=key,
                    gateway=_gateway_name(payment, kind), note=note[:255], actor=user_or_none(actor),
                    notify_customer=notify_customer, final_capture=final,
                )
        except IntegrityError:
            raise DomainError("That request was already made for another payment.", code="idempotency_conflict")
    return row, True


def _replay(row: PaymentTransaction, *, payment_id: int, kind: str, amount: Decimal):
    if row.payment_id != payment_id or row.kind != kind or row.amount != amount:
        raise DomainError("That request was already used for a different operation.", code="idempotency_conflict")
    if row.is_final:
        return row, False  # done before: the same answer, no second gateway call
    if row.outcome == TransactionOutcome.UNKNOWN:
        claimed = PaymentTransaction.objects.filter(pk=row.pk, outcome=TransactionOutcome.UNKNOWN).update(
            outcome=TransactionOutcome.PENDING)
        if claimed:
            row.outcome = TransactionOutcome.PENDING
            return row, True
    raise DomainError("This payment operation is already in progress; look again in a moment.", code="in_progress")


def _refuse(payment: Payment, name: str, refusal: str) -> None:
    transition_refusal(payment, name, noun="payment", verb=name, subject="The payment", refusal=refusal)


def _reserve_amount(payment: Payment, amount: Decimal, *, within: str, used: str, pending: str, refusal: str) -> None:
    """Reserve `amount` in `pending` with one conditional UPDATE, refused (with `refusal`) when
    `used + pending + amount` would pass `within`: two requests never reserve the same money."""
    reserved = Payment.objects.filter(pk=payment.pk, **{f"{within}__gte": F(used) + F(pending) + amount}).update(
        **{pending: F(pending) + amount})
    if not reserved:
        raise DomainError(refusal, code="amount_too_high")


def _refuse_or_reserve(payment: Payment, kind: str, amount: Decimal) -> None:
    if kind == TransactionKind.AUTHORIZE:
        _refuse(payment, "authorize", "it cannot be authorized again")
    elif kind == TransactionKind.CAPTURE:
        _refuse(payment, "capture", "only an authorized payment can be captured")
        if payment.transactions.filter(kind=TransactionKind.VOID).exclude(outcome=TransactionOutcome.FAILED).exists():
            raise TransitionRefused("The authorization is being voided; it cannot be captured.")
        _reserve_amount(payment, amount, within="authorized_amount", used="captured_amount",
                        pending="pending_capture", refusal=f"Cannot capture {amount} {payment.currency}: only "
                        f"{payment.capturable} {payment.currency} of the authorization is left.")
    elif kind == TransactionKind.VOID:
        _refuse(payment, "void", "it cannot be voided. Refund it instead")
        if payment.pending_capture:
            raise TransitionRefused("A capture is in progress; the payment cannot be voided.")
    elif kind == TransactionKind.AUTHORIZE_INCREASE:
        if payment.status != PaymentStatus.AUTHORIZED:
            raise TransitionRefused(f"The payment is {payment.get_status_display().lower()}; only an authorized "
                                    "payment can be authorized for more.")
    elif kind == TransactionKind.PARTIAL_VOID:
        if payment.status != PaymentStatus.AUTHORIZED:
            raise TransitionRefused(f"The payment is {payment.get_status_display().lower()}; only an authorized "
                                    "payment can be partly voided.")
        # Taken off the authorization at once, so nothing captures it while the gateway answers.
        reserved = Payment.objects.filter(
            pk=payment.pk, authorized_amount__gte=F("captured_amount") + F("pending_capture") + amount
        ).update(authorized_amount=F("authorized_amount") - amount)
        if not reserved:
            raise DomainError(f"Cannot void {amount} {payment.currency}: only {payment.capturable} "
                              f"{payment.currency} of the authorization is left.", code="amount_too_high")
    elif kind == TransactionKind.REFUND:
        _refuse(payment, "refund", "nothing captured can be refunded")
        _reserve_amount(payment, amount, within="captured_amount", used="refunded_amount",
                        pending="pending_refund", refusal=f"Cannot refund {amount} {payment.currency}: only "
                        f"{payment.refundable} {payment.currency} of what was captured is left to refund.")


def _gateway_name(payment: Payment, kind: str) -> str:
    # Money received by hand (wire, ACH, cash) is paid back by hand: the refund is only recorded.
    if kind == TransactionKind.REFUND and not payment.authorization_reference:
        return MANUAL_GATEWAY
    return get_gateway().name


def _call_gateway(row: PaymentTransaction, payment: Payment) -> GatewayResult | None:
    """The gateway's answer, or None when it did not answer (the outcome is unknown)."""
    if row.gateway == MANUAL_GATEWAY:
        return GatewayResult(True, reference="", error_message="")
    gateway = get_gateway()
    call = {"amount": row.amount, "currency": row.currency, "idempotency_key": row.idempotency_key}
    try:
        if row.kind == TransactionKind.AUTHORIZE:
            return gateway.authorize(**call, source=payment.source_token)
        if row.kind == TransactionKind.AUTHORIZE_INCREASE:
            return gateway.authorize_increase(**call, source=payment.source_token,
                                              reference=payment.authorization_reference,
                                              authorized=payment.authorized_amount)
        if row.kind == TransactionKind.CAPTURE:
            return gateway.capture(**call, reference=payment.authorization_reference, final=row.final_capture)
        return getattr(gateway, row.kind)(**call, reference=payment.authorization_reference)
    except GatewayTimeout as exc:
        logger.warning("Gateway gave no answer on %s (%s)", row.idempotency_key, exc.code)
        return GatewayResult(False, error_code=exc.code, error_message=exc.staff_message or TIMEOUT_MESSAGE,
                             unknown=True)
    except Exception:  # a network error: the call may have reached the provider
        logger.exception("Gateway call %s failed", row.idempotency_key)
    return None


def _record(*, row: PaymentTransaction, result: GatewayResult | None, actor,
            from_outcomes=(TransactionOutcome.PENDING,)) -> PaymentTransaction:
    with transaction.atomic():
        payment = lock_payment(row.payment_id)
        if result is None:
            outcome, fields = TransactionOutcome.UNKNOWN, {"error_code": "timeout", "error_message": TIMEOUT_MESSAGE}
        elif result.unknown:
            outcome, fields = TransactionOutcome.UNKNOWN, {"error_code": result.error_code[:50],
                                                           "error_message": result.error_message[:255]}
        else:
            outcome = TransactionOutcome.SUCCEEDED if result.success else TransactionOutcome.FAILED
            fields = {"gateway_reference": result.reference[:100], "error_code": result.error_code[:50],
                      "error_message": result.error_message[:255]}
        written = PaymentTransaction.objects.filter(pk=row.pk, outcome__in=from_outcomes).update(
            outcome=outcome, completed_at=timezone.now(), **fields)
        row = PaymentTransaction.objects.get(pk=row.pk)
        if written and outcome in FINAL_OUTCOMES:
            _apply_outcome(payment, row, actor)
        if written:
            _announce(payment, row, actor)
    return row


def _announce(payment: Payment, row: PaymentTransaction, actor) -> None:
    words = {TransactionOutcome.SUCCEEDED: "", TransactionOutcome.FAILED: " failed",
             TransactionOutcome.UNKNOWN: " got no answer"}[row.outcome]
    amount = f" {row.amount} {row.currency}" if row.amount else ""
    reason = f": {row.error_message}" if row.error_message and row.outcome != TransactionOutcome.SUCCEEDED else ""
    send_order_payment_event(order_id=payment.order_id, actor=actor,
                             message=f"Payment {row.get_kind_display().lower()}{amount}{words}{reason}",
                             kind=row.kind, outcome=row.outcome, amount=str(row.amount), transaction_id=row.pk)
    if row.kind == TransactionKind.REFUND and row.outcome == TransactionOutcome.SUCCEEDED and row.notify_customer:
        order = Order.objects.select_related("customer").get(pk=payment.order_id)
        notification_request(kind=REFUND_ISSUED, recipient=order.customer.email, about=order, order=order,
                             reference=f"refund-{row.pk}", actor=actor)


def _apply_outcome(payment: Payment, row: PaymentTransaction, actor) -> None:
    """Move the locked payment's amounts and status for a transaction that just became final."""
    succeeded = row.outcome == TransactionOutcome.SUCCEEDED
    fields = {"updated_at"}
    if row.kind == TransactionKind.AUTHORIZE:
        if succeeded and can_proceed(payment.authorize):
            payment.authorized_amount = row.amount
            payment.authorization_reference = row.gateway_reference
            payment.failure_message = ""
            payment.authorize()
        elif not succeeded and can_proceed(payment.fail):
            payment.failure_message = row.error_message or "The payment was declined."
            payment.fail()
        elif succeeded:
            # The order was cancelled while the gateway was authorizing: release the money again.
            from payments.tasks import payment_void_orphan_authorization_task

            enqueue_on_commit(payment_void_orphan_authorization_task, transaction_id=row.pk)
        fields |= {"authorized_amount", "authorization_reference", "failure_message", "status"}
    elif row.kind == TransactionKind.CAPTURE:
        payment.pending_capture -= row.amount
        if succeeded:
            payment.captured_amount += row.amount
            payment.capture()
        fields |= {"pending_capture", "captured_amount", "status"}
    elif row.kind == TransactionKind.AUTHORIZE_INCREASE and succeeded:
        payment.authorized_amount += row.amount
        fields |= {"authorized_amount"}
    elif row.kind == TransactionKind.PARTIAL_VOID and not succeeded:
        payment.authorized_amount += row.amount  # the gateway kept it: give the reservation back
        fields |= {"authorized_amount"}
    elif row.kind == TransactionKind.VOID and succeeded:
        payment.void()
        fields |= {"status"}
    elif row.kind == TransactionKind.REFUND:
        payment.pending_refund -= row.amount
        if succeeded:
            payment.refunded_amount += row.amount
            payment.refund()
        fields |= {"pending_refund", "refunded_amount", "status"}
    payment.save(update_fields=sorted(fields))
    if succeeded and row.kind == TransactionKind.CAPTURE:
        _invoice_settle(payment)
    if succeeded and row.kind == TransactionKind.REFUND:
        invoice = Invoice.objects.filter(order_id=payment.order_id).exclude(status=InvoiceStatus.VOID).first()
        if invoice is not None:
            credit_note_issue(actor=actor, invoice=invoice, amount=row.amount, reason=row.note or "Refund",
                              payment_transaction=row)


def _execute(*, payment: Payment, kind: str, amount: Decimal, key: str, actor, note: str = "",
             notify_customer: bool = True, final: bool = True) -> PaymentTransaction:
    row, call = _reserve(payment_id=payment.pk, kind=kind, amount=amount, key=key, actor=actor, note=note,
                         notify_customer=notify_customer, final=final)
    if not call:
        return row
    result = _call_gateway(row, Payment.objects.get(pk=payment.pk))
    return _record(row=row, result=result, actor=actor)


def payment_void_orphan_authorization(*, transaction_id: int) -> PaymentTransaction | None:
    """Void an authorization that succeeded after its payment was already voided; safe to run twice."""
    authorization = PaymentTransaction.objects.select_related("payment").get(pk=transaction_id)
    key = f"{authorization.idempotency_key}:orphan-void"
    existing = PaymentTransaction.objects.filter(idempotency_key=key).first()
    if existing is not None and existing.outcome != TransactionOutcome.UNKNOWN:
        return existing
    row = existing or PaymentTransaction.objects.create(
        payment=authorization.payment, kind=TransactionKind.VOID, amount=ZERO, currency=authorization.currency,
        idempotency_key=key, gateway=authorization.gateway, note="Late authorization of a voided payment released.",
    )
    try:
        result = get_gateway().void(amount=authorization.amount, currency=authorization.currency, idempotency_key=key,
                                    reference=authorization.gateway_reference)
    except Exception:
        logger.exception("Void of orphan authorization %s failed", authorization.pk)
        result = None
    outcome = TransactionOutcome.UNKNOWN if result is None else (
        TransactionOutcome.SUCCEEDED if result.success else TransactionOutcome.FAILED)
    PaymentTransaction.objects.filter(pk=row.pk, outcome__in=[TransactionOutcome.PENDING, TransactionOutcome.UNKNOWN]
                                      ).update(outcome=outcome, completed_at=timezone.now(),
                                               gateway_reference=result.reference if result else "",
                                               error_message=(result.error_message if result else TIMEOUT_MESSAGE))
    return PaymentTransaction.objects.get(pk=row.pk)


# -- unknown outcomes: retried with the same key, or settled by the gateway's webhook --


def payment_retry_unknown(*, actor, payment: Payment) -> list[PaymentTransaction]:
    """Ask the gateway again, with the same keys, about calls that got no answer; safe to repeat."""
    rows = PaymentTransaction.objects.filter(payment_id=payment.pk, outcome=TransactionOutcome.UNKNOWN).order_by("pk")
    done = []
    for row in rows:
        try:
            done.append(_execute(payment=payment, kind=row.kind, amount=row.amount, key=row.idempotency_key,
                                 actor=actor))
        except DomainError as exc:  # another worker is retrying it right now
            logger.info("Retry of %s skipped: %s", row.idempotency_key, exc)
    return done


def payment_webhook_apply(*, idempotency_key: str, success: bool, reference: str = "", error_code: str = "",
                          error_message: str = "") -> PaymentTransaction | None:
    """The gateway tells us how a call ended. A replayed or late notice changes nothing:
    only a transaction still in flight or unknown takes the outcome, exactly once."""
    row = PaymentTransaction.objects.filter(idempotency_key=idempotency_key).first()
    if row is None or row.is_final:
        return row
    result = GatewayResult(bool(success), reference or "", error_code or "", error_message or "")
    return _record(row=row, result=result, actor=None, from_outcomes=(TransactionOutcome.PENDING,
                                                                      TransactionOutcome.UNKNOWN))


def payment_dispute_open(*, payment: Payment, reference: str, amount, reason: str = "") -> Payment:
    """The customer's bank disputes the charge: flag the payment and tell the order's timeline.

    The dispute is answered at the provider; here it is a flag staff see on the order, the
    payment and the admin. A replayed notice of the same dispute changes nothing.
    """
    amount = clean_amount(amount, payment.currency)
    reason = (reason or "unstated").replace("_", " ")[:100]
    with transaction.atomic():
        locked = lock_payment(payment.pk)
        if locked.dispute_reference == reference:
            return locked
        locked.disputed_at = timezone.now()
        locked.dispute_reference, locked.dispute_reason, locked.dispute_amount = reference[:100], reason, amount
        locked.save(update_fields=["disputed_at", "dispute_reference", "dispute_reason", "dispute_amount",
                                   "updated_at"])
        send_order_payment_event(order_id=locked.order_id, actor=None, kind="dispute", dispute=locked.dispute_reference,
                                 message=f"Payment disputed by the customer's bank: {amount} {locked.currency} "
                                         f"({reason}). Answer the dispute at the payment provider.")
    return locked


# -- operations -----------------------------------------------------------------------


def payment_authorize(*, actor, payment: Payment, idempotency_key: str | None = None) -> PaymentTransaction:
    """Authorize the payment's amount on its card; a decline leaves the payment `failed`."""
    key = idempotency_key or f"payment-{payment.pk}:authorize:{payment.authorization_attempt}"
    return _execute(payment=payment, kind=TransactionKind.AUTHORIZE, amount=payment.amount, key=key, actor=actor)


def payment_capture(*, actor, payment: Payment, amount=None, idempotency_key: str | None = None,
                    note: str = "", final: bool = True) -> PaymentTransaction:
    """Take `amount` (default: all that is authorized and not yet captured); `final=False` keeps
    the rest of the authorization for a later capture (units of the order still to ship)."""
    amount = clean_amount(payment.capturable if amount is None else amount, payment.currency)
    # Two clicks on the same capture read the same state, so they make the same key.
    key = idempotency_key or f"payment-{payment.pk}:capture:{payment.captured_amount + payment.pending_capture + amount}"
    return _execute(payment=payment, kind=TransactionKind.CAPTURE, amount=amount, key=key, actor=actor, note=note,
                    final=final)


def payment_void(*, actor, payment: Payment, idempotency_key: str | None = None) -> PaymentTransaction:
    """Release an authorization that was not captured; a payment with no authorization is voided without a call."""
    key = idempotency_key or f"payment-{payment.pk}:void"
    if payment.status in (PaymentStatus.PENDING, PaymentStatus.FAILED):
        return _void_unauthorized(payment=payment, key=key, actor=actor)
    return _execute(payment=payment, kind=TransactionKind.VOID, amount=payment.authorized_amount, key=key, actor=actor)


def _void_unauthorized(*, payment: Payment, key: str, actor) -> PaymentTransaction:
    with transaction.atomic():
        locked = lock_payment(payment.pk)
        existing = PaymentTransaction.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return _replay(existing, payment_id=locked.pk, kind=TransactionKind.VOID, amount=ZERO)[0]
        if locked.status not in (PaymentStatus.PENDING, PaymentStatus.FAILED):
            raise TransitionRefused(f"The payment is {locked.get_status_display().lower()}; void it through the gateway.")
        locked.void()
        locked.save(update_fields=["status", "updated_at"])
        row = PaymentTransaction.objects.create(
            payment=locked, kind=TransactionKind.VOID, amount=ZERO, currency=locked.currency, idempotency_key=key,
            outcome=TransactionOutcome.SUCCEEDED, completed_at=timezone.now(), actor=user_or_none(actor),
            note="Nothing was authorized; no gateway call.",
        )
        _announce(locked, row, actor)
    return row


def payment_refund(*, actor, payment: Payment, amount, reason: str = "",
                   idempotency_key: str | None = None, notify_customer: bool = True) -> PaymentTransaction:
    """Give back part or all of what was captured, never more; a credit note follows if invoiced.

    Pass the key of the request (a form's hidden key, a return's id) so a double submit
    reuses it; without one, two identical requests made at once derive the same key.
    The customer is told by a "refund issued" message, unless the caller tells them itself
    (`notify_customer=False`: a return's refund message): one event, one message.
    """
    amount = clean_amount(amount, payment.currency)
    key = idempotency_key or f"payment-{payment.pk}:refund:{payment.refunded_amount + payment.pending_refund + amount}"
    return _execute(payment=payment, kind=TransactionKind.REFUND, amount=amount, key=key, actor=actor,
                    note=reason.strip(), notify_customer=notify_customer)


def payment_record_manual(*, actor, order: Order, amount, currency: str, reference: str = "", note: str = "",
                          idempotency_key: str | None = None) -> PaymentTransaction:
    """Record money received outside the gateway: a wire or ACH transfer, cash collected on delivery."""
    amount = clean_amount(amount, currency)
    with transaction.atomic():
        payment = lock_payment(payment_for_order(order=order).pk)
        if currency != payment.currency:
            raise DomainError(f"The payment is in {payment.currency}, not {currency}.", code="currency_mismatch")
        if payment.method in AUTHORIZE_METHODS:
            raise DomainError(f"{payment.get_method_display()} payments are taken through the gateway, "
                              "not recorded by hand.")
        key = idempotency_key or f"payment-{payment.pk}:manual:{payment.captured_amount + amount}"
        existing = PaymentTransaction.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return _replay(existing, payment_id=payment.pk, kind=TransactionKind.MANUAL, amount=amount)[0]
        _refuse(payment, "record_manual", "no payment can be recorded on it")
        if amount > payment.outstanding:
            raise DomainError(f"{amount} {currency} is more than the {payment.outstanding} {currency} outstanding.",
                              code="amount_too_high")
        row = PaymentTransaction.objects.create(
            payment=payment, kind=TransactionKind.MANUAL, amount=amount, currency=currency, idempotency_key=key,
            outcome=TransactionOutcome.SUCCEEDED, gateway=MANUAL_GATEWAY, gateway_reference=reference.strip()[:100],
            note=note.strip()[:255], actor=user_or_none(actor), completed_at=timezone.now(),
        )
        payment.authorized_amount += amount
        payment.captured_amount += amount
        payment.record_manual()
        payment.save(update_fields=["authorized_amount", "captured_amount", "status", "updated_at"])
        _invoice_settle(payment)
        _announce(payment, row, actor)
    return row


def payment_capture_for_order(*, actor, order_id: int) -> PaymentTransaction | None:
    """Capture what has shipped of a card order (all of it once fully shipped); safe to run twice."""
    payment = Payment.objects.select_related("order").filter(order_id=order_id).first()
    if payment is not None:
        payment_retry_unknown(actor=actor, payment=payment)
        payment = Payment.objects.select_related("order").get(pk=payment.pk)
    if payment is None or payment.method not in AUTHORIZE_METHODS or payment.status not in (
        PaymentStatus.AUTHORIZED, PaymentStatus.PARTIALLY_CAPTURED
    ):
        return None
    shipped = _shipped_value(payment.order)
    target = min(shipped, payment.authorized_amount)
    amount = target - payment.captured_amount - payment.pending_capture
    if amount <= 0:
        return None
    final = payment.order.status in FULLY_SHIPPED_STATUSES or shipped >= payment.order.total
    return payment_capture(actor=actor, payment=payment, amount=amount, final=final,
                           idempotency_key=f"payment-{payment.pk}:capture:upto:{target}",
                           note="Order shipped." if final else "Part of the order shipped.")


def _shipped_value(order: Order) -> Decimal:
    if order.status in FULLY_SHIPPED_STATUSES:
        return order.total
    value = sum((line.line_total * line.quantity_shipped / line.quantity for line in order.lines.all()), ZERO)
    return quantize(value, order.currency)


def payment_settle_cancelled_order(*, actor, order_id: int) -> PaymentTransaction | None:
    """A cancelled order: void its authorization, or refund what was already taken; safe to run twice."""
    payment = Payment.objects.filter(order_id=order_id).first()
    if payment is not None:
        payment_retry_unknown(actor=actor, payment=payment)
        payment = Payment.objects.get(pk=payment.pk)
    if payment is None or payment.status in (PaymentStatus.VOIDED, PaymentStatus.REFUNDED):
        return None
    if payment.status in (PaymentStatus.PENDING, PaymentStatus.FAILED, PaymentStatus.AUTHORIZED):
        return payment_void(actor=actor, payment=payment)
    if payment.refundable > 0:
        return payment_refund(actor=actor, payment=payment, amount=payment.refundable, reason="Order cancelled.",
                              idempotency_key=f"payment-{payment.pk}:refund:order-cancelled")
    return None


# -- invoices and credit notes --------------------------------------------------------


def invoice_issue(*, actor, order: Order, send_email: bool = True) -> Invoice:
    """Issue the order's invoice (or return the one it has); numbered gaplessly per year.

    The number comes from a counter row updated inside this transaction: concurrent
    issuers wait for each other, and a rollback gives the number back.
    """
    with transaction.atomic():
        order = lock_order(order.pk)
        existing = Invoice.objects.filter(order=order).exclude(status=InvoiceStatus.VOID).first()
        if existing is not None:
            return existing
        if order.status in UNINVOICEABLE_STATUSES:
            raise TransitionRefused(f"Order {order.number} is {order.get_status_display().lower()}; "
                                    "it cannot be invoiced.")
        issued_at = timezone.now()
        today = timezone.localdate(issued_at)
        invoice = Invoice(
            order=order, currency=order.currency, issued_at=issued_at, payment_method=order.payment_method,
            due_date=today + timedelta(days=settings.OMS_INVOICE_DUE_DAYS.get(order.payment_method, 0)),
            seller=dict(settings.OMS_SELLER), buyer=_buyer(order), shipping_total=order.shipping_total,
            total=order.total, issued_by=user_or_none(actor),
        )
        lines = _invoice_lines(order)
        invoice.subtotal = sum((line.net_amount for line in lines), ZERO)
        invoice.tax_total = sum((line.tax_amount for line in lines), ZERO)
        invoice.number = f"INV-{today.year}-{sequence_next(name=f'invoice-{today.year}'):06d}"
        payment = Payment.objects.filter(order=order).first()
        if payment is not None and payment.captured_amount >= invoice.total:
            invoice.pay()
            invoice.paid_at = issued_at
        invoice.save()
        for line in lines:
            line.invoice = invoice
        InvoiceLine.objects.bulk_create(lines)
        send_order_payment_event(order_id=order.pk, actor=actor, message=f"Invoice {invoice.number} issued: "
                                 f"{invoice.total} {invoice.currency}, due {invoice.due_date:%Y-%m-%d}.",
                                 invoice=invoice.number)
        if send_email:
            notification_request(kind=INVOICE_ISSUED, recipient=invoice.buyer.get("email") or order.customer.email,
                                 about=invoice, order=order, actor=actor)
    return invoice


def _buyer(order: Order) -> dict:
    return {"name": order.customer.name, "email": order.customer.email, "company": order.customer.company,
            "address": order.billing_address.lines(), "order_number": order.number}


def _invoice_lines(order: Order) -> list[InvoiceLine]:
    lines = [
        InvoiceLine(
            position=line.position, sku=line.sku, description=line.name, quantity=line.quantity,
            unit_price=line.unit_price, discount=line.discount_amount, net_amount=line.line_total - line.tax_amount,
            tax_rate=line.tax_rate, tax_amount=line.tax_amount, total=line.line_total,
        )
        for line in order.lines.all()
    ]
    if order.shipping_total:
        lines.append(InvoiceLine(position=len(lines) + 1, description="Shipping", quantity=1,
                                 unit_price=order.shipping_total, net_amount=order.shipping_total,
                                 total=order.shipping_total))
    return lines


def _invoice_settle(payment: Payment) -> None:
    """Mark the order's open invoice paid once the payment covers it (called under the payment lock)."""
    invoice = (Invoice.objects.select_for_update()
               .filter(order_id=payment.order_id, status__in=[InvoiceStatus.OPEN, InvoiceStatus.OVERDUE]).first())
    if invoice is not None and payment.captured_amount >= invoice.total:
        invoice.pay()
        invoice.paid_at = timezone.now()
        invoice.save(update_fields=["status", "paid_at"])


def invoice_void(*, actor, invoice: Invoice) -> Invoice:
    """Void an unpaid invoice; its number stays used (the series has no gaps), a new one can be issued."""
    with transaction.atomic():
        locked = lock_invoice(invoice.pk)
        transition_refusal(locked, "void", noun="invoice", verb="voided")
        locked.void()
        locked.save(update_fields=["status"])
    return locked


def invoices_mark_overdue(*, today=None, limit: int = 500) -> int:
    """Open invoices past their due date become overdue, up to `limit` a run, oldest due first (over
    the invoices' (status, due date) index); a marked invoice is no longer open, so the next run takes
    the rest. Returns how many."""
    today = today or timezone.localdate()
    marked = 0
    due = Invoice.objects.filter(status=InvoiceStatus.OPEN, due_date__lt=today).order_by("due_date", "pk")
    for invoice_id in list(due.values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            invoice = lock_invoice(invoice_id)
            if can_proceed(invoice.mark_overdue) and invoice.due_date < today:
                invoice.mark_overdue()
                invoice.save(update_fields=["status"])
                marked += 1
    return marked


def credit_note_issue(*, actor, invoice: Invoice, amount, reason: str = "",
                      payment_transaction: PaymentTransaction | None = None) -> CreditNote:
    """Credit part of an invoice (a refund); numbered in its own gapless series per year."""
    amount = clean_amount(amount, invoice.currency)
    with transaction.atomic():
        invoice = lock_invoice(invoice.pk)
        if payment_transaction is not None:
            existing = CreditNote.objects.filter(transaction=payment_transaction).first()
            if existing is not None:
                return existing
        credited = invoice.credit_notes.aggregate(s=Sum("amount"))["s"] or ZERO
        if amount > invoice.total - credited:
            raise DomainError(f"Invoice {invoice.number} has only {invoice.total - credited} {invoice.currency} "
                              "left to credit.", code="amount_too_high")
        issued_at = timezone.now()
        year = timezone.localdate(issued_at).year
        tax = quantize(amount * invoice.tax_total / invoice.total, invoice.currency) if invoice.total else ZERO
        note = CreditNote.objects.create(
            number=f"CN-{year}-{sequence_next(name=f'credit-note-{year}'):06d}", invoice=invoice,
            transaction=payment_transaction, currency=invoice.currency, amount=amount, tax_amount=tax,
            reason=reason.strip()[:255], issued_at=issued_at, issued_by=user_or_none(actor),
        )
        send_order_payment_event(order_id=invoice.order_id, actor=actor, credit_note=note.number,
                                 message=f"Credit note {note.number} issued against {invoice.number}: "
                                         f"{amount} {invoice.currency}.")
    return note


# -- tax rates ------------------------------------------------------------------------


def tax_rate_set(*, actor, country: str, tax_class: str, rate, name: str = "") -> TaxRate:
    """Create or change the rate for a tax class shipped to a country."""
    try:
        rate = Decimal(str(rate))
    except InvalidOperation:
        raise DomainError(f"{rate!r} is not a rate.") from None
    row = TaxRate.objects.filter(country=country.upper(), tax_class=tax_class).first() or TaxRate(
        country=country.upper(), tax_class=tax_class)
    row.rate, row.name = rate, name
    row.full_clean(validate_unique=False)
    with transaction.atomic():
        row.save()
    return row


# -- orders changed after placement ---------------------------------------------------


def payment_authorize_increase(*, actor, payment: Payment, amount, idempotency_key: str) -> PaymentTransaction:
    """Authorize `amount` more on the payment's card (an order grew); a decline changes nothing.

    Called with no lock held (it is a gateway call); the key names the change, so a double
    submit of the same change asks the gateway once.
    """
    amount = clean_amount(amount, payment.currency)
    return _execute(payment=payment, kind=TransactionKind.AUTHORIZE_INCREASE, amount=amount, key=idempotency_key,
                    actor=actor, note="The order grew.")


def payment_settle_order_change(*, actor, order_id: int) -> PaymentTransaction | None:
    """An order's total changed: the payment owes the new total, and what was authorized or
    taken beyond it is given back (a partial void of the authorization, or a refund).

    Safe to run twice: the key names the amounts, and a second run finds nothing left over.
    """
    order = Order.objects.get(pk=order_id)
    payment = Payment.objects.filter(order_id=order_id).first()
    if payment is None:
        return None
    Payment.objects.filter(pk=payment.pk).update(amount=order.total)
    payment_retry_unknown(actor=actor, payment=payment)
    payment = Payment.objects.get(pk=payment.pk)
    if payment.status == PaymentStatus.AUTHORIZED and payment.authorized_amount > order.total:
        surplus = payment.authorized_amount - order.total
        return _execute(payment=payment, kind=TransactionKind.PARTIAL_VOID, amount=surplus, actor=actor,
                        key=f"payment-{payment.pk}:partial-void:{payment.authorized_amount}:to:{order.total}",
                        note="The order became smaller.")
    if payment.refundable > order.total:
        return payment_refund(actor=actor, payment=payment, amount=payment.refundable - order.total,
                              reason="The order became smaller.",
                              idempotency_key=f"payment-{payment.pk}:refund:{payment.refundable}:to:{order.total}")
    return None
