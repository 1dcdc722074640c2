from django import template

from fulfillment import selectors
from notifications.selectors import notifications_for_order

register = template.Library()


@register.inclusion_tag("fulfillment/partials/order_fulfillment_panel.html", takes_context=True)
def order_fulfillment_panel(context, order):
    """Shipments and customer e-mails on the order page:
    `{% load fulfillment_tags %}{% order_fulfillment_panel order %}`."""
    return {
        "order": order,
        "shipments": selectors.order_shipments(order),
        "notifications": notifications_for_order(order_id=order.pk),
        "perms": context.get("perms"),
        "csrf_token": context.get("csrf_token"),
        "packable": order.status in selectors.QUEUE_STATUSES[1:],
    }
