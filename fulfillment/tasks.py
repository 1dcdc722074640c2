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
def notification_request_task(*, order_id: int, kind: str, reference: str = "") -> bool:
    """Record the e-mail an order event asks for (unique per order, kind, reference) and send it:
    done here, in a worker, so that the request that changed the order writes nothing more."""
    from fulfillment.services import notification_request
    from orders.models import Order

    order = Order.objects.select_related("customer").filter(pk=order_id).first()
    if order is None:
        return False
    notification_request(order=order, kind=kind, reference=reference)
    return True


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


@shared_task
def notifications_retry_stale(minutes: int = 15, limit: int = 500) -> int:
    """Safety net (beat): e-mails whose task was lost (broker outage, a worker killed while
    sending) are handed to a fresh task; the claim in notification_send still sends each once."""
    from datetime import timedelta

    from django.db.models import Q
    from django.utils import timezone

    from fulfillment.enums import NotificationStatus
    from fulfillment.models import Notification
    from oms.tasks import dispatch_task

    cutoff = timezone.now() - timedelta(minutes=minutes)
    stale = Notification.objects.filter(
        Q(status__in=[NotificationStatus.PENDING, NotificationStatus.FAILED]) | Q(status=NotificationStatus.SENDING),
        created_at__lt=cutoff, attempts__lt=10,
    ).order_by("pk").values_list("pk", flat=True)[:limit]
    ids = list(stale)
    # A row left "sending" by a dead worker may be claimed again.
    Notification.objects.filter(pk__in=ids, status=NotificationStatus.SENDING).update(status=NotificationStatus.FAILED)
    for notification_id in ids:
        dispatch_task(notification_send_task, {"notification_id": notification_id})
    return len(ids)


@shared_task
def shipments_flag_late_task() -> int:
    """Beat: flag shipments still on the way past their order's promised delivery time."""
    from fulfillment.services import shipments_flag_late

    return shipments_flag_late()
