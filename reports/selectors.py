"""KPIs of the order lifecycle, as the reference articles define them, over a period of
placing dates. Each KPI is a ratio or an average of order rows; a handful of aggregate
queries answer the whole page, whatever the number of orders."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Avg, Count, DurationField, Exists, ExpressionWrapper, F, OuterRef, Q
from django.utils import timezone

from orders.enums import HoldReason, OrderEventType, OrderStatus
from orders.models import Order, OrderEvent, OrderHold, OrderLine
from orders.selectors import order_status_counts

SHIPPED_STATUSES = (OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED, OrderStatus.DELIVERED,
                    OrderStatus.COMPLETED)
# Holds that mean the order was taken wrongly (data, address), not a business decision.
DATA_HOLDS = (HoldReason.INVALID_DATA, HoldReason.INCOMPLETE_ADDRESS)


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        tz = timezone.get_current_timezone()
        return (datetime.combine(self.start, time.min, tz),
                datetime.combine(self.end + timedelta(days=1), time.min, tz))

    @classmethod
    def last_days(cls, days: int, today: date | None = None) -> "Period":
        today = today or timezone.localdate()
        return cls(start=today - timedelta(days=days - 1), end=today)


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    value: float | None  # a ratio 0..1, hours, or money
    unit: str  # "%", "h", "money"
    basis: int  # how many orders the figure rests on
    definition: str

    @property
    def display(self) -> str:
        if self.value is None:
            return "–"
        if self.unit == "%":
            return f"{self.value * 100:.1f} %"
        if self.unit == "h":
            return f"{self.value:.1f} h" if self.value < 72 else f"{self.value / 24:.1f} days"
        return f"{self.value:,.2f}"


def _hours(duration: timedelta | None) -> float | None:
    return None if duration is None else duration.total_seconds() / 3600


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def kpis(*, period: Period, operating_cost: Decimal | None = None) -> list[Kpi]:
    start, end = period.bounds
    placed = Order.objects.filter(placed_at__gte=start, placed_at__lt=end)
    returned = OrderLine.objects.filter(order=OuterRef("pk"), quantity_returned__gt=0)
    data_hold = OrderHold.objects.filter(order=OuterRef("pk"), reason__in=DATA_HOLDS)
    backordered = OrderEvent.objects.filter(order=OuterRef("pk"), type=OrderEventType.STATUS_CHANGED,
                                            to_status=OrderStatus.BACKORDERED)
    duration = DurationField()
    totals = placed.annotate(
        has_return=Exists(returned), had_data_hold=Exists(data_hold), was_backordered=Exists(backordered),
    ).aggregate(
        orders=Count("pk"),
        cancelled=Count("pk", filter=Q(status=OrderStatus.CANCELLED)),
        shipped=Count("pk", filter=Q(shipped_at__isnull=False)),
        shipped_on_time=Count("pk", filter=Q(shipped_at__isnull=False, shipped_at__lte=F("ship_by"))),
        delivered=Count("pk", filter=Q(delivered_at__isnull=False)),
        verified=Count("pk", filter=Q(confirmed_at__isnull=False) | Q(was_backordered=True)),
        filled=Count("pk", filter=Q(confirmed_at__isnull=False, was_backordered=False)),
        with_returns=Count("pk", filter=Q(shipped_at__isnull=False, has_return=True)),
        accurate=Count("pk", filter=Q(shipped_at__isnull=False, has_return=False, had_data_hold=False)),
        perfect=Count("pk", filter=Q(delivered_at__isnull=False, delivered_at__lte=F("deliver_by"),
                                     has_return=False, had_data_hold=False, was_backordered=False)),
        fulfillment=Avg(ExpressionWrapper(F("shipped_at") - F("placed_at"), output_field=duration),
                        filter=Q(shipped_at__isnull=False)),
        lead=Avg(ExpressionWrapper(F("delivered_at") - F("placed_at"), output_field=duration),
                 filter=Q(delivered_at__isnull=False)),
    )
    n = totals["orders"]
    cost = (float(operating_cost) / n) if operating_cost is not None and n else None
    return [
        Kpi("fulfillment_time", "Order fulfillment time", _hours(totals["fulfillment"]), "h", totals["shipped"],
            "Average time from placing to (first) shipment."),
        Kpi("lead_time", "Order lead time", _hours(totals["lead"]), "h", totals["delivered"],
            "Average time from placing to delivery at the customer."),
        Kpi("on_time_ship", "Shipped on time", _ratio(totals["shipped_on_time"], totals["shipped"]), "%",
            totals["shipped"], "Shipped orders that left by their ship-by promise."),
        Kpi("accuracy", "Order accuracy", _ratio(totals["accurate"], totals["shipped"]), "%", totals["shipped"],
            "Shipped orders taken without a data or address error and with nothing sent back."),
        Kpi("perfect_order", "Perfect order rate", _ratio(totals["perfect"], totals["delivered"]), "%",
            totals["delivered"], "Delivered orders that were complete from stock (never backordered), on time "
            "(by the deliver-by promise), error-free and not returned."),
        Kpi("fill_rate", "Fill rate", _ratio(totals["filled"], totals["verified"]), "%", totals["verified"],
            "Verified orders filled from stock at once, with no line backordered."),
        Kpi("return_rate", "Return rate", _ratio(totals["with_returns"], totals["shipped"]), "%",
            totals["shipped"], "Shipped orders with at least one item returned."),
        Kpi("cancellation_rate", "Cancellation rate", _ratio(totals["cancelled"], n), "%", n,
            "Placed orders that were cancelled."),
        Kpi("cost_per_order", "Cost per order", cost, "money", n,
            "Operating cost of the period (entered below) divided by the orders placed in it."),
    ]


def lifecycle_counts() -> dict[str, int]:
    """How many orders stand in each state right now (one GROUP BY)."""
    return order_status_counts()


def daily_orders(*, period: Period) -> list[tuple[date, int]]:
    start, end = period.bounds
    from django.db.models.functions import TruncDate

    rows = (Order.objects.filter(placed_at__gte=start, placed_at__lt=end).order_by()
            .annotate(day=TruncDate("placed_at")).values("day").annotate(n=Count("pk")))
    by_day = {row["day"]: row["n"] for row in rows}
    days = (period.end - period.start).days + 1
    return [(period.start + timedelta(days=i), by_day.get(period.start + timedelta(days=i), 0))
            for i in range(days)]
