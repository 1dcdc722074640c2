from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"

    def ready(self) -> None:
        # Payment authorization joins the order verification pipeline.
        from payments import checks  # noqa: F401
