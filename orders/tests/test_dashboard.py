"""The dashboard: counts by status, money figures and its two panels, at a fixed number of queries."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.urls import reverse

from orders import selectors, services
from orders.enums import OrderStatus
from orders.models import Order
from tests.factories import ProductFactory, make_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_auto_verify(settings):
    settings.OMS_AUTO_VERIFY = False


def placed(price: str, **kwargs) -> Order:
    return services.order_submit(actor=None, order=make_order(products=[ProductFactory(unit_price=Decimal(price))],
                                                              **kwargs))


def test_a_small_table_is_counted_exactly_per_status():
    placed("10.00")
    make_order()

    tally = selectors.order_status_tally()

    assert (tally[OrderStatus.PLACED].number, tally[OrderStatus.PLACED].exact) == (1, True)
    assert (tally[OrderStatus.DRAFT].number, tally[OrderStatus.COMPLETED].number) == (1, 0)


def test_past_the_bound_large_statuses_show_the_planners_estimate_and_small_ones_are_counted(monkeypatch):
    """Proves a big status is never counted (its estimate is shown) while a small one stays exact."""
    placed("10.00")
    monkeypatch.setattr(selectors, "_status_estimates",
                        lambda: (1_000_000, {OrderStatus.COMPLETED: 900_000, OrderStatus.PLACED: 40}))

    tally = selectors.order_status_tally()

    assert (tally[OrderStatus.COMPLETED].number, tally[OrderStatus.COMPLETED].exact) == (900_000, False)
    assert str(tally[OrderStatus.COMPLETED]) == "about 900,000"
    assert (tally[OrderStatus.PLACED].number, tally[OrderStatus.PLACED].exact) == (1, True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_stats is PostgreSQL's")
def test_the_estimates_come_from_the_statistics_analyze_keeps():
    """A status ANALYZE saw once is not among the common values: it is left to the exact count."""
    for _ in range(3):
        placed("10.00")
    make_order()
    with connection.cursor() as cur:
        cur.execute("ANALYZE orders_order")

    total, estimates = selectors._status_estimates()

    assert total == 4
    assert estimates == {OrderStatus.PLACED: 3}


def test_sales_count_orders_placed_today_and_since_monday_and_open_value_what_is_not_shipped(settings):
    """Hand-built week: Wednesday noon; orders placed that morning, on Monday, the Sunday before, and a
    cancelled one today. Proves each figure takes exactly the orders it names."""
    settings.TIME_ZONE = "Europe/Berlin"
    berlin = ZoneInfo("Europe/Berlin")
    now = datetime(2026, 12, 2, 12, 0, tzinfo=berlin)  # a Wednesday
    today, monday, last_sunday = placed("10.00"), placed("20.00"), placed("40.00")
    cancelled = placed("80.00")
    services.order_cancel(actor=None, order=cancelled, reason="customer changed their mind")
    stamps = {today: now.replace(hour=0, minute=30), monday: datetime(2026, 11, 30, 0, 5, tzinfo=berlin),
              last_sunday: datetime(2026, 11, 29, 23, 55, tzinfo=berlin), cancelled: now - timedelta(hours=1)}
    for order, at in stamps.items():
        Order.objects.filter(pk=order.pk).update(placed_at=at)
    totals = {o: Order.objects.get(pk=o.pk).total for o in stamps}

    figures = selectors.sales_figures(now)

    assert figures.today == totals[today]
    assert figures.this_week == totals[today] + totals[monday]
    assert figures.open_value == totals[today] + totals[monday] + totals[last_sunday]


def test_the_late_panel_lists_the_most_overdue_first_and_counts_them(login, sales_user):
    first, second = placed("10.00"), placed("10.00")
    Order.objects.filter(pk__in=[first.pk, second.pk]).update(status=OrderStatus.CONFIRMED)
    Order.objects.filter(pk=first.pk).update(ship_by=first.placed_at - timedelta(days=2))
    Order.objects.filter(pk=second.pk).update(ship_by=second.placed_at - timedelta(days=3))
    client = login(sales_user)

    response = client.get(reverse("orders:dashboard"))

    assert [o.pk for o in response.context["late"]] == [second.pk, first.pk]
    assert 'data-count="late">2<' in response.content.decode()


@pytest.mark.parametrize("n_orders", [1, 12])
def test_the_dashboard_asks_a_fixed_number_of_queries(login, sales_user, django_assert_num_queries, n_orders):
    """Proves the dashboard's cost does not grow with the orders (no query per order or per status)."""
    for _ in range(n_orders):
        placed("10.00")
    client = login(sales_user)

    # session, user, groups, user and group permissions; statistics, the counts; sales, open value;
    # holds; late and their bounded count; the reorder panel's alerts
    with django_assert_num_queries(DASHBOARD_QUERIES):
        response = client.get(reverse("orders:dashboard"))

    assert f'data-status="placed">{n_orders}<' in response.content.decode()


DASHBOARD_QUERIES = 12 if connection.vendor == "postgresql" else 11


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the plans are PostgreSQL's")
@pytest.mark.parametrize("read, index", [
    (lambda: selectors.orders_late()[:10], "order_late_idx"),
    (lambda: selectors.orders_on_hold()[:10], "order_on_hold_idx"),
])
def test_the_panels_are_read_along_their_indexes_without_a_sort(read, index):
    """Proves each panel stops after its first rows on an index in its order, whatever the number of orders."""
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("SET LOCAL enable_bitmapscan = off")
        plan = read().explain()

    assert index in plan and "Sort" not in plan
