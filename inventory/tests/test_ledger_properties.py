"""Property: whatever sequence of stock operations runs, the ledger explains every level."""

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inventory.models import StockLevel, Warehouse
from inventory.selectors import ledger_drift
from inventory.services import (
    stock_adjust,
    stock_level_configure,
    stock_receive,
    stock_return_restock,
    stock_transfer,
)
from oms.exceptions import DomainError
from orders.enums import OrderStatus
from orders.models import Order
from orders.services import (
    backorders_allocate,
    order_cancel,
    order_release_to_fulfillment,
    order_ship,
    order_verify,
)
from tests.factories import CustomerFactory, ProductFactory, make_order

warehouse_index = st.integers(0, 1)
product_index = st.integers(0, 1)
quantity = st.integers(1, 6)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("receive"), product_index, warehouse_index, quantity),
        st.tuples(st.just("restock"), product_index, warehouse_index, quantity),
        st.tuples(st.just("adjust"), product_index, warehouse_index, st.integers(-4, 4).filter(bool)),
        st.tuples(st.just("transfer"), product_index, warehouse_index, quantity),
        st.tuples(st.just("order"), product_index, st.integers(0, 1), quantity),
        st.tuples(st.just("cancel"), st.integers(0, 20)),
        st.tuples(st.just("ship"), st.integers(0, 20)),
        st.tuples(st.just("backorders"),),
    ),
    min_size=1,
    max_size=15,
)


def apply(op, products, warehouses, customer):
    kind = op[0]
    if kind in {"receive", "restock"}:
        service = stock_receive if kind == "receive" else stock_return_restock
        service(actor=None, product=products[op[1]], warehouse=warehouses[op[2]], quantity=op[3])
    elif kind == "adjust":
        level = StockLevel.objects.get(product=products[op[1]], warehouse=warehouses[op[2]])
        stock_adjust(actor=None, stock_level=level, quantity_delta=op[3], reason="Count")
    elif kind == "transfer":
        stock_transfer(actor=None, product=products[op[1]], source=warehouses[op[2]],
                       destination=warehouses[1 - op[2]], quantity=op[3])
    elif kind == "order":
        lines = [products[op[1]]] if op[2] == 0 else list(products)
        order = make_order(customer=customer, products=lines, quantities=[op[3]] * len(lines), submit=True)
        order_verify(actor=None, order=order)
    elif kind == "backorders":
        backorders_allocate(actor=None, product_ids=[p.pk for p in products])
    else:
        orders = list(Order.objects.order_by("pk"))
        if not orders:
            return
        order = orders[op[1] % len(orders)]
        if kind == "cancel":
            order_cancel(actor=None, order=order, reason="Property test")
        elif order.status == OrderStatus.CONFIRMED:
            order_ship(actor=None, order=order_release_to_fulfillment(actor=None, order=order))


@pytest.mark.django_db
@settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(ops=operations)
def test_on_hand_and_allocated_always_equal_the_sums_of_the_ledger(settings_override, ops):
    with transaction.atomic():
        warehouses = [Warehouse.objects.create(code=f"W{i}", name=f"W{i}", country="US", priority=i)
                      for i in range(2)]
        products = [ProductFactory(stock=0), ProductFactory(stock=0, allow_backorder=False)]
        for product in products:
            for warehouse in warehouses:
                stock_level_configure(actor=None, product=product, warehouse=warehouse)
        customer = CustomerFactory()
        for op in ops:
            try:
                with transaction.atomic():
                    apply(op, products, warehouses, customer)
            except DomainError:
                pass  # refused operations change nothing; the ledger must still hold
            assert ledger_drift() == []
            for level in StockLevel.objects.all():
                assert 0 <= level.allocated <= level.on_hand
        transaction.set_rollback(True)


@pytest.fixture
def settings_override(settings):
    settings.OMS_AUTO_VERIFY = False
    return settings
