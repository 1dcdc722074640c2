"""A customer files a return from the order's tracking link and a manager completes it, in a real browser."""

from decimal import Decimal

import pytest

from inventory.models import StockLevel, StockMovement
from payments.models import Payment
from returns.enums import RefundStatus, ReturnStatus
from returns.models import Refund, ReturnRequest
from tests.browser.csp import assert_no_violation
from tests.fixtures import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_page(page):
    page.set_default_timeout(10_000)
    page.on("dialog", lambda dialog: dialog.accept())  # the confirmations of Approve and Refund (and by line)
    return page


def test_a_customer_files_a_return_and_a_manager_completes_it(live_server, browser_page, delivered_order,
                                                              manager_user):
    order = delivered_order()
    line = order.lines.order_by("position").first()
    page = browser_page

    # The customer, from the link in their order e-mails, returns one unit that arrived damaged
    page.goto(f"{live_server.url}/track/{order.tracking_token}/returns/new/")
    page.fill(f"input[name=qty_{line.pk}]", "1")
    page.select_option(f"select[name=reason_{line.pk}]", "damaged")
    page.fill(f"input[name=comment_{line.pk}]", "The box was crushed")
    page.click("#return-form button[type=submit]")
    page.wait_for_selector("text=is registered")
    rma = ReturnRequest.objects.get(order=order)
    assert rma.source == "customer"

    # A manager signs in and takes it from request to refund
    browser_sign_in(page, live_server.url, manager_user, f"/returns/{rma.number}/")
    page.wait_for_url(f"**/returns/{rma.number}/")
    assert "The box was crushed" in page.content()
    page.click("#action-approve button[type=submit]")
    page.wait_for_selector("text=approved; the customer gets the label")
    page.fill("#scan-form input[name=code]", line.product.barcode)
    page.click("#scan-form button[type=submit]")
    page.wait_for_selector("text=1 of 1 scanned")
    page.click("#action-receive button[type=submit]")
    page.wait_for_selector("text=received.")
    page.check("#action-inspect input[value=restock]")
    page.click("#action-inspect button[type=submit]")
    page.wait_for_selector("text=inspected.")
    page.click("#action-refund button[type=submit]")
    page.wait_for_selector("text=Refunded 25.00 USD")

    assert ReturnRequest.objects.get(pk=rma.pk).status == ReturnStatus.REFUNDED
    assert Payment.objects.get(order=order).refunded_amount == Decimal("25.00")
    assert StockMovement.objects.filter(product=line.product, kind="return_restock", reference=rma.number).exists()
    # and the customer sees it on their return page
    page.goto(f"{live_server.url}{rma.get_customer_url()}")
    page.wait_for_selector("text=Refunded: 25.00 USD")


def test_sales_take_a_phone_return_from_the_order_page(live_server, browser_page, delivered_order, sales_user):
    order = delivered_order()
    line = order.lines.order_by("position").last()
    page = browser_page
    browser_sign_in(page, live_server.url, sales_user, f"{order.get_absolute_url()}")
    page.wait_for_url(f"**{order.get_absolute_url()}")
    page.click("#new-return")
    page.fill(f"input[name=qty_{line.pk}]", "1")
    page.select_option(f"select[name=reason_{line.pk}]", "not_as_described")
    page.fill("textarea[name=note]", "Customer phoned")
    page.click("#return-form button[type=submit]")
    page.wait_for_selector("text=opened.")
    rma = ReturnRequest.objects.get(order=order)
    assert rma.source == "staff" and rma.created_by == sales_user
    page.goto(f"{live_server.url}{order.get_absolute_url()}")
    page.wait_for_selector(f"#order-returns >> text={rma.number}")


def test_finance_refunds_units_by_line_from_the_order_page(live_server, browser_page, watched_page,
                                                           delivered_order, finance_user):
    """The whole path in a browser, under the strict Content-Security-Policy (no violation on the way)."""
    order = delivered_order()
    line = order.lines.order_by("position").first()
    on_hand = StockLevel.objects.get(product=line.product).on_hand
    page = browser_page
    browser_sign_in(page, live_server.url, finance_user, order.get_absolute_url())

    # From the order page, finance refunds 2 of the 3 units that came back and puts them back in stock
    page.click("#refund-by-line")
    page.fill(f"input[name=qty_{line.pk}]", "2")
    page.check(f"input[name=restock_{line.pk}]")
    page.fill("input[name=reason]", "Two arrived broken")
    page.click("text=Show the amounts")
    page.wait_for_selector("#refund-total >> text=40.00 USD")
    assert_no_violation(page, "refund by line")
    page.click("#refund-confirm")
    page.wait_for_selector("text=40.00 USD refunded.")
    assert_no_violation(page, "order page after the refund")

    refund = Refund.objects.get(order=order)
    assert refund.status == RefundStatus.SUCCEEDED and refund.created_by == finance_user
    assert Payment.objects.get(order=order).refunded_amount == Decimal("40.00")
    assert StockLevel.objects.get(product=line.product).on_hand == on_hand + 2
    page.wait_for_selector(f"#order-returns >> text={refund.number}")
