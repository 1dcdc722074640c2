"""Demo data for fulfillment: carriers with service levels and rate tables (before the orders),
then shipments for the demo orders that the orders demo shipped directly (after the orders).

Idempotent: carriers, services and rates are found by their codes and updated in place;
orders that already have a shipment are left alone.
"""

import random
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from fulfillment.enums import RateZone, ShipmentStatus, TrackingSource
from fulfillment.models import Carrier, Package, ServiceLevel, Shipment, ShipmentLine, ShippingRate, TrackingEvent
from oms.sequences import sequence_next
from orders.enums import OrderStatus
from orders.models import Order

# carrier code -> (name, tracking URL, [(service code, name, transit days, domestic prices, international prices)])
# Prices are per parcel for weight brackets up to 1, 5, 20 and 70 kg.
BRACKETS = (Decimal("1"), Decimal("5"), Decimal("20"), Decimal("70"))
DEMO_CARRIERS = {
    "parcel-express": ("Parcel Express", "https://parcel-express.example/track?n={tracking_number}", [
        ("ground", "Ground", 5, ("6.90", "9.90", "19.90", "49.00"), ("24.00", "39.00", "89.00", "190.00")),
        ("2day", "2-Day", 2, ("14.90", "19.90", "34.90", "79.00"), ("44.00", "69.00", "139.00", "290.00")),
        ("overnight", "Overnight", 1, ("29.90", "39.90", "64.90", "139.00"), ("79.00", "119.00", "229.00", "460.00")),
    ]),
    "postal": ("National Post", "https://post.example/tracking/{tracking_number}", [
        ("standard", "Standard", 4, ("5.50", "8.90", "21.00", "55.00"), ("19.00", "32.00", "95.00", "210.00")),
    ]),
}


def carriers_ensure() -> int:
    count = 0
    for code, (name, url, services) in DEMO_CARRIERS.items():
        carrier, _ = Carrier.objects.update_or_create(code=code, defaults={"name": name,
                                                                           "tracking_url_template": url})
        for service_code, service_name, days, domestic, international in services:
            level, _ = ServiceLevel.objects.update_or_create(
                carrier=carrier, code=service_code, defaults={"name": service_name, "transit_days": days})
            for zone, prices in ((RateZone.DOMESTIC, domestic), (RateZone.INTERNATIONAL, international)):
                for weight, price in zip(BRACKETS, prices):
                    ShippingRate.objects.update_or_create(service_level=level, zone=zone, max_weight_kg=weight,
                                                          defaults={"price": Decimal(price)})
            count += 1
    return count


def before_orders(*, stdout) -> None:
    stdout.write(f"fulfillment: {carriers_ensure()} carrier services with rate tables")


SHIPPED_STATUSES = (OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED)


def after_orders(*, stdout) -> None:
    """The orders demo ships through `order_ship` alone (no packing); give those orders the
    shipment record the packing screen would have made, so their tracking pages show one.
    Demo history only: rows are written as they would stand after shipping, not replayed."""
    from inventory.models import Warehouse

    rng = random.Random(5)
    levels = list(ServiceLevel.objects.select_related("carrier").filter(active=True))
    warehouse = Warehouse.objects.filter(active=True).order_by("priority", "pk").first()
    if not levels or warehouse is None:
        return
    orders = (Order.objects.filter(status__in=SHIPPED_STATUSES, shipments__isnull=True)
              .prefetch_related("lines").order_by("pk"))
    made = 0
    for order in orders:
        with transaction.atomic():
            _demo_shipment(order, rng.choice(levels), warehouse, rng)
        made += 1
    stdout.write(f"fulfillment: {made} shipments for shipped demo orders")


def _demo_shipment(order: Order, level: ServiceLevel, warehouse, rng: random.Random) -> None:
    delivered = order.status in (OrderStatus.DELIVERED, OrderStatus.COMPLETED)
    # A partly shipped order has no shipped_at yet: its first parcel left after confirmation.
    shipped_at = order.shipped_at or (order.confirmed_at or order.placed_at) + timedelta(hours=rng.uniform(2, 8))
    shipment = Shipment.objects.create(
        number=f"SH-{sequence_next(name='shipment'):06d}", order=order, warehouse=warehouse,
        status=ShipmentStatus.DELIVERED if delivered else ShipmentStatus.IN_TRANSIT, carrier=level.carrier,
        service_level=level, tracking_number=f"{level.carrier.code[:4].upper()}{rng.randrange(10**11, 10**12)}",
        packed_at=shipped_at, shipped_at=shipped_at, delivered_at=order.delivered_at if delivered else None,
        expected_delivery=(shipped_at + timedelta(days=level.transit_days)).date(),
    )
    ShipmentLine.objects.bulk_create([ShipmentLine(shipment=shipment, order_line=line, quantity=line.quantity_shipped)
                                      for line in order.lines.all() if line.quantity_shipped])
    Package.objects.create(shipment=shipment, weight_kg=Decimal("2.500"), length_cm=Decimal("40"),
                           width_cm=Decimal("30"), height_cm=Decimal("20"))
    events = [(ShipmentStatus.SHIPPED, shipped_at, "Springfield, IL"),
              (ShipmentStatus.IN_TRANSIT, min(shipped_at + timedelta(hours=10), timezone.now()), "Chicago hub")]
    if delivered:
        events.append((ShipmentStatus.DELIVERED, order.delivered_at or shipped_at + timedelta(days=2),
                       order.ship_city or "Destination"))
    TrackingEvent.objects.bulk_create([
        TrackingEvent(shipment=shipment, status=status, occurred_at=at, location=where, source=TrackingSource.CARRIER)
        for status, at, where in events])
