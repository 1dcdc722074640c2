from django import template

from returns import selectors
from returns.policy import REFUNDABLE_ORDER_STATUSES

register = template.Library()


@register.inclusion_tag("returns/partials/order_returns_panel.html", takes_context=True)
def order_returns_panel(context, order):
    """The returns box of the staff order page, with the order's refunds by line:
    `{% load returns_tags %}{% order_returns_panel order %}`."""
    return {
        "order": order,
        "returns": selectors.returns_for_order(order),
        "refunds": selectors.refunds_for_order(order),
        "refundable": order.status in REFUNDABLE_ORDER_STATUSES,
        "return_status": selectors.order_return_status(order),
        "perms": context.get("perms"),
    }


@register.inclusion_tag("returns/partials/tracking_returns_panel.html")
def tracking_returns_panel(order):
    """The returns box of the customer's tracking page: `{% load returns_tags %}{% tracking_returns_panel order %}`:
    the order's returns with their status, and a link to return items while something can be returned."""
    return {
        "order": order,
        "returns": selectors.returns_for_order(order),
        "can_return": bool(selectors.returnable_lines(order)),
    }
