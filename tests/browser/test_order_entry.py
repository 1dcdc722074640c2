"""A person at the back-office: signs in, enters a phone order, submits it, works it."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from orders import services
from orders.enums import OrderStatus
from orders.models import Order
from tests.browser.csp import assert_no_violation
from tests.factories import ProductFactory, address

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sales_enters_a_phone_order_and_submits_it(staff_login, live_server, sales_user):
    customer = services.customer_create(actor=None, name="Ada Lovelace", email="ada@example.com",
                                        address=address(name="Ada Lovelace"))
    ProductFactory(sku="CHAIR-1", name="Office chair", barcode="4006381333931", unit_price=Decimal("189.00"))
    ProductFactory(sku="LAMP-1", name="Desk lamp", unit_price=Decimal("39.90"))
    page = staff_login(sales_user)

    page.get_by_role("link", name="New order").first.click()
    page.get_by_label("Find a customer").fill("Ada")
    page.get_by_text("ada@example.com").click()
    expect(page.locator("#customer-chosen")).to_contain_text("Ada Lovelace")
    expect(page.locator("#id_ship-city")).to_have_value("Springfield")

    page.locator("#id_lines-0-code").fill("4006381333931")  # scanned barcode
    page.locator("#id_lines-0-code").press("Enter")
    expect(page.locator(".product-info").first).to_contain_text("Office chair")
    page.locator("#id_lines-0-quantity").fill("2")
    page.get_by_role("button", name="Add line").click()
    page.locator("#id_lines-1-code").fill("lamp-1")
    page.locator("#id_lines-1-code").press("Tab")
    expect(page.locator(".product-info").nth(1)).to_contain_text("Desk lamp")
    page.get_by_label("Priority").select_option("rush")
    page.get_by_role("button", name="Submit order").click()

    expect(page.locator(".alert-success")).to_contain_text("submitted")
    order = Order.objects.get(customer=customer)
    expect(page).to_have_url(re.compile(order.number))
    assert order.status == OrderStatus.CONFIRMED  # verified right after the submit committed
    assert [(l.sku, l.quantity) for l in order.lines.all()] == [("CHAIR-1", 2), ("LAMP-1", 1)]
    assert order.priority == "rush" and order.created_by == sales_user
    expect(page.locator("h1")).to_contain_text("Confirmed")
    expect(page.locator("#order-total")).to_contain_text(str(order.total))


def test_sales_enter_an_order_from_the_customer_page_choosing_a_suggested_product(watched_page, staff_login,
                                                                                  live_server, sales_user):
    """Typing part of a SKU lists the matching products; the keyboard chooses one, which fills the
    line's SKU and price; the server's running total follows the quantity; the order saved costs
    what the running total said (and the page broke no Content-Security-Policy rule)."""
    customer = services.customer_create(actor=None, name="Ada Lovelace", email="ada@example.com",
                                        address=address(name="Ada Lovelace"))
    ProductFactory(sku="CHAIR-1001", name="Office chair", unit_price=Decimal("189.00"))
    ProductFactory(sku="CHAIR-2002", name="Kitchen chair", unit_price=Decimal("49.00"), stock=6)
    page = staff_login(sales_user)
    page.goto(f"{live_server.url}{customer.get_absolute_url()}")

    page.get_by_role("link", name="New order for this customer").click()
    expect(page.locator("#customer-chosen")).to_contain_text("Ada Lovelace")
    expect(page.locator("#id_ship-city")).to_have_value("Springfield")
    code = page.locator("#id_lines-0-code")
    code.press_sequentially("chair", delay=30)
    suggestions = page.get_by_role("listbox", name="Matching products")
    expect(suggestions.get_by_role("option")).to_have_count(2)
    expect(suggestions.get_by_role("option").nth(1)).to_contain_text("6 available")
    code.press("ArrowDown")
    code.press("ArrowDown")
    expect(suggestions.get_by_role("option", selected=True)).to_contain_text("Kitchen chair")
    code.press("Enter")

    expect(code).to_have_value("CHAIR-2002")
    expect(page.locator("#id_lines-0-unit_price")).to_have_value("49.00")
    expect(suggestions).to_be_hidden()
    expect(page.locator(".product-info").first).to_contain_text("Kitchen chair")
    expect(page.locator("#entry-total")).to_have_text("52.92 USD")  # 49.00 and 8 % tax
    page.locator("#id_lines-0-quantity").fill("3")
    expect(page.locator("#entry-total")).to_have_text("158.76 USD")
    page.get_by_role("button", name="Submit order").click()

    expect(page.locator(".alert-success")).to_contain_text("submitted")
    order = Order.objects.get(customer=customer)
    assert [(l.sku, l.quantity, l.unit_price) for l in order.lines.all()] == [("CHAIR-2002", 3, Decimal("49.00"))]
    assert order.total == Decimal("158.76") and order.ship_city == "Springfield"
    assert_no_violation(page, "order entry")


def test_a_bad_line_is_shown_and_nothing_is_saved(staff_login, live_server, sales_user):
    services.customer_create(actor=None, name="Ada Lovelace", email="ada@example.com",
                             address=address(name="Ada Lovelace"))
    page = staff_login(sales_user)
    page.goto(f"{live_server.url}/orders/new/")
    page.get_by_label("Find a customer").fill("Ada")
    page.get_by_text("ada@example.com").click()
    page.locator("#id_lines-0-code").fill("NO-SUCH-SKU")
    page.get_by_role("button", name="Save draft").click()

    expect(page.locator("#order-form")).to_contain_text("No product on sale")
    assert Order.objects.count() == 0


def _open_submitted_order(staff_login, live_server, user, settings):
    """Given a submitted, unverified order of one line, `user` signed in on its page."""
    settings.OMS_AUTO_VERIFY = False
    customer = services.customer_create(actor=None, name="Ada", email="ada@example.com")
    order = services.order_create(actor=None, customer=customer, shipping_address=address(), submit=True,
                                  lines=[services.LineInput(product=ProductFactory(), quantity=1)])
    page = staff_login(user)
    page.goto(f"{live_server.url}{order.get_absolute_url()}")
    return page, order


def test_sales_cancels_with_a_reason_and_the_timeline_shows_it(staff_login, live_server, sales_user, settings):
    page, order = _open_submitted_order(staff_login, live_server, sales_user, settings)

    page.get_by_role("button", name="Cancel order").click()
    dialog = page.locator("#modal-cancel")
    dialog.get_by_label("Reason").fill("Customer ordered twice")
    dialog.get_by_role("button", name="Cancel order").click()

    expect(page.locator(".alert-secondary")).to_contain_text("Customer ordered twice")
    expect(page.locator("#timeline")).to_contain_text("Cancelled: Customer ordered twice")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED


def test_the_warehouse_sees_no_cancel_button(staff_login, live_server, warehouse_user, settings):
    page, order = _open_submitted_order(staff_login, live_server, warehouse_user, settings)
    expect(page.locator("h1")).to_contain_text(order.number)
    expect(page.get_by_role("button", name="Cancel order")).to_have_count(0)
    expect(page.get_by_role("link", name="New order")).to_have_count(0)
