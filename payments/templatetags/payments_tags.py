from django import template
from django.conf import settings

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


@register.inclusion_tag("payments/partials/card_entry.html")
def card_entry(form):
    """A form's card field: the number (simulated gateway), or Stripe's card field, which fills in
    a payment method id; Stripe.js is loaded only when STRIPE_JS_URL and the publishable key are set."""
    stripe = "payment_method_id" in form.fields
    return {
        "field": form["payment_method_id" if stripe else "card_number"],
        "stripe": stripe,
        "stripe_js_url": settings.STRIPE_JS_URL if settings.STRIPE_PUBLISHABLE_KEY else "",
        "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
    }

