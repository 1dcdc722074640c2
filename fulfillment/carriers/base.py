"""The interface every carrier provider implements: live rates, address checks, labels, voids
and the tracking updates it pushes back.

A provider is called with no row lock held. It answers with plain values, raises
`CarrierRefused` with a message staff can read when the provider said no (a 4xx, a
malformed answer), and `CarrierTimeout` when no answer came in time: the outcome of a
purchase is then unknown and the caller asks again later.
"""

import abc
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


class CarrierRefused(Exception):
    """The provider refused or answered with something unusable; the message is for staff."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class CarrierTimeout(Exception):
    """The provider did not answer in time: the operation may or may not have happened."""


@dataclass(frozen=True)
class Parcel:
    weight_kg: Decimal
    length_cm: Decimal
    width_cm: Decimal
    height_cm: Decimal


@dataclass(frozen=True)
class ShipTo:
    name: str
    company: str
    street1: str
    street2: str
    city: str
    state: str
    zip: str
    country: str
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class LiveRate:
    carrier: str
    service: str
    price: Decimal
    currency: str
    delivery_days: int | None = None
    rate_id: str = ""


@dataclass(frozen=True)
class RateQuote:
    """The provider's shipment with its rates (a label is bought from one of them)."""

    provider_shipment_id: str
    rates: list[LiveRate] = field(default_factory=list)


@dataclass(frozen=True)
class AddressCheck:
    ok: bool
    message: str = ""


@dataclass(frozen=True)
class PurchasedLabel:
    provider_shipment_id: str
    tracking_number: str
    tracking_url: str
    label_url: str
    label_format: str
    rate: LiveRate


@dataclass(frozen=True)
class TrackingUpdate:
    """One status change the provider pushed: `status` is a ShipmentStatus or "" (nothing to move)."""

    event_id: str
    tracking_number: str
    status: str
    occurred_at: datetime | None = None
    location: str = ""
    description: str = ""
    tracking_url: str = ""


class CarrierProviderBase(abc.ABC):
    name: str = "provider"
    buys_labels: bool = True

    @abc.abstractmethod
    def verify_address(self, *, address: ShipTo) -> AddressCheck:
        """Ask the carrier whether it can deliver to `address`."""

    @abc.abstractmethod
    def quote(self, *, address: ShipTo, parcel: Parcel, reference: str) -> RateQuote:
        """Create the provider's shipment for one parcel and return its rates."""

    @abc.abstractmethod
    def buy(self, *, provider_shipment_id: str, rate: LiveRate) -> PurchasedLabel:
        """Buy the label of `rate` on the provider's shipment."""

    @abc.abstractmethod
    def find_purchase(self, *, provider_shipment_id: str) -> PurchasedLabel | None:
        """The label already bought on the provider's shipment, if any (settles an unknown outcome)."""

    @abc.abstractmethod
    def void(self, *, provider_shipment_id: str) -> str:
        """Ask for the unused label's postage back; returns the provider's refund status."""

    @abc.abstractmethod
    def download(self, *, url: str) -> bytes:
        """The label file at `url`."""
