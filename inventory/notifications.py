"""The staff message inventory owns: new reorder alerts, mailed to every manager once per scan.
Registered with the notifications app in InventoryConfig.ready()."""

import logging

from django.contrib.auth import get_user_model
from django.utils import timezone

from inventory.models import ReorderAlert
from oms.roles import MANAGER

logger = logging.getLogger(__name__)

REORDER_ALERT = "reorder_alert"


def manager_addresses() -> list[str]:
    return sorted(set(get_user_model().objects.filter(groups__name=MANAGER, is_active=True).exclude(email="")
                      .values_list("email", flat=True)))


def _context(notification) -> dict:
    alerts = list(ReorderAlert.objects.filter(pk__in=notification.data.get("alert_ids", []))
                  .select_related("stock_level__product", "stock_level__warehouse").order_by("pk"))
    return {"alerts": alerts}


def register_inventory_messages() -> None:
    from notifications.registry import register

    register(REORDER_ALERT, label="Reorder alert", subject="Reorder alert: {{ alerts|length }} stock level(s) low",
             context=_context)


def mark_alerts_notified(sender, *, notification, **kwargs) -> None:
    """notifications.signals.notification_sent: the alerts show when they were first mailed."""
    if notification.kind == REORDER_ALERT:
        ReorderAlert.objects.filter(pk__in=notification.data.get("alert_ids", []), notified_at__isnull=True).update(
            notified_at=timezone.now())
