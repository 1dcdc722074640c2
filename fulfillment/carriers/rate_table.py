"""The built-in provider: the rate tables in the admin price a parcel, any address is accepted,
and the label is drawn here (fulfillment.documents) once the shipment ships."""

from django.conf import settings

from fulfillment.carriers.base import (
    AddressCheck,
    CarrierProviderBase,
    CarrierRefused,
    LiveRate,
    Parcel,
    PurchasedLabel,
    RateQuote,
    ShipTo,
)
from fulfillment.enums import CarrierProvider, RateZone

NO_LABELS = "Rate-table services have no provider label: ship the shipment and print its label."


class RateTableProvider(CarrierProviderBase):
    name = CarrierProvider.RATE_TABLE
    buys_labels = False

    def verify_address(self, *, address: ShipTo) -> AddressCheck:
        return AddressCheck(ok=True)

    def quote(self, *, address: ShipTo, parcel: Parcel, reference: str) -> RateQuote:
        from fulfillment.models import ShippingRate

        zone = RateZone.DOMESTIC if address.country.upper() == settings.OMS_SHIP_FROM["country"].upper() \
            else RateZone.INTERNATIONAL
        best = {}
        for rate in (ShippingRate.objects.filter(zone=zone, max_weight_kg__gte=parcel.weight_kg,
                                                 service_level__provider=CarrierProvider.RATE_TABLE,
                                                 service_level__active=True)
                     .select_related("service_level__carrier").order_by("service_level_id", "max_weight_kg")):
            best.setdefault(rate.service_level_id, rate)
        return RateQuote(provider_shipment_id="", rates=[
            LiveRate(carrier=rate.service_level.carrier.code, service=rate.service_level.code, price=rate.price,
                     currency=rate.currency, delivery_days=rate.service_level.transit_days)
            for rate in best.values()])

    def buy(self, *, provider_shipment_id: str, rate: LiveRate) -> PurchasedLabel:
        raise CarrierRefused(NO_LABELS)

    def find_purchase(self, *, provider_shipment_id: str) -> PurchasedLabel | None:
        return None

    def void(self, *, provider_shipment_id: str) -> str:
        raise CarrierRefused(NO_LABELS)

    def download(self, *, url: str) -> bytes:
        raise CarrierRefused(NO_LABELS)
