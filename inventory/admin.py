from django.contrib import admin

from inventory.models import Allocation, Product, PurchaseOrder, PurchaseOrderLine, ReorderAlert, StockLevel
from inventory.models import StockMovement, Supplier, Warehouse
from oms.admin import FixedLinesInline, ReadOnlyAdmin


class StockLevelInline(admin.TabularInline):
    model = StockLevel
    fields = ("warehouse", "bin_location", "on_hand", "allocated", "reorder_point", "reorder_quantity")
    readonly_fields = ("on_hand", "allocated")
    extra = 0


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("sku", "name", "barcode", "unit_price", "cost_price", "weight_kg", "tax_class", "supplier",
                    "is_active", "allow_backorder")
    list_filter = ("is_active", "tax_class", "allow_backorder", "supplier")
    search_fields = ("sku", "name", "barcode")
    inlines = [StockLevelInline]


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "country", "region", "priority", "active")
    list_filter = ("active", "country")
    search_fields = ("code", "name")


@admin.register(StockLevel)
class StockLevelAdmin(admin.ModelAdmin):
    list_display = ("product", "warehouse", "bin_location", "on_hand", "allocated", "available", "reorder_point",
                    "reorder_quantity")
    list_filter = ("warehouse",)
    search_fields = ("product__sku", "product__name", "bin_location")
    list_select_related = ("product", "warehouse")
    # Quantities move only through the ledger (stock services); settings are editable.
    readonly_fields = ("on_hand", "allocated")

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields + (("product", "warehouse") if obj else ())


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "product", "warehouse", "kind", "on_hand_delta", "allocated_delta", "order",
                    "purchase_order", "reference", "actor")
    list_filter = ("kind", "warehouse")
    search_fields = ("product__sku", "reference", "reason", "order__number", "purchase_order__number")
    list_select_related = ("product", "warehouse", "order", "purchase_order", "actor")
    date_hierarchy = "created_at"


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdmin):
    list_display = ("order", "order_line", "warehouse", "quantity", "quantity_consumed", "quantity_released",
                    "status", "created_at")
    list_filter = ("warehouse",)
    search_fields = ("order__number", "order_line__sku")
    list_select_related = ("order", "order_line", "warehouse")


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "email", "lead_time_days", "active")
    list_filter = ("active",)
    search_fields = ("code", "name", "email")


@admin.register(ReorderAlert)
class ReorderAlertAdmin(ReadOnlyAdmin):
    list_display = ("stock_level", "raised_at", "available", "incoming", "reorder_point", "suggested_quantity",
                    "purchase_order", "notified_at", "resolved_at")
    list_filter = ("resolved_at",)
    list_select_related = ("stock_level__product", "stock_level__warehouse", "purchase_order")


class PurchaseOrderLineInline(FixedLinesInline):
    model = PurchaseOrderLine
    fields = ("product", "quantity_ordered", "quantity_received", "unit_cost")
    readonly_fields = ("product", "quantity_ordered", "quantity_received", "unit_cost")


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(admin.ModelAdmin):
    """Purchase orders are created, sent and received through the services; here only notes change."""

    list_display = ("number", "supplier", "warehouse", "status", "created_at", "expected_at", "received_at")
    list_filter = ("status", "supplier", "warehouse")
    search_fields = ("number", "supplier__name")
    readonly_fields = ("number", "supplier", "warehouse", "status", "created_by", "created_at", "sent_at",
                       "received_at", "cancelled_at")
    inlines = [PurchaseOrderLineInline]

    def has_add_permission(self, request):
        return False
