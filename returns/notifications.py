"""The customer messages about a return, one per step (kind `return_<step>`): registered with the
notifications app in ReturnsConfig.ready() and requested by the returns services in the
transaction that moves the return. The approval carries the return label PDF."""

from returns.enums import ReturnEmailKind
from returns.models import ReturnRequest

SUBJECTS = {
    ReturnEmailKind.REQUESTED: "Your return {{ rma.number }} for order {{ order.number }} was received",
    ReturnEmailKind.APPROVED: "Return {{ rma.number }} approved: your return label",
    ReturnEmailKind.REJECTED: "Return {{ rma.number }} could not be accepted",
    ReturnEmailKind.RECEIVED: "We received the items of return {{ rma.number }}",
    ReturnEmailKind.INSPECTED: "Return {{ rma.number }}: we checked your items",
    ReturnEmailKind.REFUNDED: "Return {{ rma.number }}: {{ rma.refund_amount }} {{ order.currency }} refunded",
    ReturnEmailKind.EXCHANGED: "Return {{ rma.number }}: your replacement order {{ rma.replacement_order.number }}",
    ReturnEmailKind.CANCELLED: "Return {{ rma.number }} cancelled",
    ReturnEmailKind.CLOSED: "Return {{ rma.number }} is closed",
}


def message_kind(step: str) -> str:
    return f"return_{step}"


def _context(notification) -> dict:
    rma = ReturnRequest.objects.select_related("order__customer", "replacement_order").get(pk=int(notification.about_id))
    return {"rma": rma, "order": rma.order, "lines": list(rma.lines.select_related("order_line").order_by("pk"))}


def _label(notification, context) -> list:
    from returns.documents import return_label_pdf

    rma = context["rma"]
    return [(f"{rma.number}-label.pdf", return_label_pdf(rma), "application/pdf")]


def register_return_messages() -> None:
    from notifications.registry import register

    for step, subject in SUBJECTS.items():
        register(message_kind(step), label=ReturnEmailKind(step).label, subject=subject, context=_context,
                 attachments=_label if step == ReturnEmailKind.APPROVED else None)
