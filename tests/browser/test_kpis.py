"""A manager reads the KPIs and follows the lifecycle chart to the orders in one state."""

import pytest
from playwright.sync_api import expect

from orders import services
from tests.factories import make_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_follows_the_chart_to_the_orders_on_hold(staff_login, live_server, manager_user, settings):
    settings.OMS_AUTO_VERIFY = False
    held = services.order_hold(actor=None, order=services.order_submit(actor=None, order=make_order()),
                               message="Call back")
    other = services.order_submit(actor=None, order=make_order())
    page = staff_login(manager_user)

    page.get_by_role("link", name="KPIs").click()
    expect(page.locator('[data-kpi="cancellation_rate"]')).to_contain_text("0.0 %")
    page.locator('#lifecycle-chart a[data-status="on_hold"]').click()

    expect(page.locator("#order-table")).to_contain_text(held.number)
    expect(page.locator("#order-table")).not_to_contain_text(other.number)
