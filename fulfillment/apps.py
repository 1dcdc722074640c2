from django.apps import AppConfig


class FulfillmentConfig(AppConfig):
    name = "fulfillment"

    def ready(self) -> None:
        from fulfillment.bulk_actions import register_print_actions

        register_print_actions()
        from fulfillment.receivers import notify_on_status_change, on_payment_event
        from orders.signals import order_status_changed
        from payments.signals import order_payment_event

        order_status_changed.connect(notify_on_status_change, dispatch_uid="fulfillment.notify_on_status_change")
        order_payment_event.connect(on_payment_event, dispatch_uid="fulfillment.on_payment_event")
