"""Two runs of a sweep at once (a beat tick and its follow-up, or two beat processes) do each row once:
real threads with their own connections on PostgreSQL."""

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.enums import OrderStatus
from orders.models import Order
from orders.services import orders_complete_settled
from payments.enums import InvoiceStatus
from payments.models import Invoice
from payments.services import invoice_issue, invoices_mark_overdue, payment_record_manual
from tests.concurrency import run_together
from tests.test_sweeps import ROWS, completions, delivered_on_terms, on_terms  # noqa: F401 (fixture)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_completion_sweeps_at_once_complete_each_settled_order_once(delivered_on_terms, monkeypatch):
    """Both runs fetch the same settled orders; the order lock lets one complete each, the other
    finds it completed: three completions in all, one timeline event each."""
    paid = [delivered_on_terms() for _ in range(ROWS)]
    with monkeypatch.context() as lost:
        lost.setattr("oms.tasks.dispatch_task", lambda task, kwargs: False)  # each completion task is lost
        for order in paid:
            payment_record_manual(actor=None, order=order, amount=order.total, currency=order.currency)

    results = run_together([lambda: orders_complete_settled(limit=10) for _ in range(2)])

    assert sum(results) == ROWS, results
    assert [completions(order) for order in paid] == [1] * ROWS
    assert Order.objects.filter(pk__in=[o.pk for o in paid], status=OrderStatus.COMPLETED).count() == ROWS


def test_two_overdue_sweeps_at_once_mark_each_invoice_once(place_order):
    """Both runs fetch the same invoices past due; the invoice lock and its re-check mark each once."""
    invoices = [invoice_issue(actor=None, order=on_terms(place_order)) for _ in range(ROWS)]
    Invoice.objects.filter(pk__in=[i.pk for i in invoices]).update(due_date=timezone.localdate() - timedelta(days=1))

    results = run_together([lambda: invoices_mark_overdue(limit=10) for _ in range(2)])

    assert sum(results) == ROWS, results
    assert Invoice.objects.filter(pk__in=[i.pk for i in invoices], status=InvoiceStatus.OVERDUE).count() == ROWS
