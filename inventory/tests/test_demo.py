import io

from inventory import demo
from inventory.models import PurchaseOrder, ReorderAlert, StockLevel, StockMovement, Supplier, Warehouse
from inventory.selectors import ledger_drift
from tests.factories import ProductFactory


def test_the_demo_data_is_idempotent_and_leaves_empty_stock_and_reorder_alerts(db):
    for n in range(1, 16):
        ProductFactory(sku=f"DEMO-{n:04d}", stock=0)

    for _ in range(2):
        demo.before_orders(stdout=io.StringIO())
        demo.after_orders(stdout=io.StringIO())

    assert Warehouse.objects.count() == 3 and Supplier.objects.count() == 2
    assert StockLevel.objects.count() == 45
    movements = StockMovement.objects.count()
    demo.before_orders(stdout=io.StringIO())
    assert StockMovement.objects.count() == movements
    empty = [p for p in {level.product for level in StockLevel.objects.select_related("product")}
             if sum(level.on_hand for level in p.stock_levels.all()) == 0]
    assert empty, "some products are sold out, so demo orders backorder"
    assert {p.sku for p in empty} == {"DEMO-0004", "DEMO-0010"}  # orders.demo.SCARCE_SKUS
    assert ReorderAlert.objects.exists() and PurchaseOrder.objects.exists()
    assert ledger_drift() == []
