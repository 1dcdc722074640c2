"""Returns' periodic work; every task is safe to run twice."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone


@shared_task
def refunds_settle_pending_task(minutes: int = 2, limit: int = 200) -> int:
    """Sweep: finish refunds by line left with the gateway (no answer yet, or a worker that died
    between the steps); the payment's key makes sure none is paid twice. Returns how many ended."""
    from returns.enums import RefundStatus
    from returns.models import Refund
    from returns.services import refund_settle

    cutoff = timezone.now() - timedelta(minutes=minutes)
    pending = (Refund.objects.filter(status=RefundStatus.PENDING, created_at__lt=cutoff)
               .order_by("created_at", "pk")[:limit])  # over the refunds' (status, created at) index
    return sum(refund_settle(actor=None, refund=refund).status != RefundStatus.PENDING for refund in pending)
