from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self) -> None:
        # The order-data checks register themselves with the verification pipeline.
        from orders import checks  # noqa: F401
        from orders.receivers import allocate_backorders_on_replenishment, record_payment_event

        # payments: money moving shows on the order timeline.
        from payments.signals import order_payment_event

        order_payment_event.connect(record_payment_event, dispatch_uid="orders.record_payment_event")

        # stock arrived: inventory signals it, orders allocates the waiting backorders.
        from inventory.signals import stock_replenished

        stock_replenished.connect(allocate_backorders_on_replenishment, dispatch_uid="orders.backorders_allocate")
