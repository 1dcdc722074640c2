"""The customer's tracking page: reachable by its link or by order number + e-mail, and
showing nothing but what the customer's own receipt shows."""

import re
import secrets

import pytest
from django.core.cache import cache
from django.urls import reverse

from fulfillment import selectors
from orders.services import order_note_add
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def without_csrf(content: bytes) -> bytes:
    content = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", content)
    return re.sub(rb'"X-CSRFToken": "[^"]+"', b"", content)


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


def test_the_tracking_page_shows_the_stages_the_shipment_and_the_invoice(client, shipped):
    order, shipment = shipped()

    response = client.get(reverse("fulfillment:track_order", args=[order.tracking_token]))

    assert response.status_code == 200
    page = response.content.decode()
    assert shipment.tracking_number in page and shipment.tracking_url in page
    assert 'data-stage="shipped"' in page and "Parcel Express Ground" in page
    invoice = order.invoices.get()
    assert reverse("invoice_pdf_customer", args=[order.tracking_token, invoice.number]) in page
    # what has shipped can be sent back: the page links to the return form
    assert reverse("returns:customer_return_create", args=[order.tracking_token]) in page
    stages = [stage for stage in response.context["page"].stages if stage[2]]
    assert [key for key, _, _ in stages] == ["placed", "confirmed", "packed", "shipped"]


def test_the_tracking_page_shows_no_internal_notes_and_no_staff_names(client, shipped, warehouse_user):
    order, _ = shipped()
    order_note_add(actor=warehouse_user, order=order, message="Customer is difficult, watch out")
    order_note_add(actor=warehouse_user, order=order, message="Your parcel leaves today", customer_visible=True)

    page = client.get(reverse("fulfillment:track_order", args=[order.tracking_token])).content.decode()

    assert "difficult" not in page and warehouse_user.username not in page
    assert "Your parcel leaves today" in page
    assert "Verified and confirmed" not in page  # staff wording of status changes stays internal


def test_a_tampered_token_reveals_nothing(client, shipped):
    order, _ = shipped()
    tampered = order.tracking_token[:-1] + ("A" if order.tracking_token[-1] != "A" else "B")

    for token in (tampered, "x" * 200, secrets.token_urlsafe(24)):
        response = client.get(reverse("fulfillment:track_order", args=[token]))
        assert response.status_code == 404
        assert order.number.encode() not in response.content


def test_the_lookup_sends_the_right_customer_to_their_order(client, shipped):
    order, _ = shipped()

    response = client.post(reverse("fulfillment:track_lookup"),
                           {"number": order.number.lower(), "email": order.customer.email.upper()})

    assert response.status_code == 302
    assert response["Location"] == reverse("fulfillment:track_order", args=[order.tracking_token])


def test_an_unknown_order_and_a_wrong_email_get_the_same_answer(client, shipped):
    order, _ = shipped()
    other = CustomerFactory()

    wrong_email = client.post(reverse("fulfillment:track_lookup"), {"number": order.number, "email": other.email})
    unknown = client.post(reverse("fulfillment:track_lookup"), {"number": "SO-999999", "email": other.email})

    assert wrong_email.status_code == unknown.status_code == 200
    assert without_csrf(wrong_email.content).replace(order.number.encode(), b"") == without_csrf(
        unknown.content).replace(b"SO-999999", b"")
    assert order.tracking_token.encode() not in wrong_email.content


def test_another_orders_number_with_a_valid_email_reveals_nothing(client, shipped):
    mine, _ = shipped()
    theirs, _ = shipped()

    response = client.post(reverse("fulfillment:track_lookup"), {"number": theirs.number,
                                                                  "email": mine.customer.email})

    assert response.status_code == 200
    assert theirs.tracking_token.encode() not in response.content
    assert b"could not find" in response.content


def test_a_thousand_sequential_lookups_reveal_nothing(shipped):
    order, _ = shipped()
    start = max(1, int(order.number.removeprefix("SO-")) - 500)
    numbers = [f"SO-{n:06d}" for n in range(start, start + 1000)]  # the real number among them

    with_a_guessed_email = [selectors.tracking_lookup(number=number, email="guess@example.com") for number in numbers]
    with_the_customers_email = [selectors.tracking_lookup(number=number, email=order.customer.email)
                                for number in numbers if number != order.number]

    assert order.number in numbers
    assert not any(with_a_guessed_email) and not any(with_the_customers_email)
    assert len(with_a_guessed_email) == 1000 and len(with_the_customers_email) == 999


def test_the_lookup_is_rate_limited_per_address(client, shipped, settings):
    settings.OMS_TRACKING_LOOKUP_LIMIT = 5
    order, _ = shipped()
    url = reverse("fulfillment:track_lookup")

    answers = [client.post(url, {"number": f"SO-{n:06d}", "email": "guess@example.com"}).status_code
               for n in range(5)]
    refused = client.post(url, {"number": order.number, "email": order.customer.email})
    other_address = client.post(url, {"number": order.number, "email": order.customer.email},
                                REMOTE_ADDR="10.0.0.2")

    assert answers == [200] * 5
    assert refused.status_code == 429 and order.tracking_token.encode() not in refused.content
    assert other_address.status_code == 302


def test_the_lookup_form_renders(client):
    response = client.get(reverse("fulfillment:track_lookup"))
    assert response.status_code == 200 and b"Track your order" in response.content


def test_the_tracking_page_of_a_cancelled_order_says_so(client, place):
    from orders.services import order_cancel

    order = order_cancel(actor=None, order=place(), reason="Changed my mind")

    page = client.get(reverse("fulfillment:track_order", args=[order.tracking_token])).content.decode()
    assert "This order was cancelled" in page


def test_the_tracking_page_asks_a_bounded_number_of_queries(client, shipped, django_assert_max_num_queries):
    order, _ = shipped()
    with django_assert_max_num_queries(12):
        client.get(reverse("fulfillment:track_order", args=[order.tracking_token]))


def test_behind_a_proxy_the_limit_counts_the_address_the_proxy_saw(client, settings):
    settings.OMS_TRACKING_LOOKUP_LIMIT = 1
    settings.OMS_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    url = reverse("fulfillment:track_lookup")
    form = {"number": "SO-000001", "email": "guess@example.com"}

    assert client.post(url, form, HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.7").status_code == 200
    assert client.post(url, form, HTTP_X_FORWARDED_FOR="2.2.2.2, 203.0.113.7").status_code == 429  # forged part
    assert client.post(url, form, HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 200
