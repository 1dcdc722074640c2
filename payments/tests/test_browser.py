"""Finance staff refund part of a payment in a real browser."""

from decimal import Decimal

import pytest

from payments.models import Payment
from tests.factories import ProductFactory
from tests.fixtures import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_page(page):
    page.set_default_timeout(10_000)
    return page


def test_finance_refunds_part_of_a_captured_payment(live_server, browser_page, finance_user, place_order, ship):
    order = ship(place_order(products=[ProductFactory(unit_price=Decimal("80.00"), tax_class="zero")]))
    payment = Payment.objects.get(order=order)
    page = browser_page
    browser_sign_in(page, live_server.url, finance_user, f"/payments/{payment.pk}/")
    page.wait_for_url(f"**/payments/{payment.pk}/")
    page.once("dialog", lambda dialog: dialog.accept())
    refund_form = page.locator(f"form[action='/payments/{payment.pk}/refund/']")
    refund_form.locator("input[name=amount]").fill("25.00")
    refund_form.locator("input[name=reason]").fill("Late delivery")
    refund_form.locator("button[type=submit]").click()
    page.wait_for_selector("text=Refunded 25.00 USD.")
    assert Payment.objects.get(pk=payment.pk).refunded_amount == Decimal("25.00")
    assert "Late delivery" in page.content()
