from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"

    def ready(self) -> None:
        # Payment authorization joins the order verification pipeline.
        from payments import checks  # noqa: F401
        from notifications.signals import notification_sent
        from payments.notifications import register_payment_messages, stamp_invoice_emailed

        register_payment_messages()
        notification_sent.connect(stamp_invoice_emailed, dispatch_uid="payments.stamp_invoice_emailed")
