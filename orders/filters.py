import django_filters
from django import forms

from orders.enums import Channel, OrderStatus, Priority
from orders.models import Order, Tag
from orders.selectors import order_search


class OrderFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search",
                                  widget=forms.TextInput(attrs={"placeholder": "Order no., customer, e-mail, SKU"}))
    # distinct=False: a status filter joins nothing, and DISTINCT would stop PostgreSQL using the index.
    status = django_filters.MultipleChoiceFilter(choices=OrderStatus.choices, distinct=False,
                                                 widget=forms.SelectMultiple(attrs={"size": 1}))
    channel = django_filters.ChoiceFilter(choices=Channel.choices, empty_label="Any channel")
    priority = django_filters.ChoiceFilter(choices=Priority.choices, empty_label="Any priority")
    created_from = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte", label="From",
                                             widget=forms.DateInput(attrs={"type": "date"}))
    created_to = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte", label="To",
                                           widget=forms.DateInput(attrs={"type": "date"}))
    customer = django_filters.NumberFilter(field_name="customer_id", widget=forms.HiddenInput)
    # The orders a CSV import named (its job page links here); one link row per order and job, so no duplicates.
    import_job = django_filters.NumberFilter(field_name="import_links__job", distinct=False, widget=forms.HiddenInput)
    tag = django_filters.ModelChoiceFilter(field_name="tags", queryset=Tag.objects.all(), empty_label="Any tag",
                                           to_field_name="name")

    class Meta:
        model = Order
        fields = ["q", "status", "channel", "priority", "created_from", "created_to", "customer", "import_job", "tag"]

    def search(self, queryset, name, value):
        return queryset.filter(order_search(term=value)) if value.strip() else queryset
