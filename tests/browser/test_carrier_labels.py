"""The warehouse buys an EasyPost label from a packed shipment's live rates, prints it and ships;
the customer's tracking page links to the carrier's tracking page (EasyPost faked locally)."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from fulfillment import services
from fulfillment.enums import CarrierProvider
from fulfillment.models import Carrier, CarrierLabel, ServiceLevel
from fulfillment.tests.easypost_fake import API_KEY, FakeEasyPost
from inventory.models import Warehouse
from orders.services import order_submit
from payments.services import payment_details_set
from tests.factories import ProductFactory, make_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def easypost(settings):
    fake = FakeEasyPost().start()
    settings.EASYPOST_API_KEY, settings.EASYPOST_API_BASE = API_KEY, fake.api_base
    settings.OMS_SIMULATED_GATEWAY_DELAY = 0.01
    yield fake
    fake.stop()


def packed_shipment():
    order = make_order(products=[ProductFactory(sku="DESK-1")], quantities=[1])
    payment_details_set(actor=None, order=order, card_number="4242424242424242")
    order_submit(actor=None, order=order)  # verified on commit (inline tasks)
    warehouse = Warehouse.objects.get(allocations__order=order)
    order.refresh_from_db()
    services.wave_create(actor=None, warehouse=warehouse, orders=[order])
    shipment = services.shipment_start(actor=None, order=order, warehouse=warehouse)
    services.shipment_scan(actor=None, shipment=shipment, code="DESK-1")
    services.package_add(actor=None, shipment=shipment, weight_kg=Decimal("2"), length_cm=Decimal("40"),
                         width_cm=Decimal("30"), height_cm=Decimal("20"))
    return services.shipment_pack(actor=None, shipment=shipment)


def test_warehouse_buys_a_label_from_live_rates_ships_and_the_customer_follows_the_carrier(
        easypost, staff_login, live_server, warehouse_user):
    carrier = Carrier.objects.create(code="usps", name="USPS")
    ServiceLevel.objects.create(carrier=carrier, code="priority", name="Priority", transit_days=2,
                                provider=CarrierProvider.EASYPOST, provider_carrier="USPS",
                                provider_service="Priority")
    shipment = packed_shipment()
    page = staff_login(warehouse_user)

    page.goto(f"{live_server.url}/fulfillment/shipments/{shipment.number}/")
    expect(page.locator("#live-rate-table")).to_contain_text("USPS Priority")
    page.get_by_role("button", name="Buy label").click()
    expect(page.locator("#label-status")).to_have_text("Bought")
    label = CarrierLabel.objects.get(shipment=shipment)
    expect(page.locator("#carrier-label")).to_contain_text(label.tracking_number)
    with page.expect_popup() as popup:
        page.locator("#print-label").click()
    assert popup.value.url.endswith(f"/fulfillment/shipments/{shipment.number}/label.pdf")

    page.get_by_role("button", name="Ship", exact=True).click()
    expect(page.locator("#shipment-status")).to_have_text("Shipped")
    page.goto(f"{live_server.url}/track/{shipment.order.tracking_token}/")
    link = page.locator(f"[data-shipment='{shipment.number}'] a", has_text=label.tracking_number)
    expect(link).to_have_attribute("href", label.tracking_url)
