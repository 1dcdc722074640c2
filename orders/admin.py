from django import forms
from django.contrib import admin
from django.db.models.functions import Length
from django.urls import reverse
from django.utils.html import format_html

from inventory.admin import ReadOnlyAdmin

from orders.models import (
    ADDRESS_FIELDS,
    Address,
    ApiClient,
    BulkJob,
    BulkJobResult,
    Customer,
    ImportJob,
    ImportJobError,
    IntakeRequest,
    Order,
    OrderEvent,
    OrderHold,
    OrderLine,
    OrderVersion,
    SavedView,
    Tag,
)
from orders.services import customer_email_ensure_free


class AddressInline(admin.StackedInline):
    model = Address
    extra = 0


class CustomerAdminForm(forms.ModelForm):
    """The admin keeps the services' rule: one customer per e-mail address, kept lower-case."""

    def clean(self):
        data = super().clean()
        if data.get("email"):
            data["email"] = data["email"].strip().lower()
            customer_email_ensure_free(data["email"], customer=self.instance if self.instance.pk else None)
        return data


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    form = CustomerAdminForm
    list_display = ("name", "email", "company", "phone", "credit_limit", "on_hold", "created_at")
    list_filter = ("on_hold",)
    search_fields = ("name", "email", "company", "phone")
    inlines = [AddressInline]


@admin.register(Address)
class AddressAdmin(admin.ModelAdmin):
    list_display = ("name", "line1", "city", "postal_code", "country", "customer", "is_default")
    search_fields = ("name", "line1", "city", "postal_code", "customer__name", "customer__email")
    list_select_related = ("customer",)
    raw_id_fields = ("customer",)


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    readonly_fields = ("product", "position", "sku", "name", "unit_price", "quantity", "discount_amount", "tax_rate",
                       "tax_amount", "line_total", "quantity_allocated", "quantity_shipped", "quantity_returned")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class OrderHoldInline(admin.TabularInline):
    model = OrderHold
    extra = 0
    fields = ("reason", "message", "created_at", "created_by", "released_at", "released_by", "override")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    fields = ("created_at", "type", "actor", "from_status", "to_status", "message")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class OrderVersionInline(admin.TabularInline):
    model = OrderVersion
    extra = 0
    fields = ("number", "kind", "created_at", "actor", "reason", "total_before", "total_after", "changes")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Status, totals and stage timestamps are read-only: they change only through the services."""

    list_display = ("number", "created_at", "customer", "channel", "priority", "status", "total", "currency")
    list_filter = ("status", "channel", "priority", "payment_method")
    search_fields = ("number", "external_reference", "customer__name", "customer__email")
    list_select_related = ("customer",)
    raw_id_fields = ("customer", "created_by")
    date_hierarchy = "created_at"
    # Everything that money, stock, payments or promises hang on is read-only: it changes only
    # through the services (and so on the timeline). Notes stay editable.
    readonly_fields = ("number", "status", "channel", "external_reference", "api_client", "customer", "priority",
                       "payment_method", "currency", "subtotal", "discount_total", "shipping_total", "tax_total",
                       "total", "hold_reason", "cancel_reason", "placed_at", "confirmed_at", "shipped_at",
                       "delivered_at", "completed_at", "cancelled_at", "ship_by", "deliver_by", "tracking_token",
                       "created_at", "updated_at", "created_by", "tags",
                       *[f"{prefix}_{field}" for prefix in ("ship", "bill") for field in ADDRESS_FIELDS])
    inlines = [OrderLineInline, OrderHoldInline, OrderVersionInline, OrderEventInline]
    show_full_result_count = False  # no COUNT(*) over every order on each change-list page

    def has_add_permission(self, request):
        return False  # orders are captured through the back-office or the intake channels

    def has_delete_permission(self, request, obj=None):
        return False  # the timeline, the ledgers and the invoices refer to it


@admin.register(OrderEvent)
class OrderEventAdmin(admin.ModelAdmin):
    list_display = ("order", "created_at", "type", "actor", "from_status", "to_status", "message")
    list_filter = ("type",)
    search_fields = ("order__number", "message")
    list_select_related = ("order", "actor")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OrderHold)
class OrderHoldAdmin(admin.ModelAdmin):
    list_display = ("order", "reason", "created_at", "released_at", "override")
    list_filter = ("reason", "override")
    search_fields = ("order__number", "message")
    list_select_related = ("order",)
    readonly_fields = [f.name for f in OrderHold._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    """Clients are made with `manage.py create_api_client` (the key is shown once); here they are switched off."""

    list_display = ("name", "channel", "key_prefix", "is_active", "created_at", "last_used_at")
    list_filter = ("channel", "is_active")
    readonly_fields = ("key_prefix", "key_hash", "created_at", "last_used_at")

    def has_add_permission(self, request):
        return False


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    """Names and colours; which orders carry a tag changes on the order list (bulk) and is on each timeline."""

    list_display = ("name", "colour")
    search_fields = ("name",)


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin):
    """Staff save views on the order list; here an admin can rename, re-share or remove one."""

    list_display = ("name", "owner", "shared_with", "sort", "updated_at")
    list_filter = ("shared_with",)
    search_fields = ("name", "owner__username")
    raw_id_fields = ("owner",)
    readonly_fields = ("created_at", "updated_at")


class BulkJobResultInline(admin.TabularInline):
    model = BulkJobResult
    fields = readonly_fields = ("order", "ok", "message")
    raw_id_fields = ("order",)
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(BulkJob)
class BulkJobAdmin(admin.ModelAdmin):
    """A record of what was done to many orders at once, by whom, with each order's outcome."""

    list_display = ("pk", "action", "status", "total", "processed", "succeeded", "created_by", "created_at")
    list_filter = ("action", "status")
    readonly_fields = ("action", "params", "status", "total", "processed", "succeeded", "created_by", "created_at",
                       "finished_at")
    exclude = ("order_ids",)
    inlines = [BulkJobResultInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(IntakeRequest)
class IntakeRequestAdmin(admin.ModelAdmin):
    """What a channel first sent for each of its order references, and the answer it got: read only."""

    list_display = ("external_reference", "api_client", "order", "answer_status", "created_at")
    list_filter = ("api_client",)
    search_fields = ("external_reference", "order__number")
    readonly_fields = ("api_client", "external_reference", "body_hash", "body", "order", "answer_status", "answer",
                       "created_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
@admin.register(OrderVersion)
class OrderVersionAdmin(ReadOnlyAdmin):
    """Each change of a placed order, as it was made: written by the services, never edited."""

    list_display = ("order", "number", "kind", "created_at", "actor", "total_before", "total_after", "reason")
    list_filter = ("kind",)
    search_fields = ("order__number", "reason")
    list_select_related = ("order", "actor")


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    """Who imported which file, when, and how it went: written by the import only."""

    list_display = ("pk", "file_name", "channel", "status", "total", "processed", "orders_created", "orders_skipped",
                    "orders_failed", "created_by", "created_at")
    list_filter = ("status", "channel")
    search_fields = ("file_name",)
    list_select_related = ("created_by",)
    fields = ("file_name", "channel", "status", "total", "processed", "orders_created", "orders_skipped",
              "orders_failed", "problems", "file_size", "created_by", "created_at", "started_at", "heartbeat_at",
              "finished_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content").annotate(content_length=Length("content"))

    @admin.display(description="Problems")
    def problems(self, job):
        url = reverse("admin:orders_importjoberror_changelist") + f"?job__id__exact={job.pk}"
        return format_html('<a href="{}">{} problem(s)</a>', url, job.error_count)

    @admin.display(description="File size")
    def file_size(self, job):
        return f"{job.content_length:,} characters"


@admin.register(ImportJobError)
class ImportJobErrorAdmin(ReadOnlyAdmin):
    list_display = ("job", "row", "external_reference", "column", "message")
    search_fields = ("external_reference", "message")
    list_select_related = ("job",)

    def get_queryset(self, request):
        return super().get_queryset(request).defer("job__content")
