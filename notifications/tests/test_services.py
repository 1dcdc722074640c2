"""The notifications app: a request is a row written with the business change, sent once after
commit; failures wait their backoff; the sweep picks up what a lost task or a dead worker left."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from notifications.enums import NotificationStatus
from notifications.models import Notification
from notifications.services import (
    MAX_ATTEMPTS,
    notification_request,
    notification_resend,
    notification_send,
    notifications_send_due,
    retry_delay,
)
from orders.notifications import ORDER_RECEIVED
from orders.services import order_submit
from tests.factories import make_order

pytestmark = pytest.mark.django_db


def _request(order, **kwargs):
    return notification_request(kind=ORDER_RECEIVED, recipient=order.customer.email, about=order, order=order,
                                **kwargs)


def test_the_row_is_written_in_the_business_transaction_and_rolls_back_with_it(settings):
    settings.OMS_AUTO_VERIFY = False
    order = make_order()

    with pytest.raises(RuntimeError), transaction.atomic():
        order_submit(actor=None, order=order)
        assert Notification.objects.filter(order=order, kind=ORDER_RECEIVED).exists()
        raise RuntimeError("roll back")

    assert not Notification.objects.filter(order=order).exists()


def test_a_committed_change_has_its_row_even_when_its_task_is_lost(settings):
    settings.OMS_AUTO_VERIFY = False
    order = make_order()

    order_submit(actor=None, order=order)  # the test transaction never commits: no task ever runs

    row = Notification.objects.get(order=order, kind=ORDER_RECEIVED)
    assert row.status == NotificationStatus.PENDING and mail.outbox == []
    assert notifications_send_due(now=row.next_attempt_at) == 1  # the sweep finds it when its time comes
    assert Notification.objects.get(pk=row.pk).status == NotificationStatus.SENT and len(mail.outbox) == 1


def test_the_sweep_leaves_a_fresh_request_to_its_own_task():
    row = _request(make_order())

    assert notifications_send_due() == 0
    assert Notification.objects.get(pk=row.pk).status == NotificationStatus.PENDING


def test_asking_twice_records_one_message():
    order = make_order()
    assert _request(order).pk == _request(order).pk
    assert Notification.objects.filter(order=order).count() == 1


def test_nobody_to_send_to_records_nothing():
    order = make_order()
    assert notification_request(kind=ORDER_RECEIVED, recipient="  ", about=order, order=order) is None
    assert not Notification.objects.exists()


def test_a_kind_nobody_registered_is_refused_when_requested():
    with pytest.raises(LookupError, match="no_such_kind"):
        notification_request(kind="no_such_kind", recipient="a@example.com", about=make_order())


def test_a_failure_waits_its_backoff_and_is_given_up_after_the_last_attempt(monkeypatch):
    row = _request(make_order())

    def down(message):
        raise TimeoutError("SMTP did not answer")

    monkeypatch.setattr("notifications.services.message_deliver", down)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        before = timezone.now()
        with pytest.raises(TimeoutError):
            notification_send(notification_id=row.pk)
        row.refresh_from_db()
        assert row.status == NotificationStatus.FAILED and row.attempts == attempt
        assert "SMTP did not answer" in row.last_error
        if attempt < MAX_ATTEMPTS:
            assert row.next_attempt_at >= before + retry_delay(attempt)
    assert row.next_attempt_at is None  # given up: staff can resend it
    assert notifications_send_due(now=timezone.now() + timedelta(days=1)) == 0


def test_the_backoff_doubles_up_to_an_hour():
    assert [retry_delay(n) for n in (1, 2, 3, 7, 8, 20)] == [timedelta(minutes=m) for m in (1, 2, 4, 60, 60, 60)]


def test_a_row_left_sending_by_a_dead_worker_is_sent_once_its_lease_is_over():
    row = _request(make_order())
    Notification.objects.filter(pk=row.pk).update(status=NotificationStatus.SENDING,
                                                  next_attempt_at=timezone.now() + timedelta(minutes=5))
    assert notifications_send_due() == 0  # maybe still being sent

    assert notifications_send_due(now=timezone.now() + timedelta(minutes=6)) == 1
    assert Notification.objects.get(pk=row.pk).status == NotificationStatus.SENT and len(mail.outbox) == 1


def test_the_sweep_is_bounded():
    rows = [_request(make_order()) for _ in range(3)]
    later = timezone.now() + timedelta(hours=1)

    assert notifications_send_due(limit=2, now=later) == 2
    assert notifications_send_due(limit=2, now=later) == 1
    assert {r.status for r in Notification.objects.filter(pk__in=[r.pk for r in rows])} == {NotificationStatus.SENT}


def test_a_double_click_on_resend_sends_once(sales_user):
    row = _request(make_order())

    first = notification_resend(actor=sales_user, notification=row)  # its task has not run yet
    second = notification_resend(actor=sales_user, notification=row)

    assert second.pk == first.pk and first.reference == "#resend1" and first.created_by == sales_user
    assert Notification.objects.filter(reference__startswith="#resend").count() == 1


def test_a_resend_after_the_last_one_went_out_is_a_new_message(sales_user, django_capture_on_commit_callbacks):
    row = _request(make_order())
    with django_capture_on_commit_callbacks(execute=True):
        first = notification_resend(actor=sales_user, notification=row)
    with django_capture_on_commit_callbacks(execute=True):
        second = notification_resend(actor=sales_user, notification=first)

    assert (first.reference, second.reference) == ("#resend1", "#resend2")
    assert len(mail.outbox) == 2


def test_a_sent_message_is_on_the_order_timeline_with_its_subject():
    order = make_order()
    row = _request(order)
    notification_send(notification_id=row.pk)

    event = order.events.get(type="email_sent")
    assert event.message == f"E-mail sent to {order.customer.email}: We received your order {order.number}"
    assert event.data["notification"] == row.pk and not event.customer_visible


def test_the_admin_lists_messages(admin_client):
    order = make_order()
    _request(order)

    page = admin_client.get(reverse("admin:notifications_notification_changelist") + f"?q={order.number}")

    assert page.status_code == 200 and order.customer.email in page.content.decode()
