"""The external reference is the intake API's idempotency key: a retry gets the first answer, another body a 409."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from orders import services
from orders.enums import Channel
from orders.models import IntakeRequest, Order
from orders.tests.test_intake import payload
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(client):
    ProductFactory(sku="CHAIR-1", unit_price=Decimal("189.00"))
    ProductFactory(sku="LAMP-1", unit_price=Decimal("39.90"))
    _, key = services.api_client_create(actor=None, name="Web shop", channel=Channel.WEB)

    def _post(body: str):
        return client.post(reverse("api_order_create"), data=body, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {key}")

    return _post


def test_the_same_reference_with_another_body_is_refused_naming_what_differs(post):
    first = post(json.dumps(payload()))
    changed = payload(customer={"email": "someone@else.com", "name": "Ada Lovelace"})
    changed["lines"][0]["quantity"] = 5

    response = post(json.dumps(changed))

    assert first.status_code == 201
    assert response.status_code == 409
    assert response.json()["differences"] == ["customer.email", "lines[0].quantity"]
    assert "customer.email" in response.json()["errors"]["external_reference"][0]
    assert Order.objects.count() == 1


def test_an_identical_replay_gets_the_first_answer_even_after_the_order_moved_on(post):
    first = post(json.dumps(payload()))
    order = Order.objects.get()
    services.order_cancel(actor=None, order=order, reason="Customer called")

    replay = post(json.dumps(payload(), indent=2, sort_keys=True))  # other spacing and key order: the same body

    assert (replay.status_code, replay.json()) == (first.status_code, first.json())
    assert Order.objects.count() == 1


def test_the_first_request_is_kept_with_its_hash_and_answer(post):
    first = post(json.dumps(payload()))

    kept = IntakeRequest.objects.get()
    assert kept.external_reference == "WEB-1001" and len(kept.body_hash) == 64
    assert (kept.answer_status, kept.answer) == (201, first.json())
    assert kept.order.number == first.json()["number"]
