"""Demo data for payments: tax rates before the orders, then captures and invoices for shipped ones.

Both steps are idempotent: a second run finds the rates, captures and invoices already there.
"""

from decimal import Decimal

from orders.enums import OrderStatus
from orders.models import Order
from payments.services import invoice_issue, invoices_mark_overdue, payment_capture_for_order, tax_rate_set

# Destination country -> rates for the standard, reduced and zero tax classes.
DEMO_TAX_RATES = {
    "US": ("0.08", "0.04", "0"),
    "CA": ("0.05", "0.05", "0"),
    "GB": ("0.20", "0.05", "0"),
    "DE": ("0.19", "0.07", "0"),
    "FR": ("0.20", "0.055", "0"),
    "NL": ("0.21", "0.09", "0"),
}
SHIPPED = (OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED)


def before_orders(*, stdout) -> None:
    for country, rates in DEMO_TAX_RATES.items():
        for tax_class, rate in zip(("standard", "reduced", "zero"), rates):
            tax_rate_set(actor=None, country=country, tax_class=tax_class, rate=Decimal(rate),
                         name=f"{country} {tax_class} {Decimal(rate) * 100:g} %")
    stdout.write(f"payments: tax rates for {len(DEMO_TAX_RATES)} countries")


def after_orders(*, stdout) -> None:
    invoiced = 0
    for order in Order.objects.filter(status__in=SHIPPED).order_by("pk"):
        payment_capture_for_order(actor=None, order_id=order.pk)
        invoice_issue(actor=None, order=order, send_email=False)
        invoiced += 1
    overdue = invoices_mark_overdue()
    stdout.write(f"payments: {invoiced} shipped orders captured and invoiced, {overdue} invoices overdue")
