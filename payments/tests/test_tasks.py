from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from payments.enums import InvoiceStatus, OrderPaymentStatus, PaymentMethod, TransactionOutcome
from payments.models import Invoice, Payment, PaymentTransaction
from payments.selectors import payment_statuses_for
from payments.services import invoice_issue, payment_authorize, payment_details_set
from payments.tasks import (
    invoices_mark_overdue_task,
    payment_transactions_expire_stale_task,
    payments_retry_unknown_task,
)
from payments.tests.conftest import SLOW
from tests.factories import CustomerFactory, make_order

pytestmark = pytest.mark.django_db


def test_the_overdue_sweep_marks_invoices_past_due(place_order):
    order = place_order(method=PaymentMethod.TERMS, customer=CustomerFactory(credit_limit=Decimal("1000")))
    invoice = invoice_issue(actor=None, order=order)
    Invoice.objects.filter(pk=invoice.pk).update(due_date=timezone.localdate() - timedelta(days=1))
    assert invoices_mark_overdue_task() == 1
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.OVERDUE


def test_calls_left_in_flight_become_unknown_and_the_retry_sweep_completes_them():
    payment = payment_details_set(actor=None, order=make_order(), card_number=SLOW)
    row = payment_authorize(actor=None, payment=payment)  # times out: unknown
    PaymentTransaction.objects.filter(pk=row.pk).update(outcome=TransactionOutcome.PENDING,
                                                        created_at=timezone.now() - timedelta(hours=1))
    assert payment_transactions_expire_stale_task() == 1
    assert payments_retry_unknown_task() == 1
    assert PaymentTransaction.objects.get(pk=row.pk).outcome == TransactionOutcome.SUCCEEDED
    assert Payment.objects.get(pk=payment.pk).status == "authorized"


def test_payment_statuses_of_many_orders_take_one_query(place_order, django_assert_num_queries):
    orders = [place_order(), place_order(method=PaymentMethod.WIRE)]
    with django_assert_num_queries(1):
        statuses = payment_statuses_for(orders)
    assert statuses == {orders[0].pk: OrderPaymentStatus.AUTHORIZED, orders[1].pk: OrderPaymentStatus.UNPAID}
