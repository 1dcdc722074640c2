"""The customer messages payments owns: the invoice (with its PDF) and a refund that no other
app tells the customer about. Registered with the notifications app in PaymentsConfig.ready()."""

from django.utils import timezone

from orders.models import Order
from orders.notifications import order_message_context
from payments.models import Invoice, PaymentTransaction

INVOICE_ISSUED = "invoice_issued"
REFUND_ISSUED = "refund_issued"


def _refund_context(notification) -> dict:
    order = Order.objects.select_related("customer").get(pk=notification.order_id)
    _, _, pk = notification.event_reference.partition("refund-")
    row = PaymentTransaction.objects.filter(pk=int(pk)).first() if pk.isdigit() else None
    return {**order_message_context(order), "kind": notification.kind, "refund_amount": row.amount if row else None}


def _invoice(notification) -> Invoice:
    return Invoice.objects.select_related("order__customer").get(pk=int(notification.about_id))


def _invoice_context(notification) -> dict:
    invoice = _invoice(notification)
    return {**order_message_context(invoice.order), "invoice": invoice,
            "customer_name": invoice.buyer.get("name") or invoice.order.customer.name}


def _invoice_attachments(notification, context) -> list:
    from payments.documents import invoice_pdf

    invoice = context["invoice"]
    return [(f"{invoice.number}.pdf", invoice_pdf(invoice), "application/pdf")]


def register_payment_messages() -> None:
    from notifications.registry import register

    register(REFUND_ISSUED, label="Refund issued", subject="A refund for your order {{ order.number }}",
             context=_refund_context)
    register(INVOICE_ISSUED, label="Invoice", subject="Invoice {{ invoice.number }} for order {{ order.number }}",
             context=_invoice_context, attachments=_invoice_attachments)


def stamp_invoice_emailed(sender, *, notification, **kwargs) -> None:
    """notifications.signals.notification_sent: the invoice shows when it was e-mailed."""
    if notification.kind == INVOICE_ISSUED:
        Invoice.objects.filter(pk=int(notification.about_id), emailed_at__isnull=True).update(emailed_at=timezone.now())
