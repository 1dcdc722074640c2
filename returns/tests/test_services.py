"""Returns from request to refund or exchange, through the services, as staff and customers use them."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from oms.exceptions import DomainError, NotPermitted, TransitionRefused
from orders.enums import OrderEventType, OrderStatus
from orders.models import Order, OrderEvent
from inventory.models import StockLevel
from payments.gateways.base import GatewayTimeout
from payments.gateways.simulated import SimulatedGateway
from payments.models import CreditNote, Invoice, Payment
from returns import services
from returns.enums import InspectionOutcome, OrderReturnStatus, ReturnReason, ReturnSource, ReturnStatus
from notifications.models import Notification
from returns.models import NonReturnableProduct, ReturnRequest
from returns.selectors import order_return_status, returnable_lines
from returns.services import InspectionDecision
from returns.tests.conftest import line_inputs
from tests.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db

DAMAGED, UNWANTED = ReturnReason.DAMAGED, ReturnReason.NO_LONGER_NEEDED


def _on_hand(order_line) -> int:
    return StockLevel.objects.get(product_id=order_line.product_id).on_hand


def _request(order, *specs, actor=None, **kwargs):
    return services.return_request_create(actor=actor, order=order, lines=line_inputs(order, *specs), **kwargs)


def _inspect_all(rma, outcome=InspectionOutcome.RESTOCK, actor=None):
    return services.return_inspect(actor=actor, return_request=rma, decisions={
        line.pk: InspectionDecision(outcome) for line in rma.lines.all()})


def _received_and_inspected(order, *specs, outcome=InspectionOutcome.RESTOCK):
    rma = _request(order, *specs)
    services.return_approve(actor=None, return_request=rma)
    services.return_receive(actor=None, return_request=rma,
                            quantities={line.pk: line.quantity for line in rma.lines.all()})
    return _inspect_all(ReturnRequest.objects.get(pk=rma.pk), outcome)


def test_the_full_staff_path_request_approve_receive_inspect_refund(
        delivered_order, sales_user, warehouse_user, finance_user, run_on_commit):
    # Given a delivered card order, paid in full
    order = delivered_order()
    on_hand = _on_hand(order.lines.first())
    assert Payment.objects.get(order=order).captured_amount == Decimal("115.00")

    # When sales open a return for two of the three units, warehouse receives and inspects, finance refunds
    rma = run_on_commit(services.return_request_create, actor=sales_user, order=order,
                        lines=line_inputs(order, (0, 2, DAMAGED)))
    assert rma.number.startswith("RMA-") and rma.status == ReturnStatus.REQUESTED and rma.free_return_shipping
    rma = run_on_commit(services.return_approve, actor=sales_user, return_request=rma)
    services.return_scan_item(actor=warehouse_user, return_request=rma, code=order.lines.first().sku)
    services.return_scan_item(actor=warehouse_user, return_request=rma, code=order.lines.first().product.barcode)
    rma = run_on_commit(services.return_receive, actor=warehouse_user, return_request=rma)
    rma = run_on_commit(_inspect_all, rma=ReturnRequest.objects.get(pk=rma.pk), actor=warehouse_user)
    rma = run_on_commit(services.return_refund, actor=finance_user, return_request=rma)

    # Then the return is refunded: two units at 20.00 and the shipping (damaged: our fault)
    rma.refresh_from_db()
    assert rma.status == ReturnStatus.REFUNDED and rma.refund_amount == Decimal("45.00")
    assert rma.refund_shipping == Decimal("5.00")
    payment = Payment.objects.get(order=order)
    assert payment.refunded_amount == Decimal("45.00")
    assert _on_hand(order.lines.first()) == on_hand + 2  # restocked
    # the order shows what came back
    line = order.lines.order_by("position").first()
    assert line.quantity_returned == 2
    assert order_return_status(order) == OrderReturnStatus.PARTIALLY_RETURNED
    # every step is on the order's timeline, the customer sees the ones meant for them
    steps = list(OrderEvent.objects.filter(order=order, type=OrderEventType.RETURN).values_list("data__status",
                                                                                                 flat=True))
    assert steps == ["requested", "approved", "items_received", "inspected", "refunded"]
    # and the customer got an e-mail for each of them (the approval carries the label)
    kinds = list(Notification.objects.filter(about_type="returns.returnrequest", about_id=str(rma.pk))
                 .order_by("pk").values_list("kind", flat=True))
    assert kinds == ["return_requested", "return_approved", "return_received", "return_inspected", "return_refunded"]
    approval = next(m for m in mail.outbox if "approved" in m.subject)
    assert approval.attachments[0][0] == f"{rma.number}-label.pdf"
    assert approval.attachments[0][1][:4] == b"%PDF"
    assert OrderEvent.objects.filter(order=order, type=OrderEventType.EMAIL_SENT, data__rma=rma.number).count() == 5


def test_a_refund_of_an_invoiced_order_issues_a_credit_note(delivered_order, run_on_commit):
    order = delivered_order()
    assert Invoice.objects.filter(order=order).exists()
    rma = _received_and_inspected(order, (1, 1, UNWANTED))
    run_on_commit(services.return_refund, actor=None, return_request=rma)
    note = CreditNote.objects.get(invoice__order=order)
    assert note.amount == Decimal("50.00")  # no shipping back: the customer changed their mind


def test_a_partial_refund_gives_back_less_than_suggested(delivered_order):
    order = delivered_order()
    rma = _received_and_inspected(order, (1, 1, UNWANTED))
    rma = services.return_refund(actor=None, return_request=rma, amount=Decimal("30.00"), reason="Worn")
    assert rma.refund_amount == Decimal("30.00")
    assert Payment.objects.get(order=order).refunded_amount == Decimal("30.00")


def test_a_refund_above_the_value_of_the_returned_items_is_refused(delivered_order):
    order = delivered_order()
    rma = _received_and_inspected(order, (1, 1, UNWANTED))
    with pytest.raises(DomainError, match="At most 50.00 USD"):
        services.return_refund(actor=None, return_request=rma, amount=Decimal("50.01"))
    assert ReturnRequest.objects.get(pk=rma.pk).refund_key == ""


def test_a_return_is_refunded_only_once(delivered_order):
    order = delivered_order()
    rma = _received_and_inspected(order, (0, 1, UNWANTED))
    services.return_refund(actor=None, return_request=rma)
    with pytest.raises(TransitionRefused, match="refunded; it cannot be refunded"):
        services.return_refund(actor=None, return_request=rma)
    assert Payment.objects.get(order=order).refunded_amount == Decimal("20.00")


def test_the_shipping_is_refunded_by_one_return_of_the_order_only(delivered_order):
    order = delivered_order()
    first = services.return_refund(actor=None, return_request=_received_and_inspected(order, (0, 1, DAMAGED)))
    second = services.return_refund(actor=None, return_request=_received_and_inspected(order, (1, 1, DAMAGED)))
    assert (first.refund_shipping, second.refund_shipping) == (Decimal("5.00"), Decimal("0"))


def test_the_exchange_path_places_a_free_replacement_order_linked_both_ways(delivered_order,
                                                                           finance_user, run_on_commit):
    # Given a return inspected and restocked
    order = delivered_order()
    rma = _received_and_inspected(order, (0, 1, ReturnReason.WRONG_ITEM))

    # When finance exchanges it
    rma = run_on_commit(services.return_exchange, actor=finance_user, return_request=rma)

    # Then a replacement order for the same item is placed at no charge, verified like any order
    replacement = Order.objects.get(pk=rma.replacement_order_id)
    assert rma.status == ReturnStatus.EXCHANGED
    assert replacement.replacement_for == rma
    assert replacement.total == Decimal("0") and replacement.payment_method == services.EXCHANGE_PAYMENT_METHOD
    assert replacement.status == OrderStatus.CONFIRMED
    assert [line.quantity_allocated for line in replacement.lines.all()] == [1]  # stock allocated
    assert [(line.sku, line.quantity, line.unit_price) for line in replacement.lines.all()] == [
        (order.lines.order_by("position").first().sku, 1, Decimal("0.00"))]
    assert replacement.customer_id == order.customer_id and replacement.ship_line1 == order.ship_line1
    assert Payment.objects.get(order=order).refunded_amount == 0
    assert OrderEvent.objects.filter(order=replacement, type=OrderEventType.RETURN, data__rma=rma.number).exists()
    assert Notification.objects.filter(about_type="returns.returnrequest", about_id=str(rma.pk),
                                       kind="return_exchanged").exists()


def test_more_than_was_shipped_cannot_be_returned(place_order, ship):
    # Given an order of 3 of which 1 shipped
    order = place_order(quantities=[3])
    line = order.lines.get()
    order = ship(order, quantities={line.pk: 1})
    # When the customer asks to return 2, it is refused with the numbers
    with pytest.raises(DomainError, match=r"at most 1 can be returned \(1 shipped, 0 returned, 0 in open returns\)"):
        _request(order, (0, 2, DAMAGED))
    assert not ReturnRequest.objects.exists()


def test_units_held_by_an_open_return_cannot_be_returned_again_until_it_is_cancelled(delivered_order):
    order = delivered_order()
    first = _request(order, (0, 2, UNWANTED))
    with pytest.raises(DomainError, match="at most 1 can be returned"):
        _request(order, (0, 2, UNWANTED))
    services.return_cancel(actor=None, return_request=first, reason="Customer kept them")
    assert _request(order, (0, 3, UNWANTED)).lines.get().quantity == 3


def test_units_already_returned_cannot_be_returned_again(delivered_order):
    order = delivered_order()
    _received_and_inspected(order, (0, 3, UNWANTED))
    assert [line.sku for line, _ in returnable_lines(order)] == [order.lines.order_by("position").last().sku]
    with pytest.raises(DomainError, match=r"at most 0 can be returned \(3 shipped, 3 returned"):
        _request(order, (0, 1, UNWANTED))


def test_units_that_did_not_arrive_can_be_returned_later(delivered_order):
    order = delivered_order()
    rma = _request(order, (0, 3, UNWANTED))
    services.return_approve(actor=None, return_request=rma)
    services.return_receive(actor=None, return_request=rma, quantities={rma.lines.get().pk: 1})
    assert order.lines.order_by("position").first().quantity_returned == 1
    assert _request(order, (0, 2, UNWANTED)).lines.get().quantity == 2


def test_a_return_outside_the_window_is_refused_with_the_reason(delivered_order):
    order = delivered_order()
    Order.objects.filter(pk=order.pk).update(delivered_at=timezone.now() - timedelta(days=31))
    with pytest.raises(DomainError, match="30-day return window of order .* ended on") as refused:
        _request(Order.objects.get(pk=order.pk), (0, 1, UNWANTED))
    assert refused.value.code == "outside_policy"


def test_the_window_of_a_partially_shipped_order_runs_from_its_first_shipment(place_order, ship):
    order = place_order(quantities=[2])
    order = ship(order, quantities={order.lines.get().pk: 1})
    OrderEvent.objects.filter(order=order, to_status=OrderStatus.PARTIALLY_SHIPPED).update(
        created_at=timezone.now() - timedelta(days=31))
    with pytest.raises(DomainError, match="return window"):
        _request(order, (0, 1, UNWANTED))


def test_a_return_on_the_last_day_of_the_window_is_accepted(delivered_order):
    order = delivered_order()
    Order.objects.filter(pk=order.pk).update(delivered_at=timezone.now() - timedelta(days=29, hours=23))
    assert _request(Order.objects.get(pk=order.pk), (0, 1, UNWANTED)).status == ReturnStatus.REQUESTED


def test_a_manager_overrides_the_window_with_a_note(delivered_order, manager_user):
    order = delivered_order()
    Order.objects.filter(pk=order.pk).update(delivered_at=timezone.now() - timedelta(days=45))
    rma = _request(Order.objects.get(pk=order.pk), (0, 1, UNWANTED), actor=manager_user,
                   override_note="Loyal customer, was abroad")
    assert rma.policy_overridden_by == manager_user and "abroad" in rma.policy_override_note
    assert OrderEvent.objects.filter(order=order, message__contains="Return policy overridden").exists()


def test_sales_cannot_override_the_policy(delivered_order, sales_user):
    order = delivered_order()
    Order.objects.filter(pk=order.pk).update(delivered_at=timezone.now() - timedelta(days=45))
    with pytest.raises(NotPermitted, match="Only a manager"):
        _request(Order.objects.get(pk=order.pk), (0, 1, UNWANTED), actor=sales_user, override_note="Please")


def test_a_non_returnable_product_is_refused(delivered_order):
    order = delivered_order()
    NonReturnableProduct.objects.create(product=order.lines.order_by("position").first().product,
                                        reason="Hygiene product.")
    with pytest.raises(DomainError, match="cannot be returned: Hygiene product."):
        _request(order, (0, 1, UNWANTED))


def test_an_order_that_shipped_nothing_has_nothing_to_return(place_order):
    order = place_order()
    with pytest.raises(DomainError, match="at most 0 can be returned"):
        _request(order, (0, 1, UNWANTED))


def test_the_warehouse_cannot_approve_nor_refund(delivered_order, warehouse_user):
    rma = _request(delivered_order(), (0, 1, UNWANTED))
    with pytest.raises(NotPermitted):
        services.return_approve(actor=warehouse_user, return_request=rma)


def test_a_scan_of_an_item_not_in_the_return_is_refused(delivered_order, warehouse_user):
    order = delivered_order()
    rma = _request(order, (0, 1, UNWANTED))
    services.return_approve(actor=None, return_request=rma)
    with pytest.raises(DomainError, match="is not part of return"):
        services.return_scan_item(actor=warehouse_user, return_request=rma,
                                  code=order.lines.order_by("position").last().sku)
    services.return_scan_item(actor=warehouse_user, return_request=rma, code=order.lines.order_by("position")
                              .first().sku)
    with pytest.raises(DomainError, match="already scanned"):
        services.return_scan_item(actor=warehouse_user, return_request=rma,
                                  code=order.lines.order_by("position").first().sku)


def test_a_return_with_nothing_received_cannot_be_confirmed(delivered_order):
    rma = _request(delivered_order(), (0, 1, UNWANTED))
    services.return_approve(actor=None, return_request=rma)
    with pytest.raises(DomainError, match="Nothing of return"):
        services.return_receive(actor=None, return_request=rma)


def test_inspection_needs_a_decision_for_every_received_line(delivered_order):
    rma = _request(delivered_order(), (0, 1, UNWANTED), (1, 1, DAMAGED))
    services.return_approve(actor=None, return_request=rma)
    services.return_receive(actor=None, return_request=rma, quantities={line.pk: 1 for line in rma.lines.all()})
    first = rma.lines.first()
    with pytest.raises(DomainError, match="choose restock or scrap"):
        services.return_inspect(actor=None, return_request=rma,
                                decisions={first.pk: InspectionDecision(InspectionOutcome.RESTOCK)})
    assert ReturnRequest.objects.get(pk=rma.pk).status == ReturnStatus.ITEMS_RECEIVED


def test_scrapped_items_are_not_restocked_and_are_recorded(delivered_order):
    order = delivered_order()
    on_hand = _on_hand(order.lines.order_by("position").last())
    rma = _received_and_inspected(order, (1, 1, DAMAGED), outcome=InspectionOutcome.SCRAP)
    assert _on_hand(order.lines.order_by("position").last()) == on_hand
    assert rma.lines.get().outcome == InspectionOutcome.SCRAP
    assert OrderEvent.objects.filter(order=order, message__contains="scrapped 1 ×").exists()


def test_a_rejected_return_tells_the_customer_why(delivered_order, run_on_commit):
    rma = _request(delivered_order(), (0, 1, UNWANTED))
    run_on_commit(services.return_reject, actor=None, return_request=rma, reason="Used item")
    assert "Used item" in mail.outbox[-1].body


def test_the_whole_order_returned_shows_as_returned(delivered_order):
    order = delivered_order()
    _received_and_inspected(order, (0, 3, UNWANTED), (1, 1, UNWANTED))
    assert order_return_status(order) == OrderReturnStatus.RETURNED


def test_an_email_is_sent_once_even_when_its_task_runs_twice(delivered_order):
    from notifications.services import notification_send

    rma = _request(delivered_order(), (0, 1, UNWANTED), source=ReturnSource.CUSTOMER)
    requested = Notification.objects.get(about_type="returns.returnrequest", about_id=str(rma.pk),
                                         kind="return_requested")
    Notification.objects.filter(pk=requested.pk).update(status="pending")  # as if its task had not run yet
    mail.outbox.clear()
    assert notification_send(notification_id=requested.pk) is True
    assert notification_send(notification_id=requested.pk) is False
    assert len(mail.outbox) == 1 and rma.number in mail.outbox[0].subject


class RefundTimesOutOnce(SimulatedGateway):
    """The first refund reaches the provider but its answer is lost; asking again gets that answer."""

    timeouts = 0

    def refund(self, **kwargs):
        result = super().refund(**kwargs)
        if RefundTimesOutOnce.timeouts:
            RefundTimesOutOnce.timeouts -= 1
            raise GatewayTimeout("lost answer")
        return result


def test_a_refund_without_an_answer_is_retried_with_the_same_request_and_paid_once(delivered_order,
                                                                                   settings):
    order = delivered_order()
    rma = _received_and_inspected(order, (0, 1, UNWANTED))
    settings.OMS_PAYMENT_GATEWAY = "returns.tests.test_services.RefundTimesOutOnce"
    RefundTimesOutOnce.timeouts = 1
    with pytest.raises(DomainError, match="did not answer") as unanswered:
        services.return_refund(actor=None, return_request=rma)
    assert unanswered.value.code == "in_progress"
    assert ReturnRequest.objects.get(pk=rma.pk).status == ReturnStatus.INSPECTED
    rma = services.return_refund(actor=None, return_request=rma)
    assert rma.status == ReturnStatus.REFUNDED
    payment = Payment.objects.get(order=order)
    assert payment.refunded_amount == Decimal("20.00") and payment.transactions.filter(kind="refund").count() == 1


def test_a_return_of_an_unpaid_account_order_is_credited_against_its_invoice(place_order, ship, deliver,
                                                                            run_on_commit):
    # Given an order on account terms, invoiced at shipment and not paid yet
    customer = CustomerFactory(credit_limit=Decimal("1000.00"))
    order = deliver(ship(place_order(method="terms", customer=customer,
                                     products=[ProductFactory(unit_price=Decimal("40.00"), tax_class="zero")])))
    invoice = Invoice.objects.get(order=order)
    rma = _received_and_inspected(order, (0, 1, DAMAGED))

    # When finance refunds the return
    rma = run_on_commit(services.return_refund, actor=None, return_request=rma)

    # Then the invoice is credited (nothing goes back through a payment)
    assert rma.status == ReturnStatus.REFUNDED and rma.refund_amount == Decimal("40.00")
    assert CreditNote.objects.get(invoice=invoice).amount == Decimal("40.00")
    assert Payment.objects.get(order=order).refunded_amount == 0
    assert "credited against your invoice" in mail.outbox[-1].body
