"""E-mails to the customer about a return: one text template per kind under
templates/returns/email/<kind>.txt (first line the subject). Each kind goes out at most once
per return (a `ReturnEmail` row claims it) and is written on the order's timeline.

Kept apart on purpose, so it can move onto the shared notifications helper later.
"""

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from orders.enums import OrderEventType
from returns.enums import ReturnEmailKind
from returns.models import ReturnEmail, ReturnRequest


def _claim(rma: ReturnRequest, kind: str, to: str) -> ReturnEmail | None:
    try:
        with transaction.atomic():
            return ReturnEmail.objects.create(return_request=rma, kind=kind, to=to)
    except IntegrityError:
        return None  # sent before (a retried or replayed task)


def return_email_send(*, return_id: int, kind: str) -> bool:
    """Send the `kind` e-mail of a return once; False if it was already sent or there is nobody to send to."""
    from orders.services import order_event_record
    from returns.documents import return_label_pdf

    rma = ReturnRequest.objects.select_related("order", "order__customer").get(pk=return_id)
    to = rma.order.customer.email
    if not to:
        return False
    claim = _claim(rma, kind, to)
    if claim is None:
        return False
    context = {"rma": rma, "order": rma.order, "lines": list(rma.lines.select_related("order_line")),
               "site_url": settings.OMS_SITE_URL.rstrip("/"), "seller": settings.OMS_SELLER}
    subject, _, body = render_to_string(f"returns/email/{kind}.txt", context).strip().partition("\n")
    try:
        message = EmailMessage(subject=subject.strip(), body=body.strip() + "\n", to=[to],
                               from_email=settings.DEFAULT_FROM_EMAIL)
        if kind == ReturnEmailKind.APPROVED:
            message.attach(f"{rma.number}-label.pdf", return_label_pdf(rma), "application/pdf")
        message.send()
    except Exception:
        ReturnEmail.objects.filter(pk=claim.pk).delete()  # let the retry send it
        raise
    with transaction.atomic():
        order_event_record(order=rma.order, type=OrderEventType.EMAIL_SENT,
                           message=f"E-mail to {to}: {subject.strip()}", data={"rma": rma.number, "kind": kind})
    return True
