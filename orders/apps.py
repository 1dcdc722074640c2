from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self) -> None:
        # The order-data checks register themselves with the verification pipeline.
        from orders import checks  # noqa: F401

        # payments: money moving shows on the order timeline.
        from orders.receivers import record_payment_event
        from payments.signals import order_payment_event

        order_payment_event.connect(record_payment_event, dispatch_uid="orders.record_payment_event")
