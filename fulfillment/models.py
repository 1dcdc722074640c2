from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from fulfillment.enums import (
    LIVE_LABEL_STATUSES,
    ON_THE_WAY_STATUSES,
    CarrierProvider,
    LabelStatus,
    RateZone,
    ShipmentStatus,
    TrackingSource,
)
from oms.models import KnownByNumber, user_reference


class Carrier(models.Model):
    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=100)
    tracking_url_template = models.CharField(
        max_length=300, blank=True, help_text="The carrier's tracking page; {tracking_number} is replaced.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def tracking_url(self, tracking_number: str) -> str:
        if not self.tracking_url_template or not tracking_number:
            return ""
        return self.tracking_url_template.replace("{tracking_number}", tracking_number)


class ServiceLevel(models.Model):
    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="service_levels")
    code = models.SlugField(max_length=30)
    name = models.CharField(max_length=100)
    transit_days = models.PositiveIntegerField(help_text="Working days from pick-up to delivery.")
    active = models.BooleanField(default=True)
    provider = models.CharField(
        max_length=20, choices=CarrierProvider.choices, default=CarrierProvider.RATE_TABLE,
        help_text="Who prices this service and makes its labels. The provider's API key comes from the environment.")
    provider_carrier = models.CharField(
        max_length=50, blank=True, help_text="The provider's carrier code, e.g. USPS, UPS, FedEx (EasyPost's `carrier`).")
    provider_service = models.CharField(
        max_length=50, blank=True, help_text="The provider's service code, e.g. Priority, Ground (EasyPost's `service`).")

    class Meta:
        ordering = ["carrier__name", "transit_days", "name"]
        constraints = [models.UniqueConstraint(fields=["carrier", "code"], name="servicelevel_unique_code")]

    def __str__(self) -> str:
        return f"{self.carrier.name} {self.name}"

    @property
    def buys_labels(self) -> bool:
        return self.provider != CarrierProvider.RATE_TABLE

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.buys_labels and not (self.provider_carrier.strip() and self.provider_service.strip()):
            raise ValidationError("Name the provider's carrier and service codes for a service the provider prices.")


class ShippingRate(models.Model):
    """One row of a service's rate table: a parcel up to `max_weight_kg` to `zone` costs `price`."""

    service_level = models.ForeignKey(ServiceLevel, on_delete=models.CASCADE, related_name="rates")
    zone = models.CharField(max_length=20, choices=RateZone.choices, default=RateZone.DOMESTIC)
    max_weight_kg = models.DecimalField(max_digits=8, decimal_places=3, validators=[MinValueValidator(Decimal("0"))])
    price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    currency = models.CharField(max_length=3, default="USD")

    class Meta:
        ordering = ["service_level", "zone", "max_weight_kg"]
        constraints = [models.UniqueConstraint(fields=["service_level", "zone", "max_weight_kg"],
                                               name="shippingrate_unique_bracket")]

    def __str__(self) -> str:
        return f"{self.service_level} {self.get_zone_display()} ≤ {self.max_weight_kg} kg: {self.price}"


class Wave(KnownByNumber):
    """A batch of orders of one warehouse, picked together from one pick list."""

    detail_url_name = "fulfillment:wave_detail"

    number = models.CharField(max_length=20, unique=True, editable=False)
    warehouse = models.ForeignKey("inventory.Warehouse", on_delete=models.PROTECT, related_name="waves")
    orders = models.ManyToManyField("orders.Order", related_name="waves")
    created_by = user_reference()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]


class ShipmentQuerySet(models.QuerySet):
    def for_list(self):
        return self.select_related("order", "warehouse", "carrier", "service_level__carrier")


class Shipment(ConcurrentTransitionMixin, KnownByNumber):
    detail_url_name = "fulfillment:shipment_detail"

    number = models.CharField(max_length=20, unique=True, editable=False)
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="shipments")
    warehouse = models.ForeignKey("inventory.Warehouse", on_delete=models.PROTECT, related_name="shipments")
    status = FSMField(max_length=20, choices=ShipmentStatus.choices, default=ShipmentStatus.PACKING, protected=True)
    carrier = models.ForeignKey(Carrier, null=True, blank=True, on_delete=models.PROTECT, related_name="shipments")
    service_level = models.ForeignKey(ServiceLevel, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="shipments")
    tracking_number = models.CharField(max_length=60, blank=True)
    carrier_tracking_url = models.URLField(
        max_length=500, blank=True, help_text="The tracking page the carrier's provider gave with the label.")
    address_hold_message = models.CharField(
        max_length=500, blank=True,
        help_text="Why the carrier refused the shipping address; no label is bought or shipped until a check passes.")
    shipping_cost = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    created_by = user_reference()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    packed_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    expected_delivery = models.DateField(null=True, blank=True)
    deliver_by_breached = models.BooleanField(
        default=False, help_text="Delivered (or still on the way) after the order's promised delivery time.")

    objects = ShipmentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["order", "status"], name="shipment_order_status_idx"),
            # The late-delivery sweep reads only unflagged shipments still on the way.
            models.Index(fields=["id"], name="shipment_on_the_way_idx",
                         condition=Q(status__in=ON_THE_WAY_STATUSES, deliver_by_breached=False)),
            models.Index(fields=["tracking_number"], name="shipment_tracking_idx",
                         condition=~Q(tracking_number="")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["carrier", "tracking_number"], condition=~Q(tracking_number=""),
                                    name="shipment_unique_tracking_number"),
        ]
        permissions = [
            ("pack_shipment", "Can pack shipments"),
            ("ship_shipment", "Can ship shipments"),
            ("deliver_shipment", "Can record delivery of shipments"),
        ]

    @property
    def tracking_url(self) -> str:
        if self.carrier_tracking_url:
            return self.carrier_tracking_url
        return self.carrier.tracking_url(self.tracking_number) if self.carrier_id else ""

    # -- guards ---------------------------------------------------------------------------
    def has_lines(self) -> bool:
        return self.lines.exists()

    def has_packages(self) -> bool:
        return self.packages.exists()

    # -- transitions: in-memory only; fulfillment.services call them and save -----------
    @transition(field=status, source=ShipmentStatus.PACKING, target=ShipmentStatus.PACKED,
                conditions=[has_lines, has_packages])
    def pack(self):
        pass

    @transition(field=status, source=ShipmentStatus.PACKED, target=ShipmentStatus.PACKING)
    def reopen(self):
        pass

    @transition(field=status, source=ShipmentStatus.PACKED, target=ShipmentStatus.SHIPPED)
    def ship(self):
        pass

    @transition(field=status, source=[ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERY_FAILED],
                target=ShipmentStatus.IN_TRANSIT)
    def in_transit(self):
        pass

    @transition(field=status, source=[ShipmentStatus.SHIPPED, ShipmentStatus.IN_TRANSIT,
                                      ShipmentStatus.DELIVERY_FAILED],
                target=ShipmentStatus.OUT_FOR_DELIVERY)
    def out_for_delivery(self):
        pass

    @transition(field=status, source=ON_THE_WAY_STATUSES, target=ShipmentStatus.DELIVERED)
    def deliver(self):
        pass

    @transition(field=status, source=[ShipmentStatus.SHIPPED, ShipmentStatus.IN_TRANSIT,
                                      ShipmentStatus.OUT_FOR_DELIVERY],
                target=ShipmentStatus.DELIVERY_FAILED)
    def fail_delivery(self):
        pass

    @transition(field=status, source=ON_THE_WAY_STATUSES, target=ShipmentStatus.RETURNED_TO_SENDER)
    def return_to_sender(self):
        pass

    @transition(field=status, source=[ShipmentStatus.PACKING, ShipmentStatus.PACKED],
                target=ShipmentStatus.CANCELLED)
    def cancel(self):
        pass


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, related_name="shipment_lines")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["order_line__position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "order_line"], name="shipmentline_unique_line"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="shipmentline_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.order_line.sku}"


class Package(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="packages")
    weight_kg = models.DecimalField("weight (kg)", max_digits=8, decimal_places=3,
                                    validators=[MinValueValidator(Decimal("0.001"))])
    length_cm = models.DecimalField("length (cm)", max_digits=7, decimal_places=1,
                                    validators=[MinValueValidator(Decimal("0.1"))])
    width_cm = models.DecimalField("width (cm)", max_digits=7, decimal_places=1,
                                   validators=[MinValueValidator(Decimal("0.1"))])
    height_cm = models.DecimalField("height (cm)", max_digits=7, decimal_places=1,
                                    validators=[MinValueValidator(Decimal("0.1"))])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.weight_kg} kg, {self.length_cm}×{self.width_cm}×{self.height_cm} cm"


class TrackingEvent(models.Model):
    """What happened to a shipment on its way; immutable. Carrier events carry their own id (replays)."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="tracking_events")
    status = models.CharField(max_length=20, choices=ShipmentStatus.choices)
    occurred_at = models.DateTimeField()
    location = models.CharField(max_length=200, blank=True)
    description = models.CharField(max_length=300, blank=True)
    source = models.CharField(max_length=10, choices=TrackingSource.choices, default=TrackingSource.STAFF)
    external_id = models.CharField(max_length=100, blank=True, help_text="The carrier's event id.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["external_id"], condition=~Q(external_id=""),
                                    name="trackingevent_unique_external_id"),
        ]

    def __str__(self) -> str:
        return f"{self.shipment_id} {self.status} {self.occurred_at:%Y-%m-%d %H:%M}"


class CarrierLabel(models.Model):
    """A label bought (or being bought) from a carrier's provider for a shipment, and its outcome.

    At most one label per shipment is live (being bought, bought, of unknown outcome or being
    voided): that unique row is what makes a double press buy one label. Refused and voided
    labels stay as the record of what happened.
    """

    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="labels")
    service_level = models.ForeignKey(ServiceLevel, on_delete=models.PROTECT, related_name="labels")
    provider = models.CharField(max_length=20, choices=CarrierProvider.choices)
    status = FSMField(max_length=20, choices=LabelStatus.choices, default=LabelStatus.BUYING, protected=True)
    provider_shipment_id = models.CharField(max_length=100, blank=True)
    provider_rate_id = models.CharField(max_length=100, blank=True)
    tracking_number = models.CharField(max_length=60, blank=True)
    tracking_url = models.URLField(max_length=500, blank=True)
    rate = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    label_format = models.CharField(max_length=10, blank=True, help_text="PDF or ZPL.")
    label_url = models.URLField(max_length=500, blank=True)
    label_file = models.BinaryField(blank=True, default=b"", editable=False)
    refund_status = models.CharField(max_length=30, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    created_by = user_reference()
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="When the last call to the provider began.")
    completed_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["shipment"], condition=Q(status__in=LIVE_LABEL_STATUSES),
                                    name="carrierlabel_one_live_per_shipment"),
        ]

    def __str__(self) -> str:
        return f"{self.shipment_id} {self.provider} {self.tracking_number or self.status}"

    @property
    def is_pdf(self) -> bool:
        return self.label_format.upper() == "PDF"

    # -- transitions: in-memory only; fulfillment.services call them and save -----------
    @transition(field=status, source=[LabelStatus.UNKNOWN, LabelStatus.BUYING], target=LabelStatus.BUYING)
    def retry(self):
        pass

    @transition(field=status, source=LabelStatus.BUYING, target=LabelStatus.BOUGHT)
    def bought(self):
        pass

    @transition(field=status, source=LabelStatus.BUYING, target=LabelStatus.FAILED)
    def refused(self):
        pass

    @transition(field=status, source=LabelStatus.BUYING, target=LabelStatus.UNKNOWN)
    def unanswered(self):
        pass

    @transition(field=status, source=LabelStatus.BOUGHT, target=LabelStatus.VOIDING)
    def start_void(self):
        pass

    @transition(field=status, source=LabelStatus.VOIDING, target=LabelStatus.VOIDED)
    def voided(self):
        pass

    @transition(field=status, source=LabelStatus.VOIDING, target=LabelStatus.BOUGHT)
    def void_refused(self):
        pass
