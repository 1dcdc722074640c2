from django import template

from payments import selectors

register = template.Library()


@register.inclusion_tag("payments/partials/order_payment_panel.html", takes_context=True)
def order_payment_panel(context, order):
    """The payment box of the order page: `{% load payments_tags %}{% order_payment_panel order %}`."""
    payment = selectors.order_payment(order)
    return {
        "order": order,
        "payment": payment,
        "status": selectors.payment_status_of(order, payment),
        "invoices": list(order.invoices.all()),
        "perms": context.get("perms"),
    }
