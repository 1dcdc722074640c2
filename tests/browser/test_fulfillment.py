"""The warehouse picks, packs (a wrong scan is refused on the spot) and ships an order; the
customer then opens the tracking page and sees the shipment."""

import re

import pytest
from playwright.sync_api import expect

from fulfillment.demo import carriers_ensure
from fulfillment.models import Shipment
from orders.enums import OrderStatus
from orders.models import Order
from orders.services import order_submit
from payments.services import payment_details_set
from tests.factories import CustomerFactory, ProductFactory, make_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_warehouse_picks_packs_and_ships_and_the_customer_tracks_it(staff_login, live_server, warehouse_user,
                                                                    settings):
    settings.OMS_SIMULATED_GATEWAY_DELAY = 0.01
    carriers_ensure()
    chair = ProductFactory(sku="CHAIR-1", name="Office chair", barcode="4006381333931")
    ProductFactory(sku="LAMP-1", name="Desk lamp", barcode="4006381333948")
    order = make_order(products=[chair], quantities=[1])
    payment_details_set(actor=None, order=order, card_number="4242424242424242")
    order_submit(actor=None, order=order)  # verified on commit (inline tasks)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    page = staff_login(warehouse_user)
    page.set_default_timeout(20_000)

    page.get_by_role("link", name="Fulfillment", exact=True).click()
    page.get_by_label(f"Select {order.number}").check()
    page.get_by_role("button", name="Create wave (pick list)").click()
    expect(page.locator("#pick-list")).to_contain_text("CHAIR-1")

    page.get_by_role("link", name="Pack", exact=True).click()
    page.get_by_role("button", name=re.compile("Pack in MAIN")).click()
    expect(page.locator("h1")).to_contain_text("Packing")

    page.get_by_label("Scan or type a barcode or SKU").fill("4006381333948")  # the lamp: not on this order
    page.get_by_label("Scan or type a barcode or SKU").press("Enter")
    expect(page.locator("#scan-feedback")).to_contain_text("Wrong item")
    expect(page.locator("#packing-lines tr[data-sku='CHAIR-1'] .in-box")).to_have_text("0")

    page.get_by_label("Scan or type a barcode or SKU").fill("4006381333931")
    page.get_by_label("Scan or type a barcode or SKU").press("Enter")
    expect(page.locator("#scan-feedback")).to_contain_text("Packed 1 × CHAIR-1")
    expect(page.locator("#packing-lines tr[data-sku='CHAIR-1'] .left")).to_have_text("0")

    page.get_by_label("Weight (kg)").fill("2.5")
    page.get_by_label("Length (cm)").fill("40")
    page.get_by_label("Width (cm)").fill("30")
    page.get_by_label("Height (cm)").fill("20")
    page.get_by_role("button", name="Add package").click()
    page.get_by_role("button", name="Packed: close the shipment").click()
    expect(page.locator("#quotes")).to_contain_text("suggested")
    page.get_by_role("button", name="Ship", exact=True).click()
    expect(page.locator("#shipment-status")).to_have_text("Shipped")

    shipment = Shipment.objects.get(order=order)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SHIPPED
    page.goto(f"{live_server.url}/track/{order.tracking_token}/")
    expect(page.locator(f"[data-shipment='{shipment.number}']")).to_contain_text(shipment.tracking_number)
    expect(page.locator("#stagebar [data-stage='shipped']")).to_have_class(re.compile("done"))


def test_warehouse_searches_the_queue_for_a_customer_and_sees_units_and_warehouse(staff_login, live_server,
                                                                                 warehouse_user, settings):
    settings.OMS_SIMULATED_GATEWAY_DELAY = 0.01
    orders = []
    for name in ("Grace Hopper", "Alan Turing"):
        order = make_order(customer=CustomerFactory(name=name), quantities=[3])
        payment_details_set(actor=None, order=order, card_number="4242424242424242")
        orders.append(order_submit(actor=None, order=order))
    page = staff_login(warehouse_user)

    page.get_by_role("link", name="Fulfillment", exact=True).click()
    page.get_by_label("Search the queue").fill("Hopper")
    page.get_by_role("button", name="Search").click()

    expect(page.locator("#queue tbody tr")).to_have_count(1)
    row = page.locator(f"#queue tr[data-order='{orders[0].number}']")
    expect(row.locator("[data-units]")).to_have_text("3")
    expect(row.locator("[data-warehouses]")).to_have_text("MAIN")
