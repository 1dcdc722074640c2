"""Staff save a view of the order list and print its packing slips; sales tag ticked orders in bulk."""

import io

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from orders.enums import Priority
from orders.models import Order, SavedView
from tests.factories import make_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_saves_a_view_and_prints_its_packing_slips(staff_login, live_server, manager_user):
    rush = [make_order(priority=Priority.RUSH) for _ in range(2)]
    standard = make_order(priority=Priority.STANDARD)
    page = staff_login(manager_user)
    page.goto(f"{live_server.url}/orders/")

    page.locator("#order-filters").get_by_label("Priority").select_option("rush")
    expect(page.locator("#order-table")).not_to_contain_text(standard.number)  # htmx swapped the table
    expect(page.locator("#order-count")).to_have_text("2 orders")
    page.locator("#save-view summary").click()
    page.locator("#save-view-form").get_by_label("Channel").uncheck()
    page.locator("#view-name").fill("Rush to pack")
    page.locator("#save-view-form").get_by_role("button", name="Save view").click()

    tab = page.locator("#saved-view-tabs").get_by_role("link", name="Rush to pack")
    expect(tab).to_have_class("nav-link active")
    assert SavedView.objects.get(owner=manager_user).query == "priority=rush"
    # Away from the view and back through its tab: the filter and the columns come back with it.
    page.locator("#saved-view-tabs").get_by_role("link", name="All orders").click()
    expect(page.locator("#order-table")).to_contain_text(standard.number)
    tab.click()
    expect(page.locator("#order-table")).not_to_contain_text(standard.number)
    expect(page.locator("#order-table thead")).not_to_contain_text("Channel")

    page.get_by_label("Apply to").select_option("filter")
    page.get_by_label("Action").select_option("print_packing_slips")
    page.once("dialog", lambda dialog: dialog.accept())
    printed = []

    def keep_the_document(route):  # the browser hands a PDF to its viewer; keep a copy of what was sent
        response = route.fetch()
        printed.append((response.headers["content-type"], response.body()))
        route.fulfill(response=response)

    page.route("**/orders/bulk/", keep_the_document)
    with page.expect_response(lambda r: r.url.endswith("/orders/bulk/")):
        page.locator("#bulk-form").get_by_role("button", name="Apply").click()
    [(content_type, body)] = printed
    assert content_type == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
    assert all(order.number in text for order in rush) and standard.number not in text


def test_sales_tag_the_ticked_orders_in_bulk(staff_login, live_server, sales_user):
    chosen = [make_order() for _ in range(2)]
    other = make_order()
    page = staff_login(sales_user)
    page.goto(f"{live_server.url}/orders/")

    for order in chosen:
        page.locator("#order-table tr", has_text=order.number).locator("input.bulk-pick").check()
    page.get_by_label("Action").select_option("tag")
    page.locator("#bulk-tag").fill("Gift wrap")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#bulk-form").get_by_role("button", name="Apply").click()

    expect(page.locator("#bulk-summary")).to_contain_text("2 succeeded, 0 refused")
    page.goto(f"{live_server.url}/orders/")
    page.locator("#order-filters").get_by_label("Tag").select_option("Gift wrap")
    expect(page.locator("#order-table")).not_to_contain_text(other.number)
    for order in chosen:
        expect(page.locator("#order-table tr", has_text=order.number).locator(".order-tag")).to_have_text("Gift wrap")
    assert set(Order.objects.filter(tags__name="Gift wrap").values_list("pk", flat=True)) == {o.pk for o in chosen}
