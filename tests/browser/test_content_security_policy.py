"""The strict Content-Security-Policy (no inline script, no event-handler attribute, no inline
<style>) holds on every main page: the browser reports no violation, and the scripts moved to
static files (htmx swaps, select-all, submit-on-change) still work."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from fulfillment.demo import carriers_ensure
from fulfillment.services import shipment_start
from inventory.models import Warehouse
from orders import services
from payments.services import payment_details_set
from tests.browser.csp import assert_no_violation
from tests.factories import CustomerFactory, ProductFactory, make_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_main_pages_run_under_the_policy_without_a_violation(watched_page, staff_login, live_server,
                                                                 manager_user, settings):
    settings.OMS_SIMULATED_GATEWAY_DELAY = 0.01
    carriers_ensure()
    grace = CustomerFactory(name="Grace Hopper", email="grace@example.com")
    searched = make_order(customer=grace, products=[ProductFactory(sku="COBOL-1")])
    confirmed = make_order(products=[ProductFactory(sku="CHAIR-1")])
    payment_details_set(actor=None, order=confirmed, card_number="4242424242424242")
    services.order_submit(actor=None, order=confirmed)
    confirmed.refresh_from_db()
    confirmed = services.order_release_to_fulfillment(actor=None, order=confirmed)
    shipment = shipment_start(actor=None, order=confirmed, warehouse=Warehouse.objects.get(code="MAIN"))
    missing = []
    watched_page.on("response", lambda response: missing.append(f"{response.status} {response.url}")
                    if response.status >= 400 else None)
    page = staff_login(manager_user)  # the sign-in and second-factor pages are watched too
    assert_no_violation(page, "sign-in")

    pages = {
        "dashboard": "/",
        "order detail": confirmed.get_absolute_url(),
        "order entry": reverse("orders:order_create"),
        "packing bench": reverse("fulfillment:shipment_detail", args=[shipment.number]),
        "KPIs": reverse("reports:kpi_dashboard"),
        "inventory": reverse("inventory:stock_level_list"),
        "payments": reverse("payments:payment_list"),
        "returns": reverse("returns:return_list"),
        "customers": reverse("orders:customer_list"),
        "admin": reverse("admin:index"),
        "tracking page": reverse("fulfillment:track_order", args=[confirmed.tracking_token]),
    }
    for name, path in pages.items():
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, name
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "object-src 'none'" in policy, name
        page.wait_for_load_state("load")
        assert_no_violation(page, name)
    assert missing == []  # no page asks for a file that is not there (a favicon, a font, a map)

    page.goto(f"{live_server.url}{reverse('orders:order_list')}")
    expect(page.locator("#order-table")).to_contain_text(confirmed.number)
    expect(page.locator("#id_status")).to_have_class("form-select")  # the list's script ran
    page.get_by_label("Search").fill("cobol-1")
    expect(page.locator("#order-table")).not_to_contain_text(confirmed.number)  # htmx swapped the table
    expect(page.locator("#order-table")).to_contain_text(searched.number)
    assert page.locator("head style").count() == 0  # htmx injected no indicator <style>
    assert_no_violation(page, "order list search")

    page.goto(f"{live_server.url}{reverse('fulfillment:queue')}")
    page.get_by_label("Select all").check()
    expect(page.locator("#queue .pick").first).to_be_checked()
    page.get_by_label("Warehouse").select_option(label=str(Warehouse.objects.get(code="MAIN")))
    page.wait_for_url(f"**/fulfillment/?warehouse=*")
    assert_no_violation(page, "fulfillment queue")
