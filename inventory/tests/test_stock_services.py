import pytest

from inventory.enums import MovementKind
from inventory.models import StockLevel, StockMovement
from inventory.selectors import ledger_drift
from inventory.services import stock_adjust, stock_receive, stock_transfer
from inventory.tasks import reorder_alerts_scan_task
from oms.exceptions import DomainError


def test_a_transfer_moves_available_stock_and_writes_both_sides_of_the_ledger(product_with_stock, warehouses):
    product = product_with_stock(east=5)

    out, into = stock_transfer(actor=None, product=product, source=warehouses["east"],
                               destination=warehouses["west"], quantity=3, reason="Balance")

    assert (out.kind, out.on_hand_delta, into.kind, into.on_hand_delta) == (
        MovementKind.TRANSFER_OUT, -3, MovementKind.TRANSFER_IN, 3)
    assert {lvl.warehouse.code: lvl.on_hand for lvl in StockLevel.objects.filter(product=product)} == {
        "EAST": 2, "WEST": 3}
    assert ledger_drift() == []


def test_allocated_stock_cannot_be_transferred(product_with_stock, verified_order, warehouses):
    product = product_with_stock(east=5)
    verified_order([product], [4])

    with pytest.raises(DomainError, match="only 1 available; cannot transfer 2"):
        stock_transfer(actor=None, product=product, source=warehouses["east"], destination=warehouses["west"],
                       quantity=2)


@pytest.mark.parametrize(("delta", "kind", "reason", "message"), [
    (0, MovementKind.ADJUSTMENT, "Count", "must change the quantity"),
    (-1, MovementKind.ADJUSTMENT, " ", "Say why"),
    (2, MovementKind.SCRAP, "Broken", "must be negative"),
    (-6, MovementKind.ADJUSTMENT, "Count", "only 5 are not allocated"),
])
def test_bad_adjustments_are_refused_and_change_nothing(product_with_stock, delta, kind, reason, message):
    product = product_with_stock(east=5)
    level = StockLevel.objects.get(product=product)

    with pytest.raises(DomainError, match=message):
        stock_adjust(actor=None, stock_level=level, quantity_delta=delta, reason=reason, kind=kind)

    assert StockMovement.objects.filter(stock_level=level).count() == 1


def test_receipts_need_a_positive_whole_quantity(product_with_stock, warehouses):
    product = product_with_stock()

    with pytest.raises(DomainError, match="at least 1"):
        stock_receive(actor=None, product=product, warehouse=warehouses["east"], quantity=0)


def test_a_saved_movement_cannot_be_rewritten(product_with_stock):
    movement = StockMovement.objects.get(product=product_with_stock(east=1))
    movement.on_hand_delta = 100

    with pytest.raises(ValueError, match="immutable"):
        movement.save()


def test_the_beat_task_runs_the_reorder_check(product_with_stock, warehouses):
    from inventory.services import stock_level_configure

    product = product_with_stock(east=1)
    stock_level_configure(actor=None, product=product, warehouse=warehouses["east"], reorder_point=3)

    assert reorder_alerts_scan_task.apply().get() == 1
    assert reorder_alerts_scan_task.apply().get() == 0
