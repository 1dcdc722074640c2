"""Every message the system sends goes through the one notifications app: after a whole
lifecycle (place, confirm, backorder, ship, invoice, deliver, refund, cancel, return in every
way, reorder alert) each registered kind is in its table, sent once, and no other module
sends mail itself."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail

from fulfillment import services as fulfillment_services
from fulfillment.tests.conftest import place, shipped  # noqa: F401 (orders placed and shipped the way fulfillment does it)
from notifications.enums import NotificationStatus
from notifications.models import Notification
from notifications.registry import kinds
from orders.enums import OrderStatus, Priority
from orders.services import OrderChange, order_cancel, order_edit
from payments.selectors import order_payment
from payments.services import payment_refund
from returns import services as returns
from returns.enums import InspectionOutcome, ReturnReason
from returns.services import InspectionDecision
from returns.tests.conftest import line_inputs
from returns.tests.conftest import run_on_commit  # noqa: F401 (call a service, run its on-commit tasks)
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _return(run_on_commit, order, *, quantity=1):
    return run_on_commit(returns.return_request_create, actor=None, order=order,
               lines=line_inputs(order, (0, quantity, ReturnReason.DAMAGED)))


def _received_and_inspected(run_on_commit, order):
    rma = run_on_commit(returns.return_approve, actor=None, return_request=_return(run_on_commit, order))
    rma = run_on_commit(returns.return_receive, actor=None, return_request=rma,
              quantities={line.pk: line.quantity for line in rma.lines.all()})
    return run_on_commit(returns.return_inspect, actor=None, return_request=rma, decisions={
        line.pk: InspectionDecision(InspectionOutcome.RESTOCK) for line in rma.lines.all()})


def test_every_message_kind_goes_through_the_one_notifications_system(
        shipped, place, run_on_commit, manager_user, warehouse, settings):
    from inventory.services import reorder_alerts_scan, stock_level_configure

    settings.OMS_RETURN_WINDOW_DAYS = 30
    # Given an order placed, shipped with a parcel, invoiced and delivered
    order, shipment = shipped(products=[ProductFactory(unit_price=Decimal("25.00"))], quantities=[5])
    run_on_commit(fulfillment_services.shipment_mark_delivered, actor=None, shipment=shipment)
    # refunded in part by staff, returned in every way a return can go
    run_on_commit(payment_refund, actor=None, payment=order_payment(order), amount="1.00", reason="Goodwill")
    refunded = _received_and_inspected(run_on_commit, order)
    run_on_commit(returns.return_refund, actor=None, return_request=refunded)
    run_on_commit(returns.return_close, actor=None, return_request=refunded)
    run_on_commit(returns.return_exchange, actor=None, return_request=_received_and_inspected(run_on_commit, order))
    run_on_commit(returns.return_reject, actor=None, return_request=_return(run_on_commit, order), reason="Worn")
    run_on_commit(returns.return_cancel, actor=None, return_request=_return(run_on_commit, order), reason="Changed my mind")
    # another order cancelled, another changed after placement, another backordered, and stock below
    # its reorder point
    run_on_commit(order_cancel, actor=None, order=place(), reason="Customer asked")
    run_on_commit(order_edit, actor=None, order=place(), change=OrderChange(priority=Priority.RUSH),
                  reason="Customer asked for it sooner")
    backordered = place(products=[ProductFactory(stock=0, allow_backorder=True)])
    assert backordered.status == OrderStatus.BACKORDERED
    stock_level_configure(actor=None, product=ProductFactory(stock=0), warehouse=warehouse, reorder_point=5,
                          reorder_quantity=10)
    run_on_commit(reorder_alerts_scan, actor=None)

    # Then every kind any app registered was requested, and each was sent exactly once
    requested = set(Notification.objects.values_list("kind", flat=True))
    assert requested == {kind.name for kind in kinds()}
    assert set(Notification.objects.values_list("status", flat=True)) == {NotificationStatus.SENT}
    assert len(mail.outbox) == Notification.objects.count()


def test_a_return_refund_sends_the_customer_exactly_one_email(shipped, run_on_commit):
    order, shipment = shipped(quantities=[2])
    run_on_commit(fulfillment_services.shipment_mark_delivered, actor=None, shipment=shipment)
    rma = _received_and_inspected(run_on_commit, order)
    mail.outbox.clear()

    rma = run_on_commit(returns.return_refund, actor=None, return_request=rma)

    assert rma.refund_amount > 0
    assert [m.subject for m in mail.outbox] == [f"Return {rma.number}: {rma.refund_amount} USD refunded"]
    assert not Notification.objects.filter(order=order, kind="refund_issued").exists()


def test_a_refund_that_is_not_a_return_tells_the_customer_with_the_generic_message(shipped, run_on_commit):
    order, _ = shipped()
    mail.outbox.clear()

    run_on_commit(payment_refund, actor=None, payment=order_payment(order), amount="5.00", reason="Scratched")

    assert [m.subject for m in mail.outbox] == [f"A refund for your order {order.number}"]


# The one place that may hand a message to Django's mail API.
MAIL_API = re.compile(r"\b(send_mail|send_mass_mail|mail_admins|mail_managers|EmailMessage|EmailMultiAlternatives)\b")


def test_no_module_outside_notifications_sends_mail_itself():
    root = Path(settings.BASE_DIR)
    offenders = []
    for path in root.rglob("*.py"):
        parts = path.relative_to(root).parts
        if parts[0] in {".venv", "notifications", "tests"} or "tests" in parts or "node_modules" in parts:
            continue
        offenders += [f"{path.relative_to(root)}:{n}" for n, line in enumerate(path.read_text().splitlines(), 1)
                      if MAIL_API.search(line)]
    assert offenders == []
