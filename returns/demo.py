"""Demo returns: a few RMAs in different states for recently delivered demo orders.

Idempotent: demo returns carry the note "demo"; a second run finds them and adds none.
"""

from datetime import timedelta

from django.utils import timezone

from oms.exceptions import DomainError
from orders.enums import OrderStatus
from orders.models import Order
from returns import services
from returns.enums import InspectionOutcome, ReturnReason, ReturnSource, ReturnStatus
from returns.models import ReturnRequest
from returns.policy import window_days

# (the state to reach, the reason, who opened it)
DEMO_RETURNS = [
    (ReturnStatus.REQUESTED, ReturnReason.NO_LONGER_NEEDED, ReturnSource.CUSTOMER),
    (ReturnStatus.APPROVED, ReturnReason.DAMAGED, ReturnSource.CUSTOMER),
    (ReturnStatus.ITEMS_RECEIVED, ReturnReason.NOT_AS_DESCRIBED, ReturnSource.STAFF),
    (ReturnStatus.INSPECTED, ReturnReason.OTHER, ReturnSource.CUSTOMER),
    (ReturnStatus.REFUNDED, ReturnReason.DAMAGED, ReturnSource.STAFF),
    (ReturnStatus.EXCHANGED, ReturnReason.WRONG_ITEM, ReturnSource.CUSTOMER),
    (ReturnStatus.REJECTED, ReturnReason.NO_LONGER_NEEDED, ReturnSource.CUSTOMER),
]
STEPS = [ReturnStatus.APPROVED, ReturnStatus.ITEMS_RECEIVED, ReturnStatus.INSPECTED]


def _drive(rma: ReturnRequest, target: str) -> None:
    if target == ReturnStatus.REJECTED:
        services.return_reject(actor=None, return_request=rma, reason="The item shows signs of use.")
        return
    advance(rma, target)
    if target == ReturnStatus.REFUNDED:
        services.return_refund(actor=None, return_request=rma)
    elif target == ReturnStatus.EXCHANGED:
        services.return_exchange(actor=None, return_request=rma)


def advance(rma: ReturnRequest, target: str) -> None:
    """Take a requested return through approval, receipt of every unit and inspection, as far as `target`
    (all three for a refund or an exchange, none for a return that stays requested). Damaged items are
    scrapped, others restocked."""
    if target == ReturnStatus.REQUESTED:
        return
    for step in STEPS[:STEPS.index(target) + 1] if target in STEPS else STEPS:
        if step == ReturnStatus.APPROVED:
            services.return_approve(actor=None, return_request=rma)
        elif step == ReturnStatus.ITEMS_RECEIVED:
            services.return_receive(actor=None, return_request=rma,
                                    quantities={line.pk: line.quantity for line in rma.lines.all()})
        else:
            services.return_inspect(actor=None, return_request=rma, decisions={
                line.pk: services.InspectionDecision(
                    InspectionOutcome.SCRAP if line.reason == ReturnReason.DAMAGED else InspectionOutcome.RESTOCK)
                for line in rma.lines.all()})


def after_orders(*, stdout) -> None:
    if ReturnRequest.objects.filter(note="demo").exists():
        stdout.write("returns: demo returns already there")
        return
    since = timezone.now() - timedelta(days=window_days())
    candidates = list(Order.objects.filter(status__in=[OrderStatus.DELIVERED, OrderStatus.COMPLETED],
                                           delivered_at__gte=since, returns__isnull=True)
                      .order_by("-delivered_at", "-pk")[:len(DEMO_RETURNS)])
    made = 0
    for order, (target, reason, source) in zip(candidates, DEMO_RETURNS):
        line = order.lines.order_by("position", "pk").first()
        try:
            rma = services.return_request_create(
                actor=None, order=order, source=source, note="demo",
                lines=[services.ReturnLineInput(order_line_id=line.pk, quantity=1, reason=reason,
                                                comment="Demo return.")])
            _drive(rma, target)
            made += 1
        except DomainError as exc:
            stdout.write(f"  {order.number}: demo return stopped short of {target}: {exc}")
    stdout.write(f"returns: {made} demo returns")
