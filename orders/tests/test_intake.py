"""Orders from outside through the JSON intake API: idempotent, every problem reported at once."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from orders import services
from orders.enums import Channel, OrderStatus
from orders.models import Customer, Order
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client):
    _, key = services.api_client_create(actor=None, name="Web shop", channel=Channel.WEB)

    def post(payload, key=key):
        return client.post(reverse("api_order_create"), data=json.dumps(payload), content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {key}")

    post.client, post.key = client, key
    return post


def payload(**overrides):
    data = {
        "external_reference": "WEB-1001",
        "customer": {"email": "Ada@Example.com", "name": "Ada Lovelace"},
        "shipping_address": {"name": "Ada Lovelace", "line1": "12 Analytical Way", "city": "London",
                             "postal_code": "N1 7AA", "country": "gb"},
        "lines": [{"sku": "CHAIR-1", "quantity": 2}, {"sku": "LAMP-1", "quantity": 1, "unit_price": "35.00"}],
        "priority": "expedited",
        "shipping_total": "4.95",
    }
    data.update(overrides)
    return data


@pytest.fixture(autouse=True)
def catalogue():
    ProductFactory(sku="CHAIR-1", unit_price=Decimal("189.00"))
    ProductFactory(sku="LAMP-1", unit_price=Decimal("39.90"))


def test_a_web_shop_posts_an_order_and_it_is_placed_and_verified(api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api(payload())

    assert response.status_code == 201, response.json()
    body = response.json()
    order = Order.objects.get(number=body["number"])
    assert (order.channel, order.external_reference, order.priority) == (Channel.WEB, "WEB-1001", "expedited")
    assert order.status == OrderStatus.CONFIRMED
    assert order.customer.email == "ada@example.com" and order.ship_country == "GB"
    assert [(l["sku"], l["quantity"]) for l in body["lines"]] == [("CHAIR-1", 2), ("LAMP-1", 1)]
    assert order.lines.get(sku="LAMP-1").unit_price == Decimal("35.00")
    assert body["total"] == str(order.total)


def test_the_same_order_posted_twice_is_created_once(api):
    first = api(payload())
    second = api(payload())

    assert (first.status_code, second.status_code) == (201, 201)  # a retry gets the first answer again
    assert first.json()["number"] == second.json()["number"]
    assert Order.objects.count() == 1


def test_a_known_customer_is_reused(api):
    api(payload())
    api(payload(external_reference="WEB-1002"))
    assert Customer.objects.count() == 1


def test_every_problem_is_reported_at_once_and_nothing_is_written(api):
    bad = payload(customer={"email": "nope", "name": ""}, lines=[{"sku": "GHOST", "quantity": 1},
                                                                  {"sku": "CHAIR-1", "quantity": 0}],
                  shipping_address={"name": "A", "line1": "", "city": "X", "postal_code": "1", "country": "GBR"},
                  currency="XXX", priority="whenever", shipping_total="-1")

    response = api(bad)

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) >= {"customer.email", "customer.name", "lines[0].sku", "lines[1].quantity",
                           "shipping_address.line1", "shipping_address.country", "currency", "priority",
                           "shipping_total"}
    assert Order.objects.count() == 0 and Customer.objects.count() == 0


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'"text"', b"null"])
def test_a_body_that_is_not_an_order_is_refused(api, body):
    response = api.client.post(reverse("api_order_create"), data=body, content_type="application/json",
                               HTTP_AUTHORIZATION=f"Bearer {api.key}")
    assert response.status_code == 400 and "errors" in response.json()


def test_no_key_or_a_wrong_key_is_refused(api, client):
    assert client.post(reverse("api_order_create"), data="{}", content_type="application/json").status_code == 401
    assert api(payload(), key="oms_wrong").status_code == 401
    assert Order.objects.count() == 0


def test_a_client_reads_the_status_of_its_own_orders_only(api):
    number = api(payload()).json()["number"]
    _, other_shop_key = services.api_client_create(actor=None, name="Second web shop", channel=Channel.WEB)
    url = reverse("api_order_status", args=[number])

    mine = api.client.get(url, HTTP_AUTHORIZATION=f"Bearer {api.key}")
    theirs = api.client.get(url, HTTP_AUTHORIZATION=f"Bearer {other_shop_key}")

    assert mine.status_code == 200 and mine.json()["status"] in OrderStatus.values
    assert theirs.status_code == 404


def test_two_clients_on_one_channel_may_use_the_same_reference(api):
    _, other_shop_key = services.api_client_create(actor=None, name="Second web shop", channel=Channel.WEB)

    first = api(payload())
    second = api(payload(), key=other_shop_key)

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["number"] != second.json()["number"]


def test_an_outside_channel_cannot_put_an_order_on_account_terms(api):
    response = api(payload(payment_method="terms"))

    assert response.status_code == 400 and "payment_method" in response.json()["errors"]
    assert Order.objects.count() == 0


def test_the_management_command_prints_a_working_key(client):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("create_api_client", "Shopify", "--channel", "web", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    response = client.post(reverse("api_order_create"), data=json.dumps(payload()),
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 201


@pytest.mark.parametrize("change,where", [
    ({"lines": [{"sku": "CHAIR-1", "quantity": 1, "discount": "1000"}]}, "lines"),
    ({"lines": [{"sku": "CHAIR-1", "quantity": 1, "unit_price": "1e30"}]}, "lines[0].unit_price"),
    ({"lines": [{"sku": "CHAIR-1", "quantity": 1, "unit_price": "10.001"}]}, "lines[0].unit_price"),
    ({"shipping_address": {"name": "A", "line1": "1", "city": "X", "postal_code": "9" * 30, "country": "GB"}},
     "shipping_address.postal_code"),
    ({"customer": {"email": "a@example.com", "name": "A\x00B"}}, "customer.name"),
    ({"lines": [{"sku": "CHAIR-1", "quantity": 100000, "unit_price": "999999.00"}]}, "lines"),
])
def test_input_the_database_could_not_hold_is_a_400_not_a_500(api, change, where):
    response = api(payload(**change))

    assert response.status_code == 400, response.content
    assert where in response.json()["errors"]
    assert Order.objects.count() == 0 and Customer.objects.count() == 0


def test_a_search_for_unicode_digits_finds_nothing_and_does_not_fail(login, sales_user):
    assert login(sales_user).get(reverse("orders:order_list"), {"q": "²"}).status_code == 200
