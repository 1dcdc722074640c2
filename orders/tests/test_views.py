"""The back-office screens: they render, they refuse what a role may not do, bad input writes nothing."""

import re
from decimal import Decimal

import pytest
from django.test import override_settings
from django.urls import reverse

from orders import services
from orders.enums import OrderStatus
from orders.models import Customer, Order
from tests.factories import CustomerFactory, ProductFactory, make_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_auto_verify(settings):
    settings.OMS_AUTO_VERIFY = False


def entry_post(**overrides):
    product = overrides.pop("product", None) or ProductFactory(sku="CHAIR-1", barcode="4006381333931")
    data = {
        "customer": "", "new_customer_name": "Grace Hopper", "new_customer_email": "grace@example.com",
        "new_customer_phone": "", "new_customer_company": "", "channel": "phone", "priority": "standard",
        "payment_method": "card", "shipping_total": "4.95", "customer_note": "", "internal_note": "",
        "ship-name": "Grace Hopper", "ship-company": "", "ship-line1": "1 Navy Way", "ship-line2": "",
        "ship-city": "Arlington", "ship-region": "VA", "ship-postal_code": "22202", "ship-country": "us",
        "ship-phone": "", "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000", "lines-0-code": product.barcode, "lines-0-quantity": "2",
        "lines-0-unit_price": "", "lines-0-discount": "", "submit_action": "draft",
    }
    data.update(overrides)
    return data


def test_login_page_renders(client):
    assert client.get(reverse("login")).status_code == 200


def test_anonymous_staff_pages_redirect_to_login(client):
    response = client.get(reverse("orders:order_list"))
    assert response.status_code == 302 and reverse("login") in response.url


def test_dashboard_renders_the_status_counts(login, sales_user, django_assert_max_num_queries):
    make_order()
    client = login(sales_user)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("orders:dashboard"))
    assert response.status_code == 200
    assert b'data-status="draft">1<' in response.content


@pytest.mark.parametrize("n_orders", [3, 30])
def test_the_order_list_asks_a_fixed_number_of_queries(login, sales_user, django_assert_num_queries, n_orders):
    customers = [CustomerFactory() for _ in range(3)]
    for i in range(n_orders):
        make_order(customer=customers[i % 3])
    client = login(sales_user)
    # session, user, groups for the navbar, permissions, the tags of the tag filter, one query for the
    # page of orders and one for their tags; the page's payment and fulfilment statuses (a query each),
    # the bounded count, the saved-view tabs and the roles a view may be shared with
    with django_assert_num_queries(13):
        response = client.get(reverse("orders:order_list"))
    assert response.status_code == 200
    assert response.content.count(b'href="/orders/SO-') == n_orders


def test_the_order_list_filters_and_searches(login, sales_user):
    grace = CustomerFactory(name="Grace Hopper", email="grace@example.com")
    hers = make_order(customer=grace, products=[ProductFactory(sku="COBOL-1")])
    other = services.order_submit(actor=None, order=make_order())
    client = login(sales_user)

    def listed(**params):
        content = client.get(reverse("orders:order_list"), params).content.decode()
        return {n for n in (hers.number, other.number) if n in content}

    assert listed(q="grace@example.com") == {hers.number}
    assert listed(q="hopper") == {hers.number}
    assert listed(q="cobol-1") == {hers.number}
    assert listed(q=str(int(other.number[3:]))) == {other.number}
    assert listed(status="placed") == {other.number}
    assert listed(status="draft", customer=grace.pk) == {hers.number}
    assert listed(priority="rush") == set()


def test_the_order_list_answers_htmx_with_the_table_alone(login, sales_user):
    make_order()
    response = login(sales_user).get(reverse("orders:order_list"), HTTP_HX_REQUEST="true")
    assert b"<nav" not in response.content and b"order-table" in response.content


def test_the_order_list_sorts_by_a_column(login, sales_user):
    cheap = make_order(products=[ProductFactory(unit_price=Decimal("1.00"))])
    dear = make_order(products=[ProductFactory(unit_price=Decimal("500.00"))])
    content = login(sales_user).get(reverse("orders:order_list"), {"sort": "-total"}).content.decode()
    assert content.index(dear.number) < content.index(cheap.number)


def test_order_detail_renders_with_a_fixed_number_of_queries(login, sales_user, django_assert_max_num_queries):
    order = services.order_submit(actor=None, order=make_order(products=[ProductFactory() for _ in range(5)]))
    services.order_note_add(actor=sales_user, order=order, message="Called the customer")
    client = login(sales_user)
    with django_assert_max_num_queries(14):
        response = client.get(order.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert order.number in html and "Called the customer" in html
    assert 'value="verify"' in html and 'id="modal-cancel"' in html


def test_an_unknown_order_is_a_404(login, sales_user):
    assert login(sales_user).get(reverse("orders:order_detail", args=["SO-999999"])).status_code == 404


def test_the_order_entry_page_renders(login, sales_user):
    response = login(sales_user).get(reverse("orders:order_create"))
    assert response.status_code == 200 and b"Submit order" in response.content


def test_the_order_entry_page_runs_no_inline_script_and_writes_its_line_row_once(login, sales_user):
    """A strict Content-Security-Policy forbids inline scripts and handlers; the row a new line
    gets is the very row the form draws (one partial), with its index to fill in."""
    page = login(sales_user).get(reverse("orders:order_create")).content.decode()

    assert [body for body in re.findall(r"<script[^>]*>(.*?)</script>", page, re.S) if body.strip()] == []
    assert re.findall(r"<[^>]*\son[a-z]+\s*=", page) == []
    assert 'src="/static/js/order_form.js"' in page
    template = re.search(r'<template id="empty-line">(.*?)</template>', page, re.S).group(1)
    first_row = re.search(r'<div id="line-forms">(.*?)</div>\s*<template', page, re.S).group(1)
    assert template.replace("__prefix__", "0").strip() == first_row.strip()


def test_staff_enter_a_phone_order_for_a_new_customer(login, sales_user):
    client = login(sales_user)

    response = client.post(reverse("orders:order_create"), entry_post(submit_action="submit"))

    order = Order.objects.get()
    assert response.status_code == 302 and response.url == order.get_absolute_url()
    assert order.status == OrderStatus.PLACED
    assert order.customer.email == "grace@example.com" and order.ship_country == "US"
    assert order.lines.get().quantity == 2 and order.created_by == sales_user
    assert order.shipping_total == Decimal("4.95")


def test_a_draft_can_be_saved_and_edited(login, sales_user):
    client = login(sales_user)
    client.post(reverse("orders:order_create"), entry_post())
    order = Order.objects.get()
    assert order.status == OrderStatus.DRAFT
    assert client.get(reverse("orders:order_edit", args=[order.number])).status_code == 200

    data = entry_post(product=ProductFactory(), customer=str(order.customer_id), channel="in_store",
                      **{"lines-0-quantity": "5"})
    response = client.post(reverse("orders:order_edit", args=[order.number]), data)

    assert response.status_code == 302
    assert order.lines.get().quantity == 5
    order.refresh_from_db()
    assert order.channel == "in_store"


@pytest.mark.parametrize("overrides,error", [
    ({"lines-0-code": "NOPE"}, "No product on sale"),
    ({"lines-0-quantity": "0"}, "greater than or equal to 1"),
    ({"lines-0-quantity": "-3"}, "greater than or equal to 1"),
    ({"lines-0-discount": "-1"}, "greater than or equal to 0"),
    ({"lines-0-discount": "999"}, "between zero and the line"),
    ({"shipping_total": "-1"}, "greater than or equal to 0"),
    ({"ship-country": "USA"}, "two-letter country code"),
    ({"ship-city": ""}, "This field is required"),
    ({"new_customer_email": "not-an-email"}, "Enter a valid email"),
    ({"new_customer_name": "", "new_customer_email": ""}, "Choose a customer"),
    ({"lines-TOTAL_FORMS": "0"}, "Add at least one line"),
])
def test_bad_order_input_shows_the_error_and_writes_nothing(login, sales_user, overrides, error):
    client = login(sales_user)

    response = client.post(reverse("orders:order_create"), entry_post(**overrides))

    assert response.status_code == 400
    assert error in response.content.decode()
    assert Order.objects.count() == 0 and Customer.objects.count() == 0


def test_a_transition_button_moves_the_order(login, sales_user):
    order = services.order_submit(actor=None, order=make_order())

    response = login(sales_user).post(reverse("orders:order_action", args=[order.number, "verify"]))

    order.refresh_from_db()
    assert response.status_code == 302 and order.status == OrderStatus.CONFIRMED


def test_a_refused_transition_explains_itself_and_changes_nothing(login, sales_user):
    order = services.order_submit(actor=None, order=make_order())
    client = login(sales_user)
    client.post(reverse("orders:order_action", args=[order.number, "verify"]))

    response = client.post(reverse("orders:order_action", args=[order.number, "verify"]), follow=True)

    assert "it cannot be verified" in response.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED


def test_cancel_needs_a_reason_in_the_form(login, sales_user):
    order = services.order_submit(actor=None, order=make_order())

    response = login(sales_user).post(reverse("orders:order_action", args=[order.number, "cancel"]),
                                      {"cancel-reason": ""}, follow=True)

    assert "This field is required" in response.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED


def test_cancel_with_a_reason_cancels(login, sales_user):
    order = services.order_submit(actor=None, order=make_order())

    login(sales_user).post(reverse("orders:order_action", args=[order.number, "cancel"]),
                           {"cancel-reason": "Ordered twice"})

    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == (OrderStatus.CANCELLED, "Ordered twice")


def test_a_note_is_added_to_the_timeline(login, sales_user):
    order = make_order()
    login(sales_user).post(reverse("orders:order_note", args=[order.number]), {"message": "Gift wrap"})
    assert order.events.filter(message="Gift wrap").exists()


def test_customer_pages_render(login, sales_user):
    customer = services.customer_create(actor=None, name="Ada", email="ada@example.com")
    make_order(customer=customer)
    client = login(sales_user)
    assert client.get(reverse("orders:customer_list"), {"q": "ada"}).status_code == 200
    assert client.get(customer.get_absolute_url()).status_code == 200
    assert client.get(reverse("orders:customer_create")).status_code == 200
    results = client.get(reverse("orders:customer_search"), {"q": "ada"}).content.decode()
    assert "ada@example.com" in results


def test_the_pager_keeps_the_search_and_changes_only_the_page(login, sales_user):
    CustomerFactory.create_batch(51, company="Acme")

    page = login(sales_user).get(reverse("orders:customer_list"), {"q": "Acme", "page": "1"}).content.decode()

    assert 'href="?q=Acme&amp;page=2"' in page and "Page 1 of 2" in page


def test_a_customer_is_created_with_a_default_address(login, sales_user):
    data = {"name": "Alan", "email": "alan@example.com", "phone": "", "company": "", "credit_limit": "",
            "addr-name": "Alan", "addr-line1": "1 Bletchley", "addr-city": "Milton Keynes",
            "addr-postal_code": "MK3", "addr-country": "GB"}
    response = login(sales_user).post(reverse("orders:customer_create"), data)
    customer = Customer.objects.get()
    assert response.status_code == 302 and customer.addresses.get().is_default


def test_product_lookup_finds_by_barcode_and_says_when_nothing_matches(login, sales_user):
    ProductFactory(sku="LAMP-1", name="Desk lamp", barcode="4006381333931")
    client = login(sales_user)
    assert "Desk lamp" in client.get(reverse("orders:product_lookup"), {"code": "4006381333931"}).content.decode()
    assert "No product" in client.get(reverse("orders:product_lookup"), {"code": "zzz"}).content.decode()


# -- roles ----------------------------------------------------------------------------


def test_a_warehouse_user_cannot_cancel_an_order(login, warehouse_user):
    order = services.order_submit(actor=None, order=make_order())
    client = login(warehouse_user)

    detail = client.get(order.get_absolute_url()).content.decode()
    response = client.post(reverse("orders:order_action", args=[order.number, "cancel"]),
                           {"cancel-reason": "I should not be able to"})

    assert 'id="modal-cancel"' not in detail
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED


def test_a_warehouse_user_cannot_enter_orders(login, warehouse_user):
    client = login(warehouse_user)
    assert client.get(reverse("orders:order_create")).status_code == 403
    assert client.post(reverse("orders:order_create"), entry_post(submit_action="submit")).status_code == 403
    assert Order.objects.count() == 0


def test_a_warehouse_user_releases_but_sales_does_not(login, warehouse_user, sales_user):
    # Shipping itself happens on fulfillment's packing screens (fulfillment/tests).
    order = services.order_verify(actor=None, order=services.order_submit(actor=None, order=make_order()))

    assert login(sales_user).post(reverse("orders:order_action", args=[order.number, "release"])).status_code == 403
    login(warehouse_user).post(reverse("orders:order_action", args=[order.number, "release"]))

    order.refresh_from_db()
    assert order.status == OrderStatus.IN_FULFILLMENT


def test_finance_may_hold_a_customer_and_sales_may_not(login, finance_user, sales_user):
    customer = CustomerFactory()
    url = customer.get_absolute_url()
    assert login(sales_user).post(url, {"on_hold": "on", "note": "x"}).status_code == 403
    login(finance_user).post(url, {"on_hold": "on", "note": "Unpaid invoices"})
    customer.refresh_from_db()
    assert customer.on_hold and customer.hold_note == "Unpaid invoices"


@pytest.mark.parametrize("role,allowed", [
    ("sales", {"submit"}),
    ("warehouse", set()),
    ("finance", set()),
    ("manager", {"submit"}),
])
def test_each_role_sees_only_the_buttons_it_may_use_on_a_draft(role, allowed, request):
    user = request.getfixturevalue(f"{ {'sales': 'sales', 'warehouse': 'warehouse', 'finance': 'finance', 'manager': 'manager'}[role]}_user")
    from orders.views import available_actions

    order = make_order()
    names = {a.transition for a in available_actions(order, user)}
    assert names == allowed | ({"cancel"} if role in ("sales", "finance", "manager") else set())


@override_settings(OMS_AUTO_VERIFY=True)
def test_every_role_can_open_the_order_it_works_on(login, sales_user, warehouse_user, finance_user, manager_user):
    order = make_order()
    for user in (sales_user, warehouse_user, finance_user, manager_user):
        client = login(user)
        assert client.get(order.get_absolute_url()).status_code == 200
        client.logout()


def test_a_card_taken_on_the_phone_is_authorized_when_the_order_is_verified(login, sales_user, settings,
                                                                           django_capture_on_commit_callbacks):
    from payments.models import Payment

    settings.OMS_AUTO_VERIFY = True
    with django_capture_on_commit_callbacks(execute=True):
        login(sales_user).post(reverse("orders:order_create"),
                               entry_post(submit_action="submit", card_number="4242 4242 4242 4242"))

    order = Order.objects.get()
    payment = Payment.objects.get(order=order)
    assert order.status == OrderStatus.CONFIRMED
    assert payment.card_last4 == "4242" and payment.authorized_amount == order.total


def test_a_declined_card_holds_the_order_for_payment(login, sales_user, settings, django_capture_on_commit_callbacks):
    settings.OMS_AUTO_VERIFY = True
    with django_capture_on_commit_callbacks(execute=True):
        login(sales_user).post(reverse("orders:order_create"),
                               entry_post(submit_action="submit", card_number="4000000000000002"))

    order = Order.objects.get()
    assert (order.status, order.hold_reason) == (OrderStatus.ON_HOLD, "payment_declined")


def test_a_card_number_that_is_not_one_writes_nothing(login, sales_user):
    response = login(sales_user).post(reverse("orders:order_create"),
                                      entry_post(submit_action="submit", card_number="1234"))

    assert response.status_code == 400
    assert Order.objects.count() == 0 and Customer.objects.count() == 0


def test_sales_create_customers_without_setting_a_credit_limit(login, sales_user):
    data = {"name": "Alan", "email": "alan@example.com", "credit_limit": "100000", "addr-name": "Alan",
            "addr-line1": "1 Park", "addr-city": "Bletchley", "addr-postal_code": "MK3", "addr-country": "GB"}
    login(sales_user).post(reverse("orders:customer_create"), data)
    assert Customer.objects.get().credit_limit is None


def test_finance_sets_a_credit_limit(login, finance_user):
    from django.contrib.auth.models import Permission

    finance_user.user_permissions.add(Permission.objects.get(codename="add_customer"))
    data = {"name": "Alan", "email": "alan@example.com", "credit_limit": "5000", "addr-name": "Alan",
            "addr-line1": "1 Park", "addr-city": "Bletchley", "addr-postal_code": "MK3", "addr-country": "GB"}
    login(finance_user).post(reverse("orders:customer_create"), data)
    assert Customer.objects.get().credit_limit == Decimal("5000")


def test_the_warehouse_cannot_write_to_the_customer(login, warehouse_user):
    order = make_order()
    client = login(warehouse_user)
    response = client.post(reverse("orders:order_note", args=[order.number]),
                           {"message": "Hello customer", "customer_visible": "on"})
    client.post(reverse("orders:order_note", args=[order.number]), {"message": "Pallet 4"})
    assert response.status_code == 403
    assert list(order.events.filter(type="note").values_list("message", flat=True)) == ["Pallet 4"]


def test_the_admin_cannot_change_money_or_delete_orders(login, manager_user):
    from django.contrib.auth.models import Permission

    manager_user.is_staff = True
    manager_user.save()
    manager_user.user_permissions.add(*Permission.objects.filter(codename__in=["change_order", "delete_order"]))
    order = make_order()
    client = login(manager_user)
    page = client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert 'name="shipping_total"' not in page and 'name="internal_note"' in page
    assert client.get(reverse("admin:orders_order_delete", args=[order.pk])).status_code == 403


@pytest.mark.parametrize("url,params", [
    ("orders:order_list", {"page": "100000000000000000000"}),
    ("orders:order_list", {"page": "abc"}),
])
def test_odd_query_parameters_get_a_page_not_an_error(login, sales_user, url, params):
    make_order()
    assert login(sales_user).get(reverse(url), params, follow=True).status_code == 200


@pytest.mark.parametrize("url,params", [
    ("orders:order_list", {"q": "a\x00b"}),
    ("orders:customer_list", {"q": "a\x00b"}),
    ("orders:customer_search", {"q": "a\x00b"}),
    ("orders:product_lookup", {"code": "\x00"}),
])
def test_a_nul_in_a_search_gets_the_bad_request_page_not_an_error(login, sales_user, url, params):
    # Refused for every URL at once by oms.middleware, before any view reads it.
    make_order()
    response = login(sales_user).get(reverse(url), params, follow=True)
    assert response.status_code == 400 and b"NUL character" in response.content


def test_a_customer_id_that_is_not_a_number_is_a_form_error(login, sales_user):
    response = login(sales_user).post(reverse("orders:order_create"), entry_post(customer="abc"))
    assert response.status_code == 400 and Order.objects.count() == 0


def test_go_to_order_opens_the_order_or_searches_for_what_was_typed(login, sales_user):
    order = make_order()
    client = login(sales_user)

    exact = client.get(reverse("orders:order_jump"), {"number": f"  {order.number.lower()} "})
    partial = client.get(reverse("orders:order_jump"), {"number": "SO-99 x"})
    empty = client.get(reverse("orders:order_jump"), {"number": ""})

    assert exact.status_code == 302 and exact["Location"] == order.get_absolute_url()
    assert partial["Location"] == reverse("orders:order_list") + "?q=SO-99%20x"
    assert empty["Location"] == reverse("orders:order_list")
    assert 'id="jump-order"' in client.get(reverse("orders:dashboard")).content.decode()
