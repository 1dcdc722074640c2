import logging

from celery import shared_task

from oms.exceptions import DomainError
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
