"""The customer messages about an order's moves: registered with the notifications app in
OrdersConfig.ready(), requested by the orders services in the transaction that moves the order,
and written on the order's timeline once sent."""

from django.urls import reverse

from orders.enums import OrderEventType, OrderStatus
from orders.models import Order

ORDER_RECEIVED = "order_received"
ORDER_CONFIRMED = "order_confirmed"
ORDER_BACKORDERED = "order_backordered"
ORDER_DELIVERED = "order_delivered"
ORDER_CANCELLED = "order_cancelled"
ORDER_CHANGED = "order_changed"  # staff changed the order after placement: one message per version

# The status that tells the customer something, and the message it gets. "Shipped" is told per
# shipment by fulfillment (with its tracking number); completion tells nothing new.
STATUS_NOTIFICATIONS = {
    OrderStatus.PLACED: ORDER_RECEIVED,
    OrderStatus.CONFIRMED: ORDER_CONFIRMED,
    OrderStatus.BACKORDERED: ORDER_BACKORDERED,
    OrderStatus.DELIVERED: ORDER_DELIVERED,
    OrderStatus.CANCELLED: ORDER_CANCELLED,
}

SUBJECTS = {
    ORDER_RECEIVED: ("Order received", "We received your order {{ order.number }}"),
    ORDER_CONFIRMED: ("Order confirmed", "Your order {{ order.number }} is confirmed"),
    ORDER_BACKORDERED: ("Order backordered", "Your order {{ order.number }}: some items are on backorder"),
    ORDER_DELIVERED: ("Order delivered", "Your order {{ order.number }} was delivered"),
    ORDER_CANCELLED: ("Order cancelled", "Your order {{ order.number }} was cancelled"),
}


def order_message_context(order: Order) -> dict:
    """What every customer message about an order shows: the order, the name, the tracking link.
    Other apps' builders start from it (fulfillment's shipment, payments' refund, returns)."""
    return {"order": order, "customer_name": order.customer.name,
            "tracking_path": reverse("fulfillment:track_order", args=[order.tracking_token])}


def _context(notification) -> dict:
    order = Order.objects.select_related("customer").get(pk=notification.order_id)
    return {**order_message_context(order), "kind": notification.kind}


def _changed_context(notification) -> dict:
    context = _context(notification)
    _, _, number = notification.reference.split("#", 1)[0].partition("version-")
    context["version"] = (Order(pk=notification.order_id).versions.filter(number=int(number)).first()
                          if number.isdigit() else None)
    return context


def register_order_messages() -> None:
    from notifications.registry import register

    for kind, (label, subject) in SUBJECTS.items():
        register(kind, label=label, subject=subject, context=_context)
    register(ORDER_CHANGED, label="Order changed", subject="Your order {{ order.number }} was changed",
             context=_changed_context)


def record_message_sent(sender, *, notification, **kwargs) -> None:
    """notifications.signals.notification_sent: a message about an order goes on its timeline
    (in the transaction that marks it sent)."""
    from orders.services import order_event_record

    if notification.order_id is None:
        return
    order_event_record(order=Order(pk=notification.order_id), type=OrderEventType.EMAIL_SENT, actor=None,
                       message=f"E-mail sent to {notification.recipient}: {notification.subject}",
                       data={**notification.data, "kind": notification.kind, "reference": notification.reference,
                             "notification": notification.pk})
