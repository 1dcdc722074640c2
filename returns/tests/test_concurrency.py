"""Refunds of returns never pay back more than was captured, a return is refunded once, and a
line's unit is refunded by line once, even when the requests race: real threads with their own
connections on PostgreSQL."""

from decimal import Decimal

import pytest

from inventory.models import StockMovement
from oms.exceptions import DomainError
from oms.roles import FINANCE
from payments.models import Payment, PaymentTransaction
from payments.services import payment_refund
from payments.tests.test_concurrency import SlowRefundGateway
from returns import services
from returns.enums import InspectionOutcome, RefundStatus, ReturnReason, ReturnStatus
from returns.models import Refund, ReturnRequest
from returns.tests.conftest import line_inputs
from tests.concurrency import run_together
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def slow_refunds(settings):
    settings.OMS_PAYMENT_GATEWAY = "payments.tests.test_concurrency.SlowRefundGateway"
    SlowRefundGateway.calls = 0


def _inspected(order, *specs) -> ReturnRequest:
    rma = services.return_request_create(actor=None, order=order, lines=line_inputs(order, *specs))
    services.return_approve(actor=None, return_request=rma)
    services.return_receive(actor=None, return_request=rma,
                            quantities={line.pk: line.quantity for line in rma.lines.all()})
    return services.return_inspect(actor=None, return_request=rma, decisions={
        line.pk: services.InspectionDecision(InspectionOutcome.SCRAP) for line in rma.lines.all()})


def test_the_same_return_refunded_twice_at_once_is_refunded_once(delivered_order, slow_refunds):
    # Given an inspected return of one unit at 20.00 (and the 5.00 shipping: it arrived damaged)
    order = delivered_order()
    rma = _inspected(order, (0, 1, ReturnReason.DAMAGED))

    # When two finance clerks press Refund at the same moment
    results = run_together([lambda: services.return_refund(actor=None, return_request=rma) for _ in range(2)])

    # Then one refund went through, the other was told it is already in progress (or done)
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refused) == 1, results
    assert "already in progress" in refused[0].message or "cannot be refunded" in refused[0].message
    assert ReturnRequest.objects.get(pk=rma.pk).status == ReturnStatus.REFUNDED
    payment = Payment.objects.get(order=order)
    assert payment.refunded_amount == Decimal("25.00") and payment.pending_refund == 0
    assert SlowRefundGateway.calls == 1
    assert PaymentTransaction.objects.filter(payment=payment, kind="refund").count() == 1


def test_two_returns_refunded_at_once_never_give_back_more_than_was_captured(delivered_order, slow_refunds):
    # Given a paid order (115.00 captured) of which 60.00 was already refunded by hand,
    order = delivered_order()
    payment = Payment.objects.get(order=order)
    payment_refund(actor=None, payment=payment, amount=Decimal("60.00"), reason="Goodwill",
                   idempotency_key="goodwill")
    # and two returns worth 40.00 (2 × 20.00) and 50.00: together more than the 55.00 left
    first = _inspected(order, (0, 2, ReturnReason.NO_LONGER_NEEDED))
    second = _inspected(order, (1, 1, ReturnReason.NO_LONGER_NEEDED))
    SlowRefundGateway.calls = 0

    # When both are refunded at the same moment
    results = run_together([lambda rma=rma: services.return_refund(actor=None, return_request=rma)
                            for rma in (first, second)])

    # Then exactly one is refunded; the other is refused, stays inspected and can be settled otherwise
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refused) == 1 and "left to refund" in refused[0].message, results
    payment = Payment.objects.get(pk=payment.pk)
    assert payment.refunded_amount <= payment.captured_amount
    assert payment.refunded_amount in (Decimal("100.00"), Decimal("110.00")) and payment.pending_refund == 0
    statuses = sorted(ReturnRequest.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", "refund_key"))
    assert [s for s, _ in statuses] == [ReturnStatus.INSPECTED, ReturnStatus.REFUNDED]
    assert statuses[0][1] == ""  # the refused one is free to be refunded again (for less) or exchanged
    assert SlowRefundGateway.calls == 1


def test_two_returns_of_the_same_units_filed_at_once_accept_only_one(delivered_order):
    # Given a delivered line of 3 units
    order = delivered_order()

    # When two clerks file a return of 2 of them at the same moment
    results = run_together([
        lambda: services.return_request_create(actor=None, order=order,
                                               lines=line_inputs(order, (0, 2, ReturnReason.DAMAGED)))
        for _ in range(2)])

    # Then one return holds the 2 units and the other is refused: only 1 is left
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refused) == 1 and "at most 1 can be returned" in refused[0].message, results
    assert ReturnRequest.objects.filter(order=order).count() == 1


def _refund_last_unit(order, key: str, actor):
    line = order.lines.order_by("position", "pk").last()  # 1 × 50.00, delivered
    return lambda: services.refund_issue(actor=actor, order=order, request_key=key, reason="Broken", lines=[
        services.RefundLineInput(order_line_id=line.pk, quantity=1, restock=True)])


def test_two_finance_users_refunding_a_lines_last_unit_at_once_refund_it_once(delivered_order, slow_refunds):
    """Both claims lock the order: the second sees the unit taken by the first and is refused, so the
    customer is paid once, the unit is restocked once and counted as returned once."""
    order = delivered_order()
    fiona, fred = UserFactory(username="fiona", role=FINANCE), UserFactory(username="fred", role=FINANCE)

    results = run_together([_refund_last_unit(order, "fiona-form", fiona), _refund_last_unit(order, "fred-form", fred)])

    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refused) == 1 and "at most 0 can be refunded" in refused[0].message, results
    assert [r.status for r in results if isinstance(r, Refund)] == [RefundStatus.SUCCEEDED]
    assert Refund.objects.count() == 1
    assert Payment.objects.get(order=order).refunded_amount == Decimal("50.00")
    assert SlowRefundGateway.calls == 1
    line = order.lines.order_by("position", "pk").last()
    line.refresh_from_db()
    assert line.quantity_returned == 1
    assert StockMovement.objects.filter(order=order, kind="return_restock").count() == 1


def test_the_same_refund_form_submitted_twice_at_once_refunds_once(delivered_order, slow_refunds):
    """A double click sends the same request key twice: one refund row, one gateway call, one payment
    transaction; the second request answers with the same refund (still with the gateway, or done)."""
    order = delivered_order()

    results = run_together([_refund_last_unit(order, "one-form", None) for _ in range(2)])

    assert all(isinstance(r, Refund) for r in results), results
    assert {r.pk for r in results} == {Refund.objects.get().pk}
    assert Payment.objects.get(order=order).refunded_amount == Decimal("50.00")
    assert PaymentTransaction.objects.filter(payment__order=order, kind="refund").count() == 1
    assert SlowRefundGateway.calls == 1
