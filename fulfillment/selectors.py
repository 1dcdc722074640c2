"""Reads for the warehouse screens, the order page and the customer tracking page."""

from dataclasses import dataclass, field

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from fulfillment.enums import ShipmentStatus
from fulfillment.models import Shipment, ShipmentLine, Wave
from inventory.models import Allocation, StockLevel, Warehouse
from orders.enums import QUEUE_STATUSES, OrderEventType, OrderStatus
from orders.models import Order, OrderEvent, OrderLine
from orders.selectors import order_for_customer, order_search

# -- warehouse ------------------------------------------------------------------------------


def fulfillment_queue(*, warehouse: Warehouse | None = None, status: str = "", search: str = "") -> QuerySet[Order]:
    """Orders the warehouse works on, in queue order: priority, promise date, placing time.

    With a warehouse: the orders that have stock allocated there (an EXISTS per order, so the
    first page is read along order_queue_rank_idx and stops after a page). A search narrows to
    an order number or a customer, answered from their indexes.
    """
    orders = Order.objects.filter(status__in=[status] if status else QUEUE_STATUSES)
    if warehouse is not None:
        orders = orders.filter(Exists(Allocation.objects.filter(order=OuterRef("pk"), warehouse=warehouse)))
    if search.strip():
        orders = orders.filter(order_search(term=search))
    return orders.select_related("customer").in_queue_order()


@dataclass(frozen=True)
class QueueRow:
    order: Order
    late: bool
    units: int
    warehouses: list[str]


def queue_rows(orders: list[Order], now=None) -> list[QueueRow]:
    """One queue page's rows with their units and the warehouses holding their stock (two queries)."""
    now = now or timezone.now()
    pks = [o.pk for o in orders]
    units = dict(OrderLine.objects.filter(order_id__in=pks).order_by().values("order_id")
                 .annotate(units=Sum("quantity")).values_list("order_id", "units"))
    warehouses: dict[int, list[str]] = {}
    for order_id, code in (Allocation.objects.filter(order_id__in=pks).order_by("warehouse__code")
                           .values_list("order_id", "warehouse__code").distinct()):
        warehouses.setdefault(order_id, []).append(code)
    return [QueueRow(order, is_late(order, now), units.get(order.pk, 0), warehouses.get(order.pk, []))
            for order in orders]


def is_late(order: Order, now=None) -> bool:
    return bool(order.ship_by and order.ship_by < (now or timezone.now()))


@dataclass
class PickRow:
    product_id: int
    sku: str
    name: str
    bin_location: str
    quantity: int
    orders: list[tuple[str, int]] = field(default_factory=list)


def pick_list(*, warehouse: Warehouse, orders) -> list[PickRow]:
    """What to pick for these orders in this warehouse: one row per product (its allocated,
    unconsumed units across the orders), sorted by bin location so the picker walks once."""
    rows: dict[int, PickRow] = {}
    allocations = (Allocation.objects.filter(order__in=orders, warehouse=warehouse,
                                             quantity__gt=F("quantity_consumed") + F("quantity_released"))
                   .select_related("order_line", "order", "stock_level").order_by("order__number", "pk"))
    for allocation in allocations:
        line = allocation.order_line
        row = rows.get(line.product_id)
        if row is None:
            row = rows[line.product_id] = PickRow(product_id=line.product_id, sku=line.sku, name=line.name,
                                                  bin_location=allocation.stock_level.bin_location, quantity=0)
        row.quantity += allocation.quantity_open
        row.orders.append((allocation.order.number, allocation.quantity_open))
    return sorted(rows.values(), key=lambda r: (r.bin_location == "", r.bin_location, r.sku))


def wave_detail(number: str) -> Wave:
    return Wave.objects.select_related("warehouse", "created_by").prefetch_related(
        Prefetch("orders", queryset=Order.objects.select_related("customer").order_by("number"))
    ).get(number=number)


def waves_for_list() -> QuerySet[Wave]:
    return Wave.objects.select_related("warehouse", "created_by").prefetch_related("orders")


def shipments_for_list(*, status: str = "", q: str = "") -> QuerySet[Shipment]:
    shipments = Shipment.objects.for_list()
    if status:
        shipments = shipments.filter(status=status)
    if q:
        shipments = shipments.filter(Q(number__iexact=q) | Q(order__number__iexact=q) | Q(tracking_number=q))
    return shipments


def shipment_detail(number: str) -> Shipment:
    return (Shipment.objects.for_list().select_related("order__customer", "created_by")
            .prefetch_related(Prefetch("lines", queryset=ShipmentLine.objects.select_related("order_line")),
                              "packages", "tracking_events")
            .get(number=number))


def order_shipments(order: Order) -> list[Shipment]:
    return list(Shipment.objects.filter(order=order).select_related("carrier", "service_level__carrier", "warehouse")
                .prefetch_related(Prefetch("lines", queryset=ShipmentLine.objects.select_related("order_line")),
                                  "tracking_events")
                .order_by("created_at", "pk"))


def packing_lines(*, order: Order, shipment: Shipment | None, left: dict[int, int]) -> list[dict]:
    """The packing screen's table: per order line, ordered, shipped, in this box, left to pack."""
    in_box = dict(shipment.lines.values_list("order_line_id", "quantity")) if shipment else {}
    return [{"line": line, "in_box": in_box.get(line.pk, 0), "left": left.get(line.pk, 0)}
            for line in OrderLine.objects.filter(order=order).select_related("product").order_by("position", "pk")]


def bin_locations(*, warehouse: Warehouse, product_ids) -> dict[int, str]:
    return dict(StockLevel.objects.filter(warehouse=warehouse, product_id__in=list(product_ids))
                .values_list("product_id", "bin_location"))


# -- the customer's tracking page -----------------------------------------------------------

STAGES = [
    ("placed", "Placed"),
    ("confirmed", "Confirmed"),
    ("packed", "Packed"),
    ("shipped", "Shipped"),
    ("delivered", "Delivered"),
]
STAGE_OF_STATUS = {
    OrderStatus.PLACED: 0, OrderStatus.ON_HOLD: 0, OrderStatus.BACKORDERED: 0,
    OrderStatus.CONFIRMED: 1, OrderStatus.IN_FULFILLMENT: 1,
    OrderStatus.PARTIALLY_SHIPPED: 3, OrderStatus.SHIPPED: 3,
    OrderStatus.DELIVERED: 4, OrderStatus.COMPLETED: 4,
}


def order_for_tracking(token: str) -> Order | None:
    """The order the customer's link points to; None for anything that is not a live token."""
    return order_for_customer(token)


def tracking_lookup(*, number: str, email: str) -> Order | None:
    """The order with this number whose customer has this e-mail; None otherwise.

    One query whichever part is wrong, so a wrong e-mail and an unknown number look alike.
    """
    number, email = (number or "").strip().upper(), (email or "").strip()
    if not number or not email:
        return None
    return (Order.objects.exclude(status=OrderStatus.DRAFT)
            .filter(number=number, customer__email__iexact=email).only("pk", "tracking_token").first())


# What the customer reads for each status change (the staff message may hold internal reasons).
CUSTOMER_STATUS_TEXT = {
    OrderStatus.PLACED: "We received your order.",
    OrderStatus.ON_HOLD: "We are reviewing your order.",
    OrderStatus.CONFIRMED: "Your order is confirmed.",
    OrderStatus.BACKORDERED: "Some items are on backorder; we ship as soon as they arrive.",
    OrderStatus.IN_FULFILLMENT: "Your order is being prepared in our warehouse.",
    OrderStatus.PARTIALLY_SHIPPED: "Part of your order has shipped.",
    OrderStatus.SHIPPED: "Your order has shipped.",
    OrderStatus.DELIVERED: "Your order was delivered.",
    OrderStatus.COMPLETED: "Your order is complete.",
    OrderStatus.CANCELLED: "Your order was cancelled.",
}


@dataclass
class TimelineEntry:
    created_at: object
    text: str


@dataclass
class TrackingPage:
    order: Order
    stage: int
    stages: list[tuple[str, str, bool]]
    events: list[TimelineEntry]
    shipments: list[Shipment]
    invoices: list
    lines: list[OrderLine]


def tracking_page(order: Order) -> TrackingPage:
    """What the customer sees: only what their own receipt and our e-mails already told them."""
    from payments.selectors import invoices_for_customer

    shipments = [s for s in order_shipments(order) if s.status != ShipmentStatus.CANCELLED]
    stage = STAGE_OF_STATUS.get(order.status, 0)
    if stage < 2 and any(s.status == ShipmentStatus.PACKED for s in shipments):
        stage = 2
    cancelled = order.status == OrderStatus.CANCELLED
    return TrackingPage(
        order=order,
        stage=-1 if cancelled else stage,
        stages=[(key, label, not cancelled and i <= stage) for i, (key, label) in enumerate(STAGES)],
        events=[_customer_entry(e) for e in order.events.filter(customer_visible=True).only(
            "created_at", "message", "to_status", "type", "order_id").order_by("created_at", "pk")],
        shipments=[s for s in shipments if s.status != ShipmentStatus.PACKING],
        invoices=invoices_for_customer(order),
        lines=list(order.lines.all()),
    )


def _customer_entry(event: OrderEvent) -> TimelineEntry:
    if event.type == OrderEventType.STATUS_CHANGED:
        return TimelineEntry(event.created_at, CUSTOMER_STATUS_TEXT.get(event.to_status, ""))
    return TimelineEntry(event.created_at, event.message)
