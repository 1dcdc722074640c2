"""Reads for the return screens, the order page and the customer's pages."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from orders.enums import OrderEventType
from orders.models import OrderEvent
from orders.selectors import orders_customers_may_see
from returns.enums import OPEN_STATUSES, OrderReturnStatus
from returns.models import Refund, RefundLine, ReturnLine, ReturnRequest
from returns.policy import REFUNDABLE_ORDER_STATUSES, refundable_quantities, returnable_quantities

_LINES = Prefetch("lines", queryset=ReturnLine.objects.select_related("order_line", "order_line__product")
                  .order_by("pk"))


def return_list(*, status: str = "", reason: str = "", older_than_days: int | None = None, query: str = "",
                open_only: bool = False) -> QuerySet[ReturnRequest]:
    returns = ReturnRequest.objects.for_list()
    if status:
        returns = returns.filter(status=status)
    if open_only:
        returns = returns.filter(status__in=OPEN_STATUSES)
    if reason:
        returns = returns.filter(Exists(ReturnLine.objects.filter(return_request=OuterRef("pk"), reason=reason)))
    if older_than_days:
        returns = returns.filter(created_at__lte=timezone.now() - timedelta(days=older_than_days))
    if query:
        returns = returns.filter(Q(number__icontains=query) | Q(order__number__icontains=query)
                                 | Q(order__customer__name__icontains=query))
    return returns.prefetch_related(_LINES)


def return_detail(*, number: str) -> ReturnRequest:
    return (ReturnRequest.objects.select_related("order", "order__customer", "replacement_order", "created_by",
                                                 "refund_transaction", "policy_overridden_by")
            .prefetch_related(_LINES).get(number=number))


def return_for_customer(*, tracking_token: str, number: str) -> ReturnRequest | None:
    if not tracking_token:
        return None
    return (ReturnRequest.objects.select_related("order", "order__customer").prefetch_related(_LINES)
            .filter(number=number, order__in=orders_customers_may_see().filter(tracking_token=tracking_token))
            .first())


def return_events(rma: ReturnRequest, *, customer_only: bool = False) -> QuerySet[OrderEvent]:
    """The return's history: the order's timeline entries that name this RMA."""
    events = OrderEvent.objects.filter(order_id=rma.order_id, data__rma=rma.number).select_related("actor")
    if customer_only:
        events = events.filter(customer_visible=True, type=OrderEventType.RETURN)
    return events.order_by("created_at", "pk")


def returns_for_order(order) -> list[ReturnRequest]:
    return list(ReturnRequest.objects.filter(order_id=order.pk).prefetch_related(_LINES).order_by("-created_at", "-pk"))


def return_status_of(lines) -> OrderReturnStatus:
    """None, partially returned or returned, from the order lines' returned quantities."""
    lines = list(lines)
    returned = sum(line.quantity_returned for line in lines)
    if not returned:
        return OrderReturnStatus.NONE
    if returned >= sum(line.quantity for line in lines):
        return OrderReturnStatus.RETURNED
    return OrderReturnStatus.PARTIALLY_RETURNED


def order_return_status(order) -> OrderReturnStatus:
    return return_status_of(order.lines.all())


def returnable_lines(order) -> list[tuple[object, int]]:
    """The order's lines that can still be returned, with how many units: [(line, units)]."""
    lines = list(order.lines.select_related("product").order_by("position", "pk"))
    left = returnable_quantities(lines)
    return [(line, left[line.pk]) for line in lines if left[line.pk] > 0]


@dataclass(frozen=True)
class RefundableLine:
    line: object
    refundable: int  # units that may still be refunded
    restockable: int  # of those, units that shipped and may come back into stock


def refundable_lines(order) -> list[RefundableLine]:
    """Every line of the order, with what a refund by line may still take of it."""
    lines = list(order.lines.select_related("product").order_by("position", "pk"))
    left, restockable = refundable_quantities(order, lines), returnable_quantities(lines)
    return [RefundableLine(line, left[line.pk], min(left[line.pk], restockable[line.pk])) for line in lines]


def refunds_for_order(order) -> list[Refund]:
    if order.status not in REFUNDABLE_ORDER_STATUSES:
        return []  # nothing shipped: no refund by line was possible (and the order page asks no query)
    return list(Refund.objects.filter(order_id=order.pk).prefetch_related(
        Prefetch("lines", queryset=RefundLine.objects.select_related("order_line").order_by("pk")))
        .order_by("-created_at", "-pk"))
