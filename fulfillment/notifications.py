"""What each customer e-mail says: subject, template and context per notification kind."""

from django.urls import reverse

from fulfillment.enums import NotificationKind
from fulfillment.models import Notification, Shipment
from oms.notifications import mail_message

SUBJECTS = {
    NotificationKind.ORDER_RECEIVED: "We received your order {number}",
    NotificationKind.ORDER_CONFIRMED: "Your order {number} is confirmed",
    NotificationKind.ORDER_BACKORDERED: "Your order {number}: some items are on backorder",
    NotificationKind.ORDER_SHIPPED: "Your order {number} is on its way",
    NotificationKind.ORDER_DELIVERED: "Your order {number} was delivered",
    NotificationKind.ORDER_CANCELLED: "Your order {number} was cancelled",
    NotificationKind.REFUND_ISSUED: "A refund for your order {number}",
    NotificationKind.ORDER_CHANGED: "Your order {number} was changed",
}


def tracking_path(order) -> str:
    return reverse("fulfillment:track_order", args=[order.tracking_token])


def render_notification(notification: Notification):
    order = notification.order
    reference = notification.reference.split("#", 1)[0]  # a resend says the same as the first one
    context = {"order": order, "customer_name": order.customer.name, "tracking_path": tracking_path(order),
               "kind": notification.kind}
    if notification.kind == NotificationKind.ORDER_SHIPPED:
        shipment = (Shipment.objects.select_related("carrier", "service_level__carrier")
                    .filter(order=order, number=reference).first())
        context["shipment"] = shipment
        context["shipment_lines"] = list(shipment.lines.select_related("order_line")) if shipment else []
    if notification.kind == NotificationKind.REFUND_ISSUED:
        context["refund_amount"] = _refund_amount(reference)
    if notification.kind == NotificationKind.ORDER_CHANGED:
        context["version"] = _order_version(order, reference)
    subject = SUBJECTS[notification.kind].format(number=order.number)
    return mail_message(template=f"fulfillment/email/{notification.kind}", context=context,
                        to=[notification.recipient or order.customer.email], subject=subject)


def _refund_amount(reference: str):
    from payments.models import PaymentTransaction

    _, _, pk = reference.partition("refund-")
    row = PaymentTransaction.objects.filter(pk=int(pk)).first() if pk.isdigit() else None
    return row.amount if row else None


def _order_version(order, reference: str):
    _, _, number = reference.partition("version-")
    return order.versions.filter(number=int(number)).first() if number.isdigit() else None
