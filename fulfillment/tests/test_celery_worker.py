"""With a real Celery worker on Redis: e-mails leave after commit, exactly once, and never for
a transaction that rolled back."""

import time

import pytest
from django.core import mail
from django.db import transaction

from notifications.models import Notification
from notifications.tasks import notification_send_task
from orders import notifications as NotificationKind
from orders.enums import OrderStatus
from orders.models import Order
from orders.services import order_cancel, order_submit
from tests.factories import ProductFactory, make_order

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(settings):
    from celery.contrib.testing.worker import start_worker

    from oms.celery import app

    settings.OMS_SIMULATED_GATEWAY_DELAY = 0.01
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    app.control.purge()  # nothing left over from another run
    with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, loglevel="WARNING",
                      shutdown_timeout=10):
        yield app
    app.conf.task_always_eager = previous


def wait_for(condition, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def confirmations(order):
    return [m for m in mail.outbox if m.subject == f"Your order {order.number} is confirmed"]


def test_confirming_an_order_sends_exactly_one_confirmation_email(worker):
    order = make_order(products=[ProductFactory()])

    order_submit(actor=None, order=order)  # commits; the worker verifies it, then e-mails

    assert wait_for(lambda: len(confirmations(order)) == 1)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CONFIRMED
    notification = Notification.objects.get(order=order, kind=NotificationKind.ORDER_CONFIRMED)
    notification_send_task.delay(notification_id=notification.pk)  # a duplicate delivery of the task
    time.sleep(1.0)
    assert len(confirmations(order)) == 1
    assert wait_for(lambda: Order.objects.get(pk=order.pk).events.filter(type="email_sent").count() == 2)


def test_a_rolled_back_transaction_sends_no_email(worker):
    order = make_order(products=[ProductFactory()])
    order_submit(actor=None, order=order)
    assert wait_for(lambda: len(confirmations(order)) == 1)
    sent = len(mail.outbox)

    with pytest.raises(RuntimeError):
        with transaction.atomic():
            order_cancel(actor=None, order=Order.objects.get(pk=order.pk), reason="changed my mind")
            raise RuntimeError("roll back")
    time.sleep(1.5)

    assert len(mail.outbox) == sent
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CONFIRMED
    assert not Notification.objects.filter(order=order, kind=NotificationKind.ORDER_CANCELLED).exists()
