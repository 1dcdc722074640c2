import django_tables2 as tables
from django.utils.html import format_html, format_html_join

from orders.models import Order


class OrderTable(tables.Table):
    select = tables.CheckBoxColumn(accessor="number", orderable=False,
                                   attrs={"input": {"name": "orders", "class": "form-check-input bulk-pick",
                                                    "form": "bulk-form"},
                                          "th__input": {"class": "form-check-input", "data-check-all": "input.bulk-pick",
                                                        "aria-label": "Select every order on this page"}})
    number = tables.Column(linkify=True, verbose_name="Order")
    created_at = tables.DateTimeColumn(format="Y-m-d H:i", verbose_name="Created")
    customer = tables.Column(accessor="customer__name", order_by=("customer__name", "pk"), verbose_name="Customer")
    channel = tables.Column()
    priority = tables.Column()
    status = tables.Column()
    total = tables.Column(attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}})
    ship_by = tables.DateTimeColumn(format="m-d H:i", verbose_name="Ship by")
    tags = tables.Column(accessor="pk", orderable=False, verbose_name="Tags")

    class Meta:
        model = Order
        fields = ("select", "number", "created_at", "customer", "channel", "priority", "status", "total", "ship_by",
                  "tags")
        order_by = ("-created_at",)
        attrs = {"class": "table table-hover table-sm align-middle bg-white", "id": "order-table"}

    def render_status(self, record, value):
        return format_html('<span class="badge status-badge status-{}">{}</span>', record.status, value)

    def render_priority(self, record, value):
        return format_html('<span class="priority-{}">{}</span>', record.priority, value)

    def render_tags(self, record):
        return format_html_join(" ", '<span class="badge order-tag text-bg-{}">{}</span>',
                                ((tag.colour, tag.name) for tag in record.tags.all()))

    def render_total(self, record, value):
        return f"{value:,.2f} {record.currency}"

    def order_created_at(self, queryset, is_descending):
        prefix = "-" if is_descending else ""
        return queryset.order_by(f"{prefix}created_at", f"{prefix}pk"), True
