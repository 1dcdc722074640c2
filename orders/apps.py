from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self) -> None:
        # The order-data checks register themselves with the verification pipeline.
        from orders import checks  # noqa: F401
