"""Staff change an order after it was placed: fix a held order's address, change a confirmed order's quantity."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from inventory.models import StockLevel
from orders import services
from orders.enums import HoldReason, OrderStatus
from payments.services import payment_details_set
from tests.factories import ProductFactory, address, make_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def placed_card_order(**kwargs):
    order = make_order(**kwargs)
    payment_details_set(actor=None, order=order, card_number="4242424242424242")
    services.order_submit(actor=None, order=order)  # verified on commit (inline tasks)
    order.refresh_from_db()
    return order


def test_sales_corrects_a_held_orders_address_and_releases_it(staff_login, live_server, sales_user):
    order = placed_card_order(shipping_address=address(line1="", city=""))
    assert order.hold_reason == HoldReason.INCOMPLETE_ADDRESS
    page = staff_login(sales_user)
    page.goto(f"{live_server.url}{order.get_absolute_url()}")

    page.locator("#hold-banner").get_by_role("link", name="Edit address").click()
    page.locator("#id_ship-line1").fill("12 Analytical Way")
    page.locator("#id_ship-city").fill("Springfield")
    page.get_by_role("button", name="Review changes").click()
    expect(page.locator("#change-summary")).to_contain_text("12 Analytical Way")
    page.get_by_role("button", name="Save changes").click()

    expect(page.locator(".alert-success")).to_contain_text(f"Order {order.number} changed.")
    expect(page.locator("#timeline")).to_contain_text("Version 1")
    page.get_by_role("button", name="Release hold").first.click()
    page.locator("#modal-release_hold").get_by_label("Note").fill("Address corrected with the customer")
    page.locator("#modal-release_hold").get_by_role("button", name="Release hold").click()

    expect(page.locator("h1")).to_contain_text("Confirmed")
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED and order.ship_city == "Springfield"


def test_sales_changes_the_quantity_of_a_confirmed_order(staff_login, live_server, sales_user, settings):
    settings.OMS_TAX_RATES = {}
    chair = ProductFactory(sku="CHAIR-1", name="Office chair", unit_price=Decimal("100.00"), stock=10)
    order = placed_card_order(products=[chair], quantities=[1])
    assert order.status == OrderStatus.CONFIRMED
    page = staff_login(sales_user)
    page.goto(f"{live_server.url}{order.get_absolute_url()}")

    page.get_by_role("link", name="Edit order").click()
    page.locator("#id_line-0-quantity").fill("3")
    page.get_by_label("Why").fill("Customer wants three")
    page.get_by_role("button", name="Review changes").click()
    expect(page.locator("#change-summary")).to_contain_text("100.00 → 300.00")
    page.get_by_role("button", name="Save changes").click()

    expect(page).to_have_url(re.compile(f"/orders/{order.number}/$"))
    expect(page.locator("#order-total")).to_contain_text("300.00")
    expect(page.locator("#timeline")).to_contain_text("Customer wants three")
    order.refresh_from_db()
    line = order.lines.get()
    assert line.quantity == 3 and line.quantity_allocated == 3
    assert StockLevel.objects.get(product=chair).allocated == 3
    assert order.payments.get().authorized_amount == Decimal("300.00")
