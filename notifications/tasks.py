"""Sending messages after commit; both tasks are safe to run twice (the row is claimed)."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task
def notification_send_task(*, notification_id: int) -> str:
    """Send one message. A failure is recorded on the row with its next attempt time; the sweep
    retries it then (backoff lives on the row, so a lost retry is not a lost message)."""
    from notifications.services import notification_send

    try:
        return "sent" if notification_send(notification_id=notification_id) else "already sent"
    except Exception as exc:
        logger.warning("Notification %s failed: %s", notification_id, exc)
        return "failed"


@shared_task
def notifications_send_due_task(limit: int = 200) -> int:
    """Beat, every minute: send what is due (lost tasks, failures after their backoff, stuck rows)."""
    from notifications.services import notifications_send_due

    return notifications_send_due(limit=limit)
