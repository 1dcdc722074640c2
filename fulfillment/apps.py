from django.apps import AppConfig


class FulfillmentConfig(AppConfig):
    name = "fulfillment"

    def ready(self) -> None:
        from fulfillment.notifications import register_fulfillment_messages

        register_fulfillment_messages()
