import logging

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail

from inventory.services import reorder_alerts_mark_notified, reorder_alerts_scan
from oms.roles import MANAGER

logger = logging.getLogger(__name__)


@shared_task(bind=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def reorder_alerts_scan_task(self) -> int:
    """Celery beat: raise reorder alerts (once per episode); returns how many were raised."""
    return len(reorder_alerts_scan(actor=None).raised)


@shared_task(bind=True, autoretry_for=(ConnectionError, OSError), retry_backoff=True, max_retries=5)
def reorder_alerts_notify_task(self, *, alert_ids: list[int]) -> int:
    """E-mail new reorder alerts to the managers; each alert is mailed once even if retried."""
    recipients = sorted(set(
        get_user_model().objects.filter(groups__name=MANAGER, is_active=True).exclude(email="")
        .values_list("email", flat=True)))
    if not recipients:
        logger.warning("Reorder alerts %s: no manager with an e-mail address", alert_ids)
        return 0
    alerts = reorder_alerts_mark_notified(alert_ids=alert_ids)
    if not alerts:
        return 0
    lines = [
        f"- {a.stock_level.product.sku} {a.stock_level.product.name} @ {a.stock_level.warehouse.code}: "
        f"available {a.available}, incoming {a.incoming}, reorder point {a.reorder_point}, "
        f"suggested order {a.suggested_quantity}"
        for a in alerts
    ]
    body = "These stock levels fell below their reorder point:\n\n" + "\n".join(lines) + (
        f"\n\nReview them at {settings.OMS_SITE_URL}/inventory/alerts/\n")
    send_mail(f"Reorder alert: {len(alerts)} stock level(s) low", body, settings.DEFAULT_FROM_EMAIL, recipients)
    return len(alerts)
