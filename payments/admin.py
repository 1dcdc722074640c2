"""Admin for payments: everything readable; money and statuses only move through the services."""

from django.contrib import admin

from oms.admin import FixedLinesInline, ReadOnlyAdmin, ReadOnlyInline
from payments.models import CreditNote, Invoice, InvoiceLine, Payment, PaymentTransaction, SimulatedGatewayCall, \
    TaxRate


class TransactionInline(ReadOnlyInline):
    model = PaymentTransaction
    fields = ("created_at", "kind", "amount", "currency", "outcome", "final_capture", "gateway_reference",
              "error_message", "idempotency_key", "actor")
    readonly_fields = fields


class DisputedFilter(admin.SimpleListFilter):
    title = "disputed"
    parameter_name = "disputed"

    def lookups(self, request, model_admin):
        return [("yes", "Disputed"), ("no", "Not disputed")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(disputed_at__isnull=self.value() == "no")
        return queryset


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("pk", "order", "method", "status", "disputed", "amount", "authorized_amount", "captured_amount",
                    "refunded_amount", "currency", "created_at")
    list_filter = ("status", DisputedFilter, "method", "currency")
    search_fields = ("order__number", "authorization_reference", "card_last4")
    list_select_related = ("order",)
    inlines = [TransactionInline]

    @admin.display(boolean=True, description="Disputed", ordering="disputed_at")
    def disputed(self, payment: Payment) -> bool:
        return payment.disputed


@admin.register(PaymentTransaction)
class PaymentTransactionAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "payment", "kind", "amount", "currency", "outcome", "gateway",
                    "gateway_reference", "idempotency_key")
    list_filter = ("kind", "outcome", "gateway")
    search_fields = ("idempotency_key", "gateway_reference", "payment__order__number")
    list_select_related = ("payment",)


class InvoiceLineInline(FixedLinesInline):
    model = InvoiceLine
    readonly_fields = ("position", "sku", "description", "quantity", "unit_price", "discount", "net_amount",
                       "tax_rate", "tax_amount", "total")


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ("number", "order", "status", "issued_at", "due_date", "total", "currency", "emailed_at")
    list_filter = ("status", "payment_method", "currency")
    search_fields = ("number", "order__number")
    list_select_related = ("order",)
    date_hierarchy = "issued_at"
    inlines = [InvoiceLineInline]


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnlyAdmin):
    list_display = ("number", "invoice", "amount", "tax_amount", "currency", "issued_at", "reason")
    search_fields = ("number", "invoice__number")
    list_select_related = ("invoice",)


@admin.register(TaxRate)
class TaxRateAdmin(admin.ModelAdmin):
    list_display = ("country", "tax_class", "rate", "name")
    list_filter = ("tax_class", "country")
    search_fields = ("country", "name")


@admin.register(SimulatedGatewayCall)
class SimulatedGatewayCallAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "operation", "idempotency_key", "amount", "currency")
    search_fields = ("idempotency_key",)
