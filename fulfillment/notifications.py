"""The customer message fulfillment owns: "your order is on its way", one per shipment, with its
tracking number and link. Registered with the notifications app in FulfillmentConfig.ready()."""

from fulfillment.models import Shipment
from orders.models import Order
from orders.notifications import order_message_context

ORDER_SHIPPED = "order_shipped"


def _shipped_context(notification) -> dict:
    order = Order.objects.select_related("customer").get(pk=notification.order_id)
    shipment = (Shipment.objects.select_related("carrier", "service_level__carrier")
                .filter(order=order, number=notification.event_reference).first())
    return {**order_message_context(order), "kind": notification.kind, "shipment": shipment,
            "shipment_lines": list(shipment.lines.select_related("order_line")) if shipment else []}


def register_fulfillment_messages() -> None:
    from notifications.registry import register

    register(ORDER_SHIPPED, label="Order shipped", subject="Your order {{ order.number }} is on its way",
             context=_shipped_context)
