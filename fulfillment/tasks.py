"""Fulfillment's side effects after commit; every task takes ids and is safe to run twice."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=6, retry_backoff=True)
def notification_send_task(self, *, notification_id: int) -> str:
    """Send one customer e-mail (once: the row is claimed first); retried with backoff."""
    from fulfillment.services import notification_send

    try:
        return "sent" if notification_send(notification_id=notification_id) else "already sent"
    except Exception as exc:
        logger.warning("Notification %s failed: %s", notification_id, exc)
        raise self.retry(exc=exc, countdown=min(30 * 2 ** self.request.retries, 3600)) from exc


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def order_complete_if_settled_task(*, order_id: int) -> bool:
    """The order was delivered or paid: complete it if it is now delivered, invoiced and paid."""
    from fulfillment.services import order_complete_if_settled

    return order_complete_if_settled(order_id=order_id)


@shared_task
def orders_complete_settled_sweep(limit: int = 500) -> int:
    """Safety net (beat): complete delivered orders that are invoiced and paid."""
    from fulfillment.services import order_complete_if_settled
    from orders.enums import OrderStatus
    from orders.models import Order

    ids = Order.objects.filter(status=OrderStatus.DELIVERED).order_by("delivered_at", "pk").values_list(
        "pk", flat=True)[:limit]
    return sum(order_complete_if_settled(order_id=order_id) for order_id in list(ids))
