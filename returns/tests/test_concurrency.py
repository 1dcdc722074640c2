"""Refunds of returns never pay back more than was captured, and a return is refunded once,
even when the requests race: real threads with their own connections on PostgreSQL."""

from decimal import Decimal

import pytest

from oms.exceptions import DomainError
from payments.models import Payment, PaymentTransaction
from payments.services import payment_refund
from payments.tests.test_concurrency import SlowRefundGateway
from returns import services
from returns.enums import InspectionOutcome, ReturnReason, ReturnStatus
from returns.models import ReturnRequest
from returns.tests.conftest import line_inputs
from tests.concurrency import run_together

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
