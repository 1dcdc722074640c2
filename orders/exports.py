"""What the order and customer exports hold. An order export has a row per order line in the columns
of the CSV import (orders/intake.py CSV_COLUMNS) first, so an exported file imports again as is,
then the order's own figures."""

from oms.exports import Column, path_column, path_columns, values_rows
from orders.intake import CSV_COLUMNS
from orders.models import OrderLine

_SAME_NAME = {"sku": "sku", "quantity": "quantity", "unit_price": "unit_price", "customer_email": "order__customer__email",
              "customer_name": "order__customer__name", "note": "order__customer_note"}

ORDER_COLUMNS = [
    Column("external_reference", lambda r: r["order__external_reference"] or r["order__number"],
           ("order__external_reference", "order__number")),
    *[path_column(name, _SAME_NAME.get(name, f"order__{name}")) for name in CSV_COLUMNS[1:]],
    *path_columns("order__number", "order__status", "order__channel", "order__created_at", "order__placed_at",
                  "order__ship_by", "order__currency", "name", "discount_amount", "tax_amount", "line_total",
                  "quantity_shipped", "quantity_returned", "order__total", "order__hold_reason"),
]

CUSTOMER_COLUMNS = path_columns("id", "name", "email", "phone", "company", "credit_limit", "on_hold", "hold_note",
                                "created_at")


def order_export_rows(orders):
    """The lines of `orders` (any filtered queryset), order by order, read in chunks."""
    lines = OrderLine.objects.filter(order__in=orders.order_by().values("pk")).order_by("order_id", "position", "pk")
    return values_rows(lines, ORDER_COLUMNS)


def customer_export_rows(customers):
    return values_rows(customers.order_by("pk"), CUSTOMER_COLUMNS)



IMPORT_ERROR_COLUMNS = path_columns("row", "external_reference", "column", "message")


def import_error_rows(job):
    """A CSV import's problems, row by row, as the job page lists the first of them."""
    return values_rows(job.errors.order_by("row", "pk"), IMPORT_ERROR_COLUMNS)
