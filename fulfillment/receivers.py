"""What fulfillment does when an order moves or money moves; connected in FulfillmentConfig.ready().

Receivers only schedule work (a customer e-mail, a completion check); the work runs in tasks.
"""

from fulfillment.enums import NotificationKind
from orders.enums import OrderStatus

# The order status that tells the customer something, and the e-mail it gets. "Shipped" is
# sent per shipment by fulfillment.services.shipment_ship (with its tracking number).
STATUS_NOTIFICATIONS = {
    OrderStatus.PLACED: NotificationKind.ORDER_RECEIVED,
    OrderStatus.CONFIRMED: NotificationKind.ORDER_CONFIRMED,
    OrderStatus.BACKORDERED: NotificationKind.ORDER_BACKORDERED,
    OrderStatus.DELIVERED: NotificationKind.ORDER_DELIVERED,
    OrderStatus.CANCELLED: NotificationKind.ORDER_CANCELLED,
}


def notify_on_status_change(sender, *, order_id: int, from_status: str, to_status: str, **kwargs) -> None:
    """orders.signals.order_status_changed (after commit): e-mail the customer about the new status.

    One e-mail per order and kind: an order placed again after a hold is not "received" twice.
    """
    from fulfillment.tasks import notification_request_task
    from oms.tasks import dispatch_task

    kind = STATUS_NOTIFICATIONS.get(to_status)
    if kind is None or from_status == to_status:
        return
    # Already after commit: hand over to a worker now (the outbox keeps it if the broker is down).
    dispatch_task(notification_request_task, {"order_id": order_id, "kind": kind})


def on_payment_event(sender, *, order_id: int, data: dict, **kwargs) -> None:
    """payments.signals.order_payment_event (after commit): a refund is e-mailed; money coming in
    may complete a delivered order."""
    from fulfillment.services import notification_request
    from fulfillment.tasks import order_complete_if_settled_task
    from oms.tasks import enqueue_on_commit
    from orders.models import Order

    order = Order.objects.select_related("customer").filter(pk=order_id).first()
    if order is None:
        return
    if data.get("kind") == "refund" and data.get("outcome") == "succeeded" and data.get("transaction_id"):
        notification_request(order=order, kind=NotificationKind.REFUND_ISSUED,
                             reference=f"refund-{data['transaction_id']}")
    if order.status == OrderStatus.DELIVERED:
        from django.db import transaction

        with transaction.atomic():
            enqueue_on_commit(order_complete_if_settled_task, order_id=order.pk)
