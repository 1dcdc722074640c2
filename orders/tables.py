import django_tables2 as tables
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime

from orders.models import Order

# Columns a saved view may show or leave out (the tick box and the order number are always there).
OPTIONAL_COLUMNS = ("created_at", "customer", "channel", "priority", "status", "payment_status",
                    "fulfillment_status", "total", "ship_by", "tags")
SORTABLE_COLUMNS = ("number", "created_at", "customer", "channel", "priority", "status", "total", "ship_by")


class OrderTable(tables.Table):
    select = tables.CheckBoxColumn(accessor="number", orderable=False,
                                   attrs={"input": {"name": "orders", "class": "form-check-input bulk-pick",
                                                    "form": "bulk-form"},
                                          "th__input": {"class": "form-check-input", "data-check-all": "input.bulk-pick",
                                                        "aria-label": "Select every order on this page"}})
    number = tables.Column(linkify=True, verbose_name="Order")
    # Dates are formatted here rather than by DateTimeColumn, which compiles a template for every cell.
    created_at = tables.Column(verbose_name="Created")
    customer = tables.Column(accessor="customer__name", order_by=("customer__name", "pk"), verbose_name="Customer")
    channel = tables.Column()
    priority = tables.Column()
    status = tables.Column()
    payment_status = tables.Column(accessor="pk", orderable=False, verbose_name="Payment")
    fulfillment_status = tables.Column(accessor="pk", orderable=False, verbose_name="Fulfilment")
    total = tables.Column(attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}})
    ship_by = tables.Column(verbose_name="Ship by")
    tags = tables.Column(accessor="pk", orderable=False, verbose_name="Tags")

    class Meta:
        model = Order
        fields = ("select", "number", *OPTIONAL_COLUMNS)
        order_by = ("-created_at",)
        attrs = {"class": "table table-hover table-sm align-middle bg-white", "id": "order-table"}

    def __init__(self, *args, payment_statuses=None, fulfillment_statuses=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Filled for the rows of the page shown (a query each), never for the whole list.
        self.payment_statuses = payment_statuses or {}
        self.fulfillment_statuses = fulfillment_statuses or {}

    def render_status(self, record, value):
        return format_html('<span class="badge status-badge status-{}">{}</span>', record.status, value)

    def render_payment_status(self, record):
        status = self.payment_statuses.get(record.pk)
        if status is None:
            return "—"
        return format_html('<span class="badge payment-badge payment-{}">{}</span>', status.value, status.label)

    def render_fulfillment_status(self, record):
        code, label = self.fulfillment_statuses.get(record.pk, ("", "—"))
        return format_html('<span class="fulfilment-{}">{}</span>', code, label) if code else label

    def render_created_at(self, value):
        return date_format(localtime(value), "Y-m-d H:i")

    def render_ship_by(self, value):
        return date_format(localtime(value), "m-d H:i")

    def render_priority(self, record, value):
        return format_html('<span class="priority-{}">{}</span>', record.priority, value)

    def render_tags(self, record):
        return format_html_join(" ", '<span class="badge order-tag text-bg-{}">{}</span>',
                                ((tag.colour, tag.name) for tag in record.tags.all()))

    def render_total(self, record, value):
        return f"{value:,.2f} {record.currency}"

    # Each sort ends on the primary key, so that rows with equal values keep one order from page to page and
    # PostgreSQL reads the matching index (order_created_idx, order_total_idx, order_ship_by_idx) in order.
    def order_created_at(self, queryset, is_descending):
        return _by_then_pk(queryset, "created_at", is_descending)

    def order_total(self, queryset, is_descending):
        return _by_then_pk(queryset, "total", is_descending)

    def order_ship_by(self, queryset, is_descending):
        return _by_then_pk(queryset, "ship_by", is_descending)


def _by_then_pk(queryset, field: str, is_descending: bool):
    prefix = "-" if is_descending else ""
    return queryset.order_by(f"{prefix}{field}", f"{prefix}pk"), True
