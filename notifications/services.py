"""Notifications own every message the system sends: the request (a row, written in the
caller's transaction, unique per channel, recipient, kind, object and reference), its
rendering from `notifications/<kind>.txt` / `.html`, sending once after commit, retries
with backoff and the staff resend. It calls no other app: what a kind needs is
registered by the app that owns it (`notifications.registry`), and a sent message is
announced with `notifications.signals.notification_sent`.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Model
from django.template import Context, Template
from django.template.loader import render_to_string
from django.utils import timezone

from notifications.enums import UNFINISHED_STATUSES, NotificationChannel, NotificationStatus
from notifications.models import UNIQUE_FIELDS, Notification
from notifications.registry import kind_get
from notifications.signals import notification_sent
from oms.actors import user_or_none
from oms.tasks import dispatch_task, enqueue_on_commit

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
SENDING_LEASE = timedelta(minutes=10)  # a row "sending" longer than this was left by a dead worker


def retry_delay(attempts: int) -> timedelta:
    """Backoff after the `attempts`-th failure: 1, 2, 4, ... minutes, at most an hour."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def notification_request(*, kind: str, recipient: str, about: Model, order=None, reference: str = "",
                         data: dict | None = None, actor=None,
                         channel: str = NotificationChannel.EMAIL) -> Notification | None:
    """Record the request for a message inside the caller's transaction; it is sent after
    commit, once, however often it is requested. None when there is nobody to send it to.

    One statement on the hot path (INSERT ... ON CONFLICT ... RETURNING id): a request already
    recorded keeps its row as it is, and gets a send task again, which the claim in
    `notification_send` turns into nothing if it went out already. The returned instance
    carries the request's fields and the row's id, not its current status.
    """
    from notifications.tasks import notification_send_task

    kind_get(kind)  # an unregistered kind is a programming error: refuse it now, not in a worker
    recipient = (recipient or "").strip()
    if not recipient:
        return None
    notification = Notification(
        channel=channel, recipient=recipient[:254], kind=kind, about_type=about._meta.label_lower,
        about_id=str(about.pk), reference=reference[:100], order=order, data=data or {},
        created_by=user_or_none(actor),
        next_attempt_at=timezone.now() + timedelta(seconds=settings.OMS_NOTIFICATION_GRACE_SECONDS))
    # "Update" the kind to itself on conflict: nothing changes, and the existing row's id comes back.
    Notification.objects.bulk_create([notification], update_conflicts=True, update_fields=["kind"],
                                     unique_fields=list(UNIQUE_FIELDS))
    enqueue_on_commit(notification_send_task, notification_id=notification.pk)
    return notification


def notification_resend(*, actor, notification: Notification) -> Notification:
    """Staff send a message again: a new row (the first stays on record). A resend not sent yet
    is the answer to a second click, so a double click sends it once."""
    from notifications.tasks import notification_send_task

    base = notification.event_reference
    same = Notification.objects.filter(
        channel=notification.channel, recipient=notification.recipient, kind=notification.kind,
        about_type=notification.about_type, about_id=notification.about_id)
    with transaction.atomic():
        waiting = same.filter(reference__startswith=f"{base}#resend", status__in=UNFINISHED_STATUSES,
                              attempts=0).order_by("-pk").first()
        if waiting is not None:
            return waiting
        count = same.filter(reference__startswith=f"{base}#resend").count()
        again, _ = Notification.objects.get_or_create(
            channel=notification.channel, recipient=notification.recipient, kind=notification.kind,
            about_type=notification.about_type, about_id=notification.about_id,
            reference=f"{base}#resend{count + 1}",
            defaults={"order_id": notification.order_id, "data": notification.data,
                      "created_by": user_or_none(actor)})
        if again.status != NotificationStatus.SENT:
            enqueue_on_commit(notification_send_task, notification_id=again.pk)
    return again


def notification_render(notification: Notification) -> EmailMultiAlternatives:
    kind = kind_get(notification.kind)
    context = {"site_url": settings.OMS_SITE_URL.rstrip("/"), "seller": settings.OMS_SELLER,
               "notification": notification, **kind.context(notification)}
    subject = " ".join(Template(kind.subject).render(Context(context, autoescape=False)).split())
    message = EmailMultiAlternatives(
        subject=subject, body=render_to_string(f"notifications/{notification.kind}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL, to=[notification.recipient],
    )
    message.attach_alternative(render_to_string(f"notifications/{notification.kind}.html", context), "text/html")
    for filename, content, mimetype in (kind.attachments(notification, context) if kind.attachments else []):
        message.attach(filename, content, mimetype)
    return message


def message_deliver(message: EmailMultiAlternatives) -> None:
    """The one place a message leaves the system (no lock is held here)."""
    if not message.to:
        raise ValueError("The message has no recipient.")
    message.send(fail_silently=False)


def notification_send(*, notification_id: int) -> bool:
    """Send one message, at most once: the row is claimed first. False when it was already sent
    (or another worker is sending it). A failure is recorded with the time of the next attempt
    (backoff; given up after MAX_ATTEMPTS) and raised."""
    now = timezone.now()
    claimed = Notification.objects.filter(
        pk=notification_id, status__in=[NotificationStatus.PENDING, NotificationStatus.FAILED],
    ).update(status=NotificationStatus.SENDING, attempts=F("attempts") + 1, next_attempt_at=now + SENDING_LEASE)
    if not claimed:
        return False
    notification = Notification.objects.get(pk=notification_id)
    try:
        message = notification_render(notification)
        message_deliver(message)
    except Exception as exc:
        retry_at = now + retry_delay(notification.attempts) if notification.attempts < MAX_ATTEMPTS else None
        Notification.objects.filter(pk=notification_id).update(
            status=NotificationStatus.FAILED, last_error=f"{type(exc).__name__}: {exc}"[:2000],
            next_attempt_at=retry_at)
        raise
    with transaction.atomic():
        Notification.objects.filter(pk=notification_id).update(
            status=NotificationStatus.SENT, sent_at=timezone.now(), subject=message.subject[:200], last_error="",
            next_attempt_at=None)
        notification.refresh_from_db()
        notification_sent.send(sender=Notification, notification=notification)
    return True


def notifications_send_due(*, limit: int = 200, now: datetime | None = None) -> int:
    """Hand the messages whose next attempt has come to fresh tasks: requests whose task was lost
    (a broker that died with its queue), failures whose backoff is over, and rows a dead worker
    left "sending". The claim in `notification_send` still sends each once. Returns how many."""
    from notifications.tasks import notification_send_task

    now = now or timezone.now()
    with transaction.atomic():
        due = list(Notification.objects.filter(status__in=UNFINISHED_STATUSES, next_attempt_at__lte=now)
                   .order_by("next_attempt_at", "pk").select_for_update(skip_locked=True)
                   .values_list("pk", "status")[:limit])
        ids = [pk for pk, _ in due]
        Notification.objects.filter(pk__in=[pk for pk, status in due if status == NotificationStatus.SENDING]).update(
            status=NotificationStatus.FAILED, last_error="The worker sending it stopped; sent again.")
        # Not picked again by the next sweep while these tasks are on their way.
        Notification.objects.filter(pk__in=ids).update(next_attempt_at=now + SENDING_LEASE)
    for notification_id in ids:
        dispatch_task(notification_send_task, {"notification_id": notification_id})
    return len(ids)
