"""The customer's pages behind the tracking link: only for orders a customer may see, never cached or indexed."""

import pytest
from django.urls import reverse

from payments.services import invoice_issue
from returns import services
from returns.enums import ReturnReason
from returns.tests.conftest import line_inputs
from tests.factories import make_order

pytestmark = pytest.mark.django_db


def test_a_draft_orders_token_opens_none_of_the_customer_pages(client):
    draft = make_order()

    for url in (reverse("fulfillment:track_order", args=[draft.tracking_token]),
                reverse("returns:customer_return_create", args=[draft.tracking_token]),
                reverse("returns:customer_return_detail", args=[draft.tracking_token, "RMA-1"])):
        assert client.get(url).status_code == 404, url


def test_every_customer_document_is_private_and_not_indexed(client, delivered_order):
    order = delivered_order()
    invoice = invoice_issue(actor=None, order=order)
    rma = services.return_request_create(actor=None, order=order, lines=line_inputs(order, (0, 1, ReturnReason.DAMAGED)))
    services.return_approve(actor=None, return_request=rma)
    token = order.tracking_token

    for url in (reverse("fulfillment:track_order", args=[token]),
                reverse("invoice_pdf_customer", args=[token, invoice.number]),
                reverse("returns:customer_return_create", args=[token]),
                reverse("returns:customer_return_detail", args=[token, rma.number]),
                reverse("returns:customer_return_label", args=[token, rma.number])):
        response = client.get(url)
        assert response.status_code == 200, url
        cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= cache_control, url
        assert response["X-Robots-Tag"] == "noindex, nofollow", url
