"""Orders from outside: the JSON intake API and CSV import, idempotent and all-or-nothing."""

import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
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


CSV_HEADER = ("external_reference,customer_email,customer_name,ship_name,ship_line1,ship_line2,ship_city,"
              "ship_region,ship_postal_code,ship_country,ship_phone,sku,quantity,unit_price,priority,"
              "payment_method,shipping_total,note\n")
GOOD_ROWS = (
    "MP-1,ada@example.com,Ada,Ada,1 Way,,London,,N1,GB,,CHAIR-1,1,,standard,card,0,\n"
    "MP-1,ada@example.com,Ada,Ada,1 Way,,London,,N1,GB,,LAMP-1,2,,standard,card,0,\n"
    "MP-2,alan@example.com,Alan,Alan,2 Park,,Bletchley,,MK3,GB,,LAMP-1,1,,rush,card,0,\n"
)


def upload(client, text):
    return client.post(reverse("orders:order_import"), {
        "channel": Channel.MARKETPLACE, "file": SimpleUploadedFile("orders.csv", text.encode(), "text/csv")})


def test_the_import_page_renders(login, sales_user):
    assert login(sales_user).get(reverse("orders:order_import")).status_code == 200


def test_a_csv_file_makes_one_order_per_reference(login, sales_user):
    response = upload(login(sales_user), CSV_HEADER + GOOD_ROWS)

    assert response.status_code == 302
    orders = {o.external_reference: o for o in Order.objects.all()}
    assert set(orders) == {"MP-1", "MP-2"}
    assert orders["MP-1"].lines.count() == 2 and orders["MP-2"].priority == "rush"
    assert all(o.channel == Channel.MARKETPLACE and o.created_by == sales_user for o in orders.values())


def test_importing_the_same_file_twice_creates_nothing_new(login, sales_user):
    client = login(sales_user)
    upload(client, CSV_HEADER + GOOD_ROWS)

    response = upload(client, CSV_HEADER + GOOD_ROWS)

    assert Order.objects.count() == 2
    assert response.status_code == 302


def test_a_file_with_one_bad_row_imports_nothing_and_names_the_row(login, sales_user):
    bad = GOOD_ROWS + "MP-3,bob@example.com,Bob,Bob,3 Road,,Leeds,,LS1,GB,,NOPE,1,,,,,\n"

    response = upload(login(sales_user), CSV_HEADER + bad)

    assert response.status_code == 400
    assert "row 5" in response.content.decode() and "NOPE" in response.content.decode()
    assert Order.objects.count() == 0


def test_a_file_without_the_needed_columns_is_refused(login, sales_user):
    response = upload(login(sales_user), "sku,quantity\nCHAIR-1,1\n")
    assert response.status_code == 400 and "missing columns" in response.content.decode()


def test_the_warehouse_cannot_import(login, warehouse_user):
    assert upload(login(warehouse_user), CSV_HEADER + GOOD_ROWS).status_code == 403
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


@pytest.mark.parametrize("text,message", [
    ("external_reference,sku\n" + "x" * 200000 + ",1\n", "not readable as CSV"),
    (CSV_HEADER + "MP-1,a@example.com,A,A,1,,L,,N1,GB,,CHAIR-1,²,,,,,\n", "quantity"),
    (CSV_HEADER + "MP-1,a@example.com,A,A,1,,L,,N1,GB,,CHAIR-1,1,,,,,\x00\n", "NUL"),
])
def test_odd_files_are_refused_with_a_reason(login, sales_user, text, message):
    response = upload(login(sales_user), text)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Order.objects.count() == 0


def test_a_search_for_unicode_digits_finds_nothing_and_does_not_fail(login, sales_user):
    assert login(sales_user).get(reverse("orders:order_list"), {"q": "²"}).status_code == 200
