import logging

from celery import shared_task

from oms.exceptions import DomainError
from oms.tasks import dispatch_task
from orders.enums import OrderStatus
from orders.models import Order

logger = logging.getLogger(__name__)


@shared_task(bind=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def order_verify_task(self, *, order_id: int) -> str:
    """Verify a placed order; safe to run twice (a second run finds it no longer placed)."""
    from orders.services import order_verify

    order = Order.objects.filter(pk=order_id).first()
    if order is None or order.status != OrderStatus.PLACED:
        return "skipped"
    try:
        order = order_verify(actor=None, order=order)
    except DomainError as exc:  # someone verified or cancelled it first
        logger.info("Verification of order %s skipped: %s", order_id, exc)
        return "skipped"
    return order.status


@shared_task(bind=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def backorders_allocate_task(self, *, product_ids: list[int]) -> int:
    """Stock arrived (inventory's `stock_replenished` signal): serve waiting backorders."""
    from orders.services import backorders_allocate

    return len(backorders_allocate(actor=None, product_ids=product_ids))


@shared_task
def orders_verify_stalled(*, minutes: int = 2, limit: int = 200) -> int:
    """Safety net: verify orders left placed longer than `minutes` (their verification task was
    lost, e.g. the process died between the commit and sending it). Safe to run any time."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    if not settings.OMS_AUTO_VERIFY:
        return 0
    cutoff = timezone.now() - timedelta(minutes=minutes)
    ids = list(Order.objects.filter(status=OrderStatus.PLACED, placed_at__lt=cutoff, hold_reason="")
               .order_by("placed_at").values_list("pk", flat=True)[:limit])
    for order_id in ids:
        dispatch_task(order_verify_task, {"order_id": order_id})  # a broker still down: kept in the outbox
    return len(ids)


@shared_task(bind=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def bulk_job_run_task(self, *, job_id: int) -> int:
    """Run a bulk action on its orders; safe to run twice (each order's outcome is recorded once)."""
    from orders.bulk import bulk_job_run

    return bulk_job_run(job_id=job_id).processed
@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def order_complete_if_settled_task(*, order_id: int) -> bool:
    """The order was delivered or paid: complete it if it is now delivered, invoiced and paid."""
    from orders.services import order_complete_if_settled

    return order_complete_if_settled(order_id=order_id)


@shared_task
def orders_complete_settled_sweep(limit: int = 500, again: bool = True) -> int:
    """Safety net (beat, hourly): complete delivered orders that are invoiced and paid, `limit` a run."""
    from oms.tasks import sweep_again_if_full
    from orders.services import orders_complete_settled

    done = orders_complete_settled(limit=limit)
    sweep_again_if_full(orders_complete_settled_sweep, done=done, limit=limit, again=again)
    return done


@shared_task(bind=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def import_job_run_task(self, *, job_id: int) -> int:
    """Import a CSV file's orders; safe to run twice (each chunk is imported once)."""
    from orders.services import import_job_run

    job = import_job_run(job_id=job_id)
    return job.processed if job is not None else 0


@shared_task
def import_jobs_resume_stalled_task() -> int:
    """Safety net (beat, every minute): queue again the imports whose task was lost."""
    from orders.services import import_jobs_resume_stalled

    return import_jobs_resume_stalled()
