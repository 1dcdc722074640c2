"""A person finds orders in the list, creates a customer, and releases a held order."""

import pytest
from playwright.sync_api import expect

from orders import services
from orders.enums import OrderStatus
from orders.models import Customer
from tests.factories import CustomerFactory, ProductFactory, address, make_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_search_and_filter_the_order_list(staff_login, live_server, sales_user, settings):
    settings.OMS_AUTO_VERIFY = False
    grace = CustomerFactory(name="Grace Hopper", email="grace@example.com")
    hers = make_order(customer=grace, products=[ProductFactory(sku="COBOL-1")])
    other = services.order_submit(actor=None, order=make_order())
    page = staff_login(sales_user)

    page.get_by_role("link", name="Orders").first.click()
    expect(page.locator("#order-table")).to_contain_text(hers.number)
    page.get_by_label("Search").fill("cobol-1")
    expect(page.locator("#order-table")).not_to_contain_text(other.number)  # htmx swapped the table
    expect(page.locator("#order-table")).to_contain_text(hers.number)
    page.get_by_label("Search").fill("")
    page.locator("#order-filters").get_by_label("Status").select_option("placed")
    expect(page.locator("#order-table")).not_to_contain_text(hers.number)
    expect(page.locator("#order-table")).to_contain_text(other.number)
    page.locator("#order-table").get_by_role("link", name=other.number).click()
    expect(page.locator("h1")).to_contain_text(other.number)


def test_staff_create_a_customer(staff_login, live_server, sales_user):
    page = staff_login(sales_user)
    page.get_by_role("link", name="Customers").click()
    page.get_by_role("link", name="New customer").click()
    page.get_by_label("Name").first.fill("Alan Turing")
    page.get_by_label("Email").fill("alan@example.com")
    page.locator("#id_addr-name").fill("Alan Turing")
    page.locator("#id_addr-line1").fill("1 Bletchley Park")
    page.locator("#id_addr-city").fill("Milton Keynes")
    page.locator("#id_addr-postal_code").fill("MK3 6EB")
    page.locator("#id_addr-country").fill("gb")
    page.get_by_role("button", name="Create customer").click()

    expect(page.locator("h1")).to_contain_text("Alan Turing")
    assert Customer.objects.get(email="alan@example.com").addresses.get().country == "GB"


def test_finance_releases_a_credit_hold_with_an_override(staff_login, live_server, finance_user, settings):
    from decimal import Decimal

    from payments.enums import PaymentMethod

    settings.OMS_AUTO_VERIFY = False
    customer = services.customer_create(actor=None, name="Ada", email="ada@example.com",
                                        credit_limit=Decimal("1.00"))
    order = services.order_create(actor=None, customer=customer, shipping_address=address(),
                                  payment_method=PaymentMethod.TERMS, submit=True,
                                  lines=[services.LineInput(product=ProductFactory(), quantity=1)])
    order = services.order_verify(actor=None, order=order)
    assert order.status == OrderStatus.ON_HOLD
    page = staff_login(finance_user)
    page.goto(f"{live_server.url}{order.get_absolute_url()}")
    expect(page.locator("#hold-banner")).to_contain_text("Credit limit exceeded")

    page.get_by_role("button", name="Release hold").click()
    dialog = page.locator("#modal-release_hold")
    dialog.get_by_label("Note").fill("Approved by the finance lead")
    dialog.get_by_label("Approve the held reason").check()
    dialog.get_by_role("button", name="Release hold").click()

    expect(page.locator(".alert-success")).to_contain_text("confirmed")
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
