from django.db import models


class ShipmentStatus(models.TextChoices):
    PACKING = "packing", "Packing"
    PACKED = "packed", "Packed"
    SHIPPED = "shipped", "Shipped"
    IN_TRANSIT = "in_transit", "In transit"
    OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery"
    DELIVERED = "delivered", "Delivered"
    DELIVERY_FAILED = "delivery_failed", "Delivery failed"
    RETURNED_TO_SENDER = "returned_to_sender", "Returned to sender"
    CANCELLED = "cancelled", "Cancelled"


# Shipments whose items are still in the building (their quantities are "being packed").
OPEN_SHIPMENT_STATUSES = (ShipmentStatus.PACKING, ShipmentStatus.PACKED)
# Shipments that left the building: the carrier moves them on.
ON_THE_WAY_STATUSES = (ShipmentStatus.SHIPPED, ShipmentStatus.IN_TRANSIT, ShipmentStatus.OUT_FOR_DELIVERY,
                       ShipmentStatus.DELIVERY_FAILED)
# What a carrier (or staff) may report, and the transition each one runs.
CARRIER_STATUS_TRANSITIONS = {
    ShipmentStatus.IN_TRANSIT: "in_transit",
    ShipmentStatus.OUT_FOR_DELIVERY: "out_for_delivery",
    ShipmentStatus.DELIVERED: "deliver",
    ShipmentStatus.DELIVERY_FAILED: "fail_delivery",
    ShipmentStatus.RETURNED_TO_SENDER: "return_to_sender",
}


class RateZone(models.TextChoices):
    DOMESTIC = "domestic", "Domestic"
    INTERNATIONAL = "international", "International"


class TrackingSource(models.TextChoices):
    STAFF = "staff", "Staff"
    CARRIER = "carrier", "Carrier"


class CarrierProvider(models.TextChoices):
    """Who prices a service level and makes its labels."""

    RATE_TABLE = "rate_table", "Rate table (built in)"
    EASYPOST = "easypost", "EasyPost"


class LabelStatus(models.TextChoices):
    BUYING = "buying", "Being bought"
    BOUGHT = "bought", "Bought"
    UNKNOWN = "unknown", "No answer (outcome unknown)"
    FAILED = "failed", "Refused"
    VOIDING = "voiding", "Being voided"
    VOIDED = "voided", "Voided"


# A shipment has at most one label in these states: the one that is (or may be) paid for.
LIVE_LABEL_STATUSES = (LabelStatus.BUYING, LabelStatus.BOUGHT, LabelStatus.UNKNOWN, LabelStatus.VOIDING)
