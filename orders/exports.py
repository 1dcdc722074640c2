"""What the order and customer exports hold. An order export has a row per order line in the columns
of the CSV import (orders/intake.py CSV_COLUMNS) first, so an exported file imports again as is,
then the order's own figures."""

from oms.exports import CHUNK, Column, path_columns
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
] + path_columns(
    "order__number", "order__status", "order__channel", "order__created_at", "order__placed_at", "order__ship_by",
    "order__currency", "name", "discount_amount", "tax_amount", "line_total", "quantity_shipped",
    "quantity_returned", "order__total", "order__hold_reason",
)

CUSTOMER_COLUMNS = path_columns("id", "name", "email", "phone", "company", "credit_limit", "on_hold", "hold_note",
                                "created_at")


def order_export_rows(orders):
    """The lines of `orders` (any filtered queryset), order by order, read in chunks."""
    return (OrderLine.objects.filter(order__in=orders.order_by().values("pk"))
            .select_related("order__customer").order_by("order_id", "position", "pk").iterator(chunk_size=CHUNK))


def customer_export_rows(customers):
    return customers.order_by("pk").iterator(chunk_size=CHUNK)

