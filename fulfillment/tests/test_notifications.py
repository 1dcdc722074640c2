"""Customer e-mails: one per event, after commit only, recorded on the timeline, resendable."""

import pytest
from django.core import mail
from django.db import transaction

from fulfillment.notifications import ORDER_SHIPPED
from notifications import services
from notifications.enums import NotificationStatus
from notifications.models import Notification
from notifications.tasks import notification_send_task
from orders import notifications as NotificationKind
from orders.enums import OrderEventType
from orders.services import order_cancel, order_notify
from tests.factories import make_order

pytestmark = pytest.mark.django_db


def test_placing_an_order_sends_the_received_and_confirmed_emails_once(place):
    order = place()

    kinds = [n.kind for n in Notification.objects.filter(order=order).order_by("pk")]
    assert kinds == [NotificationKind.ORDER_RECEIVED, NotificationKind.ORDER_CONFIRMED]
    assert [m.to for m in mail.outbox] == [[order.customer.email]] * 2
    confirmed = mail.outbox[1]
    assert order.number in confirmed.subject and "confirmed" in confirmed.subject
    assert order.tracking_token in confirmed.body
    html, mimetype = confirmed.alternatives[0]
    assert mimetype == "text/html" and order.number in html
    event = order.events.filter(type=OrderEventType.EMAIL_SENT).last()
    assert "confirmed" in event.message and not event.customer_visible


def test_running_the_send_task_twice_sends_one_email(place):
    order = place()
    notification = Notification.objects.get(order=order, kind=NotificationKind.ORDER_CONFIRMED)
    sent_before = len(mail.outbox)

    assert notification_send_task.apply(kwargs={"notification_id": notification.pk}).get() == "already sent"
    order_notify(order=order, kind=NotificationKind.ORDER_CONFIRMED)

    assert len(mail.outbox) == sent_before
    assert Notification.objects.filter(order=order, kind=NotificationKind.ORDER_CONFIRMED).count() == 1


def test_a_rolled_back_change_sends_nothing(place, django_capture_on_commit_callbacks):
    order = place()
    sent_before = len(mail.outbox)

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                order_cancel(actor=None, order=order, reason="test")
                raise RuntimeError("roll back")

    assert len(mail.outbox) == sent_before
    assert not Notification.objects.filter(order=order, kind=NotificationKind.ORDER_CANCELLED).exists()


def test_a_cancelled_order_gets_a_cancellation_email(place, django_capture_on_commit_callbacks):
    order = place()
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(actor=None, order=order, reason="Customer asked")

    assert mail.outbox[-1].subject == f"Your order {order.number} was cancelled"


def test_a_shipment_email_carries_the_tracking_number_and_link(shipped):
    order, shipment = shipped()

    message = next(m for m in mail.outbox if "on its way" in m.subject)
    assert shipment.tracking_number in message.body and shipment.tracking_url in message.body
    assert Notification.objects.get(order=order, kind=ORDER_SHIPPED).reference == shipment.number


def test_a_refund_sends_a_refund_email(shipped, django_capture_on_commit_callbacks):
    from payments.selectors import order_payment
    from payments.services import payment_refund

    order, _ = shipped()
    with django_capture_on_commit_callbacks(execute=True):
        payment_refund(actor=None, payment=order_payment(order), amount="5.00", reason="Scratched")

    message = mail.outbox[-1]
    assert message.subject == f"A refund for your order {order.number}" and "5.00" in message.body


def test_a_failed_send_is_retried_and_then_sent_once(place, monkeypatch):
    order = make_order()
    notification = order_notify(order=order, kind=NotificationKind.ORDER_RECEIVED)
    calls = {"n": 0}

    def flaky(message):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("SMTP down")
        message.send()

    monkeypatch.setattr("notifications.services.message_deliver", flaky)
    with pytest.raises(ConnectionError):
        services.notification_send(notification_id=notification.pk)
    assert Notification.objects.get(pk=notification.pk).status == NotificationStatus.FAILED

    assert services.notification_send(notification_id=notification.pk) is True
    assert services.notification_send(notification_id=notification.pk) is False
    row = Notification.objects.get(pk=notification.pk)
    assert row.status == NotificationStatus.SENT and row.attempts == 2 and len(mail.outbox) == 1


def test_staff_can_resend_an_email(place, django_capture_on_commit_callbacks, sales_user):
    order = place()
    first = Notification.objects.get(order=order, kind=NotificationKind.ORDER_CONFIRMED)
    sent_before = len(mail.outbox)

    with django_capture_on_commit_callbacks(execute=True):
        again = services.notification_resend(actor=sales_user, notification=first)

    assert again.pk != first.pk and again.reference == "#resend1"
    assert len(mail.outbox) == sent_before + 1 and "confirmed" in mail.outbox[-1].subject


def test_the_sweep_sends_an_email_whose_task_was_lost(db):
    from datetime import timedelta

    from django.utils import timezone

    from notifications.tasks import notifications_send_due_task

    order = make_order()
    lost = order_notify(order=order, kind=NotificationKind.ORDER_RECEIVED)  # its task never ran
    Notification.objects.filter(pk=lost.pk).update(status=NotificationStatus.SENDING,
                                                   next_attempt_at=timezone.now() - timedelta(hours=1))

    assert notifications_send_due_task() == 1

    assert Notification.objects.get(pk=lost.pk).status == NotificationStatus.SENT and len(mail.outbox) == 1
    assert notifications_send_due_task() == 0
