from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"

    def ready(self) -> None:
        # Stock allocation joins the verification pipeline (position 30, inside the lock).
        from inventory import checks  # noqa: F401
