"""Customers are corrected by staff: details and default address, one customer per e-mail, each
change in the customer's history; orders already entered keep the address they were entered with."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from oms.exceptions import NotPermitted
from orders import services
from orders.models import Customer, Order
from tests.concurrency import run_together
from tests.factories import address, make_order

pytestmark = pytest.mark.django_db


def ada(**overrides):
    values = dict(name="Ada Lovelace", email="ada@example.com", phone="+1 555 0101",
                  address=address(name="Ada Lovelace", city="Springfield"))
    values.update(overrides)
    return services.customer_create(actor=None, **values)


def details(customer, **changes):
    values = {"name": customer.name, "email": customer.email, "phone": customer.phone, "company": customer.company}
    values.update(changes)
    return values


# -- the service ------------------------------------------------------------------------


def test_an_edit_changes_the_details_and_the_history_says_who_changed_what(sales_user):
    customer = ada()

    services.customer_update(actor=sales_user, customer=customer,
                             **details(customer, name=" Ada King ", email="Ada.King@Example.com "))

    customer.refresh_from_db()
    latest = customer.history.first()
    assert (customer.name, customer.email) == ("Ada King", "ada.king@example.com")
    assert latest.history_user == sales_user and latest.history_change_reason == "Changed name, e-mail"


def test_an_e_mail_another_customer_has_is_refused_and_nothing_changes(sales_user):
    customer = ada()
    ada(name="Grace", email="grace@example.com")
    before = customer.history.count()

    with pytest.raises(ValidationError, match="already the one of customer Grace"):
        services.customer_update(actor=sales_user, customer=customer,
                                 **details(customer, name="Ada King", email="GRACE@example.com"))

    customer.refresh_from_db()
    assert (customer.name, customer.email) == ("Ada Lovelace", "ada@example.com")
    assert customer.history.count() == before


def test_a_new_customer_with_an_e_mail_already_on_file_is_refused(sales_user):
    ada()
    with pytest.raises(ValidationError, match="choose that customer instead"):
        services.customer_create(actor=sales_user, name="Ada again", email=" ADA@example.com")
    assert Customer.objects.count() == 1


def test_an_edit_sent_twice_changes_nothing_the_second_time(sales_user):
    customer = ada()
    edit = details(customer, phone="+1 555 0199")

    services.customer_update(actor=sales_user, customer=customer, address=address(name="Ada Lovelace",
                                                                                   city="Dayton"), **edit)
    after_first = customer.history.count()
    services.customer_update(actor=sales_user, customer=customer, address=address(name="Ada Lovelace",
                                                                                   city="Dayton"), **edit)

    assert customer.history.count() == after_first
    assert customer.history.first().history_change_reason == "Changed phone, default address"


def test_a_changed_address_leaves_the_orders_already_entered_as_they_were(sales_user):
    """The order keeps the copy it was entered with; only new orders get the new address."""
    customer = ada()
    placed = services.order_submit(actor=None, order=make_order(
        customer=customer, shipping_address=customer.addresses.get().snapshot()))
    draft = make_order(customer=customer, shipping_address=customer.addresses.get().snapshot())

    services.customer_update(actor=sales_user, customer=customer, **details(customer),
                             address=address(name="Ada Lovelace", line1="1 New Road", city="Dayton",
                                             postal_code="45402"))

    for order in (placed, draft):
        order = Order.objects.get(pk=order.pk)
        assert (order.ship_line1, order.ship_city, order.bill_city) == ("12 Analytical Way", "Springfield",
                                                                          "Springfield")
    default = customer.addresses.get()
    assert (default.line1, default.city, default.is_default) == ("1 New Road", "Dayton", True)


def test_a_customer_without_an_address_gets_one_as_their_default(sales_user):
    customer = ada(address=None)

    services.customer_update(actor=sales_user, customer=customer, **details(customer), address=address())

    assert customer.addresses.get().is_default


def test_only_finance_sets_account_terms(sales_user, finance_user):
    customer = ada()

    with pytest.raises(NotPermitted):
        services.customer_update(actor=sales_user, customer=customer, **details(customer),
                                 credit_limit=Decimal("5000"))
    services.customer_update(actor=finance_user, customer=customer, **details(customer),
                             credit_limit=Decimal("5000"))

    customer.refresh_from_db()
    assert customer.credit_limit == Decimal("5000")


def test_holding_a_customer_is_in_their_history(finance_user):
    customer = ada()

    services.customer_set_hold(actor=finance_user, customer=customer, on_hold=True, note="Chargeback")

    latest = customer.history.first()
    assert latest.on_hold and latest.history_user == finance_user and latest.history_change_reason == "Put on hold"


# -- the screens ------------------------------------------------------------------------


def edit_post(customer, **changes):
    data = {"name": customer.name, "email": customer.email, "phone": customer.phone, "company": customer.company,
            "addr-name": "Ada Lovelace", "addr-company": "", "addr-line1": "12 Analytical Way", "addr-line2": "",
            "addr-city": "Springfield", "addr-region": "IL", "addr-postal_code": "62701", "addr-country": "US",
            "addr-phone": "+1 555 0101"}
    data.update(changes)
    return data


def test_sales_edit_a_customer_from_their_page_and_the_page_shows_the_change(login, sales_user):
    customer = ada()
    client = login(sales_user)

    detail = client.get(customer.get_absolute_url()).content.decode()
    form = client.get(reverse("orders:customer_update", args=[customer.pk]))
    response = client.post(reverse("orders:customer_update", args=[customer.pk]),
                           edit_post(customer, company="Analytical Engines", **{"addr-city": "Dayton"}))

    assert reverse("orders:customer_update", args=[customer.pk]) in detail
    assert form.status_code == 200 and 'value="ada@example.com"' in form.content.decode()
    assert 'name="credit_limit"' not in form.content.decode()  # account terms are finance's
    assert response.status_code == 302 and response.url == customer.get_absolute_url()
    page = client.get(customer.get_absolute_url()).content.decode()
    assert "Changed company, default address" in page and "sally" in page
    assert "Dayton" in page


def test_an_e_mail_taken_shows_on_the_form_and_changes_nothing(login, sales_user):
    customer = ada()
    ada(name="Grace", email="grace@example.com")

    response = login(sales_user).post(reverse("orders:customer_update", args=[customer.pk]),
                                      edit_post(customer, email="grace@example.com"))

    assert response.status_code == 400 and "already the one of customer Grace" in response.content.decode()
    customer.refresh_from_db()
    assert customer.email == "ada@example.com"


@pytest.mark.parametrize("changes,error", [
    ({"email": "not-an-email"}, "Enter a valid email address"),
    ({"name": ""}, "This field is required"),
    ({"addr-city": ""}, "This field is required"),
    ({"addr-country": "USA"}, "two-letter country code"),
])
def test_bad_input_shows_the_error_and_changes_nothing(login, sales_user, changes, error):
    customer = ada()
    before = customer.history.count()

    response = login(sales_user).post(reverse("orders:customer_update", args=[customer.pk]),
                                      edit_post(customer, **changes))

    assert response.status_code == 400 and error in response.content.decode()
    assert customer.history.count() == before


def test_an_order_for_a_new_customer_whose_e_mail_is_on_file_asks_for_that_customer(login, sales_user):
    from orders.tests.test_views import entry_post

    ada()
    response = login(sales_user).post(reverse("orders:order_create"),
                                      entry_post(new_customer_name="Ada", new_customer_email="ada@example.com"))

    assert response.status_code == 400 and "choose that customer instead" in response.content.decode()
    assert Customer.objects.count() == 1 and not Order.objects.exists()


def test_sales_posting_a_credit_limit_changes_no_account_terms(login, sales_user):
    customer = ada()
    login(sales_user).post(reverse("orders:customer_update", args=[customer.pk]),
                           edit_post(customer, credit_limit="100000"))
    customer.refresh_from_db()
    assert customer.credit_limit is None


def test_a_customer_with_no_address_can_be_saved_without_one(login, sales_user):
    customer = ada(address=None)
    # The address fields as the page shows them: empty, but for the country it suggests.
    data = {k: "" if k.startswith("addr-") else v for k, v in edit_post(customer, phone="+1 555 0777").items()}
    data["addr-country"] = "US"

    response = login(sales_user).post(reverse("orders:customer_update", args=[customer.pk]), data)

    assert response.status_code == 302 and not customer.addresses.exists()


def test_the_warehouse_cannot_edit_customers_and_an_unknown_one_is_a_404(login, warehouse_user, sales_user):
    customer = ada()
    assert login(warehouse_user).get(reverse("orders:customer_update", args=[customer.pk])).status_code == 403
    assert login(sales_user).get(reverse("orders:customer_update", args=[999999])).status_code == 404


def test_the_customer_page_asks_a_fixed_number_of_queries(login, sales_user, django_assert_max_num_queries):
    customer = ada()
    for n in range(5):
        services.customer_update(actor=sales_user, customer=customer, **details(customer, phone=f"+1 555 01{n}"))
        make_order(customer=customer)
    client = login(sales_user)

    with django_assert_max_num_queries(12):
        response = client.get(customer.get_absolute_url())

    assert response.content.decode().count("Changed phone") == 5


def test_the_admin_refuses_an_e_mail_another_customer_has(admin_client):
    customer = ada()
    ada(name="Grace", email="grace@example.com")
    url = reverse("admin:orders_customer_change", args=[customer.pk])

    page = admin_client.get(url)
    form = page.context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data.update({"email": "grace@example.com", "addresses-TOTAL_FORMS": "0", "addresses-INITIAL_FORMS": "0"})
    response = admin_client.post(url, data)

    assert response.status_code == 200 and "already the one of customer Grace" in response.content.decode()
    customer.refresh_from_db()
    assert customer.email == "ada@example.com"


# -- concurrency ------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_customers_given_one_new_e_mail_at_once_only_one_gets_it(sales_user):
    """The e-mail is claimed (an advisory lock) before it is checked: two edits racing to the same
    address cannot both find it free."""
    first, second = ada(), ada(name="Grace", email="grace@example.com")

    results = run_together([
        lambda c=c: services.customer_update(actor=sales_user, customer=c, **details(c, email="shared@example.com"))
        for c in (first, second)
    ])

    assert sorted(type(r).__name__ for r in results) == ["Customer", "ValidationError"]
    assert Customer.objects.filter(email="shared@example.com").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_new_customer_form_sent_twice_at_once_creates_one_customer(sales_user):
    """A double click on "Create customer": the second request waits for the first, then finds the
    e-mail taken and says so (no second customer, no error page)."""
    data = {"name": "Alan", "email": "alan@example.com", "phone": "", "company": "", "addr-name": "Alan",
            "addr-line1": "1 Park", "addr-city": "Bletchley", "addr-postal_code": "MK3", "addr-country": "GB"}
    clients = [Client(), Client()]
    for client in clients:
        client.force_login(sales_user)

    results = run_together([lambda c=c: c.post(reverse("orders:customer_create"), data) for c in clients])

    assert sorted(r.status_code for r in results) == [302, 400]
    assert Customer.objects.filter(email="alan@example.com").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_edit_sent_twice_at_once_is_made_and_recorded_once(sales_user):
    """A double click on "Save changes": the edits are made one after the other (the e-mail claimed,
    the customer row locked), so the second reads what the first saved, finds nothing to change and
    writes nothing."""
    customer = ada()
    before = customer.history.count()
    edit = details(customer, phone="+1 555 0299", company="Analytical Engines")

    results = run_together([lambda: services.customer_update(actor=sales_user, customer=customer, **edit)
                            for _ in range(2)])

    assert all(isinstance(r, Customer) for r in results), results
    customer.refresh_from_db()
    assert (customer.phone, customer.company) == ("+1 555 0299", "Analytical Engines")
    assert customer.history.count() == before + 1
