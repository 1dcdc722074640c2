"""The order list's sorts: stable between pages, and each read from an index at a million orders."""

from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from orders.models import Order
from orders.tables import OrderTable
from tests.factories import make_order

pytestmark = pytest.mark.django_db


def _listed(client, sort: str) -> list[str]:
    html = client.get(reverse("orders:order_list"), {"sort": sort}).content.decode()
    return [chunk.split('"')[0].rstrip("/") for chunk in html.split('href="/orders/')[1:] if chunk.startswith("SO-")]


@pytest.mark.parametrize("sort", ["total", "-total", "ship_by", "-ship_by"])
def test_orders_with_equal_values_keep_their_order_by_number(login, sales_user, sort):
    orders = [make_order() for _ in range(4)]
    Order.objects.filter(pk__in=[o.pk for o in orders]).update(total=Decimal("10.00"), ship_by=None)
    numbers = sorted(o.number for o in orders)
    assert _listed(login(sales_user), sort) == (numbers[::-1] if sort.startswith("-") else numbers)


@pytest.mark.postgres
@pytest.mark.parametrize("sort, index", [("-total", "order_total_idx"), ("total", "order_total_idx"),
                                         ("ship_by", "order_ship_by_idx"), ("-ship_by", "order_ship_by_idx"),
                                         ("-created_at", "order_created_idx")])
def test_each_sort_of_the_list_reads_its_index(sort, index):
    """A sort with no index reads and sorts every order to show 50 (600 ms at a million orders, bench/order_list)."""
    make_order()
    table = OrderTable(Order.objects.for_list(), order_by=sort)
    queryset = table.data.data[:50]
    with connection.cursor() as cursor:
        # With sorting and whole-table reads priced out, the plan can only deliver the rows in order from an
        # index that has that order; on a table this small the planner would otherwise sort, whatever exists.
        cursor.execute("ANALYZE orders_order")  # as autovacuum may have: the planner knows the table is tiny
        cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; "
                       "SET LOCAL enable_sort = off; SET LOCAL enable_incremental_sort = off")
        plan = queryset.explain()
    assert "Sort" not in plan.replace("Sort Key", ""), plan
    assert index in plan, plan
