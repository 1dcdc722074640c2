"""Reads of stock for screens, the reorder check and the ledger check."""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, F, Prefetch, Q, Sum

from inventory.enums import OPEN_PO_STATUSES
from inventory.forecast import Forecast, daily_demand_by_level, forecast
from inventory.models import Allocation, PurchaseOrder, PurchaseOrderLine, ReorderAlert, StockLevel, StockMovement


def incoming_by_level(levels) -> dict[int, int]:
    """Open purchase order quantity (ordered, not yet received) per stock level id."""
    levels = list(levels)
    if not levels:
        return {}
    rows = (
        PurchaseOrderLine.objects.filter(purchase_order__status__in=OPEN_PO_STATUSES,
                                         product_id__in={level.product_id for level in levels},
                                         quantity_ordered__gt=F("quantity_received"))
        .values("product_id", "purchase_order__warehouse_id")
        .annotate(outstanding=Sum(F("quantity_ordered") - F("quantity_received")))
    )
    by_key = {(r["product_id"], r["purchase_order__warehouse_id"]): r["outstanding"] for r in rows}
    return {level.pk: by_key.get((level.product_id, level.warehouse_id), 0) for level in levels}


def stock_levels_for_list(*, warehouse_id=None, low: bool = False, q: str = ""):
    qs = StockLevel.objects.select_related("product", "warehouse").with_available()
    if warehouse_id:
        qs = qs.filter(warehouse_id=warehouse_id)
    if low:
        qs = qs.low()
    q = q.strip()
    if q:
        qs = qs.filter(Q(product__sku__icontains=q) | Q(product__name__icontains=q) | Q(product__barcode=q))
    return qs.order_by("product__sku", "warehouse__priority", "warehouse__code")


def ledger_for_product(product, *, limit: int = 200):
    return (StockMovement.objects.filter(product=product)
            .select_related("warehouse", "actor", "order", "purchase_order")
            .order_by("-created_at", "-pk")[:limit])


def ledger_drift() -> list[dict]:
    """Stock levels whose on hand or allocated differ from the sums of their movements,
    or whose allocated differs from the open quantity of their allocations."""
    sums = defaultdict(lambda: (0, 0))
    for row in StockMovement.objects.values("stock_level_id").annotate(on_hand=Sum("on_hand_delta"),
                                                                       allocated=Sum("allocated_delta")):
        sums[row["stock_level_id"]] = (row["on_hand"] or 0, row["allocated"] or 0)
    reserved = dict(
        Allocation.objects.values("stock_level_id")
        .annotate(open=Sum(F("quantity") - F("quantity_consumed") - F("quantity_released")))
        .values_list("stock_level_id", "open")
    )
    drift = []
    for level in StockLevel.objects.select_related("product", "warehouse").order_by("pk"):
        on_hand, allocated = sums[level.pk]
        open_allocations = reserved.get(level.pk) or 0
        if (level.on_hand, level.allocated, level.allocated) != (on_hand, allocated, open_allocations):
            drift.append({"level": level, "on_hand": level.on_hand, "ledger_on_hand": on_hand,
                          "allocated": level.allocated, "ledger_allocated": allocated,
                          "open_allocations": open_allocations})
    return drift


@dataclass(frozen=True)
class LevelRow:
    level: StockLevel
    incoming: int
    forecast: Forecast


def stock_card(product) -> list[LevelRow]:
    """A product's levels per warehouse with incoming stock and the demand forecast."""
    levels = list(StockLevel.objects.filter(product=product).select_related("warehouse", "product__supplier")
                  .order_by("warehouse__priority", "warehouse__code"))
    incoming = incoming_by_level(levels)
    demand = daily_demand_by_level([level.pk for level in levels])
    rows = []
    for level in levels:
        supplier = level.product.supplier
        rows.append(LevelRow(level, incoming.get(level.pk, 0), forecast(
            daily_demand=demand.get(level.pk, 0.0), available=level.available, incoming=incoming.get(level.pk, 0),
            reorder_point=level.reorder_point, reorder_quantity=level.reorder_quantity,
            lead_time_days=supplier.lead_time_days if supplier else 7)))
    return rows


def reorder_alerts_for_list(*, open_only: bool = True, limit: int = 200,
                            with_incoming: bool = True) -> list[ReorderAlert]:
    """The newest alerts, each with `incoming_now`: what is on order for its level today, by the same
    definition as the stock card (`incoming_by_level`). The alert's own `incoming` is what was on order
    when it was raised."""
    qs = ReorderAlert.objects.select_related("stock_level__product__supplier", "stock_level__warehouse",
                                             "purchase_order")
    if open_only:
        qs = qs.open()
    alerts = list(qs.order_by("-raised_at", "-pk")[:limit])
    if not with_incoming:
        return alerts
    incoming = incoming_by_level(alert.stock_level for alert in alerts)
    for alert in alerts:
        alert.incoming_now = incoming.get(alert.stock_level_id, 0)
    return alerts


def purchase_orders_for_list(*, status: str = ""):
    qs = PurchaseOrder.objects.select_related("supplier", "warehouse").annotate(
        line_count=Count("lines"), ordered=Sum("lines__quantity_ordered"), received=Sum("lines__quantity_received"))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-pk")


def purchase_order_detail(pk: int) -> PurchaseOrder:
    return (PurchaseOrder.objects.select_related("supplier", "warehouse", "created_by")
            .prefetch_related(Prefetch("lines", queryset=PurchaseOrderLine.objects.select_related("product")))
            .get(pk=pk))
