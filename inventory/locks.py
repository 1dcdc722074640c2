"""Row locks for stock, always taken in one order: stock levels by primary key.

Every operation that changes several stock levels locks them here first, so two
concurrent operations touching the same levels queue instead of deadlocking. (The
verification hot path takes the same locks in hand-written SQL: `inventory.sql`.)
"""

from collections.abc import Iterable

from inventory.models import PurchaseOrder, PurchaseOrderLine, StockLevel


def lock_stock_levels(*, product_ids: Iterable[int] | None = None, pks: Iterable[int] | None = None,
                      warehouse_id: int | None = None, active_only: bool = False) -> list[StockLevel]:
    """Lock the matching stock levels (pk order) and return them with their warehouse loaded."""
    qs = StockLevel.objects.select_related("warehouse")
    if product_ids is not None:
        qs = qs.filter(product_id__in=list(product_ids))
    if pks is not None:
        qs = qs.filter(pk__in=list(pks))
    if warehouse_id is not None:
        qs = qs.filter(warehouse_id=warehouse_id)
    if active_only:
        qs = qs.filter(warehouse__active=True)
    # of=("self",): lock the stock rows only, not the warehouse rows joined for routing.
    return list(qs.order_by("pk").select_for_update(of=("self",)))


def lock_purchase_order(pk: int) -> PurchaseOrder:
    return PurchaseOrder.objects.select_for_update().get(pk=pk)


def lock_purchase_order_lines(purchase_order_id: int) -> list[PurchaseOrderLine]:
    return list(
        PurchaseOrderLine.objects.filter(purchase_order_id=purchase_order_id)
        .select_related("product").order_by("pk").select_for_update(of=("self",))
    )
