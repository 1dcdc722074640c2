"""The return label: a PDF the customer prints and sticks on the parcel."""

from django.conf import settings
from django.template.loader import render_to_string

from payments.documents import html_to_pdf
from returns.models import ReturnRequest


def return_label_pdf(rma: ReturnRequest) -> bytes:
    context = {
        "rma": rma,
        "order": rma.order,
        "lines": list(rma.lines.select_related("order_line")),
        "from_address": rma.order.shipping_address.lines(),
        "to_address": settings.OMS_RETURN_ADDRESS,
        "seller": settings.OMS_SELLER,
    }
    return html_to_pdf(render_to_string("returns/return_label_pdf.html", context))
