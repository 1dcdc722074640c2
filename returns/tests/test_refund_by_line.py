"""Refunds by line, through the services as finance uses them: units at what the customer paid for
them, units that came back put back in stock through the ledger, refusals that change nothing."""

from decimal import Decimal

import pytest
from django.core import mail

from inventory.enums import MovementKind
from inventory.models import StockLevel, StockMovement
from inventory.selectors import ledger_drift
from notifications.models import Notification
from oms.exceptions import DomainError, NotPermitted
from orders.enums import OrderEventType, OrderStatus
from orders.models import OrderEvent, OrderLine
from orders.services import order_cancel
from payments.enums import PaymentMethod, TransactionKind
from payments.gateways.base import GatewayResult, GatewayTimeout
from payments.gateways.simulated import SimulatedGateway
from payments.models import CreditNote, Payment, PaymentTransaction
from payments.notifications import REFUND_ISSUED
from payments.services import invoice_issue, payment_record_manual
from returns import services
from returns.enums import InspectionOutcome, RefundStatus, ReturnReason
from returns.models import Refund
from returns.policy import refundable_quantities
from returns.services import RefundLineInput
from returns.tasks import refunds_settle_pending_task
from returns.tests.conftest import line_inputs
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _lines(order):
    return list(order.lines.order_by("position", "pk"))


def _inputs(order, *specs) -> list[RefundLineInput]:
    """specs: (line index, quantity, restock)."""
    lines = _lines(order)
    return [RefundLineInput(order_line_id=lines[i].pk, quantity=q, restock=restock) for i, q, restock in specs]


def _refund(order, *specs, key="form-1", actor=None, **kwargs) -> Refund:
    return services.refund_issue(actor=actor, order=order, request_key=key, lines=_inputs(order, *specs), **kwargs)


def _refunded(order) -> Decimal:
    return Payment.objects.get(order=order).refunded_amount


@pytest.fixture
def taxed_order(place_order, ship, deliver):
    """3 × 19.99 with 5.00 off the line, standard tax (8 %, on top): 54.97 + 4.40 tax = 59.37; shipping 4.95."""
    product = ProductFactory(unit_price=Decimal("19.99"), tax_class="standard")
    return deliver(ship(place_order(products=[product], quantities=[3], discounts=[Decimal("5.00")],
                                    shipping_total=Decimal("4.95"))))


def test_units_are_refunded_at_their_net_price_with_their_tax_share(taxed_order):
    # Given a delivered line of 3 × 19.99 with 5.00 off, 8 % tax on top: the customer paid 59.37 for it
    line = _lines(taxed_order)[0]
    assert line.line_total == Decimal("59.37")

    # When finance refunds one unit
    refund = _refund(taxed_order, (0, 1, False), reason="Scratched")

    # Then it is 19.99 - 1.67 (its third of the discount) + 1.47 tax = 19.79, paid back through the payment
    assert refund.status == RefundStatus.SUCCEEDED and refund.amount == Decimal("19.79")
    refund_line = refund.lines.get()
    assert (refund_line.quantity, refund_line.amount, refund_line.tax_amount) == (1, Decimal("19.79"),
                                                                                  Decimal("1.47"))
    assert _refunded(taxed_order) == Decimal("19.79")
    assert refund.transaction.kind == TransactionKind.REFUND and refund.transaction.note == "Scratched"


def test_refunds_taken_in_turns_add_up_to_exactly_what_the_line_cost(taxed_order):
    first = _refund(taxed_order, (0, 1, False), key="form-1")
    rest = _refund(taxed_order, (0, 2, False), key="form-2")

    assert first.amount + rest.amount == Decimal("59.37")
    assert sum(r.lines.get().tax_amount for r in (first, rest)) == Decimal("4.40")


def test_the_shipping_is_refunded_once(taxed_order):
    refund = _refund(taxed_order, (0, 1, False), refund_shipping=True)
    assert (refund.shipping_amount, refund.amount) == (Decimal("4.95"), Decimal("24.74"))

    with pytest.raises(DomainError, match="shipping of order .* was refunded already"):
        _refund(taxed_order, (0, 1, False), key="form-2", refund_shipping=True)
    assert _refunded(taxed_order) == Decimal("24.74")


def test_restocked_units_go_back_on_the_shelf_through_the_ledger(delivered_order):
    # Given a delivered order; 2 of its 3 × 20.00 units come back
    order = delivered_order()
    line = _lines(order)[0]
    on_hand = StockLevel.objects.get(product_id=line.product_id).on_hand

    # When finance refunds them and puts them back in stock
    refund = _refund(order, (0, 2, True))

    # Then the stock rose by 2 through one return_restock movement naming the refund, the ledger
    # still adds up, and the units count as returned (no return can claim them again)
    movement = StockMovement.objects.get(product_id=line.product_id, kind=MovementKind.RETURN_RESTOCK)
    assert (movement.on_hand_delta, movement.reference, movement.order_id) == (2, refund.number, order.pk)
    assert StockLevel.objects.get(product_id=line.product_id).on_hand == on_hand + 2
    assert ledger_drift() == []
    assert OrderLine.objects.get(pk=line.pk).quantity_returned == 2


def test_units_refunded_without_restock_leave_the_stock_alone(delivered_order):
    order = delivered_order()
    line = _lines(order)[1]
    _refund(order, (1, 1, False))
    assert not StockMovement.objects.filter(product_id=line.product_id, kind=MovementKind.RETURN_RESTOCK).exists()
    assert OrderLine.objects.get(pk=line.pk).quantity_returned == 0


def test_a_refund_writes_one_timeline_event_naming_its_lines(delivered_order):
    order = delivered_order()
    refund = _refund(order, (0, 2, True), (1, 1, False), reason="Arrived late")
    events = OrderEvent.objects.filter(order=order, data__refund=refund.number)
    assert events.count() == 1
    event = events.get()
    assert event.type == OrderEventType.PAYMENT
    assert "2 × " in event.message and "(back in stock)" in event.message and "Arrived late" in event.message
    assert [line["quantity"] for line in event.data["lines"]] == [2, 1]


def test_more_than_is_left_is_refused_and_changes_nothing(delivered_order):
    order = delivered_order()
    _refund(order, (0, 2, False), key="form-1")
    before = (Refund.objects.count(), _refunded(order))

    with pytest.raises(DomainError, match=r"at most 1 can be refunded .*2 refunded or in returns.*not 2"):
        _refund(order, (0, 2, False), key="form-2")

    assert (Refund.objects.count(), _refunded(order)) == before


def test_units_already_refunded_by_a_return_are_not_refunded_again(delivered_order):
    order = delivered_order()
    rma = services.return_request_create(actor=None, order=order,
                                         lines=line_inputs(order, (1, 1, ReturnReason.NO_LONGER_NEEDED)))
    services.return_approve(actor=None, return_request=rma)
    services.return_receive(actor=None, return_request=rma, quantities={rma.lines.get().pk: 1})
    services.return_inspect(actor=None, return_request=rma, decisions={
        rma.lines.get().pk: services.InspectionDecision(InspectionOutcome.RESTOCK)})
    services.return_refund(actor=None, return_request=rma)

    assert refundable_quantities(order, _lines(order)) == {_lines(order)[0].pk: 3, _lines(order)[1].pk: 0}
    with pytest.raises(DomainError, match="at most 0 can be refunded"):
        _refund(order, (1, 1, False))


def test_units_a_return_expects_back_are_left_to_the_return(delivered_order):
    order = delivered_order()
    services.return_request_create(actor=None, order=order,
                                   lines=line_inputs(order, (0, 2, ReturnReason.NO_LONGER_NEEDED)))
    with pytest.raises(DomainError, match="at most 1 can be refunded"):
        _refund(order, (0, 2, False))


def test_units_refunded_and_kept_by_the_customer_cannot_be_returned_for_money_again(delivered_order):
    order = delivered_order()
    _refund(order, (0, 2, False), reason="Scratched; the customer keeps them")
    with pytest.raises(DomainError, match="at most 1 can be returned .*2 refunded and kept"):
        services.return_request_create(actor=None, order=order,
                                       lines=line_inputs(order, (0, 2, ReturnReason.NO_LONGER_NEEDED)))


def test_a_refund_of_no_units_is_refused(delivered_order):
    order = delivered_order()
    with pytest.raises(DomainError, match="Choose at least one unit"):
        _refund(order)
    with pytest.raises(DomainError, match="Choose at least one unit"):
        _refund(order, (0, 0, False), refund_shipping=True)
    assert not Refund.objects.exists()


@pytest.mark.parametrize("quantity", [-1, 1.5, "2", True])
def test_a_quantity_that_is_not_a_whole_number_of_units_is_refused(delivered_order, quantity):
    order = delivered_order()
    with pytest.raises(DomainError, match="whole numbers"):
        _refund(order, (0, quantity, False))
    assert not Refund.objects.exists()


def test_a_line_of_another_order_is_refused(delivered_order):
    order, other = delivered_order(), delivered_order()
    with pytest.raises(DomainError, match=f"is not part of order {order.number}"):
        services.refund_issue(actor=None, order=order, request_key="form-1", lines=[
            RefundLineInput(order_line_id=_lines(other)[0].pk, quantity=1)])
    assert _refunded(other) == 0 and not Refund.objects.exists()


def test_unshipped_units_of_a_live_order_are_not_refunded_by_line(place_order, ship):
    """They still ship, or an order change cancels them (and settles the money)."""
    order = place_order(products=[ProductFactory(unit_price=Decimal("10.00"), tax_class="zero")], quantities=[3])
    order = ship(order, {_lines(order)[0].pk: 1})
    assert order.status == OrderStatus.PARTIALLY_SHIPPED
    with pytest.raises(DomainError, match="at most 1 can be refunded"):
        _refund(order, (0, 2, False))
    assert _refund(order, (0, 1, True)).status == RefundStatus.SUCCEEDED


def test_a_cancelled_order_has_nothing_to_restock_but_its_money_can_be_refunded(place_order):
    # Given a wire order paid in full, then cancelled before anything shipped (its settlement still queued)
    order = place_order(method=PaymentMethod.WIRE, card=None,
                        products=[ProductFactory(unit_price=Decimal("30.00"), tax_class="zero")], quantities=[2])
    payment_record_manual(actor=None, order=order, amount=order.total, currency=order.currency)
    order = order_cancel(actor=None, order=order, reason="Customer changed their mind")
    movements = StockMovement.objects.count()

    # When finance refunds a unit and ticks "put back in stock", it is refused: nothing shipped, nothing comes back
    with pytest.raises(DomainError, match="has nothing to restock"):
        _refund(order, (0, 1, True), key="form-1")
    assert not Refund.objects.exists()

    # Without restocking the cancelled units are refunded, and the stock is left alone
    refund = _refund(order, (0, 2, False), key="form-2")
    assert refund.status == RefundStatus.SUCCEEDED and refund.amount == Decimal("60.00")
    assert StockMovement.objects.count() == movements


def test_nothing_paid_means_nothing_to_refund(place_order, ship):
    order = ship(place_order(method=PaymentMethod.COD, card=None))
    with pytest.raises(DomainError, match="Nothing of order .* was paid"):
        _refund(order, (0, 1, False))


def test_the_same_form_submitted_twice_refunds_once(delivered_order):
    order = delivered_order()
    first = _refund(order, (0, 1, True), key="form-1")
    again = _refund(order, (0, 1, True), key="form-1")
    assert again.pk == first.pk
    assert _refunded(order) == Decimal("20.00")
    assert PaymentTransaction.objects.filter(kind=TransactionKind.REFUND).count() == 1
    assert StockMovement.objects.filter(kind=MovementKind.RETURN_RESTOCK).count() == 1


def test_the_same_form_key_on_another_order_is_refused(delivered_order):
    order, other = delivered_order(), delivered_order()
    _refund(order, (0, 1, False), key="form-1")
    with pytest.raises(DomainError, match="used for another order"):
        _refund(other, (0, 1, False), key="form-1")
    assert _refunded(other) == 0


def test_someone_without_the_refund_permission_is_refused(delivered_order, warehouse_user):
    order = delivered_order()
    with pytest.raises(NotPermitted):
        _refund(order, (0, 1, False), actor=warehouse_user)
    assert not Refund.objects.exists()


def test_a_refund_of_an_invoiced_order_is_credited_on_the_invoice(delivered_order):
    order = delivered_order()
    invoice = invoice_issue(actor=None, order=order)
    refund = _refund(order, (0, 1, False))
    note = CreditNote.objects.get(invoice=invoice)
    assert note.transaction == refund.transaction and note.amount == Decimal("20.00")


def test_the_customer_gets_one_refund_e_mail(delivered_order, run_on_commit):
    order = delivered_order()
    mail.outbox.clear()

    for _ in range(2):  # the same form, submitted twice
        run_on_commit(services.refund_issue, actor=None, order=order, request_key="form-1",
                      lines=_inputs(order, (0, 1, True), (1, 1, False)))

    assert Notification.objects.filter(order=order, kind=REFUND_ISSUED).count() == 1
    refund_mails = [m for m in mail.outbox if "refund" in m.subject.lower()]
    assert len(refund_mails) == 1 and refund_mails[0].to == [order.customer.email]
    assert "70.00" in refund_mails[0].body


class RefundDeclinedGateway(SimulatedGateway):
    def refund(self, **kwargs):
        return GatewayResult(False, reference="", error_code="card_closed", error_message="The card is closed.")


def test_a_refund_the_gateway_declines_gives_its_units_back(delivered_order, settings):
    order = delivered_order()
    settings.OMS_PAYMENT_GATEWAY = "returns.tests.test_refund_by_line.RefundDeclinedGateway"

    refund = _refund(order, (0, 2, True))

    assert refund.status == RefundStatus.FAILED and refund.failure_message == "The card is closed."
    assert refund.transaction.error_code == "card_closed"
    line = _lines(order)[0]
    assert line.quantity_returned == 0 and refundable_quantities(order, [line]) == {line.pk: 3}
    assert not StockMovement.objects.filter(kind=MovementKind.RETURN_RESTOCK).exists()
    assert _refunded(order) == 0


class RefundAnswerLostOnceGateway(SimulatedGateway):
    """The first refund reaches the provider, its answer is lost."""

    answered: set = set()

    def refund(self, **kwargs):
        result = super().refund(**kwargs)
        if kwargs["idempotency_key"] not in self.answered:
            self.answered.add(kwargs["idempotency_key"])
            raise GatewayTimeout("lost answer")
        return result


def test_a_refund_without_an_answer_stays_pending_and_the_sweep_finishes_it_once(delivered_order, settings):
    order = delivered_order()
    settings.OMS_PAYMENT_GATEWAY = "returns.tests.test_refund_by_line.RefundAnswerLostOnceGateway"
    RefundAnswerLostOnceGateway.answered = set()

    refund = _refund(order, (0, 1, True))
    assert refund.status == RefundStatus.PENDING
    assert not StockMovement.objects.filter(kind=MovementKind.RETURN_RESTOCK).exists()
    with pytest.raises(DomainError, match="at most 2"):  # its unit stays taken while it is pending
        _refund(order, (0, 3, False), key="form-2")

    Refund.objects.filter(pk=refund.pk).update(created_at=refund.created_at.replace(year=2000))
    assert refunds_settle_pending_task() == 1

    refund = Refund.objects.get(pk=refund.pk)
    assert refund.status == RefundStatus.SUCCEEDED and _refunded(order) == Decimal("20.00")
    assert StockMovement.objects.filter(kind=MovementKind.RETURN_RESTOCK).count() == 1
    assert refunds_settle_pending_task() == 0
