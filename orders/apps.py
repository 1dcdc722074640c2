from django.apps import AppConfig


def _on_stock_replenished(sender, *, product_ids: list[int], **kwargs) -> None:
    """Inventory made stock available again: allocate waiting backorders in a task."""
    from oms.tasks import enqueue_on_commit
    from orders.tasks import backorders_allocate_task

    enqueue_on_commit(backorders_allocate_task, product_ids=list(product_ids))


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self) -> None:
        # The order-data checks register themselves with the verification pipeline.
        from orders import checks  # noqa: F401

        # inventory (issue #3): inventory never calls orders services; it signals, orders reacts.
        from inventory.signals import stock_replenished

        stock_replenished.connect(_on_stock_replenished, dispatch_uid="orders.backorders_allocate")
