"""KPIs computed from orders driven through the services, with figures worked out by hand."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import F
from django.urls import reverse

from orders import services
from orders.enums import OrderStatus
from orders.models import Order, OrderLine
from reports.flow import flow_chart
from reports.selectors import Period, kpis, lifecycle_counts
from tests.factories import ProductFactory, address, make_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_auto_verify(settings):
    settings.OMS_AUTO_VERIFY = False


def shipped_and_delivered(**kwargs):
    order = services.order_verify(actor=None, order=services.order_submit(actor=None, order=make_order(**kwargs)))
    order = services.order_release_to_fulfillment(actor=None, order=order)
    order = services.order_ship(actor=None, order=order)
    return services.order_deliver(actor=None, order=order)


def shift(order, **deltas):
    """Move an order's stage times (the services stamp 'now'; a KPI needs spans)."""
    Order.objects.filter(pk=order.pk).update(**{field: F(field) + delta for field, delta in deltas.items()})


def by_key(period=None, **kwargs):
    return {k.key: k for k in kpis(period=period or Period.last_days(30), **kwargs)}


def test_no_orders_give_no_figures_rather_than_zeros():
    figures = by_key()
    assert all(k.value is None for k in figures.values())
    assert figures["fill_rate"].display == "–"


def test_fulfillment_and_lead_time_average_the_spans():
    first, second = shipped_and_delivered(), shipped_and_delivered()
    shift(first, shipped_at=timedelta(hours=10), delivered_at=timedelta(hours=30))
    shift(second, shipped_at=timedelta(hours=20), delivered_at=timedelta(hours=50))

    figures = by_key()

    assert figures["fulfillment_time"].value == pytest.approx(15, abs=0.01)
    assert figures["lead_time"].value == pytest.approx(40, abs=0.01)
    assert figures["lead_time"].basis == 2


def test_cancellation_rate_counts_cancelled_of_placed():
    for _ in range(3):
        services.order_submit(actor=None, order=make_order())
    services.order_cancel(actor=None, order=services.order_submit(actor=None, order=make_order()), reason="x")
    make_order()  # a draft is not placed: not counted

    assert by_key()["cancellation_rate"].value == pytest.approx(0.25)


def test_fill_rate_and_perfect_orders_exclude_backorders_late_deliveries_and_returns():
    in_stock = ProductFactory()
    short = ProductFactory(stock=0)
    perfect = shipped_and_delivered(products=[in_stock])
    late = shipped_and_delivered(products=[in_stock])
    shift(late, delivered_at=timedelta(days=30))
    returned = shipped_and_delivered(products=[in_stock])
    OrderLine.objects.filter(order=returned).update(quantity_returned=1)
    services.order_verify(actor=None, order=services.order_submit(actor=None, order=make_order(products=[short])))

    figures = by_key()

    assert figures["fill_rate"].value == pytest.approx(3 / 4)
    assert figures["perfect_order"].value == pytest.approx(1 / 3)
    assert figures["return_rate"].value == pytest.approx(1 / 3)
    assert figures["accuracy"].value == pytest.approx(2 / 3)
    assert perfect.status == OrderStatus.DELIVERED


def test_an_order_taken_with_a_bad_address_is_not_accurate():
    held = services.order_verify(actor=None, order=services.order_submit(
        actor=None, order=make_order(shipping_address=address(postal_code=""))))
    assert held.status == OrderStatus.ON_HOLD
    Order.objects.filter(pk=held.pk).update(ship_postal_code="62701")
    order = services.order_release_hold(actor=None, order=held, note="postcode added")
    order = services.order_release_to_fulfillment(actor=None, order=order)
    services.order_ship(actor=None, order=order)
    shipped_and_delivered()

    assert by_key()["accuracy"].value == pytest.approx(1 / 2)


def test_cost_per_order_divides_the_operating_cost():
    for _ in range(4):
        services.order_submit(actor=None, order=make_order())
    assert by_key(operating_cost=Decimal("100"))["cost_per_order"].display == "25.00"


def test_orders_placed_outside_the_period_are_left_out():
    old = services.order_submit(actor=None, order=make_order())
    shift(old, placed_at=-timedelta(days=45))
    services.order_cancel(actor=None, order=old, reason="x")
    services.order_submit(actor=None, order=make_order())

    assert by_key(Period.last_days(30))["cancellation_rate"].value == 0
    assert by_key(Period.last_days(90))["cancellation_rate"].value == pytest.approx(0.5)


def test_the_flow_chart_has_every_state_with_its_count():
    services.order_submit(actor=None, order=make_order())
    make_order()
    chart = flow_chart(lifecycle_counts())
    counts = {box.status: box.count for box in chart["boxes"]}
    assert set(counts) == set(OrderStatus.values)
    assert (counts["placed"], counts["draft"], counts["completed"]) == (1, 1, 0)
    assert all(0 <= a.x1 <= chart["width"] and 0 <= a.y2 <= chart["height"] for a in chart["arrows"])


def test_managers_see_the_kpi_page_in_a_fixed_number_of_queries(login, manager_user,
                                                               django_assert_max_num_queries):
    for _ in range(5):
        shipped_and_delivered()
    client = login(manager_user)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("reports:kpi_dashboard"), {"days": 7, "operating_cost": "50"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-kpi="perfect_order"' in html and 'id="lifecycle-chart"' in html
    assert 'data-status="delivered"' in html


def test_sales_and_warehouse_cannot_open_the_kpis(login, sales_user, warehouse_user):
    assert login(sales_user).get(reverse("reports:kpi_dashboard")).status_code == 403
    assert login(warehouse_user).get(reverse("reports:kpi_dashboard")).status_code == 403


def test_a_bad_period_falls_back_to_thirty_days(login, manager_user):
    response = login(manager_user).get(reverse("reports:kpi_dashboard"), {"days": "abc", "operating_cost": "-1"})
    assert response.status_code == 200
