from django.contrib import admin

from fulfillment.models import (
    Carrier,
    CarrierLabel,
    Package,
    ServiceLevel,
    Shipment,
    ShipmentLine,
    ShippingRate,
    TrackingEvent,
    Wave,
)
from oms.admin import ReadOnlyAdmin, ReadOnlyInline


class ServiceLevelInline(admin.TabularInline):
    model = ServiceLevel
    extra = 0
    fields = ["code", "name", "transit_days", "active", "provider", "provider_carrier", "provider_service"]


@admin.register(Carrier)
class CarrierAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "active"]
    list_filter = ["active"]
    search_fields = ["name", "code"]
    inlines = [ServiceLevelInline]


class ShippingRateInline(admin.TabularInline):
    model = ShippingRate
    extra = 0


@admin.register(ServiceLevel)
class ServiceLevelAdmin(admin.ModelAdmin):
    list_display = ["name", "carrier", "code", "transit_days", "provider", "provider_carrier", "provider_service",
                    "active"]
    list_filter = ["carrier", "provider", "active"]
    search_fields = ["name", "code", "carrier__name"]
    inlines = [ShippingRateInline]
    fieldsets = [
        (None, {"fields": ["carrier", "code", "name", "transit_days", "active"]}),
        ("Provider", {"fields": ["provider", "provider_carrier", "provider_service"],
                      "description": "A provider other than the rate table prices this service live and sells its "
                                     "labels. Its API key and webhook secret come from the environment "
                                     "(EASYPOST_API_KEY, EASYPOST_WEBHOOK_SECRET), never from here."}),
    ]


@admin.register(ShippingRate)
class ShippingRateAdmin(admin.ModelAdmin):
    list_display = ["service_level", "zone", "max_weight_kg", "price", "currency"]
    list_filter = ["zone", "service_level__carrier"]
    list_select_related = ["service_level__carrier"]


class ShipmentLineInline(ReadOnlyInline):
    model = ShipmentLine


class PackageInline(ReadOnlyInline):
    model = Package


class TrackingEventInline(ReadOnlyInline):
    model = TrackingEvent


class CarrierLabelInline(ReadOnlyInline):
    model = CarrierLabel
    exclude = ["label_file"]


@admin.register(Shipment)
class ShipmentAdmin(ReadOnlyAdmin):
    list_display = ["number", "order", "warehouse", "status", "service_level", "tracking_number", "shipped_at",
                    "deliver_by_breached"]
    list_filter = ["status", "warehouse", "carrier", "deliver_by_breached"]
    list_select_related = ["order", "warehouse", "service_level__carrier"]
    search_fields = ["number", "order__number", "tracking_number"]
    inlines = [ShipmentLineInline, PackageInline, CarrierLabelInline, TrackingEventInline]


@admin.register(TrackingEvent)
class TrackingEventAdmin(ReadOnlyAdmin):
    list_display = ["shipment", "status", "occurred_at", "location", "source", "external_id"]
    list_filter = ["status", "source"]
    list_select_related = ["shipment"]
    search_fields = ["shipment__number", "external_id"]


@admin.register(Wave)
class WaveAdmin(ReadOnlyAdmin):
    list_display = ["number", "warehouse", "created_at", "created_by"]
    list_filter = ["warehouse"]
    list_select_related = ["warehouse", "created_by"]
    search_fields = ["number"]


@admin.register(CarrierLabel)
class CarrierLabelAdmin(ReadOnlyAdmin):
    list_display = ["shipment", "service_level", "status", "tracking_number", "rate", "currency", "created_at"]
    list_filter = ["status", "provider"]
    list_select_related = ["shipment", "service_level__carrier"]
    search_fields = ["shipment__number", "tracking_number", "provider_shipment_id"]
    exclude = ["label_file"]
