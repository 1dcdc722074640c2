import pytest

from inventory.enums import MovementKind, PurchaseOrderStatus
from inventory.models import PurchaseOrder, ReorderAlert, StockLevel, StockMovement
from inventory.selectors import ledger_drift
from inventory.services import (
    PurchaseLineInput,
    purchase_order_cancel,
    purchase_order_create,
    purchase_order_receive,
    purchase_order_receive_code,
    purchase_order_send,
    purchase_orders_create_from_alerts,
    reorder_alerts_scan,
    stock_level_configure,
)
from oms.exceptions import DomainError, TransitionRefused
from orders.enums import OrderStatus
from orders.services import backorders_allocate
from tests.factories import SupplierFactory


@pytest.fixture
def sent_po(product_with_stock, warehouses):
    first, second = product_with_stock(), product_with_stock()
    po = purchase_order_create(actor=None, supplier=SupplierFactory(), warehouse=warehouses["east"],
                               lines=[PurchaseLineInput(first, 10), PurchaseLineInput(second, 4)])
    return purchase_order_send(actor=None, purchase_order=po)


def test_purchase_orders_are_numbered_from_their_own_sequence(sent_po, warehouses):
    other = purchase_order_create(actor=None, supplier=sent_po.supplier, warehouse=warehouses["west"],
                                  lines=[PurchaseLineInput(sent_po.lines.first().product, 1)])

    assert sent_po.number == "PO-000001" and other.number == "PO-000002"
    assert other.status == PurchaseOrderStatus.DRAFT


def test_a_partial_receipt_adds_stock_through_the_ledger_and_leaves_the_rest_outstanding(sent_po):
    first, second = sent_po.lines.all()

    po = purchase_order_receive(actor=None, purchase_order=sent_po, quantities={first.pk: 6})

    assert po.status == PurchaseOrderStatus.PARTIALLY_RECEIVED
    first.refresh_from_db()
    assert (first.quantity_received, first.quantity_outstanding) == (6, 4)
    movement = StockMovement.objects.get(kind=MovementKind.RECEIPT, purchase_order=po)
    assert (movement.on_hand_delta, movement.reference) == (6, po.number)
    assert StockLevel.objects.get(product=first.product).on_hand == 6

    po = purchase_order_receive(actor=None, purchase_order=po, quantities={first.pk: 4, second.pk: 4})
    assert po.status == PurchaseOrderStatus.RECEIVED and po.received_at is not None
    assert ledger_drift() == []


def test_receiving_more_than_outstanding_is_refused_and_changes_nothing(sent_po):
    first = sent_po.lines.first()

    with pytest.raises(DomainError, match="receive 1 to 10, not 11"):
        purchase_order_receive(actor=None, purchase_order=sent_po, quantities={first.pk: 11})

    assert not StockMovement.objects.filter(purchase_order=sent_po).exists()
    sent_po.refresh_from_db()
    assert sent_po.status == PurchaseOrderStatus.SENT


def test_goods_are_received_by_scanning_a_barcode_or_typing_the_sku(sent_po):
    first, second = sent_po.lines.all()

    purchase_order_receive_code(actor=None, purchase_order=sent_po, code=first.product.barcode, quantity=2)
    line = purchase_order_receive_code(actor=None, purchase_order=sent_po, code=second.product.sku.lower())

    first.refresh_from_db()
    assert (first.quantity_received, line.quantity_received) == (2, 1)
    with pytest.raises(DomainError, match="is not on purchase order"):
        purchase_order_receive_code(actor=None, purchase_order=sent_po, code="0000")


def test_a_draft_cannot_be_received_and_a_received_po_cannot_be_cancelled(product_with_stock, warehouses):
    product = product_with_stock()
    po = purchase_order_create(actor=None, supplier=SupplierFactory(), warehouse=warehouses["east"],
                               lines=[PurchaseLineInput(product, 1)])
    with pytest.raises(TransitionRefused, match="only sent purchase orders"):
        purchase_order_receive(actor=None, purchase_order=po, quantities={po.lines.get().pk: 1})

    purchase_order_send(actor=None, purchase_order=po)
    po = purchase_order_receive(actor=None, purchase_order=po, quantities={po.lines.get().pk: 1})
    with pytest.raises(TransitionRefused, match="cannot be cancelled"):
        purchase_order_cancel(actor=None, purchase_order=po)


def test_receiving_a_po_releases_waiting_backorders(sent_po, verified_order):
    product = sent_po.lines.first().product
    order = verified_order([product], [3])
    assert order.status == OrderStatus.BACKORDERED

    purchase_order_receive(actor=None, purchase_order=sent_po, quantities={sent_po.lines.first().pk: 3})
    backorders_allocate(actor=None, product_ids=[product.pk])

    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED


def test_reorder_alerts_become_draft_purchase_orders_in_one_click(product_with_stock, warehouses):
    supplier = SupplierFactory()
    products = [product_with_stock(east=1), product_with_stock(west=1)]
    for product in products:
        product.supplier = supplier
        product.save()
        for stock in StockLevel.objects.filter(product=product):
            stock_level_configure(actor=None, product=product, warehouse=stock.warehouse, reorder_point=5,
                                  reorder_quantity=12)
    reorder_alerts_scan()

    created = purchase_orders_create_from_alerts(actor=None, alerts=ReorderAlert.objects.open())

    assert len(created) == 2  # one per warehouse
    assert {po.lines.get().quantity_ordered for po in created} == {12}
    assert not ReorderAlert.objects.filter(purchase_order__isnull=True).exists()
    with pytest.raises(DomainError, match="No open alerts"):
        purchase_orders_create_from_alerts(actor=None, alerts=ReorderAlert.objects.open())
    assert PurchaseOrder.objects.count() == 2


def test_alerts_for_products_without_a_supplier_ask_for_one(product_with_stock, warehouses):
    product = product_with_stock(east=1)
    stock_level_configure(actor=None, product=product, warehouse=warehouses["east"],
                          bin_location="", reorder_point=5, reorder_quantity=12)
    reorder_alerts_scan()

    with pytest.raises(DomainError, match=f"No supplier for {product.sku}"):
        purchase_orders_create_from_alerts(actor=None, alerts=ReorderAlert.objects.open())
