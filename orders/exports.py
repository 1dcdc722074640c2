"""What the order and customer exports hold. An order export has a row per order line in the columns
of the CSV import (orders/intake.py CSV_COLUMNS) first, so an exported file imports again as is,
then the order's own figures."""

from oms.exports import CHUNK, Column
from orders.intake import CSV_COLUMNS
from orders.models import OrderLine

_ORDER = {
    "external_reference": lambda line: line.order.external_reference or line.order.number,
    "customer_email": lambda line: line.order.customer.email,
    "customer_name": lambda line: line.order.customer.name,
    "sku": lambda line: line.sku,
    "quantity": lambda line: line.quantity,
    "unit_price": lambda line: line.unit_price,
    "priority": lambda line: line.order.priority,
    "payment_method": lambda line: line.order.payment_method,
    "shipping_total": lambda line: line.order.shipping_total,
    "note": lambda line: line.order.customer_note,
}

ORDER_COLUMNS = [
    Column(name, _ORDER.get(name) or (lambda line, field=name: getattr(line.order, field)))
    for name in CSV_COLUMNS
] + [
    Column("order_number", lambda line: line.order.number),
    Column("status", lambda line: line.order.status),
    Column("channel", lambda line: line.order.channel),
    Column("created_at", lambda line: line.order.created_at),
    Column("placed_at", lambda line: line.order.placed_at),
    Column("ship_by", lambda line: line.order.ship_by),
    Column("currency", lambda line: line.order.currency),
    Column("line_name", lambda line: line.name),
    Column("line_discount", lambda line: line.discount_amount),
    Column("line_tax", lambda line: line.tax_amount),
    Column("line_total", lambda line: line.line_total),
    Column("quantity_shipped", lambda line: line.quantity_shipped),
    Column("quantity_returned", lambda line: line.quantity_returned),
    Column("order_total", lambda line: line.order.total),
    Column("hold_reason", lambda line: line.order.hold_reason),
]

CUSTOMER_COLUMNS = [
    Column("id", lambda c: c.pk),
    Column("name", lambda c: c.name),
    Column("email", lambda c: c.email),
    Column("phone", lambda c: c.phone),
    Column("company", lambda c: c.company),
    Column("credit_limit", lambda c: c.credit_limit),
    Column("on_hold", lambda c: c.on_hold),
    Column("hold_note", lambda c: c.hold_note),
    Column("created_at", lambda c: c.created_at),
]


def order_export_rows(orders):
    """The lines of `orders` (any filtered queryset), order by order, read in chunks."""
    return (OrderLine.objects.filter(order__in=orders.order_by().values("pk"))
            .select_related("order__customer").order_by("order_id", "position", "pk").iterator(chunk_size=CHUNK))


def customer_export_rows(customers):
    return customers.order_by("pk").iterator(chunk_size=CHUNK)

