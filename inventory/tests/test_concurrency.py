"""Real concurrency on PostgreSQL: threads, each with its own connection and transaction."""

import threading
import time

import pytest
from django.db import connection, connections

from inventory.models import StockLevel
from inventory.selectors import ledger_drift
from inventory.services import stock_receive
from orders.enums import HoldReason, OrderStatus
from orders.models import Order
from orders.services import order_verify
from tests.concurrency import run_together
from tests.factories import CustomerFactory, ProductFactory, WarehouseFactory, make_order

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 12


def run_concurrently(order_ids):
    return run_together([lambda pk=pk: order_verify(actor=None, order=Order.objects.get(pk=pk)).status
                         for pk in order_ids], workers=WORKERS)


class MinimumAvailable(threading.Thread):
    """Samples the lowest available quantity while the verifications run."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.lowest = None

    def run(self):
        try:
            while not self.stop.is_set():
                with connection.cursor() as cursor:
                    cursor.execute(f"SELECT MIN(on_hand - allocated) FROM {StockLevel._meta.db_table}")
                    value = cursor.fetchone()[0]
                self.lowest = value if self.lowest is None else min(self.lowest, value)
                time.sleep(0.005)
        finally:
            connection.close()


@pytest.mark.parametrize("allow_backorder", [True, False], ids=["backorder", "hold"])
def test_200_concurrent_verifications_for_the_last_10_units_allocate_exactly_10(settings, allow_backorder):
    settings.OMS_AUTO_VERIFY = False
    product = ProductFactory(stock=10, allow_backorder=allow_backorder)
    customer = CustomerFactory()
    order_ids = [make_order(customer=customer, products=[product], submit=True).pk for _ in range(200)]
    sampler = MinimumAvailable()
    sampler.start()

    outcomes = run_concurrently(order_ids)

    sampler.stop.set()
    sampler.join()
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert errors == []
    assert outcomes.count(OrderStatus.CONFIRMED) == 10
    losers = OrderStatus.BACKORDERED if allow_backorder else OrderStatus.ON_HOLD
    assert outcomes.count(losers) == 190
    if not allow_backorder:
        held = Order.objects.filter(status=OrderStatus.ON_HOLD)
        assert set(held.values_list("hold_reason", flat=True)) == {HoldReason.OUT_OF_STOCK}
        assert all(h.message.startswith("Not enough stock and no backorder allowed: ") for o in held for h in o.holds.all())
    stock = StockLevel.objects.get(product=product)
    assert (stock.on_hand, stock.allocated) == (10, 10)
    assert sampler.lowest is not None and sampler.lowest >= 0
    assert ledger_drift() == []


def test_orders_holding_the_same_skus_in_opposite_line_order_never_deadlock(settings):
    settings.OMS_AUTO_VERIFY = False
    second_warehouse = WarehouseFactory(code="WEST", name="West", region="CA", priority=20)
    first, second, third = (ProductFactory(stock=60) for _ in range(3))
    for product in (first, second, third):
        stock_receive(actor=None, product=product, warehouse=second_warehouse, quantity=60)
    customer = CustomerFactory()
    line_orders = [[first, second, third], [third, second, first], [second, third, first], [third, first, second]]
    order_ids = [
        make_order(customer=customer, products=line_orders[i % 4], quantities=[1, 2, 1], submit=True).pk
        for i in range(60)
    ]

    outcomes = run_concurrently(order_ids)

    assert [o for o in outcomes if isinstance(o, Exception)] == []
    assert outcomes.count(OrderStatus.CONFIRMED) + outcomes.count(OrderStatus.BACKORDERED) == 60
    assert ledger_drift() == []
    for product in (first, second, third):
        assert sum(level.available for level in StockLevel.objects.filter(product=product)) >= 0
    connections.close_all()
