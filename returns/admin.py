"""Admin for returns: readable in full; statuses and quantities only move through the services."""

from django.contrib import admin

from oms.admin import FixedLinesInline, IgnoreUnreadableInitialMixin, ReadOnlyAdmin, ReadOnlyInline
from returns.models import NonReturnableProduct, Refund, RefundLine, ReturnLine, ReturnRequest


class ReturnLineInline(FixedLinesInline):
    model = ReturnLine
    fields = ("order_line", "quantity", "reason", "customer_comment", "quantity_received", "outcome",
              "inspection_note")
    readonly_fields = fields


@admin.register(ReturnRequest)
class ReturnRequestAdmin(admin.ModelAdmin):
    list_display = ("number", "order", "status", "source", "resolution", "refund_amount", "created_at")
    list_filter = ("status", "source", "resolution", "free_return_shipping")
    search_fields = ("number", "order__number", "order__customer__name", "order__customer__email")
    date_hierarchy = "created_at"
    list_select_related = ("order",)
    inlines = [ReturnLineInline]
    fields = ("number", "order", "status", "source", "resolution", "free_return_shipping", "note",
              "policy_override_note", "policy_overridden_by", "decision_note", "refund_amount", "refund_shipping",
              "refund_key", "refund_transaction", "replacement_order", "created_by", "created_at", "approved_at",
              "received_at", "inspected_at", "resolved_at", "closed_at")
    # Everything but the staff note is written by the services (the status is protected).
    readonly_fields = tuple(f for f in fields if f != "note")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(NonReturnableProduct)
class NonReturnableProductAdmin(IgnoreUnreadableInitialMixin, admin.ModelAdmin):
    list_display = ("product", "reason")
    search_fields = ("product__sku", "product__name")
    autocomplete_fields = ("product",)


class RefundLineInline(ReadOnlyInline):
    model = RefundLine
    fields = ("order_line", "quantity", "amount", "tax_amount", "restock")
    readonly_fields = fields


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    """Refunds by line are made on the order page (the services pay and restock them); here they are read."""

    list_display = ("number", "order", "status", "amount", "shipping_amount", "currency", "created_by", "created_at")
    list_filter = ("status", "currency")
    search_fields = ("number", "order__number", "reason")
    date_hierarchy = "created_at"
    list_select_related = ("order", "created_by")
    fields = ("number", "order", "status", "amount", "shipping_amount", "currency", "reason", "failure_message",
              "transaction", "request_key", "created_by", "created_at", "completed_at")
    readonly_fields = fields
    inlines = [RefundLineInline]
