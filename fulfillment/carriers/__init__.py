"""Carrier providers: the interface in `base`, the built-in rate tables in `rate_table`, EasyPost
in `easypost`. Each service level names its provider in the admin; `provider_for` returns it."""

from fulfillment.carriers.base import (
    AddressCheck,
    CarrierProviderBase,
    CarrierRefused,
    CarrierTimeout,
    LiveRate,
    Parcel,
    PurchasedLabel,
    RateQuote,
    ShipTo,
    TrackingUpdate,
)
from fulfillment.enums import CarrierProvider

__all__ = ["AddressCheck", "CarrierProviderBase", "CarrierRefused", "CarrierTimeout", "LiveRate", "Parcel",
           "PurchasedLabel", "RateQuote", "ShipTo", "TrackingUpdate", "provider_for"]


def provider_for(name: str) -> CarrierProviderBase:
    if name == CarrierProvider.EASYPOST:
        from fulfillment.carriers.easypost import EasyPostProvider

        return EasyPostProvider()
    from fulfillment.carriers.rate_table import RateTableProvider

    return RateTableProvider()
