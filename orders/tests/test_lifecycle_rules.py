"""Lifecycle rules that belong to orders: money movements reach the timeline in the same
transaction, and a delivered order completes once payments says it is invoiced and paid."""

from decimal import Decimal

import pytest
from django.db import transaction

from orders.enums import OrderEventType, OrderStatus
from orders.models import Order
from orders.services import order_deliver
from payments.enums import PaymentMethod
from payments.models import Payment
from payments.services import payment_record_manual
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivered_on_terms(place_order, ship, django_capture_on_commit_callbacks):
    def _make() -> Order:
        order = ship(place_order(method=PaymentMethod.TERMS, card=None,
                                 customer=CustomerFactory(credit_limit=Decimal("10000"))))
        with django_capture_on_commit_callbacks(execute=True):
            order_deliver(actor=None, order=order)
        return Order.objects.get(pk=order.pk)

    return _make


def test_a_payment_is_on_the_timeline_without_waiting_for_the_commit(delivered_on_terms):
    order = delivered_on_terms()

    payment_record_manual(actor=None, order=order, amount="1.00", currency=order.currency)  # no on-commit run

    assert order.events.filter(type=OrderEventType.PAYMENT, message__contains="1.00").exists()


def test_a_payment_rolled_back_leaves_no_timeline_row(delivered_on_terms):
    order = delivered_on_terms()

    with pytest.raises(RuntimeError), transaction.atomic():
        payment_record_manual(actor=None, order=order, amount="1.00", currency=order.currency)
        raise RuntimeError("roll back")

    assert not order.events.filter(type=OrderEventType.PAYMENT, message__contains="1.00").exists()
    assert Payment.objects.get(order=order).captured_amount == 0


def test_a_delivered_order_completes_when_the_money_comes_in(delivered_on_terms, django_capture_on_commit_callbacks):
    order = delivered_on_terms()
    assert order.status == OrderStatus.DELIVERED  # invoiced, not paid

    with django_capture_on_commit_callbacks(execute=True):
        payment_record_manual(actor=None, order=order, amount=order.total, currency=order.currency)

    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED and order.completed_at
