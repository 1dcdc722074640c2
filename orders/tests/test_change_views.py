"""The screens that change a placed order: the edit page, its summary, line cancel and the hold banner."""

from decimal import Decimal

import pytest
from django.urls import reverse

from orders import services
from orders.enums import HoldReason, OrderStatus
from orders.models import Order
from payments.services import payment_details_set
from tests.factories import ProductFactory, address, make_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_auto_verify(settings):
    settings.OMS_AUTO_VERIFY = False
    settings.OMS_TAX_RATES = {}


def placed(order: Order) -> Order:
    payment_details_set(actor=None, order=order, card_number="4242424242424242")
    services.order_submit(actor=None, order=order)
    services.order_verify(actor=None, order=order)
    order.refresh_from_db()
    return order


def change_post(order: Order, **overrides) -> dict:
    data = {"priority": order.priority, "shipping_total": str(order.shipping_total), "reason": "",
            "version": str(order.versions.count()),
            "line-TOTAL_FORMS": str(order.lines.count()), "line-INITIAL_FORMS": str(order.lines.count()),
            "line-MIN_NUM_FORMS": "0", "line-MAX_NUM_FORMS": "200",
            "new-TOTAL_FORMS": "1", "new-INITIAL_FORMS": "0", "new-MIN_NUM_FORMS": "0", "new-MAX_NUM_FORMS": "50",
            "new-0-code": "", "new-0-quantity": ""}
    for prefix, snapshot in (("ship", order.shipping_address), ("bill", order.billing_address)):
        data.update({f"{prefix}-{k}": v for k, v in snapshot.as_dict().items()})
    for index, line in enumerate(order.lines.order_by("pk")):
        data.update({f"line-{index}-line_id": str(line.pk), f"line-{index}-quantity": str(line.quantity),
                     f"line-{index}-unit_price": str(line.unit_price),
                     f"line-{index}-discount": str(line.discount_amount)})
    data.update(overrides)
    return data


def test_the_order_page_offers_edit_order_for_a_confirmed_order(login, sales_user):
    order = placed(make_order())
    page = login(sales_user).get(order.get_absolute_url()).content.decode()
    assert reverse("orders:order_change", args=[order.number]) in page and "Edit order" in page


def test_the_edit_page_hides_prices_from_staff_without_the_price_permission(login, sales_user, manager_user):
    order = placed(make_order())
    url = reverse("orders:order_change", args=[order.number])
    assert "line-0-unit_price" not in login(sales_user).get(url).content.decode()
    assert "line-0-unit_price" in login(manager_user).get(url).content.decode()


def test_review_shows_what_will_change_and_changes_nothing(login, sales_user):
    order = placed(make_order(quantities=[1]))
    url = reverse("orders:order_change", args=[order.number])

    response = login(sales_user).post(url, change_post(order, **{"line-0-quantity": "3", "review": "1"}))

    page = response.content.decode()
    assert response.status_code == 200 and 'id="change-summary"' in page
    assert "10.00 → 30.00" in page
    assert order.lines.get().quantity == 1 and not order.versions.exists()


def test_save_changes_the_order_and_a_sales_price_is_ignored(login, sales_user):
    order = placed(make_order(quantities=[1]))
    url = reverse("orders:order_change", args=[order.number])

    response = login(sales_user).post(url, change_post(order, **{"line-0-quantity": "2", "line-0-unit_price": "1.00",
                                                                  "save": "1"}))

    assert response.status_code == 302
    line = order.lines.get()
    assert line.quantity == 2 and line.unit_price == Decimal("10.00")
    assert order.versions.count() == 1


def test_a_refused_change_says_why_and_keeps_the_form(login, sales_user):
    order = placed(make_order(quantities=[1]))
    scarce = ProductFactory(sku="RARE-1", stock=0)
    url = reverse("orders:order_change", args=[order.number])

    response = login(sales_user).post(url, change_post(order, **{"new-0-code": scarce.sku, "new-0-quantity": "1",
                                                                  "save": "1"}))

    assert response.status_code == 400
    assert "not enough stock for RARE-1" in response.content.decode()
    assert order.lines.count() == 1


def test_a_shipped_order_cannot_be_opened_for_editing(login, sales_user, warehouse_user):
    order = placed(make_order())
    services.order_release_to_fulfillment(actor=None, order=order)
    services.order_ship(actor=None, order=order)

    response = login(sales_user).get(reverse("orders:order_change", args=[order.number]), follow=True)

    assert "shipped; it can no longer be changed" in response.content.decode()


def test_staff_who_may_not_change_orders_are_refused(login, warehouse_user):
    order = placed(make_order())
    assert login(warehouse_user).get(reverse("orders:order_change", args=[order.number])).status_code == 403


def test_a_line_is_cancelled_with_a_reason(login, sales_user):
    order = placed(make_order(products=[ProductFactory(), ProductFactory()]))
    line = order.lines.order_by("pk").last()
    url = reverse("orders:order_line_cancel", args=[order.number, line.pk])

    assert login(sales_user).post(url, {"reason": ""}).status_code == 302
    assert order.lines.count() == 2
    login(sales_user).post(url, {"reason": "Customer changed their mind"})
    assert order.lines.count() == 1 and order.versions.get().reason == "Customer changed their mind"


def test_the_hold_banner_shows_the_action_that_clears_the_hold(login, sales_user):
    by_address = placed(make_order(shipping_address=address(city="")))
    assert by_address.hold_reason == HoldReason.INCOMPLETE_ADDRESS
    manual = placed(make_order())
    services.order_hold(actor=None, order=manual, message="Customer asked to wait")
    client = login(sales_user)

    assert "Edit address" in client.get(by_address.get_absolute_url()).content.decode()
    assert "Release with a note" in client.get(manual.get_absolute_url()).content.decode()


def test_a_declined_card_hold_offers_a_new_card(login, sales_user):
    order = make_order()
    payment_details_set(actor=None, order=order, card_number="4000000000000002")
    services.order_submit(actor=None, order=order)
    services.order_verify(actor=None, order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.ON_HOLD

    page = login(sales_user).get(order.get_absolute_url()).content.decode()

    assert "Enter a new card" in page and reverse("payments:payment_detail", args=[order.payments.get().pk]) in page
