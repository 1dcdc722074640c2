"""The move of fulfillment's customer e-mails and returns' e-mail claims into the notifications
table keeps every row: rolled back to the old tables, filled, and migrated forward again."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from notifications.models import Notification
from returns.enums import ReturnReason
from returns.services import return_request_create
from returns.tests.conftest import _returns_test_settings, delivered_order  # noqa: F401
from returns.tests.conftest import line_inputs

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("fulfillment", "0001_initial"), ("returns", "0001_initial")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


def test_old_notification_and_return_email_rows_are_copied_then_the_old_tables_dropped(delivered_order):
    order = delivered_order()
    rma = return_request_create(actor=None, order=order, lines=line_inputs(order, (0, 1, ReturnReason.DAMAGED)))
    Notification.objects.all().delete()
    leaf = MigrationExecutor(connection).loader.graph.leaf_nodes()
    sent_at = timezone.now()

    old = _migrate(BEFORE)
    try:
        OldNotification = old.get_model("fulfillment", "Notification")
        ReturnEmail = old.get_model("returns", "ReturnEmail")
        OldNotification.objects.create(order_id=order.pk, kind="order_shipped", reference="SH-000001", status="sent",
                                       recipient=order.customer.email, subject="Your order is on its way",
                                       attempts=1, sent_at=sent_at)
        OldNotification.objects.create(order_id=order.pk, kind="order_confirmed", status="failed",
                                       recipient=order.customer.email, attempts=2, last_error="SMTP down")
        ReturnEmail.objects.create(return_request_id=rma.pk, kind="approved", to=order.customer.email)
    finally:
        _migrate(leaf)

    copied = {n.kind: n for n in Notification.objects.all()}
    assert set(copied) == {"order_shipped", "order_confirmed", "return_approved"}
    shipped = copied["order_shipped"]
    assert (shipped.about_type, shipped.about_id, shipped.order_id, shipped.reference, shipped.status,
            shipped.attempts, shipped.subject, shipped.next_attempt_at) == (
        "orders.order", str(order.pk), order.pk, "SH-000001", "sent", 1, "Your order is on its way", None)
    assert shipped.sent_at == sent_at
    failed = copied["order_confirmed"]
    assert failed.status == "failed" and failed.last_error == "SMTP down" and failed.next_attempt_at is not None
    approved = copied["return_approved"]
    assert (approved.about_type, approved.about_id, approved.order_id, approved.status, approved.recipient) == (
        "returns.returnrequest", str(rma.pk), order.pk, "sent", order.customer.email)
    tables = connection.introspection.table_names()
    assert "fulfillment_notification" not in tables and "returns_returnemail" not in tables
