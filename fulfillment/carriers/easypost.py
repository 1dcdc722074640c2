"""EasyPost through its official library (`easypost`): one parcel per provider shipment, its
rates, the label bought from one of them, refunds of unused labels, address verification,
and the tracker events EasyPost posts to the app (signed: X-Hmac-Signature).

The key and the API base come from the environment (EASYPOST_API_KEY, EASYPOST_API_BASE);
nothing secret is stored, logged or shown. Every answer the library gives is read defensively:
a 4xx is a refusal with EasyPost's message; a timeout, a 5xx, a dropped connection or an
answer that cannot be read leaves the outcome unknown.
"""

import logging
from decimal import Decimal, InvalidOperation

import requests
from django.conf import settings
from django.utils.dateparse import parse_datetime

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
from fulfillment.enums import CarrierProvider, ShipmentStatus

logger = logging.getLogger(__name__)

KG_TO_OZ = Decimal("35.27396")
CM_TO_IN = Decimal("2.54")
NO_ANSWER = "EasyPost did not answer in time; the outcome is unknown. Trying again is safe."
UNREADABLE = "EasyPost sent an answer that could not be read; the outcome is unknown. Trying again is safe."
# EasyPost tracker statuses -> the shipment status they report; the others move nothing.
TRACKER_STATUSES = {
    "in_transit": ShipmentStatus.IN_TRANSIT,
    "out_for_delivery": ShipmentStatus.OUT_FOR_DELIVERY,
    "delivered": ShipmentStatus.DELIVERED,
    "failure": ShipmentStatus.DELIVERY_FAILED,
    "error": ShipmentStatus.DELIVERY_FAILED,
    "return_to_sender": ShipmentStatus.RETURNED_TO_SENDER,
}


def _client():
    import easypost

    if not settings.EASYPOST_API_KEY:
        raise CarrierRefused("EasyPost is not set up: EASYPOST_API_KEY is missing from the environment.")
    return easypost.EasyPostClient(settings.EASYPOST_API_KEY, api_base=settings.EASYPOST_API_BASE.rstrip("/"),
                                   timeout=settings.EASYPOST_TIMEOUT)


def _call(operation: str, call):
    """Run one library call, turning the library's errors into a refusal or an unknown outcome."""
    from easypost.errors import ApiError, EasyPostError, HttpError, JsonError, TimeoutError

    try:
        answer = call()
        return answer.to_dict() if hasattr(answer, "to_dict") else answer
    except TimeoutError:
        raise CarrierTimeout(NO_ANSWER) from None
    except JsonError:
        raise CarrierTimeout(UNREADABLE) from None
    except HttpError:
        raise CarrierTimeout(f"EasyPost could not be reached for {operation}; the outcome is unknown. "
                             "Trying again is safe.") from None
    except ApiError as exc:
        status = exc.http_status or 0
        if status >= 500:
            raise CarrierTimeout(f"EasyPost failed ({status}) during {operation}; the outcome is unknown. "
                                 "Trying again is safe.") from None
        raise CarrierRefused(f"EasyPost refused {operation}: {exc.message or 'no reason given'}"
                             f" ({status}).") from None
    except EasyPostError as exc:
        raise CarrierRefused(f"EasyPost refused {operation}: {exc}.") from None


def _address(address: ShipTo | dict) -> dict:
    if isinstance(address, dict):
        return address
    return {"name": address.name, "company": address.company, "street1": address.street1,
            "street2": address.street2, "city": address.city, "state": address.state, "zip": address.zip,
            "country": address.country, "phone": address.phone, "email": address.email}


def _parcel(parcel: Parcel) -> dict:
    def inches(cm):
        return float((cm / CM_TO_IN).quantize(Decimal("0.1")))

    return {"weight": float((parcel.weight_kg * KG_TO_OZ).quantize(Decimal("0.1"))),
            "length": inches(parcel.length_cm), "width": inches(parcel.width_cm), "height": inches(parcel.height_cm)}


def _rate(data: dict) -> LiveRate:
    try:
        return LiveRate(carrier=str(data["carrier"]), service=str(data["service"]), price=Decimal(str(data["rate"])),
                        currency=str(data.get("currency") or "USD"),
                        delivery_days=data.get("delivery_days") or data.get("est_delivery_days"),
                        rate_id=str(data["id"]))
    except (KeyError, TypeError, InvalidOperation):
        raise CarrierTimeout(UNREADABLE) from None


def _purchase(shipment: dict) -> PurchasedLabel | None:
    """The label on an EasyPost shipment, or None when none was bought."""
    label = shipment.get("postage_label") or {}
    if not label:
        return None
    fmt = settings.EASYPOST_LABEL_FORMAT.upper()
    url = label.get({"PDF": "label_pdf_url", "ZPL": "label_zpl_url"}.get(fmt, "label_url")) or label.get("label_url")
    tracking_number = shipment.get("tracking_code") or ""
    if not (url and tracking_number and shipment.get("selected_rate")):
        raise CarrierTimeout(UNREADABLE)
    tracker = shipment.get("tracker") or {}
    return PurchasedLabel(provider_shipment_id=str(shipment.get("id", "")), tracking_number=str(tracking_number),
                          tracking_url=str(tracker.get("public_url") or ""), label_url=str(url),
                          label_format=fmt if fmt in ("PDF", "ZPL") else "PNG", rate=_rate(shipment["selected_rate"]))


def _messages(shipment: dict) -> str:
    return "; ".join(str(m.get("message", "")) for m in shipment.get("messages") or [] if isinstance(m, dict))


class EasyPostProvider(CarrierProviderBase):
    name = CarrierProvider.EASYPOST

    def verify_address(self, *, address: ShipTo) -> AddressCheck:
        client = _client()
        answer = _call("the address check", lambda: client.address.create(verify=True, **_address(address)))
        delivery = (answer.get("verifications") or {}).get("delivery") or {}
        if delivery.get("success"):
            return AddressCheck(ok=True)
        errors = [str(e.get("message", "")) for e in delivery.get("errors") or [] if isinstance(e, dict)]
        return AddressCheck(ok=False, message="; ".join(e for e in errors if e) or "The carrier cannot deliver here.")

    def quote(self, *, address: ShipTo, parcel: Parcel, reference: str) -> RateQuote:
        client = _client()
        answer = _call("the rates", lambda: client.shipment.create(
            to_address=_address(address), from_address=_address(settings.OMS_SHIP_FROM), parcel=_parcel(parcel),
            reference=reference, options={"label_format": settings.EASYPOST_LABEL_FORMAT.upper()}))
        if not answer.get("id"):
            raise CarrierTimeout(UNREADABLE)
        rates = [_rate(r) for r in answer.get("rates") or []]
        if not rates:
            raise CarrierRefused(f"EasyPost has no rate for this parcel: {_messages(answer) or 'no reason given'}.")
        return RateQuote(provider_shipment_id=str(answer["id"]), rates=rates)

    def buy(self, *, provider_shipment_id: str, rate: LiveRate) -> PurchasedLabel:
        client = _client()
        answer = _call("the label", lambda: client.shipment.buy(provider_shipment_id, rate={"id": rate.rate_id}))
        purchase = _purchase(answer)
        if purchase is None:
            raise CarrierTimeout(UNREADABLE)
        return purchase

    def find_purchase(self, *, provider_shipment_id: str) -> PurchasedLabel | None:
        client = _client()
        return _purchase(_call("the label", lambda: client.shipment.retrieve(provider_shipment_id)))

    def void(self, *, provider_shipment_id: str) -> str:
        client = _client()
        answer = _call("the void", lambda: client.shipment.refund(provider_shipment_id))
        status = str(answer.get("refund_status") or "")
        if status == "rejected":
            raise CarrierRefused("EasyPost rejected the refund: the label may have been used.")
        return status or "submitted"

    def download(self, *, url: str) -> bytes:
        try:
            response = requests.get(url, timeout=settings.EASYPOST_TIMEOUT)
        except requests.Timeout:
            raise CarrierTimeout("The label file did not arrive in time; print it again in a moment.") from None
        except requests.RequestException:
            raise CarrierTimeout("The label file could not be fetched; print it again in a moment.") from None
        if response.status_code != 200 or not response.content:
            raise CarrierRefused(f"The label file could not be fetched ({response.status_code}).")
        return response.content


def tracking_update(*, body: bytes, headers) -> TrackingUpdate | None:
    """The status change an EasyPost webhook reports, or None for an event that is not a tracker's.

    Raises `PermissionError` for a missing or wrong signature and `ValueError` for a body that is
    not an EasyPost event.
    """
    from easypost.errors import SignatureVerificationError
    from easypost.util import validate_webhook

    secret = settings.EASYPOST_WEBHOOK_SECRET
    if not secret:
        raise PermissionError("EasyPost webhooks are not configured (EASYPOST_WEBHOOK_SECRET).")
    try:
        event = validate_webhook(body, headers, secret)
    except SignatureVerificationError:
        raise PermissionError("bad signature") from None
    if not isinstance(event, dict) or event.get("object") != "Event" or not event.get("id"):
        raise ValueError("expected an EasyPost Event")
    if not str(event.get("description", "")).startswith("tracker."):
        return None
    tracker = event.get("result")
    if not isinstance(tracker, dict) or not tracker.get("tracking_code"):
        raise ValueError("expected a Tracker with a tracking_code as the event's result")
    details = [d for d in tracker.get("tracking_details") or [] if isinstance(d, dict)]
    last = details[-1] if details else {}
    place = last.get("tracking_location") or {}
    location = ", ".join(str(place.get(k)) for k in ("city", "state", "country") if place.get(k))
    occurred_at = parse_datetime(str(last["datetime"])) if last.get("datetime") else None
    return TrackingUpdate(event_id=f"easypost:{event['id']}"[:100], tracking_number=str(tracker["tracking_code"]),
                          status=TRACKER_STATUSES.get(str(tracker.get("status")), ""), occurred_at=occurred_at,
                          location=location, description=str(last.get("message") or tracker.get("status_detail") or ""),
                          tracking_url=str(tracker.get("public_url") or ""))
