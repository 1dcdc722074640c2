"""Fulfillment owns carriers and their service levels and rates, waves (pick lists), packing,
shipments and their tracking events, carrier labels bought from a provider, delivery, the
completion of settled orders, and the customer e-mails about an order.

Every write is a function here: keyword-only, with the acting user (None for the system or a
carrier), inside `transaction.atomic()`. The order itself only moves through
`orders.services` (release, ship, deliver, complete): shipping a shipment calls
`order_ship`, which consumes the stock allocations and schedules the payment capture and the
invoice. Locks: the order row first, then its shipments (fulfillment.locks).

A carrier label is bought in three steps, with no lock held while the provider works:
1. claim: lock the shipment, refuse what is not allowed and insert the label row as being
   bought (one live label per shipment: a second press finds it and buys nothing);
2. call the provider outside any transaction (address check, rates, purchase);
3. record: lock the shipment again and write the outcome on the label (once: only a label
   still being bought takes it). No answer leaves the label `unknown`; buying again asks the
   provider what happened on its shipment before it buys.
"""

import logging
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django_fsm import can_proceed

from fulfillment.carriers import (
    CarrierRefused,
    CarrierTimeout,
    LiveRate,
    Parcel,
    PurchasedLabel,
    ShipTo,
    TrackingUpdate,
    provider_for,
)
from fulfillment.enums import (
    CARRIER_STATUS_TRANSITIONS,
    LIVE_LABEL_STATUSES,
    ON_THE_WAY_STATUSES,
    OPEN_SHIPMENT_STATUSES,
    RateZone,
    CarrierProvider,
    LabelStatus,
    ShipmentStatus,
    TrackingSource,
)
from fulfillment.locks import lock_order_shipments, lock_shipment
from fulfillment.models import (
    CarrierLabel,
    Package,
    ServiceLevel,
    Shipment,
    ShipmentLine,
    ShippingRate,
    TrackingEvent,
    Wave,
)
from fulfillment.notifications import ORDER_SHIPPED
from inventory.models import Allocation, Product, Warehouse
from oms.actors import user_or_none as _user
from oms.exceptions import DomainError, TransitionRefused
from oms.fsm import transition_refusal
from oms.sequences import sequence_next
from orders.enums import OrderEventType, OrderStatus
from orders.locks import lock_order
from orders.models import Order, OrderLine

logger = logging.getLogger(__name__)

PACKABLE_ORDER_STATUSES = (OrderStatus.IN_FULFILLMENT, OrderStatus.PARTIALLY_SHIPPED)
# A label still "being bought" this long after its call began lost its process: the next press settles it.
LABEL_CLAIM_STALE_SECONDS = 300
RELEASABLE_ORDER_STATUSES = (OrderStatus.CONFIRMED, OrderStatus.IN_FULFILLMENT, OrderStatus.PARTIALLY_SHIPPED)


def _record(order: Order, message: str, *, actor=None, customer_visible: bool = False, **data) -> None:
    from orders.services import order_event_record

    order_event_record(order=order, type=OrderEventType.SHIPMENT, actor=actor, message=message, data=data,
                       customer_visible=customer_visible)


# -- carriers, rates and the suggested service ----------------------------------------------


@dataclass(frozen=True)
class Quote:
    service_level: ServiceLevel
    price: Decimal
    currency: str
    transit_days: int
    expected_delivery: date
    meets_deliver_by: bool


def zone_for(*, warehouse: Warehouse, country: str) -> str:
    return RateZone.DOMESTIC if (country or "").upper() == warehouse.country.upper() else RateZone.INTERNATIONAL


def add_working_days(start: date, days: int) -> date:
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def shipping_quotes(*, order: Order, warehouse: Warehouse, weight_kg: Decimal, ship_date: date | None = None
                    ) -> list[Quote]:
    """Every active service that takes a parcel of `weight_kg` to the order's country, cheapest first."""
    zone = zone_for(warehouse=warehouse, country=order.ship_country)
    ship_date = ship_date or timezone.localdate()
    deliver_by = timezone.localtime(order.deliver_by).date() if order.deliver_by else None
    rates = (ShippingRate.objects.filter(zone=zone, max_weight_kg__gte=weight_kg, service_level__active=True,
                                         service_level__carrier__active=True)
             .select_related("service_level__carrier").order_by("service_level_id", "max_weight_kg"))
    best: dict[int, ShippingRate] = {}
    for rate in rates:
        best.setdefault(rate.service_level_id, rate)  # the smallest bracket the parcel fits
    quotes = []
    for rate in best.values():
        level = rate.service_level
        eta = add_working_days(ship_date, level.transit_days)
        quotes.append(Quote(service_level=level, price=rate.price, currency=rate.currency,
                            transit_days=level.transit_days, expected_delivery=eta,
                            meets_deliver_by=deliver_by is None or eta <= deliver_by))
    return sorted(quotes, key=lambda q: (q.price, q.transit_days, q.service_level.pk))


def suggest_service(quotes: list[Quote]) -> Quote | None:
    """The cheapest service that meets the promised delivery date; if none can, the fastest."""
    meeting = [q for q in quotes if q.meets_deliver_by]
    if meeting:
        return min(meeting, key=lambda q: (q.price, q.transit_days))
    return min(quotes, key=lambda q: (q.transit_days, q.price), default=None)


# -- waves and pick lists ------------------------------------------------------------------


@dataclass
class WaveOutcome:
    wave: Wave | None
    refused: list[str]


def wave_create(*, actor, warehouse: Warehouse, orders: list[Order]) -> WaveOutcome:
    """Release the chosen orders to the warehouse and gather them in one wave (one pick list).

    Each order is released in its own savepoint: one that may not be released yet (a wire
    or ACH order not paid) is left out with the reason, the others go ahead.
    """
    from orders.services import order_release_to_fulfillment

    if not orders:
        raise DomainError("Choose at least one order for the wave.")
    refused, accepted = [], []
    with transaction.atomic():
        for order in sorted(orders, key=lambda o: o.pk):
            if order.status not in RELEASABLE_ORDER_STATUSES:
                refused.append(f"Order {order.number} is {order.get_status_display().lower()}; "
                               "it cannot be picked.")
                continue
            if order.status == OrderStatus.CONFIRMED:
                try:
                    with transaction.atomic():
                        order = order_release_to_fulfillment(actor=actor, order=order)
                except DomainError as exc:
                    refused.append(exc.message)
                    continue
            accepted.append(order)
        if not accepted:
            raise DomainError(" ".join(refused) or "None of these orders can be picked.")
        wave = Wave.objects.create(number=f"W-{sequence_next(name='wave'):06d}", warehouse=warehouse,
                                   created_by=_user(actor))
        wave.orders.set(accepted)
        for order in accepted:
            _record(order, f"Added to wave {wave.number} ({warehouse.code}).", actor=actor, wave=wave.number)
    return WaveOutcome(wave=wave, refused=refused)


# -- packing --------------------------------------------------------------------------------


def packable_quantities(*, order: Order, warehouse: Warehouse) -> dict[int, int]:
    """Units of each order line still to pack in this warehouse: allocated there, not yet
    shipped, and not already in a shipment being packed."""
    allocated = dict(
        Allocation.objects.filter(order=order, warehouse=warehouse)
        .values("order_line_id")
        .annotate(n=Sum(F("quantity") - F("quantity_consumed") - F("quantity_released")))
        .values_list("order_line_id", "n")
    )
    in_open = defaultdict(int)
    in_open_here = defaultdict(int)
    for line_id, warehouse_id, qty in ShipmentLine.objects.filter(
        shipment__order=order, shipment__status__in=OPEN_SHIPMENT_STATUSES
    ).values_list("order_line_id", "shipment__warehouse_id", "quantity"):
        in_open[line_id] += qty
        if warehouse_id == warehouse.pk:
            in_open_here[line_id] += qty
    left = {}
    for line in OrderLine.objects.filter(order=order).order_by("position", "pk"):
        unshipped = line.quantity - line.quantity_shipped - in_open[line.pk]
        here = (allocated.get(line.pk) or 0) - in_open_here[line.pk]
        left[line.pk] = max(0, min(unshipped, here))
    return left


def shipment_start(*, actor, order: Order, warehouse: Warehouse) -> Shipment:
    """Open a shipment to pack for this order in this warehouse (the one already open, if any)."""
    with transaction.atomic():
        locked = lock_order(order.pk)
        if locked.status not in PACKABLE_ORDER_STATUSES:
            raise TransitionRefused(f"Order {locked.number} is {locked.get_status_display().lower()}; "
                                    "release it to the warehouse before packing.")
        existing = [s for s in lock_order_shipments(locked.pk)
                    if s.status == ShipmentStatus.PACKING and s.warehouse_id == warehouse.pk]
        if existing:
            return existing[0]
        if not any(packable_quantities(order=locked, warehouse=warehouse).values()):
            raise DomainError(f"Nothing of order {locked.number} is left to pack in {warehouse.code}.")
        shipment = Shipment.objects.create(
            number=f"SH-{sequence_next(name='shipment'):06d}", order=locked, warehouse=warehouse,
            created_by=_user(actor))
        _record(locked, f"Packing of shipment {shipment.number} started in {warehouse.code}.", actor=actor,
                shipment=shipment.number)
    return shipment


def _ensure_status(shipment: Shipment, *allowed: str, verb: str) -> None:
    """For what is not a transition (changing a shipment's contents): the same words as a refused one."""
    if shipment.status not in allowed:
        raise TransitionRefused(f"Shipment {shipment.number} is {shipment.get_status_display().lower()}; "
                                f"it cannot be {verb}.")


def _ensure_can(shipment: Shipment, name: str, *, verb: str) -> None:
    """The state alone: what the pack guard asks (lines, packages) is said more precisely next."""
    transition_refusal(shipment, name, noun="shipment", verb=verb, conditions=False)


def shipment_scan(*, actor, shipment: Shipment, code: str, quantity: int = 1) -> ShipmentLine:
    """Put `quantity` units of the scanned (or typed) barcode or SKU into the shipment.

    Refused, changing nothing, when the item is not on the order or more would be packed
    than is left to pack in this warehouse.
    """
    code = (code or "").strip()
    if not code:
        raise DomainError("Scan or type a barcode or SKU.")
    if quantity is None or quantity < 1:
        raise DomainError("The quantity must be at least 1.")
    with transaction.atomic():
        shipment = lock_shipment(shipment.pk)
        _ensure_status(shipment, ShipmentStatus.PACKING, verb="changed")
        product = Product.objects.by_code(code).first()
        if product is None:
            raise DomainError(f"Wrong item: no product has the code {code!r}.")
        lines = [line for line in shipment.order.lines.all() if line.product_id == product.pk]
        if not lines:
            raise DomainError(f"Wrong item: {product.sku} ({product.name}) is not part of order "
                              f"{shipment.order.number}. Put it back.")
        left = packable_quantities(order=shipment.order, warehouse=shipment.warehouse)
        line = next((line for line in lines if left.get(line.pk, 0) >= quantity), None)
        if line is None:
            remaining = sum(left.get(line.pk, 0) for line in lines)
            raise DomainError(f"Too many: only {remaining} more of {product.sku} to pack for order "
                              f"{shipment.order.number}, not {quantity}.")
        row, created = ShipmentLine.objects.get_or_create(shipment=shipment, order_line=line,
                                                          defaults={"quantity": quantity})
        if not created:
            ShipmentLine.objects.filter(pk=row.pk).update(quantity=F("quantity") + quantity)
            row.refresh_from_db()
    return row


def shipment_line_remove(*, actor, shipment: Shipment, line_id: int) -> None:
    """Take a line back out of a shipment that is still being packed."""
    _delete_while_packing(shipment, ShipmentLine, line_id)


def package_add(*, actor, shipment: Shipment, weight_kg: Decimal, length_cm: Decimal, width_cm: Decimal,
                height_cm: Decimal) -> Package:
    package = Package(shipment=shipment, weight_kg=weight_kg, length_cm=length_cm, width_cm=width_cm,
                      height_cm=height_cm)
    package.full_clean(exclude=["shipment"])
    with transaction.atomic():
        shipment = lock_shipment(shipment.pk)
        _ensure_status(shipment, ShipmentStatus.PACKING, verb="changed")
        package.shipment = shipment
        package.save()
    return package


def package_remove(*, actor, shipment: Shipment, package_id: int) -> None:
    _delete_while_packing(shipment, Package, package_id)


def _delete_while_packing(shipment: Shipment, model, pk: int) -> None:
    """Under the shipment's lock, refused unless it is still being packed: delete its `model` row `pk`."""
    with transaction.atomic():
        shipment = lock_shipment(shipment.pk)
        _ensure_status(shipment, ShipmentStatus.PACKING, verb="changed")
        model.objects.filter(shipment=shipment, pk=pk).delete()


def shipment_pack(*, actor, shipment: Shipment) -> Shipment:
    """Close the boxes: a packed shipment has its lines and at least one package."""
    with transaction.atomic():
        shipment = lock_shipment(shipment.pk)
        _ensure_can(shipment, "pack", verb="closed as packed")
        if not shipment.has_lines():
            raise DomainError(f"Shipment {shipment.number} is empty: scan its items first.")
        if not shipment.has_packages():
            raise DomainError(f"Shipment {shipment.number} has no package: add its weight and size.")
        shipment.pack()
        shipment.packed_at = timezone.now()
        shipment.save(update_fields=["status", "packed_at", "updated_at"])
        _record(shipment.order, f"Shipment {shipment.number} packed.", actor=actor, shipment=shipment.number,
                customer_visible=True)
    return shipment


def _move(shipment: Shipment, name: str, *, verb: str) -> Shipment:
    """Inside the caller's transaction: lock the shipment, run transition `name` and save the status."""
    shipment = lock_shipment(shipment.pk)
    _ensure_can(shipment, name, verb=verb)
    getattr(shipment, name)()
    shipment.save(update_fields=["status", "updated_at"])
    return shipment


def shipment_reopen(*, actor, shipment: Shipment) -> Shipment:
    """Back to packing; not while a carrier label made for these packages is live (void it first)."""
    with transaction.atomic():
        shipment = _move(shipment, "reopen", verb="reopened")
        if shipment.labels.filter(status__in=LIVE_LABEL_STATUSES).exists():
            raise DomainError(f"Shipment {shipment.number} has a carrier label for its packages: void it "
                              "before reopening.")
    return shipment


def shipment_cancel(*, actor, shipment: Shipment) -> Shipment:
    """Abandon a shipment that has not left: its items go back to be packed again."""
    with transaction.atomic():
        shipment = _move(shipment, "cancel", verb="cancelled")
        _record(shipment.order, f"Shipment {shipment.number} cancelled before it left.", actor=actor,
                shipment=shipment.number)
    return shipment


def shipment_weight(shipment: Shipment) -> Decimal:
    return shipment.packages.aggregate(total=Sum("weight_kg"))["total"] or Decimal("0")


def new_tracking_number(service_level: ServiceLevel) -> str:
    return f"{service_level.carrier.code[:4].upper()}{secrets.randbelow(10**12):012d}"


def shipment_ship(*, actor, shipment: Shipment, service_level: ServiceLevel, tracking_number: str = "") -> Shipment:
    """Hand a packed shipment to the carrier: the order ships these quantities (its stock
    allocations are consumed and the payment is captured after commit), and the customer
    gets an e-mail with the tracking link.

    A shipment with a bought carrier label ships with that label's service, tracking number,
    tracking page and price; a provider's service cannot ship without one.
    """
    from orders.services import order_notify, order_ship

    with transaction.atomic():
        shipment = lock_shipment(shipment.pk)
        _ensure_can(shipment, "ship", verb="shipped")
        if shipment.address_hold_message:
            raise DomainError(f"Shipment {shipment.number} is held: the carrier refused the address "
                              f"({shipment.address_hold_message}). Correct it and check it again.")
        label = shipment.labels.filter(status__in=LIVE_LABEL_STATUSES).select_related("service_level__carrier").first()
        if label is not None and label.status != LabelStatus.BOUGHT:
            raise DomainError(f"The label of shipment {shipment.number} is {label.get_status_display().lower()}; "
                              "settle it before shipping.")
        if label is not None:
            service_level, tracking_number = label.service_level, label.tracking_number
        elif service_level.buys_labels:
            raise DomainError(f"{service_level} labels come from {service_level.get_provider_display()}: "
                              "buy the label first.")
        tracking_number = tracking_number.strip() or new_tracking_number(service_level)
        if not service_level.active or not service_level.carrier.active:
            raise DomainError(f"{service_level} is not offered any more.")
        quotes = {q.service_level.pk: q for q in shipping_quotes(
            order=shipment.order, warehouse=shipment.warehouse, weight_kg=shipment_weight(shipment))}
        quote = quotes.get(service_level.pk)
        quantities = dict(shipment.lines.values_list("order_line_id", "quantity"))
        order_ship(actor=actor, order=shipment.order, quantities=quantities, warehouse_id=shipment.warehouse_id)
        shipment.ship()
        shipment.carrier = service_level.carrier
        shipment.service_level = service_level
        shipment.tracking_number = tracking_number
        shipment.carrier_tracking_url = label.tracking_url if label else ""
        shipment.shipping_cost = label.rate if label else (quote.price if quote else None)
        shipment.shipped_at = timezone.now()
        shipment.expected_delivery = add_working_days(timezone.localdate(), service_level.transit_days)
        try:
            with transaction.atomic():
                shipment.save(update_fields=["status", "carrier", "service_level", "tracking_number",
                                             "carrier_tracking_url", "shipping_cost", "shipped_at",
                                             "expected_delivery", "updated_at"])
        except IntegrityError:
            raise DomainError(f"Tracking number {tracking_number} is already used by another shipment.") from None
        TrackingEvent.objects.create(shipment=shipment, status=ShipmentStatus.SHIPPED,
                                     occurred_at=shipment.shipped_at, source=TrackingSource.STAFF,
                                     description=f"Handed to {service_level}.")
        _record(shipment.order, f"Shipment {shipment.number} shipped with {service_level}, "
                                f"tracking number {tracking_number}.",
                actor=actor, customer_visible=True, shipment=shipment.number, tracking_number=tracking_number)
        order_notify(order=shipment.order, kind=ORDER_SHIPPED, reference=shipment.number, actor=actor)
    return shipment


# -- on the way: tracking events, delivery --------------------------------------------------


def shipment_track(*, actor, shipment: Shipment, status: str, occurred_at: datetime | None = None,
                   location: str = "", description: str = "", source: str = TrackingSource.STAFF,
                   external_id: str = "") -> TrackingEvent | None:
    """Record what happened to a shipment on its way and move it on.

    A carrier's event with an id already recorded is a replay: nothing changes and None is
    returned. A carrier event the shipment cannot follow (late or out of order) is recorded
    without moving the shipment; staff get a refusal instead.
    """
    if status not in CARRIER_STATUS_TRANSITIONS:
        raise DomainError(f"Unknown tracking status {status!r}.")
    occurred_at = occurred_at or timezone.now()
    try:
        with transaction.atomic():
            return _shipment_track_locked(actor=actor, shipment=shipment, status=status, occurred_at=occurred_at,
                                          location=location, description=description, source=source,
                                          external_id=external_id)
    except IntegrityError:
        # Two copies of one carrier event raced: the unique event id let exactly one through.
        if external_id and TrackingEvent.objects.filter(external_id=external_id).exists():
            return None
        raise


def _shipment_track_locked(*, actor, shipment, status, occurred_at, location, description, source, external_id):
    shipment = lock_shipment(shipment.pk)
    if external_id and TrackingEvent.objects.filter(external_id=external_id).exists():
        return None
    name = CARRIER_STATUS_TRANSITIONS[status]
    method = getattr(shipment, name)
    moves = can_proceed(method)
    if not moves and source == TrackingSource.STAFF:
        raise TransitionRefused(f"Shipment {shipment.number} is {shipment.get_status_display().lower()}; "
                                f"it cannot become {ShipmentStatus(status).label.lower()}.")
    event = TrackingEvent.objects.create(shipment=shipment, status=status, occurred_at=occurred_at,
                                         location=location[:200], description=description[:300], source=source,
                                         external_id=external_id)
    if not moves:
        logger.info("Shipment %s (%s) ignored carrier status %s", shipment.number, shipment.status, status)
        return event
    method()
    fields = ["status", "updated_at"]
    order = shipment.order
    if order.deliver_by and occurred_at > order.deliver_by and not shipment.deliver_by_breached:
        shipment.deliver_by_breached = True
        fields.append("deliver_by_breached")
    if status == ShipmentStatus.DELIVERED:
        shipment.delivered_at = occurred_at
        fields.append("delivered_at")
    shipment.save(update_fields=fields)
    label = ShipmentStatus(status).label
    _record(order, f"Shipment {shipment.number}: {label.lower()}" + (f" ({location})" if location else "") + ".",
            actor=actor, customer_visible=True, shipment=shipment.number, status=status, source=source,
            late=shipment.deliver_by_breached)
    if status == ShipmentStatus.DELIVERED:
        _deliver_order_if_all_delivered(actor=actor, order=order)
    return event


def _deliver_order_if_all_delivered(*, actor, order: Order) -> None:
    from orders.services import order_deliver

    order = lock_order(order.pk)
    if order.status != OrderStatus.SHIPPED:
        return  # more to ship: the order is delivered with its last shipment
    statuses = {s.status for s in lock_order_shipments(order.pk)} - {ShipmentStatus.CANCELLED}
    if statuses == {ShipmentStatus.DELIVERED}:
        order_deliver(actor=actor, order=order)  # orders completes it once it is invoiced and paid


def shipment_mark_delivered(*, actor, shipment: Shipment, note: str = "") -> Shipment:
    shipment_track(actor=actor, shipment=shipment, status=ShipmentStatus.DELIVERED,
                   description=note or "Delivery confirmed by staff.", source=TrackingSource.STAFF)
    return Shipment.objects.get(pk=shipment.pk)


def shipments_flag_late(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Shipments still on the way after their order's promised delivery time are flagged
    (delivery events flag late arrivals themselves), `limit` a run over the index of unflagged
    shipments on the way (a flagged one leaves it); returns how many were flagged now."""
    now = now or timezone.now()
    late = (Shipment.objects.filter(status__in=ON_THE_WAY_STATUSES, deliver_by_breached=False,
                                    order__deliver_by__lt=now).order_by("pk").values("pk")[:limit])
    with transaction.atomic():
        return Shipment.objects.filter(pk__in=late, deliver_by_breached=False).update(
            deliver_by_breached=True, updated_at=now)


def validation_messages(exc: ValidationError) -> str:
    return " ".join(m for messages in exc.message_dict.values() for m in messages) if hasattr(
        exc, "message_dict") else " ".join(exc.messages)


# -- carrier labels: live rates, address check, buy, void, tracking from the provider -------


@dataclass(frozen=True)
class LiveRates:
    """What the providers quote for a packed shipment: (rate, the service level it matches or None)."""

    rates: list[tuple[LiveRate, ServiceLevel | None]]
    errors: list[str]


class AddressRefused(Exception):
    """The carrier cannot deliver to the order's shipping address (the provider's message)."""


def _ship_to(order: Order) -> ShipTo:
    address = order.shipping_address
    return ShipTo(name=address.name, company=address.company, street1=address.line1, street2=address.line2,
                  city=address.city, state=address.region, zip=address.postal_code, country=address.country,
                  phone=address.phone, email=order.customer.email if order.customer_id else "")


def _parcel(shipment: Shipment) -> Parcel:
    packages = list(shipment.packages.all())
    if len(packages) != 1:
        raise DomainError(f"Shipment {shipment.number} has {len(packages)} packages; a carrier label is bought "
                          "for a shipment of one package (split it into one shipment per package).")
    package = packages[0]
    return Parcel(weight_kg=package.weight_kg, length_cm=package.length_cm, width_cm=package.width_cm,
                  height_cm=package.height_cm)


def _matches(rate: LiveRate, level: ServiceLevel) -> bool:
    return (rate.carrier.lower() == level.provider_carrier.strip().lower()
            and rate.service.lower() == level.provider_service.strip().lower())


def label_service_levels():
    return (ServiceLevel.objects.filter(active=True, carrier__active=True)
            .exclude(provider=CarrierProvider.RATE_TABLE).select_related("carrier"))


def shipment_live_rates(*, shipment: Shipment) -> LiveRates:
    """Ask each provider the active service levels use for its rates on this shipment's parcel.

    Changes nothing here; a provider that refuses or does not answer is reported in `errors`.
    """
    levels = list(label_service_levels())
    rates, errors = [], []
    if not levels:
        return LiveRates(rates=[], errors=[])
    try:
        parcel = _parcel(shipment)
    except DomainError as exc:
        return LiveRates(rates=[], errors=[exc.message])
    for name in sorted({level.provider for level in levels}):
        provider = provider_for(name)
        try:
            quote = provider.quote(address=_ship_to(shipment.order), parcel=parcel, reference=shipment.number)
        except (CarrierRefused, CarrierTimeout) as exc:
            errors.append(str(exc))
            continue
        for rate in sorted(quote.rates, key=lambda r: r.price):
            level = next((lv for lv in levels if lv.provider == name and _matches(rate, lv)), None)
            rates.append((rate, level))
    return LiveRates(rates=rates, errors=errors)


def _claim_label(*, actor, shipment: Shipment, service_level: ServiceLevel) -> tuple[CarrierLabel, bool]:
    """Step 1: under the shipment's lock, the live label to settle or a new one being bought;
    returns (label, whether to call the provider)."""
    with transaction.atomic():
        shipment = lock_shipment(shipment.pk)
        live = (CarrierLabel.objects.select_for_update().filter(shipment=shipment, status__in=LIVE_LABEL_STATUSES)
                .first())
        if live is not None and live.status == LabelStatus.BOUGHT:
            return live, False  # pressed again: the label is already there
        stale = timezone.now() - timedelta(seconds=LABEL_CLAIM_STALE_SECONDS)
        if live is not None and (live.status == LabelStatus.UNKNOWN
                                 or live.status == LabelStatus.BUYING and (live.claimed_at or live.created_at) < stale):
            # No answer, or a purchase whose process died mid-call: ask the provider what happened.
            live.retry()
            live.error_message, live.claimed_at = "", timezone.now()
            live.save(update_fields=["status", "error_message", "claimed_at"])
            return live, True
        if live is not None:
            raise DomainError(f"The label of shipment {shipment.number} is {live.get_status_display().lower()}; "
                              "look again in a moment.", code="in_progress")
        _ensure_status(shipment, ShipmentStatus.PACKED, verb="given a carrier label")
        if not service_level.buys_labels:
            raise DomainError(f"{service_level} is priced from the rate table: ship it and print its label.")
        if not service_level.active or not service_level.carrier.active:
            raise DomainError(f"{service_level} is not offered any more.")
        _parcel(shipment)
        label = CarrierLabel.objects.create(shipment=shipment, service_level=service_level,
                                            provider=service_level.provider, created_by=_user(actor),
                                            claimed_at=timezone.now())
    return label, True


def _purchase(label: CarrierLabel, shipment: Shipment) -> PurchasedLabel:
    """Step 2 (no lock held): settle what the provider already did, or check the address, quote and buy."""
    provider = provider_for(label.provider)
    if label.provider_shipment_id:
        bought = provider.find_purchase(provider_shipment_id=label.provider_shipment_id)
        if bought is not None:
            return bought
        if label.provider_rate_id:
            try:
                return provider.buy(provider_shipment_id=label.provider_shipment_id,
                                    rate=LiveRate(carrier=label.service_level.provider_carrier,
                                                  service=label.service_level.provider_service, price=Decimal("0"),
                                                  currency="", rate_id=label.provider_rate_id))
            except CarrierRefused:
                # The first purchase may have landed meanwhile ("already has postage"): that is the label.
                bought = provider.find_purchase(provider_shipment_id=label.provider_shipment_id)
                if bought is None:
                    raise
                return bought
    check = provider.verify_address(address=_ship_to(shipment.order))
    if not check.ok:
        raise AddressRefused(check.message)
    quote = provider.quote(address=_ship_to(shipment.order), parcel=_parcel(shipment), reference=shipment.number)
    rate = next((r for r in quote.rates if _matches(r, label.service_level)), None)
    if rate is None:
        offered = ", ".join(f"{r.carrier} {r.service}" for r in quote.rates) or "nothing"
        raise CarrierRefused(f"{label.get_provider_display()} offers no {label.service_level.provider_carrier} "
                             f"{label.service_level.provider_service} for this parcel (it offers {offered}).")
    CarrierLabel.objects.filter(pk=label.pk, status=LabelStatus.BUYING).update(
        provider_shipment_id=quote.provider_shipment_id[:100], provider_rate_id=rate.rate_id[:100])
    return provider.buy(provider_shipment_id=quote.provider_shipment_id, rate=rate)


def shipment_label_buy(*, actor, shipment: Shipment, service_level: ServiceLevel) -> CarrierLabel:
    """Buy the carrier label of a packed one-package shipment from the service level's provider.

    Pressed twice at once, one label is bought: the second press finds the first one's label.
    The returned label says what happened: bought, refused (with the provider's message; a
    refused address also holds the shipment) or unknown (buying again settles it).
    """
    label, call = _claim_label(actor=actor, shipment=shipment, service_level=service_level)
    if not call:
        return label
    shipment = Shipment.objects.select_related("order__customer").get(pk=label.shipment_id)
    outcome, file = {}, b""
    try:
        bought = _purchase(label, shipment)
        outcome = {"bought": bought}
        try:
            file = provider_for(label.provider).download(url=bought.label_url)
        except (CarrierRefused, CarrierTimeout) as exc:
            logger.warning("Label file of shipment %s not fetched yet: %s", shipment.number, exc)
    except AddressRefused as exc:
        outcome = {"address": str(exc)[:500]}
    except CarrierRefused as exc:
        outcome = {"refused": exc.message[:500]}
    except CarrierTimeout as exc:
        outcome = {"unknown": str(exc)[:500]}
    return _record_label(actor=actor, label_id=label.pk, file=file, **outcome)


def _lock_label(label_id: int) -> tuple[Shipment, CarrierLabel]:
    """The label's shipment (its order first) and then the label, locked: where an outcome is recorded once."""
    shipment_id = CarrierLabel.objects.filter(pk=label_id).values_list("shipment_id", flat=True).get()
    shipment = lock_shipment(shipment_id)
    return shipment, CarrierLabel.objects.select_for_update().select_related("service_level__carrier").get(pk=label_id)


def _record_label(*, actor, label_id: int, bought: PurchasedLabel | None = None, address: str = "",
                  refused: str = "", unknown: str = "", file: bytes = b"") -> CarrierLabel:
    """Step 3: under the shipment's lock, the outcome on a label still being bought (once)."""
    with transaction.atomic():
        shipment, label = _lock_label(label_id)
        if label.status != LabelStatus.BUYING:
            return label
        label.completed_at = timezone.now()
        hold = None
        if bought is not None:
            label.bought()
            label.provider_shipment_id = bought.provider_shipment_id[:100] or label.provider_shipment_id
            label.tracking_number = bought.tracking_number[:60]
            label.tracking_url = bought.tracking_url[:500]
            label.label_url = bought.label_url[:500]
            label.label_format = bought.label_format
            label.label_file = file
            label.rate, label.currency = bought.rate.price, bought.rate.currency[:3]
            label.error_message = ""
            hold = ""
            message = (f"Carrier label bought for shipment {shipment.number}: {label.service_level}, "
                       f"{label.rate} {label.currency}, tracking number {label.tracking_number}.")
        elif address:
            label.refused()
            label.error_message = f"Address refused by the carrier: {address}"[:500]
            hold = address
            message = f"Shipment {shipment.number} held: the carrier refused the shipping address ({address})."
        elif refused:
            label.refused()
            label.error_message = refused
            message = f"Carrier label for shipment {shipment.number} refused: {refused}"
        else:
            label.unanswered()
            label.error_message = unknown
            message = f"Carrier label for shipment {shipment.number} got no answer; buying again settles it."
        label.save()
        if hold is not None and shipment.address_hold_message != hold:
            shipment.address_hold_message = hold[:500]
            shipment.save(update_fields=["address_hold_message", "updated_at"])
        _record(shipment.order, message, actor=actor, shipment=shipment.number, label=label.pk,
                label_status=label.status)
    return label


def shipment_address_check(*, actor, shipment: Shipment) -> Shipment:
    """Check a held shipment's (corrected) address again at the carrier; a pass lifts the hold."""
    shipment = Shipment.objects.select_related("order__customer").get(pk=shipment.pk)
    if not shipment.address_hold_message:
        return shipment
    last = shipment.labels.exclude(provider=CarrierProvider.RATE_TABLE).first()
    provider = provider_for(last.provider if last else CarrierProvider.EASYPOST)
    try:
        check = provider.verify_address(address=_ship_to(shipment.order))
    except (CarrierRefused, CarrierTimeout) as exc:
        raise DomainError(str(exc)) from None
    with transaction.atomic():
        shipment = lock_shipment(shipment.pk)
        shipment.address_hold_message = "" if check.ok else check.message[:500]
        shipment.save(update_fields=["address_hold_message", "updated_at"])
        _record(shipment.order, f"Shipping address of shipment {shipment.number} "
                                + ("accepted by the carrier; the hold is lifted." if check.ok
                                   else f"refused again by the carrier ({check.message})."),
                actor=actor, shipment=shipment.number)
    if not check.ok:
        raise DomainError(f"The carrier still refuses the address: {check.message}")
    return shipment


def shipment_label_void(*, actor, shipment: Shipment) -> CarrierLabel:
    """Ask the provider for the postage of an unused label back (the shipment has not left)."""
    with transaction.atomic():
        shipment = lock_shipment(shipment.pk)
        label = CarrierLabel.objects.select_for_update().filter(shipment=shipment,
                                                                status=LabelStatus.BOUGHT).first()
        if label is None:
            raise DomainError(f"Shipment {shipment.number} has no bought label to void.")
        if shipment.status not in (ShipmentStatus.PACKED, ShipmentStatus.CANCELLED):
            raise TransitionRefused(f"Shipment {shipment.number} is {shipment.get_status_display().lower()}; "
                                    "its label has been used and cannot be voided.")
        label.start_void()
        label.save(update_fields=["status"])
    try:
        refund_status, error = provider_for(label.provider).void(provider_shipment_id=label.provider_shipment_id), ""
    except (CarrierRefused, CarrierTimeout) as exc:
        refund_status, error = "", str(exc)[:500]
    with transaction.atomic():
        shipment, label = _lock_label(label.pk)
        if label.status != LabelStatus.VOIDING:
            return label
        if error:
            label.void_refused()
            label.error_message = error
            message = f"Voiding the label of shipment {shipment.number} failed: {error}"
        else:
            label.voided()
            label.refund_status, label.voided_at, label.error_message = refund_status[:30], timezone.now(), ""
            message = (f"Carrier label {label.tracking_number} of shipment {shipment.number} voided "
                       f"(refund {label.refund_status}).")
        label.save()
        _record(shipment.order, message, actor=actor, shipment=shipment.number, label=label.pk,
                label_status=label.status)
    if error:
        raise DomainError(error)
    return label


def label_file(*, label: CarrierLabel) -> bytes:
    """The label's file, fetched from the provider (and kept) when the purchase could not fetch it."""
    if label.label_file:
        return bytes(label.label_file)
    try:
        content = provider_for(label.provider).download(url=label.label_url)
    except (CarrierRefused, CarrierTimeout) as exc:
        raise DomainError(str(exc)) from None
    CarrierLabel.objects.filter(pk=label.pk, label_file=b"").update(label_file=content)
    return content


def carrier_tracking_apply(*, update: TrackingUpdate) -> tuple[Shipment | None, TrackingEvent | None]:
    """A provider's tracking update moves the shipment with that tracking number through the
    carrier-event path (replays change nothing); (None, None) when no shipment has that number."""
    shipment = (Shipment.objects.filter(tracking_number=update.tracking_number).exclude(tracking_number="").first()
                or Shipment.objects.filter(labels__tracking_number=update.tracking_number,
                                           labels__status=LabelStatus.BOUGHT).first())
    if shipment is None:
        return None, None
    if update.tracking_url and not shipment.carrier_tracking_url and shipment.tracking_number:
        Shipment.objects.filter(pk=shipment.pk, carrier_tracking_url="").update(
            carrier_tracking_url=update.tracking_url[:500])
    if not update.status:
        return shipment, None
    event = shipment_track(actor=None, shipment=shipment, status=update.status, occurred_at=update.occurred_at,
                           location=update.location, description=update.description, source=TrackingSource.CARRIER,
                           external_id=update.event_id)
    return shipment, event
