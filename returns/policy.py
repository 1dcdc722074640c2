"""The return policy: what may come back, how much of it, and until when; and how much of an
order may still be refunded by line.

Two kinds of rule. Quantities are hard limits nobody overrides: a line can return at
most what shipped, minus what already came back, minus what other open returns still
expect; a unit is paid back once, by a return or by a refund by line. Policy rules (the
return window after delivery, non-returnable products, an order that shipped nothing yet)
refuse with a reason that a manager may override with a note.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from orders.enums import OrderEventType, OrderStatus
from orders.models import OrderEvent
from oms.money import ZERO
from returns.enums import AWAITING_ITEMS_STATUSES, FREE_SHIPPING_REASONS, ReturnStatus
from returns.models import NonReturnableProduct, Refund, RefundLine, ReturnLine, ReturnRequest

# Orders that have goods at the customer's: something shipped and nothing undoes that.
RETURNABLE_ORDER_STATUSES = (OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED, OrderStatus.DELIVERED,
                             OrderStatus.COMPLETED)
# Orders a refund by line can take units of: what shipped, or all of a cancelled order.
REFUNDABLE_ORDER_STATUSES = (*RETURNABLE_ORDER_STATUSES, OrderStatus.CANCELLED)


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
    """What each line may still return: shipped - returned - held by other open returns - refunded
    by line and kept by the customer (paid back already: not returned for money again)."""
    order_lines = list(order_lines)
    ids = [line.pk for line in order_lines]
    held, kept = units_expected_back(ids), units_kept_after_refund(ids)
    return {line.pk: max(0, line.quantity_shipped - line.quantity_returned - held.get(line.pk, 0)
                         - kept.get(line.pk, 0))
            for line in order_lines}


def _units_by_line(rows, field: str) -> dict[int, int]:
    return dict(rows.values("order_line_id").annotate(n=Sum(field)).values_list("order_line_id", "n"))


def _refund_lines_holding_units(order_line_ids):
    return RefundLine.objects.filter(order_line_id__in=list(order_line_ids), refund__in=Refund.objects.holding_units())


def units_kept_after_refund(order_line_ids) -> dict[int, int]:
    """Units refunded by line that did not come back (the customer keeps them): {order line id: units}."""
    return _units_by_line(_refund_lines_holding_units(order_line_ids).filter(restock=False), "quantity")


def units_settled(order_line_ids) -> dict[int, int]:
    """Units per order line that were refunded, or that a return settles: refunds by line (unless
    the gateway refused them), units an open return expects back, and the received units of every
    return not closed unsettled. {order line id: units}"""
    order_line_ids = list(order_line_ids)
    by_line = _units_by_line(_refund_lines_holding_units(order_line_ids), "quantity")
    returns = (ReturnLine.objects.filter(order_line_id__in=order_line_ids)
               .exclude(return_request__status__in=[ReturnStatus.REJECTED, ReturnStatus.CANCELLED])
               .exclude(return_request__status=ReturnStatus.CLOSED, return_request__resolution=""))
    expected = _units_by_line(returns.filter(return_request__status__in=AWAITING_ITEMS_STATUSES), "quantity")
    received = _units_by_line(returns.exclude(return_request__status__in=AWAITING_ITEMS_STATUSES), "quantity_received")
    return {pk: by_line.get(pk, 0) + expected.get(pk, 0) + received.get(pk, 0) for pk in order_line_ids}


def refundable_quantities(order, order_lines) -> dict[int, int]:
    """What each line may still refund by line: what shipped (all of it once the order is cancelled:
    nothing will ship) minus what was refunded or a return settles. Unshipped units of a live order
    are not refunded here: they still ship, or an order change cancels them."""
    order_lines = list(order_lines)
    settled = units_settled(line.pk for line in order_lines)
    cancelled = order.status == OrderStatus.CANCELLED
    return {line.pk: max(0, (line.quantity if cancelled else line.quantity_shipped) - settled[line.pk])
            for line in order_lines}


def shipping_left_to_refund(order, *, exclude_return_id: int | None = None):
    """The order's shipping, unless a refund by line or a return's refund gave it back already."""
    if not order.shipping_total:
        return ZERO
    by_return = ReturnRequest.objects.filter(order_id=order.pk, refund_shipping__gt=0)
    if exclude_return_id is not None:
        by_return = by_return.exclude(pk=exclude_return_id)
    by_line = Refund.objects.holding_units().filter(order_id=order.pk, shipping_amount__gt=0)
    return ZERO if by_return.exists() or by_line.exists() else order.shipping_total


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
