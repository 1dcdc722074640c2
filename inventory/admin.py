from django.contrib import admin

from inventory.models import Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("sku", "name", "barcode", "unit_price", "weight_kg", "tax_class", "is_active", "allow_backorder")
    list_filter = ("is_active", "tax_class", "allow_backorder")
    search_fields = ("sku", "name", "barcode")
