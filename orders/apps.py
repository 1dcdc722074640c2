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

        # notifications: the customer messages about an order, and each one sent on its timeline.
        from notifications.signals import notification_sent
        from orders.notifications import record_message_sent, register_order_messages

        register_order_messages()
        notification_sent.connect(record_message_sent, dispatch_uid="orders.record_message_sent")

        # stock arrived: inventory signals it, orders allocates the waiting backorders.
        from inventory.signals import stock_replenished

        stock_replenished.connect(allocate_backorders_on_replenishment, dispatch_uid="orders.backorders_allocate")
