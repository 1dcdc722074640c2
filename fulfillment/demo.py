"""Demo data for fulfillment: carriers with service levels and rate tables (before the orders).

Idempotent: carriers, services and rates are found by their codes and updated in place.
"""

from decimal import Decimal

from fulfillment.enums import RateZone
from fulfillment.models import Carrier, ServiceLevel, ShippingRate

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
