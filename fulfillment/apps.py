from django.apps import AppConfig


class FulfillmentConfig(AppConfig):
    name = "fulfillment"

    def ready(self) -> None:
        from fulfillment.bulk_actions import register_print_actions
        from fulfillment.notifications import register_fulfillment_messages

        register_print_actions()

        register_fulfillment_messages()
