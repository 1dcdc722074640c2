from datetime import timedelta

from django.utils import timezone

from inventory.models import StockLevel
from inventory.services import stock_adjust, stock_receive, stock_return_restock
from orders.enums import OrderEventType, OrderStatus, Priority
from orders.models import Order
from orders.services import backorders_allocate, order_cancel


def test_arriving_stock_serves_backorders_by_priority_then_promise_then_placing_time(
        product_with_stock, verified_order, warehouses):
    product = product_with_stock()
    standard_early = verified_order([product], [1])
    standard_late = verified_order([product], [1])
    expedited = verified_order([product], [1], priority=Priority.EXPEDITED)
    rush = verified_order([product], [1], priority=Priority.RUSH)
    Order.objects.filter(pk=standard_late.pk).update(ship_by=timezone.now())  # promised sooner
    assert {o.status for o in Order.objects.all()} == {OrderStatus.BACKORDERED}

    stock_receive(actor=None, product=product, warehouse=warehouses["east"], quantity=3)
    confirmed = backorders_allocate(actor=None, product_ids=[product.pk])

    assert [o.pk for o in confirmed] == [rush.pk, expedited.pk, standard_late.pk]
    standard_early.refresh_from_db()
    assert standard_early.status == OrderStatus.BACKORDERED


def test_a_backorder_is_confirmed_only_when_every_line_is_allocated(product_with_stock, verified_order,
                                                                    warehouses):
    first, second = product_with_stock(), product_with_stock()
    order = verified_order([first, second], [2, 2])

    stock_receive(actor=None, product=first, warehouse=warehouses["east"], quantity=5)
    assert backorders_allocate(actor=None, product_ids=[first.pk]) == []
    order.refresh_from_db()
    assert order.status == OrderStatus.BACKORDERED
    assert order.events.filter(type=OrderEventType.STOCK).exists()

    stock_receive(actor=None, product=second, warehouse=warehouses["west"], quantity=1)
    stock_receive(actor=None, product=second, warehouse=warehouses["central"], quantity=1)
    [confirmed] = backorders_allocate(actor=None, product_ids=[second.pk])
    assert confirmed.pk == order.pk and confirmed.status == OrderStatus.CONFIRMED
    event = confirmed.events.filter(to_status=OrderStatus.CONFIRMED).get()
    assert event.customer_visible


def test_a_receipt_releases_backorders_through_the_signal_and_the_orders_task(
        product_with_stock, verified_order, warehouses, django_capture_on_commit_callbacks):
    product = product_with_stock()
    order = verified_order([product], [2])

    with django_capture_on_commit_callbacks(execute=True):
        stock_receive(actor=None, product=product, warehouse=warehouses["east"], quantity=2)

    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED


def test_return_restock_upward_adjustment_and_cancellation_all_announce_replenished_stock(
        product_with_stock, verified_order, warehouses, django_capture_on_commit_callbacks):
    from inventory.signals import stock_replenished

    product = product_with_stock(east=1)
    heard = []

    def listener(sender, product_ids, **kwargs):
        heard.append(tuple(product_ids))

    stock_replenished.connect(listener)
    try:
        order = verified_order([product], [1])
        with django_capture_on_commit_callbacks(execute=True):
            stock_return_restock(actor=None, product=product, warehouse=warehouses["east"], quantity=1)
            stock_adjust(actor=None, stock_level=StockLevel.objects.get(product=product), quantity_delta=2,
                         reason="Found in aisle 4")
            order_cancel(actor=None, order=order, reason="Duplicate")
    finally:
        stock_replenished.disconnect(listener)
    assert heard == [(product.pk,)] * 3


def test_an_order_cancelled_while_backordered_is_skipped(product_with_stock, verified_order, warehouses):
    product = product_with_stock()
    order = verified_order([product], [1])
    order_cancel(actor=None, order=order, reason="Too slow")
    stock_receive(actor=None, product=product, warehouse=warehouses["east"], quantity=1)

    assert backorders_allocate(actor=None, product_ids=[product.pk]) == []
    assert StockLevel.objects.get(product=product).allocated == 0


def test_backorders_without_a_promise_date_come_after_those_with_one(product_with_stock, verified_order,
                                                                     warehouses):
    product = product_with_stock()
    dated = verified_order([product], [1])
    undated = verified_order([product], [1])
    Order.objects.filter(pk=undated.pk).update(ship_by=None, placed_at=dated.placed_at - timedelta(days=1))

    stock_receive(actor=None, product=product, warehouse=warehouses["east"], quantity=1)

    assert [o.pk for o in backorders_allocate(actor=None, product_ids=[product.pk])] == [dated.pk]
