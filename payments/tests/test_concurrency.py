"""Real concurrency on PostgreSQL: threads with their own connections, no shared transaction."""

import threading
import time
from decimal import Decimal

import pytest
from django.utils import timezone

from oms.exceptions import DomainError
from payments.gateways.simulated import SimulatedGateway
from payments.models import Invoice, Payment, PaymentTransaction
from payments.services import invoice_issue, payment_authorize, payment_capture, payment_for_order, payment_refund
from tests.concurrency import run_together
from tests.factories import ProductFactory, make_order

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class SlowRefundGateway(SimulatedGateway):
    """Holds each refund call open a moment, so concurrent requests overlap at the gateway."""

    calls = 0
    lock = threading.Lock()

    def refund(self, **kwargs):
        with SlowRefundGateway.lock:
            SlowRefundGateway.calls += 1
        time.sleep(0.2)
        return super().refund(**kwargs)


@pytest.fixture
def captured_payment(settings):
    settings.OMS_AUTO_VERIFY = False
    settings.OMS_PAYMENT_GATEWAY = "payments.tests.test_concurrency.SlowRefundGateway"
    SlowRefundGateway.calls = 0
    order = make_order(products=[ProductFactory(unit_price=Decimal("100.00"), tax_class="zero")])
    payment = payment_for_order(order=order)
    payment_authorize(actor=None, payment=payment)
    payment_capture(actor=None, payment=Payment.objects.get(pk=payment.pk))
    return Payment.objects.get(pk=payment.pk)


def test_two_concurrent_refunds_that_together_exceed_the_capture_give_one_refund(captured_payment):
    results = run_together([
        lambda key=key: payment_refund(actor=None, payment=captured_payment, amount=Decimal("60.00"),
                                       idempotency_key=key)
        for key in ("request-a", "request-b")
    ])
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refused) == 1 and "left to refund" in refused[0].message
    payment = Payment.objects.get(pk=captured_payment.pk)
    assert payment.refunded_amount == Decimal("60.00") and payment.pending_refund == 0
    assert SlowRefundGateway.calls == 1


def test_the_same_refund_requested_twice_at_once_refunds_once_with_one_gateway_call(captured_payment):
    results = run_together([
        lambda: payment_refund(actor=None, payment=captured_payment, amount=Decimal("30.00"))
        for _ in range(2)
    ])
    assert SlowRefundGateway.calls == 1
    payment = Payment.objects.get(pk=captured_payment.pk)
    assert payment.refunded_amount == Decimal("30.00")
    assert PaymentTransaction.objects.filter(payment=payment, kind="refund").count() == 1
    # The loser either saw the finished refund or was told it is in progress; neither refunded.
    assert all(not isinstance(r, Exception) or isinstance(r, DomainError) for r in results)


def test_fifty_concurrent_invoice_issues_give_fifty_consecutive_numbers(settings, monkeypatch):
    settings.OMS_AUTO_VERIFY = False
    monkeypatch.setattr("payments.services.enqueue_on_commit", lambda task, **kwargs: None)  # no e-mails here
    product = ProductFactory()
    orders = [make_order(products=[product], submit=True) for _ in range(50)]

    # the first 16 issue at the same moment, the rest as soon as a thread is free
    numbers = run_together([lambda order=order: invoice_issue(actor=None, order=order).number for order in orders],
                           workers=16)
    year = timezone.localdate().year
    assert sorted(numbers) == [f"INV-{year}-{n:06d}" for n in range(1, 51)]
    assert Invoice.objects.count() == 50
