"""The intake API under hostile bodies: a 400 naming the field, never a 500.

The fuzz builds bodies shaped like an intake order (the right keys, sometimes the right
values, often not) and checks the contract: a 2xx is an order, a 4xx names what is wrong.
"""

import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from orders import services
from orders.enums import Channel
from orders.models import Order
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

FIELD = re.compile(r"^(body|order|external_reference|note|priority|payment_method|currency|shipping_total"
                   r"|customer(\.\w+)?|(shipping|billing)_address(\.\w+)?|lines(\[\d+\](\.\w+)?)?)$")


@pytest.fixture
def post_raw(client):
    ProductFactory(sku="CHAIR-1", unit_price=Decimal("189.00"))
    _, key = services.api_client_create(actor=None, name="Web shop", channel=Channel.WEB)

    def post(body: bytes | str):
        return client.post(reverse("api_order_create"), data=body, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {key}")

    return post


def valid(**overrides) -> dict:
    data = {
        "external_reference": "WEB-1",
        "customer": {"email": "ada@example.com", "name": "Ada Lovelace"},
        "shipping_address": {"name": "Ada", "line1": "12 Analytical Way", "city": "London", "postal_code": "N1",
                             "country": "GB"},
        "lines": [{"sku": "CHAIR-1", "quantity": 1}],
    }
    data.update(overrides)
    return data


def test_a_deeply_nested_body_is_refused_with_400(post_raw):
    response = post_raw("[" * 100_000 + "]" * 100_000)

    assert response.status_code == 400
    assert "nested" in response.json()["errors"]["body"][0]


def test_a_number_with_thousands_of_digits_is_refused_with_400(post_raw):
    body = json.dumps(valid()).replace('"quantity": 1', '"quantity": ' + "9" * 5000)

    response = post_raw(body)

    assert response.status_code == 400
    assert "number longer" in response.json()["errors"]["body"][0]


def test_a_lone_surrogate_in_a_text_field_is_refused_naming_the_field(post_raw):
    response = post_raw(json.dumps(valid(customer={"email": "ada@example.com", "name": "Ada \ud800"})))

    assert response.status_code == 400
    assert "customer.name" in response.json()["errors"]
    assert not Order.objects.exists()


def test_a_nul_in_a_line_sku_is_refused_naming_the_line(post_raw):
    response = post_raw(json.dumps(valid(lines=[{"sku": "CHAIR-1\x00", "quantity": 1}])))

    assert response.status_code == 400
    assert "lines[0].sku" in response.json()["errors"]


hostile_text = st.sampled_from(["", " ", "\x00", "\ud800", "x" * 5000, "CHAIR-1", "chair-1", "GB", "1e999", "NaN",
                                "<script>", "ada@example.com", "0", "-1"])
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), hostile_text, st.text(max_size=30))
junk = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                          max_size=3), max_leaves=8)
address = st.fixed_dictionaries({}, optional={f: st.one_of(hostile_text, junk) for f in (
    "name", "line1", "line2", "city", "region", "postal_code", "country", "phone")})
line = st.fixed_dictionaries({}, optional={"sku": st.one_of(hostile_text, junk),
                                           "quantity": st.one_of(st.integers(-2, 100_002), junk),
                                           "unit_price": st.one_of(hostile_text, junk), "discount": junk})
intake_body = st.fixed_dictionaries({}, optional={
    "external_reference": st.one_of(hostile_text, st.text(max_size=10), junk),
    "customer": st.one_of(st.fixed_dictionaries({}, optional={k: st.one_of(hostile_text, junk) for k in (
        "email", "name", "phone", "company")}), junk),
    "shipping_address": st.one_of(address, junk),
    "billing_address": st.one_of(address, junk),
    "lines": st.one_of(st.lists(st.one_of(line, junk), max_size=4), junk),
    "priority": st.one_of(st.sampled_from(["rush", "expedited", "standard"]), junk),
    "payment_method": st.one_of(st.sampled_from(["card", "terms", "cod"]), junk),
    "currency": st.one_of(st.sampled_from(["USD", "EUR", "JPY"]), junk),
    "shipping_total": st.one_of(hostile_text, junk),
    "note": st.one_of(hostile_text, junk),
})


@hypothesis_settings(max_examples=60, deadline=None, derandomize=True,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=st.one_of(intake_body, st.builds(valid), junk))
def test_any_body_shaped_like_an_order_gets_an_order_or_a_4xx_naming_the_field(post_raw, body):
    response = post_raw(json.dumps(body))

    assert response.status_code < 500
    answer = response.json()
    if response.status_code < 300:
        assert Order.objects.filter(number=answer["number"]).exists()
    else:
        assert 400 <= response.status_code < 500
        assert answer["errors"] and all(FIELD.match(where) for where in answer["errors"]), answer
