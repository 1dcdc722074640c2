"""The periodic sweeps are bounded: each run takes at most its batch, over an index of the rows still
needing work (so its cost follows the open work, not the history), and the next run picks up the rest."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fulfillment.models import Shipment
from fulfillment.services import shipments_flag_late
from orders.enums import OrderEventType, OrderStatus
from orders.models import Order
from orders.services import order_deliver, orders_complete_settled
from orders.tasks import orders_complete_settled_sweep, orders_verify_stalled
from payments.enums import InvoiceStatus, PaymentMethod, TransactionOutcome
from payments.models import Invoice, PaymentTransaction
from payments.services import invoice_issue, invoices_mark_overdue, payment_record_manual
from notifications.services import notifications_send_due
from oms.tasks import redispatch_deferred_tasks
from payments.tasks import (
    invoices_mark_overdue_task,
    payment_transactions_expire_stale_task,
    payments_retry_unknown_task,
)
from returns.tasks import refunds_settle_pending_task
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

ROWS = 3
BATCH = 2


def on_terms(place_order, **kwargs):
    return place_order(method=PaymentMethod.TERMS, card=None,
                       customer=CustomerFactory(credit_limit=Decimal("10000")), **kwargs)


@pytest.fixture
def delivered_on_terms(place_order, ship, django_capture_on_commit_callbacks):
    """Delivered and invoiced, not yet paid."""
    def _make() -> Order:
        order = ship(on_terms(place_order))
        with django_capture_on_commit_callbacks(execute=True):
            order_deliver(actor=None, order=order)
        return Order.objects.get(pk=order.pk)

    return _make


def completions(order) -> int:
    return order.events.filter(type=OrderEventType.STATUS_CHANGED, to_status=OrderStatus.COMPLETED).count()


def test_the_completion_sweep_completes_a_batch_a_run_and_an_unpaid_order_never_holds_it_up(delivered_on_terms):
    """The oldest delivered order is unpaid: were the batch the oldest delivered orders, it would be
    fetched every run. Only settled orders are fetched, so three paid ones finish in two runs of two,
    each completed once, and the unpaid one stays delivered."""
    unpaid = delivered_on_terms()
    paid = [delivered_on_terms() for _ in range(ROWS)]
    for order in paid:
        payment_record_manual(actor=None, order=order, amount=order.total, currency=order.currency)  # task lost

    assert [orders_complete_settled(limit=BATCH) for _ in range(3)] == [BATCH, ROWS - BATCH, 0]

    assert [completions(order) for order in paid] == [1] * ROWS
    assert Order.objects.get(pk=unpaid.pk).status == OrderStatus.DELIVERED


def test_an_hourly_sweep_that_fills_its_batch_runs_once_more_and_no_further(delivered_on_terms):
    """Five settled orders, a batch of two: the beat's run and its one follow-up complete four; the
    fifth waits for the next hour rather than a chain of runs."""
    paid = [delivered_on_terms() for _ in range(5)]
    for order in paid:
        payment_record_manual(actor=None, order=order, amount=order.total, currency=order.currency)

    orders_complete_settled_sweep(limit=BATCH)

    assert Order.objects.filter(pk__in=[o.pk for o in paid], status=OrderStatus.COMPLETED).count() == 2 * BATCH


def test_the_overdue_task_runs_once_more_when_its_batch_was_full(place_order):
    """Three invoices past due, a batch of two: the beat's run marks two, its follow-up the third."""
    invoices = [invoice_issue(actor=None, order=on_terms(place_order)) for _ in range(ROWS)]
    Invoice.objects.filter(pk__in=[i.pk for i in invoices]).update(due_date=timezone.localdate() - timedelta(days=1))

    assert invoices_mark_overdue_task(limit=BATCH) == BATCH
    assert Invoice.objects.filter(pk__in=[i.pk for i in invoices], status=InvoiceStatus.OVERDUE).count() == ROWS


def test_a_completion_sweep_with_nothing_settled_is_one_query(delivered_on_terms, django_assert_num_queries):
    """However many delivered orders wait for their money, an idle run reads none of them."""
    delivered_on_terms()
    with django_assert_num_queries(1):
        assert orders_complete_settled(limit=BATCH) == 0


def test_the_overdue_sweep_marks_a_batch_a_run_oldest_due_first(place_order):
    """Three invoices past due, a batch of two: two runs mark all three, each once, oldest due first."""
    invoices = [invoice_issue(actor=None, order=on_terms(place_order)) for _ in range(ROWS)]
    for days, invoice in enumerate(invoices, start=1):
        Invoice.objects.filter(pk=invoice.pk).update(due_date=timezone.localdate() - timedelta(days=days))

    assert invoices_mark_overdue(limit=BATCH) == BATCH
    assert Invoice.objects.get(pk=invoices[0].pk).status == InvoiceStatus.OPEN  # due most recently: waits
    assert [invoices_mark_overdue(limit=BATCH) for _ in range(2)] == [ROWS - BATCH, 0]
    assert set(Invoice.objects.filter(pk__in=[i.pk for i in invoices]).values_list("status", flat=True)) == {
        InvoiceStatus.OVERDUE}


def test_the_late_shipment_sweep_flags_a_batch_a_run(place_order, ship):
    """Three shipments past their promise, a batch of two: two runs flag all three."""
    orders = [ship(place_order()) for _ in range(ROWS)]
    Order.objects.filter(pk__in=[o.pk for o in orders]).update(deliver_by=timezone.now() - timedelta(minutes=1))

    assert [shipments_flag_late(limit=BATCH) for _ in range(3)] == [BATCH, ROWS - BATCH, 0]
    assert Shipment.objects.filter(order__in=orders, deliver_by_breached=True).count() == ROWS


def test_the_stale_call_sweep_expires_a_batch_a_run(place_order):
    """Three gateway calls left in flight by a dead worker, a batch of two: two runs expire all three."""
    orders = [place_order() for _ in range(ROWS)]
    PaymentTransaction.objects.filter(payment__order__in=orders).update(
        outcome=TransactionOutcome.PENDING, created_at=timezone.now() - timedelta(hours=1))

    assert [payment_transactions_expire_stale_task(limit=BATCH) for _ in range(3)] == [BATCH, ROWS - BATCH, 0]
    assert PaymentTransaction.objects.filter(payment__order__in=orders, outcome=TransactionOutcome.UNKNOWN).count() \
        == ROWS


SWEEPS = {
    "completion": (lambda: orders_complete_settled(limit=BATCH), "order_delivered_open_idx", "orders_order"),
    "lost verification": (lambda: orders_verify_stalled(limit=BATCH), "order_placed_unverified_idx", "orders_order"),
    "overdue invoices": (lambda: invoices_mark_overdue(limit=BATCH), "invoice_status_due_idx", "payments_invoice"),
    "late shipments": (lambda: shipments_flag_late(limit=BATCH), "shipment_on_the_way_idx", "fulfillment_shipment"),
    "stale calls": (lambda: payment_transactions_expire_stale_task(limit=BATCH), "paymenttxn_unfinished_idx",
                    "payments_paymenttransaction"),
    "unanswered calls": (lambda: payments_retry_unknown_task(limit=BATCH), "paymenttxn_unfinished_idx",
                         "payments_paymenttransaction"),
    "pending refunds": (lambda: refunds_settle_pending_task(limit=BATCH), "refund_status_created_idx",
                        "returns_refund"),
    "due messages": (lambda: notifications_send_due(limit=BATCH), "notification_due", "notifications_notification"),
    "outbox": (lambda: redispatch_deferred_tasks(limit=BATCH), "oms_deferre_dispatc_ab5150_idx", "oms_deferredtask"),
}


@pytest.mark.parametrize("name", SWEEPS)
def test_each_sweep_is_one_query_when_idle_and_reads_its_table_through_its_index(name):
    """The sweep's own SQL, captured as it runs and explained on PostgreSQL with sequential scans
    priced out (the test tables are small): its big table is read through the index that serves
    its filter and order, never scanned whole."""
    sweep, index, table = SWEEPS[name]
    with CaptureQueriesContext(connection) as run:
        sweep()
    statements = [q["sql"] for q in run.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(statements) == 1
    if connection.vendor != "postgresql":
        pytest.skip("query plans are PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + statements[0])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan
    assert f"Seq Scan on {table}" not in plan


HISTORY = 50_000


def fill_order_history(count: int) -> None:
    """`count` orders as a year of trading leaves them: nearly all completed, one in two hundred
    delivered and waiting for its money, one in two hundred placed (the bench's fill, shortened)."""
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO orders_customer (name, email, phone, company, on_hold, hold_note, created_at) "
                       "VALUES ('History', 'history@example.com', '', '', false, '', now()) RETURNING id")
        customer_id = cursor.fetchone()[0]
        cursor.execute(
            """
            INSERT INTO orders_order (number, channel, external_reference, customer_id, status, priority,
                payment_method, currency, customer_note, internal_note, subtotal, discount_total, shipping_total,
                tax_total, total, created_at, updated_at, placed_at, delivered_at, ship_by, hold_reason,
                cancel_reason, tracking_token,
                ship_name, ship_company, ship_line1, ship_line2, ship_city, ship_region, ship_postal_code,
                ship_country, ship_phone, bill_name, bill_company, bill_line1, bill_line2, bill_city,
                bill_region, bill_postal_code, bill_country, bill_phone)
            SELECT 'HS-' || lpad(g::text, 9, '0'), 'web', '', %s,
                CASE mod(g, 200) WHEN 0 THEN 'delivered' WHEN 1 THEN 'placed' ELSE 'completed' END, 'standard',
                'card', 'USD', '', '', 100, 0, 0, 8, 108, now() - (g || ' minutes')::interval, now(),
                now() - (g || ' minutes')::interval,
                CASE WHEN mod(g, 200) = 1 THEN NULL ELSE now() - (g || ' minutes')::interval + interval '3 days' END,
                now() - (g || ' minutes')::interval + interval '2 days', '', '', md5(g::text),
                'N', '', 'L1', '', 'City', '', '12345', 'US', '', 'N', '', 'L1', '', 'City', '', '12345', 'US', ''
            FROM generate_series(1, %s) g
            """, [customer_id, count])
        cursor.execute("ANALYZE orders_order")


def test_the_order_sweeps_never_scan_a_long_order_history(monkeypatch):
    """At fifty thousand orders, as the planner really prices them (no setting forced), the completion
    and lost-verification sweeps read the few orders waiting on them through their partial indexes
    and never scan the orders table."""
    if connection.vendor != "postgresql":
        pytest.skip("query plans are PostgreSQL's")
    monkeypatch.setattr("orders.tasks.dispatch_task", lambda task, kwargs: True)  # plan only, verify none
    fill_order_history(HISTORY)

    for name in ("completion", "lost verification"):
        sweep, index, table = SWEEPS[name]
        with CaptureQueriesContext(connection) as run:
            sweep()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + run.captured_queries[0]["sql"])
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert index in plan, plan
        assert f"Seq Scan on {table}" not in plan, plan
