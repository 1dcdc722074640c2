from inventory.enums import MovementKind
from inventory.models import Allocation, StockLevel, StockMovement
from inventory.selectors import ledger_drift
from orders.enums import HoldReason, OrderStatus
from orders.models import OrderLine
from orders.services import order_cancel, order_release_hold, order_release_to_fulfillment, order_ship
from tests.factories import address


def level(product, warehouse):
    return StockLevel.objects.get(product=product, warehouse=warehouse)


def test_an_order_with_stock_is_confirmed_and_its_lines_allocated(product_with_stock, verified_order, warehouses):
    product = product_with_stock(east=10)

    order = verified_order([product], [3])

    assert order.status == OrderStatus.CONFIRMED
    assert OrderLine.objects.get(order=order).quantity_allocated == 3
    stock = level(product, warehouses["east"])
    assert (stock.on_hand, stock.allocated, stock.available) == (10, 3, 7)
    movement = StockMovement.objects.get(kind=MovementKind.ALLOCATION)
    assert (movement.allocated_delta, movement.on_hand_delta, movement.order_id) == (3, 0, order.pk)
    assert ledger_drift() == []


def test_one_warehouse_that_can_ship_everything_is_preferred_to_a_split(product_with_stock, verified_order,
                                                                         warehouses):
    # Given East (better priority) has only the first product, Central has both
    first = product_with_stock(east=5, central=5)
    second = product_with_stock(central=5)

    order = verified_order([first, second], [2, 2])

    assert {a.warehouse.code for a in Allocation.objects.filter(order=order)} == {"CENTRAL"}
    assert order.status == OrderStatus.CONFIRMED


def test_warehouse_priority_wins_then_the_customers_region(product_with_stock, verified_order, warehouses):
    product = product_with_stock(east=5, west=5, central=5)

    west_coast = verified_order([product], [1], shipping_address=address(region="CA"))
    east_coast = verified_order([product], [1], shipping_address=address(region="NY"))
    illinois = verified_order([product], [1], shipping_address=address(region="IL"))

    assert Allocation.objects.get(order=west_coast).warehouse.code == "WEST"
    assert Allocation.objects.get(order=east_coast).warehouse.code == "EAST"
    # Central is in Illinois, but its priority (20) is worse than East and West (10).
    assert Allocation.objects.get(order=illinois).warehouse.code in {"EAST", "WEST"}


def test_lines_are_split_across_warehouses_when_no_single_one_can_ship(product_with_stock, verified_order,
                                                                       warehouses):
    product = product_with_stock(east=3, central=4)

    order = verified_order([product], [6])

    assert order.status == OrderStatus.CONFIRMED
    split = {a.warehouse.code: a.quantity for a in Allocation.objects.filter(order=order)}
    assert split == {"EAST": 3, "CENTRAL": 3}
    assert level(product, warehouses["east"]).available == 0


def test_short_stock_backorders_the_order_and_keeps_the_partial_allocation(product_with_stock, verified_order,
                                                                            warehouses):
    product = product_with_stock(east=2)

    order = verified_order([product], [5])

    assert order.status == OrderStatus.BACKORDERED
    assert OrderLine.objects.get(order=order).quantity_allocated == 2
    assert level(product, warehouses["east"]).available == 0
    checks = {c["check"]: c for c in order.events.last().data["checks"]}
    assert "3 of 5 short" in checks["stock_allocation"]["message"]


def test_short_stock_of_a_product_that_may_not_backorder_holds_the_order_as_out_of_stock(
        product_with_stock, verified_order, warehouses):
    scarce = product_with_stock(east=1, allow_backorder=False)
    plenty = product_with_stock(east=10)

    order = verified_order([plenty, scarce], [1, 2])

    assert order.status == OrderStatus.ON_HOLD
    assert order.hold_reason == HoldReason.OUT_OF_STOCK
    assert order.holds.get().message.startswith(f"Not enough stock and no backorder allowed: {scarce.sku} (")
    assert not Allocation.objects.filter(order=order).exists()
    assert level(scarce, warehouses["east"]).allocated == 0


def test_verifying_again_allocates_only_what_is_still_missing(product_with_stock, verified_order, warehouses):
    from orders.services import order_hold

    product = product_with_stock(east=5)
    order = verified_order([product], [4])
    order = order_hold(actor=None, order=order, message="Customer called")

    order = order_release_hold(actor=None, order=order)

    assert order.status == OrderStatus.CONFIRMED
    assert level(product, warehouses["east"]).allocated == 4
    assert Allocation.objects.filter(order=order).count() == 1


def test_inactive_warehouses_are_not_allocated_from(product_with_stock, verified_order, warehouses):
    product = product_with_stock(east=5, central=5)
    warehouses["east"].active = False
    warehouses["east"].save()

    order = verified_order([product], [2])

    assert Allocation.objects.get(order=order).warehouse.code == "CENTRAL"


def test_cancelling_an_order_releases_its_allocations(product_with_stock, verified_order, warehouses):
    product = product_with_stock(east=5)
    order = verified_order([product], [4])

    order_cancel(actor=None, order=order, reason="Customer changed their mind")

    stock = level(product, warehouses["east"])
    assert (stock.on_hand, stock.allocated) == (5, 0)
    allocation = Allocation.objects.get(order=order)
    assert (allocation.quantity_released, allocation.status) == (4, "released")
    assert OrderLine.objects.get(order=order).quantity_allocated == 0
    assert StockMovement.objects.filter(kind=MovementKind.RELEASE, allocated_delta=-4).exists()
    assert ledger_drift() == []


def test_shipping_consumes_the_allocations_and_takes_the_stock_off_hand(product_with_stock, verified_order,
                                                                         warehouses):
    product = product_with_stock(east=2, central=5)
    order = verified_order([product], [4])  # 4 from Central (one warehouse can ship it all)
    order = order_release_to_fulfillment(actor=None, order=order)
    line = OrderLine.objects.get(order=order)

    order_ship(actor=None, order=order, quantities={line.pk: 3})

    stock = level(product, warehouses["central"])
    assert (stock.on_hand, stock.allocated) == (2, 1)
    assert StockMovement.objects.get(kind=MovementKind.SHIPMENT).on_hand_delta == -3
    order = order_ship(actor=None, order=order)
    assert order.status == OrderStatus.SHIPPED
    assert level(product, warehouses["central"]).on_hand == 1
    assert Allocation.objects.get(order=order).status == "consumed"
    assert ledger_drift() == []


def test_the_allocation_lock_reads_the_same_levels_as_the_orm_lock(product_with_stock, warehouses):
    from django.db import transaction

    from inventory.locks import lock_stock_levels
    from inventory.sql import lock_stock_levels_for_allocation

    first, second = product_with_stock(east=1, west=2), product_with_stock(central=3)
    warehouses["west"].active = False
    warehouses["west"].save()

    with transaction.atomic():
        fast = lock_stock_levels_for_allocation([first.pk, second.pk])
        orm = lock_stock_levels(product_ids=[first.pk, second.pk], active_only=True)

    assert [(lv.pk, lv.on_hand, lv.allocated, lv.warehouse.code, lv.warehouse.priority) for lv in fast] == [
        (lv.pk, lv.on_hand, lv.allocated, lv.warehouse.code, lv.warehouse.priority) for lv in orm]
    assert [lv.warehouse.code for lv in fast] == ["EAST", "CENTRAL"]


def test_a_parcel_from_one_warehouse_consumes_that_warehouses_allocation(product_with_stock, verified_order,
                                                                         warehouses):
    # Given one line split: 3 allocated in East, 3 in Central
    product = product_with_stock(east=3, central=4)
    order = order_release_to_fulfillment(actor=None, order=verified_order([product], [6]))
    line = OrderLine.objects.get(order=order)

    # When Central ships its 3 first
    order_ship(actor=None, order=order, quantities={line.pk: 3}, warehouse_id=warehouses["central"].pk)

    # Then Central's stock left, East's allocation is untouched
    east, central = level(product, warehouses["east"]), level(product, warehouses["central"])
    assert (central.on_hand, central.allocated) == (1, 0)
    assert (east.on_hand, east.allocated) == (3, 3)
    assert ledger_drift() == []


def test_a_warehouse_cannot_ship_units_allocated_elsewhere(product_with_stock, verified_order, warehouses):
    from oms.exceptions import DomainError

    product = product_with_stock(east=3, central=4)
    order = order_release_to_fulfillment(actor=None, order=verified_order([product], [6]))
    line = OrderLine.objects.get(order=order)

    try:
        order_ship(actor=None, order=order, quantities={line.pk: 4}, warehouse_id=warehouses["central"].pk)
    except DomainError as exc:
        assert "only 3 allocated" in exc.message
    else:
        raise AssertionError("shipping 4 from a warehouse holding 3 of the allocation was accepted")
    line.refresh_from_db()
    assert line.quantity_shipped == 0 and level(product, warehouses["central"]).allocated == 3
