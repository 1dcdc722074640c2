from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"

    def ready(self) -> None:
        # Stock allocation joins the verification pipeline (position 30, inside the lock).
        from inventory import checks  # noqa: F401
        from inventory.notifications import mark_alerts_notified, register_inventory_messages
        from notifications.signals import notification_sent

        register_inventory_messages()
        notification_sent.connect(mark_alerts_notified, dispatch_uid="inventory.mark_alerts_notified")
