"""The fulfillment queue: its order, its index, its search and its columns at a fixed query count."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.urls import reverse

from fulfillment.selectors import fulfillment_queue
from orders.enums import PRIORITY_RANK, OrderStatus
from orders.models import Order
from tests.factories import CustomerFactory, ProductFactory, WarehouseFactory

pytestmark = pytest.mark.django_db


def test_the_queue_sorts_by_priority_then_ship_by_with_none_last_then_placing_time_then_number(place):
    """Proves the indexed sort gives the queue's order on a hand-built set where each key breaks a tie."""
    orders = [place(priority=p) for p in ("standard", "rush", "expedited", "rush", "rush", "standard")]
    base = orders[0].placed_at
    promises = [base + timedelta(days=1), None, base + timedelta(days=2), base + timedelta(days=1),
                base + timedelta(days=1), None]
    placings = [base, base, base, base + timedelta(minutes=5), base, base]
    for order, ship_by, placed_at in zip(orders, promises, placings):
        Order.objects.filter(pk=order.pk).update(ship_by=ship_by, placed_at=placed_at)
    far = base + timedelta(days=999)

    queue = list(fulfillment_queue().values_list("number", flat=True))

    fresh = Order.objects.filter(pk__in=[o.pk for o in orders])
    expected = sorted(fresh, key=lambda o: (PRIORITY_RANK[o.priority], o.ship_by is None, o.ship_by or far,
                                            o.placed_at, o.pk))
    assert queue == [o.number for o in expected]
    assert queue[:3] == [orders[4].number, orders[3].number, orders[1].number]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the plan is PostgreSQL's")
def test_the_queue_first_page_is_read_along_its_index_without_a_sort(place):
    """Proves the index's expression is the queue's CASE exactly: PostgreSQL walks it and never sorts."""
    place(priority="rush")
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("SET LOCAL enable_bitmapscan = off")
        plan = fulfillment_queue()[:50].explain()

    assert "order_queue_rank_idx" in plan
    assert "Sort" not in plan


def test_the_queue_finds_an_order_by_number_and_by_its_customer(login, warehouse_user, place):
    grace = CustomerFactory(name="Grace Hopper", email="grace@example.com")
    hers, other = place(customer=grace), place()
    client = login(warehouse_user)

    def listed(q):
        return [row.order.number for row in client.get(reverse("fulfillment:queue"), {"q": q}).context["rows"]]

    assert listed(other.number) == [other.number]
    assert listed("grace@example.com") == [hers.number]
    assert listed("Hopper") == [hers.number]
    assert listed("nobody-at-all") == []


def test_the_queue_with_a_warehouse_lists_only_orders_allocated_there(login, warehouse_user, place, warehouse):
    allocated = place()
    elsewhere = WarehouseFactory(code="EAST")
    client = login(warehouse_user)

    there = client.get(reverse("fulfillment:queue"), {"warehouse": warehouse.pk}).context["rows"]
    empty = client.get(reverse("fulfillment:queue"), {"warehouse": elsewhere.pk}).context["rows"]

    assert [row.order.number for row in there] == [allocated.number]
    assert empty == []


def test_the_queue_shows_each_orders_units_and_warehouse(login, warehouse_user, place, warehouse):
    order = place(products=[ProductFactory(), ProductFactory()], quantities=[2, 3])
    client = login(warehouse_user)

    response = client.get(reverse("fulfillment:queue"))

    (row,) = response.context["rows"]
    assert row.order == order and row.units == 5 and row.warehouses == [warehouse.code]
    assert f'<td data-warehouses>{warehouse.code}</td>' in response.content.decode()


@pytest.mark.parametrize("n_orders", [2, 12])
def test_the_queue_asks_a_fixed_number_of_queries(login, warehouse_user, place, django_assert_num_queries,
                                                  n_orders):
    """Proves there is no query per row: units and warehouses come in one query each for the page."""
    for _ in range(n_orders):
        place()
    client = login(warehouse_user)

    # session, user, groups, user and group permissions; the page of orders with their customers,
    # its units, its warehouses; the warehouses of the picker
    with django_assert_num_queries(QUEUE_QUERIES):
        response = client.get(reverse("fulfillment:queue"))

    assert len(response.context["rows"]) == n_orders


QUEUE_QUERIES = 9


@pytest.mark.parametrize("page", ["0", "x", "99999999999999999999", "-1", "٣"])
def test_a_page_that_is_not_one_shows_the_first_page(login, warehouse_user, place, page):
    order = place()
    client = login(warehouse_user)

    response = client.get(reverse("fulfillment:queue"), {"page": page})

    assert response.status_code == 200
    assert [row.order for row in response.context["rows"]] == [order]


def test_a_page_past_the_last_shows_the_first_page(login, warehouse_user, place):
    order = place()
    client = login(warehouse_user)

    response = client.get(reverse("fulfillment:queue"), {"page": "7"})

    assert response.status_code == 200
    assert [row.order for row in response.context["rows"]] == [order]
    assert OrderStatus.CONFIRMED == Order.objects.get(pk=order.pk).status
