"""Sales staff take a card through Stripe's card field in a real browser (Stripe.js is stood in for
by the fake Stripe, which serves a script with Stripe.js's calls)."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from orders import services
from orders.enums import OrderStatus
from orders.models import Order
from payments.models import Payment
from tests.factories import ProductFactory, address
from tests.fixtures import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CARD = "4242424242424242"


@pytest.fixture
def stripe_js(settings, stripe_api):
    settings.STRIPE_JS_URL = f"{settings.STRIPE_API_BASE}/v3/"
    directives = {name: list(values) for name, values in settings.CONTENT_SECURITY_POLICY["DIRECTIVES"].items()}
    directives["script-src"].append(settings.STRIPE_API_BASE)
    settings.CONTENT_SECURITY_POLICY = {**settings.CONTENT_SECURITY_POLICY, "DIRECTIVES": directives}
    return stripe_api


def test_sales_enter_a_card_order_and_only_stripes_payment_method_reaches_the_oms(
        live_server, page, sales_user, stripe_js):
    """Proves the order form's card goes through Stripe's field: the OMS receives the
    PaymentMethod id, never the card number, and the order is authorized at Stripe."""
    customer = services.customer_create(actor=None, name="Ada Lovelace", email="ada@example.com",
                                        address=address(name="Ada Lovelace"))
    ProductFactory(sku="LAMP-1", name="Desk lamp", unit_price=Decimal("39.90"))
    posted = []
    page.on("request", lambda request: posted.append(request.post_data or "")
            if request.method == "POST" and request.url.startswith(live_server.url) else None)
    browser_sign_in(page, live_server.url, sales_user, "/orders/new/")

    page.get_by_label("Find a customer").fill("Ada")
    page.get_by_text("ada@example.com").click()
    page.locator("#id_lines-0-code").fill("lamp-1")
    page.locator("#id_lines-0-code").press("Tab")
    expect(page.locator(".product-info").first).to_contain_text("Desk lamp")
    page.get_by_label("Stripe card number").fill(CARD)
    page.get_by_role("button", name="Submit order").click()

    expect(page.locator(".alert-success")).to_contain_text("submitted")
    order = Order.objects.get(customer=customer)
    payment = Payment.objects.get(order=order)
    assert order.status == OrderStatus.CONFIRMED
    assert (payment.source_token, payment.card_last4) == ("pm_card_visa", "4242")
    assert payment.authorization_reference in stripe_js.intents
    assert any("payment_method_id=pm_card_visa" in body for body in posted)
    assert not any(CARD in body for body in posted)
