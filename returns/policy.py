"""The return policy: what may come back, how much of it, and until when.

Two kinds of rule. Quantities are hard limits nobody overrides: a line can return at
most what shipped, minus what already came back, minus what other open returns still
expect. Policy rules (the return window after delivery, non-returnable products, an
order that shipped nothing yet) refuse with a reason that a manager may override with a note.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from orders.enums import OrderEventType, OrderStatus
from orders.models import OrderEvent
from returns.enums import AWAITING_ITEMS_STATUSES, FREE_SHIPPING_REASONS
from returns.models import NonReturnableProduct, ReturnLine

# Orders that have goods at the customer's: something shipped and nothing undoes that.
RETURNABLE_ORDER_STATUSES = (OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED, OrderStatus.DELIVERED,
                             OrderStatus.COMPLETED)


def window_days() -> int:
    return settings.OMS_RETURN_WINDOW_DAYS


def window_starts_at(order) -> datetime | None:
    """The window runs from delivery; an order not confirmed delivered counts from its shipment,
    and a partially shipped one (no shipped_at yet) from its first shipment."""
    if order.delivered_at or order.shipped_at:
        return order.delivered_at or order.shipped_at
    return (OrderEvent.objects.filter(order_id=order.pk, type=OrderEventType.STATUS_CHANGED,
                                      to_status__in=[OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED])
            .order_by("created_at", "pk").values_list("created_at", flat=True).first())


def window_ends_at(order) -> datetime | None:
    start = window_starts_at(order)
    return start + timedelta(days=window_days()) if start else None


def units_expected_back(order_line_ids, *, exclude_return_id: int | None = None) -> dict[int, int]:
    """Units that open returns (not yet received) hold per order line: {order line id: units}."""
    rows = ReturnLine.objects.filter(order_line_id__in=list(order_line_ids),
                                     return_request__status__in=AWAITING_ITEMS_STATUSES)
    if exclude_return_id is not None:
        rows = rows.exclude(return_request_id=exclude_return_id)
    return dict(rows.values("order_line_id").annotate(n=Sum("quantity")).values_list("order_line_id", "n"))


def returnable_quantities(order_lines) -> dict[int, int]:
    """What each line may still return: shipped - returned - held by other open returns."""
    order_lines = list(order_lines)
    held = units_expected_back(line.pk for line in order_lines)
    return {line.pk: max(0, line.quantity_shipped - line.quantity_returned - held.get(line.pk, 0))
            for line in order_lines}


@dataclass(frozen=True)
class RequestedLine:
    order_line: object
    quantity: int
    reason: str
    comment: str = ""


def policy_problems(order, lines: list[RequestedLine], *, now: datetime | None = None) -> list[str]:
    """Why the policy refuses this request (empty: it allows it); a manager may override these."""
    now = now or timezone.now()
    problems = []
    if order.status not in RETURNABLE_ORDER_STATUSES:
        problems.append(f"Order {order.number} is {order.get_status_display().lower()}; "
                        "only goods that shipped can be returned.")
    ends = window_ends_at(order)
    if ends is not None and now > ends:
        problems.append(f"The {window_days()}-day return window of order {order.number} ended on "
                        f"{timezone.localtime(ends):%Y-%m-%d}.")
    excluded = {row.product_id: row.reason for row in NonReturnableProduct.objects.filter(
        product_id__in=[line.order_line.product_id for line in lines])}
    for line in lines:
        if line.order_line.product_id in excluded:
            problems.append(f"{line.order_line.sku} cannot be returned: {excluded[line.order_line.product_id]}")
    return problems


def free_return_shipping(reasons) -> bool:
    return any(reason in FREE_SHIPPING_REASONS for reason in reasons)
