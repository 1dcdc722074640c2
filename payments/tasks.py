"""Payment side effects, run after the order transaction commits; all safe to run twice."""

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from payments.enums import TransactionOutcome

logger = logging.getLogger(__name__)

RETRY = {"autoretry_for": (ConnectionError, TimeoutError), "retry_backoff": True, "max_retries": 5}


class OutcomeUnknown(Exception):
    """The gateway did not answer; the task runs again later and retries with the same key."""


GATEWAY_RETRY = {"autoretry_for": (ConnectionError, TimeoutError, OutcomeUnknown), "retry_backoff": 30,
                 "retry_backoff_max": 1800, "max_retries": 8}


def _outcome(row, nothing: str) -> str:
    if row is None:
        return nothing
    if row.outcome in (TransactionOutcome.UNKNOWN, TransactionOutcome.PENDING):
        raise OutcomeUnknown(row.idempotency_key)
    return row.outcome


@shared_task(**GATEWAY_RETRY)
def payment_capture_for_order_task(*, order_id: int) -> str:
    """The order shipped (some or all of it): capture what shipped."""
    from payments.services import payment_capture_for_order

    return _outcome(payment_capture_for_order(actor=None, order_id=order_id), "nothing to capture")


@shared_task(**GATEWAY_RETRY)
def payment_settle_cancelled_order_task(*, order_id: int) -> str:
    """The order was cancelled: void its authorization or refund what was taken."""
    from payments.services import payment_settle_cancelled_order

    return _outcome(payment_settle_cancelled_order(actor=None, order_id=order_id), "nothing to settle")


@shared_task(**GATEWAY_RETRY)
def payment_settle_order_change_task(*, order_id: int) -> str:
    """The order's total changed after placement: give back what was authorized or taken beyond it."""
    from payments.services import payment_settle_order_change

    return _outcome(payment_settle_order_change(actor=None, order_id=order_id), "nothing to settle")


@shared_task(**GATEWAY_RETRY)
def payment_void_orphan_authorization_task(*, transaction_id: int) -> str:
    """An authorization came back after its order was cancelled: void it at the gateway."""
    from payments.services import payment_void_orphan_authorization

    return _outcome(payment_void_orphan_authorization(transaction_id=transaction_id), "nothing to void")


@shared_task
def payments_retry_unknown_task(limit: int = 200) -> int:
    """Sweep: ask the gateway again about calls that got no answer (same keys, so never twice)."""
    from payments.models import Payment, PaymentTransaction
    from payments.services import payment_retry_unknown

    payment_ids = (PaymentTransaction.objects.filter(outcome=TransactionOutcome.UNKNOWN)
                   .order_by("payment_id").values_list("payment_id", flat=True).distinct()[:limit])
    return sum(len(payment_retry_unknown(actor=None, payment=payment))
               for payment in Payment.objects.filter(pk__in=list(payment_ids)))


@shared_task(**RETRY)
def invoice_issue_for_order_task(*, order_id: int) -> str:
    """The order shipped in full: issue its invoice (returns the existing one when run again)."""
    from orders.models import Order
    from payments.services import invoice_issue

    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        return "no such order"
    return invoice_issue(actor=None, order=order).number


@shared_task
def invoices_mark_overdue_task(limit: int = 500, again: bool = True) -> int:
    """Beat, hourly: a bounded batch of open invoices past due become overdue."""
    from oms.tasks import sweep_again_if_full
    from payments.services import invoices_mark_overdue

    marked = invoices_mark_overdue(limit=limit)
    sweep_again_if_full(invoices_mark_overdue_task, done=marked, limit=limit, again=again)
    return marked


@shared_task
def payment_transactions_expire_stale_task(minutes: int = 15, limit: int = 500) -> int:
    """Gateway calls left in flight by a crashed worker become `unknown`, so a retry may resolve them;
    `limit` a run, oldest first, over the index of unfinished calls (an expired one leaves it)."""
    from payments.models import PaymentTransaction

    cutoff = timezone.now() - timedelta(minutes=minutes)
    stale = (PaymentTransaction.objects.filter(outcome=TransactionOutcome.PENDING, created_at__lt=cutoff)
             .order_by("created_at", "pk").values("pk")[:limit])
    return PaymentTransaction.objects.filter(pk__in=stale, outcome=TransactionOutcome.PENDING).update(
        outcome=TransactionOutcome.UNKNOWN, error_code="stale", error_message="No answer was recorded in time.")
