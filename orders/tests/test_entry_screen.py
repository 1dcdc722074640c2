"""The order entry screen's helpers: product suggestions as staff type, the running total the
server computes, and "new order for this customer"."""

import re
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.urls import reverse

from inventory.services import allocation_allocate_order, stock_receive
from orders import selectors, services
from orders.locks import lock_order
from orders.models import Order
from orders.tests.test_views import entry_post
from payments.services import tax_rate_set
from tests.factories import CustomerFactory, ProductFactory, WarehouseFactory, address

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_auto_verify(settings):
    settings.OMS_AUTO_VERIFY = False


def suggestions(client, term: str) -> str:
    response = client.get(reverse("orders:product_suggest"), {"q": term, "listbox": "id_lines-0-code-suggestions"})
    assert response.status_code == 200
    return response.content.decode()


def listed_skus(html: str) -> list[str]:
    return re.findall(r'data-sku="([^"]+)"', html)


# -- product suggestions ----------------------------------------------------------------


def test_part_of_a_sku_or_a_name_lists_the_products_on_sale_closest_first(login, sales_user):
    ProductFactory(sku="DESK-LAMP-2", name="Desk lamp, brass")
    ProductFactory(sku="LAMP-1", name="Floor lamp")
    ProductFactory(sku="SHADE-9", name="Lampshade")
    ProductFactory(sku="LAMP-OLD", name="Old lamp", is_active=False)
    client = login(sales_user)

    assert listed_skus(suggestions(client, "lamp")) == ["LAMP-1", "DESK-LAMP-2", "SHADE-9"]
    assert listed_skus(suggestions(client, "brass")) == ["DESK-LAMP-2"]


def test_the_sku_or_barcode_typed_whole_comes_first_however_many_others_match(login, sales_user):
    for n in range(12):
        ProductFactory(sku=f"BOLT-{n:02d}", name="Bolt", stock=0)
    ProductFactory(sku="BOLT", name="Loose bolt", barcode="4006381333931", stock=0)
    client = login(sales_user)

    assert listed_skus(suggestions(client, "bolt"))[0] == "BOLT"
    assert listed_skus(suggestions(client, "4006381333931")) == ["BOLT"]


def test_two_characters_match_the_start_of_a_sku_and_one_asks_for_more(login, sales_user):
    ProductFactory(sku="LA-1", name="Lamp")
    ProductFactory(sku="XLA-2", name="Lantern")
    client = login(sales_user)

    assert listed_skus(suggestions(client, "la")) == ["LA-1"]
    assert "at least two characters" in suggestions(client, "l")


def test_a_suggestion_carries_the_price_and_the_stock_not_yet_allocated(login, sales_user):
    chair = ProductFactory(sku="CHAIR-1", name="Office chair", unit_price=Decimal("1189.50"), stock=7)
    closed = WarehouseFactory(code="OLD", active=False)
    stock_receive(actor=None, product=chair, warehouse=closed, quantity=50)
    order = services.order_create(actor=None, customer=CustomerFactory(), shipping_address=address(),
                                  lines=[services.LineInput(product=chair, quantity=2)])
    with transaction.atomic():
        allocation_allocate_order(actor=None, order=lock_order(order.pk))  # 2 of the 7 are spoken for

    html = suggestions(login(sales_user), "chair")

    assert 'data-price="1189.50"' in html
    assert "5 available" in html


@pytest.mark.parametrize("matching", [1, 15])
def test_the_list_is_bounded_and_costs_the_same_queries_however_many_match(login, sales_user, matching,
                                                                           django_assert_max_num_queries):
    for n in range(matching):
        ProductFactory(sku=f"BOLT-{n:02d}", name="Bolt", stock=0)
    client = login(sales_user)

    # session, user, groups, permissions (2); the SKU or barcode, SKUs starting so, any part; their stock
    with django_assert_max_num_queries(9):
        html = suggestions(client, "bolt")

    assert len(listed_skus(html)) == min(matching, selectors.PRODUCT_SUGGESTIONS)


@pytest.mark.parametrize("term", ["%", "_a_", "x" * 10_000, "' OR 1=1 --", "ü" * 70])
def test_odd_or_huge_terms_list_nothing_rather_than_fail(login, sales_user, term):
    ProductFactory(sku="CHAIR-1", name="Chair")
    assert listed_skus(suggestions(login(sales_user), term)) == []


def test_a_nul_in_the_term_is_refused_before_the_search(login, sales_user):
    response = login(sales_user).get(reverse("orders:product_suggest"), {"q": "la\x00mp"})
    assert response.status_code == 400


@pytest.mark.postgres
def test_on_postgresql_the_search_can_be_answered_from_the_trigram_index():
    """The planner is kept off a sequential scan (the test catalogue is small enough for one): the
    search, as the suggestions run it (no ordering, a limit), then reads the trigram index, as it
    does by itself on a large catalogue for a rare term."""
    from inventory.models import Product

    ProductFactory(sku="CHAIR-1", name="Office chair")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plans = [Product.objects.active().matching(term).order_by()[:10].explain() for term in ("ch", "office ch")]

    assert all("product_search_trgm_idx" in plan for plan in plans), plans


# -- the running total ------------------------------------------------------------------


def totals(client, data, **params) -> tuple[int, str]:
    url = reverse("orders:order_entry_totals")
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    response = client.post(url, data)
    return response.status_code, response.content.decode()


def shown(html: str, name: str) -> str:
    return re.search(rf'id="entry-{name}">[−]?([^<]*)<', html).group(1).strip()


def two_lines(**overrides):
    chair = ProductFactory(sku="CHAIR-1", barcode="4006381333931", unit_price=Decimal("189.00"))
    lamp = ProductFactory(sku="LAMP-1", unit_price=Decimal("39.90"), tax_class="reduced")
    data = entry_post(product=chair, **{"lines-TOTAL_FORMS": "2", "lines-0-quantity": "2",
                                        "lines-0-discount": "10.00", "lines-1-code": "lamp-1",
                                        "lines-1-quantity": "3", "lines-1-unit_price": "",
                                        "lines-1-discount": ""})
    data.update(overrides)
    return data, lamp


def test_the_running_total_is_what_the_entered_order_then_costs(login, sales_user):
    data, _ = two_lines()
    client = login(sales_user)

    status, html = totals(client, data)
    client.post(reverse("orders:order_create"), data)

    order = Order.objects.get()
    assert status == 200
    assert shown(html, "subtotal") == str(order.subtotal) == "497.70"
    assert shown(html, "discount") == str(order.discount_total) == "10.00"
    assert shown(html, "shipping") == str(order.shipping_total) == "4.95"
    assert shown(html, "tax") == str(order.tax_total)
    assert shown(html, "total") == f"{order.total} USD"


def test_the_tax_follows_the_country_shipped_to(login, sales_user):
    tax_rate_set(actor=None, country="DE", tax_class="standard", rate=Decimal("0.19"))
    data, _ = two_lines(**{"lines-TOTAL_FORMS": "1", "lines-0-discount": "", "shipping_total": "0"})
    client = login(sales_user)

    _, home = totals(client, data)
    _, germany = totals(client, {**data, "ship-country": "de"})

    assert shown(home, "tax") == "30.24"  # 8 % of 378.00
    assert shown(germany, "tax") == "71.82"  # 19 %


@pytest.mark.parametrize("overrides", [
    {"lines-1-code": "NO-SUCH-SKU"},
    {"lines-1-quantity": ""},
    {"lines-1-quantity": "-2"},
    {"lines-1-discount": "500.00"},  # more than the line's price
    {"lines-1-unit_price": "abc"},
    {"lines-1-unit_price": "99999999999999999999"},
])
def test_a_line_that_is_not_valid_is_left_out_and_said_so(login, sales_user, overrides):
    data, _ = two_lines(**overrides)

    status, html = totals(login(sales_user), data)

    assert status == 200
    assert shown(html, "subtotal") == "378.00"  # the chairs alone
    assert "1 line priced" in html and "1 not counted" in html


def test_a_deleted_line_and_an_untouched_empty_row_do_not_count(login, sales_user):
    data, _ = two_lines(**{"lines-1-DELETE": "on", "lines-TOTAL_FORMS": "3", "lines-2-code": "",
                           "lines-2-quantity": "1"})

    _, html = totals(login(sales_user), data)

    assert shown(html, "subtotal") == "378.00" and "not counted" not in html


@pytest.mark.parametrize("overrides", [
    {"lines-TOTAL_FORMS": "abc"},
    {"lines-TOTAL_FORMS": "100000000"},
    {"lines-INITIAL_FORMS": "-5"},
    {"shipping_total": "lots"},
    {"shipping_total": "-4"},
    {"shipping_total": "1e400"},
    {"ship-country": "Deutschland"},
    {"customer": "not-a-number"},
])
def test_bad_input_gets_a_total_never_an_error(login, sales_user, overrides):
    data, _ = two_lines(**overrides)
    status, html = totals(login(sales_user), data)
    assert status == 200 and 'id="entry-total"' in html


def test_an_empty_form_totals_zero(login, sales_user):
    status, html = totals(login(sales_user), {})
    assert status == 200 and shown(html, "total") == "0.00 USD" and shown(html, "subtotal") == "0.00"


def test_a_draft_being_edited_is_totalled_in_its_own_currency(login, sales_user, settings):
    settings.OMS_CURRENCIES = {**settings.OMS_CURRENCIES, "EUR": 2}
    draft = services.order_create(actor=None, customer=CustomerFactory(), shipping_address=address(),
                                  currency="EUR", lines=[services.LineInput(product=ProductFactory(), quantity=1)])
    data, _ = two_lines()

    _, html = totals(login(sales_user), data, order=draft.number)

    assert shown(html, "total").endswith("EUR")


def test_the_running_total_only_answers_a_post_from_staff(client, login, sales_user):
    assert client.post(reverse("orders:order_entry_totals"), {}).status_code == 302  # to the login page
    assert login(sales_user).get(reverse("orders:order_entry_totals")).status_code == 405


def test_the_entry_page_asks_for_the_running_total_and_offers_suggestions(login, sales_user):
    page = login(sales_user).get(reverse("orders:order_create")).content.decode()

    assert f'hx-post="{reverse("orders:order_entry_totals")}"' in page
    assert 'role="combobox"' in page and 'aria-controls="id_lines-0-code-suggestions"' in page
    assert 'id="id_lines-0-code-suggestions" role="listbox"' in page


# -- a new order for a customer --------------------------------------------------------


def test_new_order_for_this_customer_chooses_them_and_fills_their_default_address(login, sales_user):
    customer = services.customer_create(actor=None, name="Ada Lovelace", email="ada@example.com",
                                        address=address(city="Springfield"))
    services.customer_address_add(actor=None, customer=customer, address=address(city="Dayton"), is_default=True)
    client = login(sales_user)

    detail = client.get(customer.get_absolute_url()).content.decode()
    url = f"{reverse('orders:order_create')}?customer={customer.pk}"
    page = client.get(url).content.decode()

    assert f'href="{url}"' in detail
    assert f'name="customer" value="{customer.pk}"' in page
    assert "Ada Lovelace &lt;ada@example.com&gt;" in page
    assert 'name="ship-city" value="Dayton"' in page


@pytest.mark.parametrize("value", ["abc", "999999", "1" * 40, "-1", "١"])
def test_a_customer_parameter_that_is_no_customer_opens_an_empty_entry_form(login, sales_user, value):
    response = login(sales_user).get(reverse("orders:order_create"), {"customer": value})
    assert response.status_code == 200 and 'name="customer" value=' not in response.content.decode()


def test_the_warehouse_sees_no_new_order_button_on_a_customer(login, warehouse_user):
    customer = CustomerFactory()
    page = login(warehouse_user).get(customer.get_absolute_url()).content.decode()
    assert "New order for this customer" not in page and "bi-pencil" not in page
