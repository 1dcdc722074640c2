"""Demo data for `manage.py seed_demo`: warehouses, suppliers and stock; both steps idempotent."""

import random
from decimal import Decimal

from django.db import transaction

from inventory.models import Product, PurchaseOrder, ReorderAlert, StockLevel, Supplier, Warehouse
from inventory.services import (
    purchase_order_receive,
    purchase_order_send,
    purchase_orders_create_from_alerts,
    reorder_alerts_scan,
    stock_level_configure,
    stock_receive,
)

WAREHOUSES = [
    dict(code="EAST", name="East coast DC (Newark)", country="US", region="NJ", priority=10),
    dict(code="WEST", name="West coast DC (Reno)", country="US", region="NV", priority=10),
    dict(code="CENTRAL", name="Central overflow (Columbus)", country="US", region="OH", priority=20),
]
SUPPLIERS = [
    dict(code="ACME", name="Acme Wholesale", email="orders@acme.example", lead_time_days=5),
    dict(code="GLOBEX", name="Globex Trading", email="purchasing@globex.example", lead_time_days=12),
]


def before_orders(*, stdout) -> None:
    """Three warehouses, two suppliers, and stock for every product: most plenty, some in one
    warehouse only (reorder alerts), the orders demo's scarce ones none (backorders)."""
    with transaction.atomic():
        warehouses = [Warehouse.objects.get_or_create(code=w["code"], defaults=w)[0] for w in WAREHOUSES]
        suppliers = [Supplier.objects.get_or_create(code=s["code"], defaults=s)[0] for s in SUPPLIERS]
        stocked, sold_out = 0, _sold_out_skus()
        for index, product in enumerate(Product.objects.filter(is_active=True).order_by("sku")):
            if product.supplier_id is None or not product.cost_price:
                product.supplier = product.supplier or suppliers[index % len(suppliers)]
                product.cost_price = product.cost_price or (product.unit_price * Decimal("0.55")).quantize(
                    Decimal("0.01"))
                product.save(update_fields=["supplier", "cost_price", "updated_at"])
            rng = random.Random(product.sku)
            for position, warehouse in enumerate(warehouses):
                if StockLevel.objects.filter(product=product, warehouse=warehouse).exists():
                    continue  # set up by an earlier run
                stock_level_configure(actor=None, product=product, warehouse=warehouse,
                                      bin_location=f"{'ABC'[position]}-{index // 10 + 1:02d}-{index % 10 + 1}",
                                      reorder_point=10, reorder_quantity=40)
                quantity = _demo_quantity(index, position, rng, sold_out, product.sku)
                if quantity:
                    stock_receive(actor=None, product=product, warehouse=warehouse, quantity=quantity,
                                  reference="Opening stock", reason="Demo data")
                stocked += 1
    stdout.write(f"Inventory: {len(warehouses)} warehouses, {len(suppliers)} suppliers, {stocked} stock levels set up.")


def _demo_quantity(index: int, position: int, rng: random.Random, sold_out: set[str], sku: str) -> int:
    if sku in sold_out:
        return 0  # nobody has it: its orders backorder
    if index % 6 == 2:
        return 150 if position == 0 else 0  # only in EAST: the other warehouses raise reorder alerts
    return rng.randint(150, 400)


def _sold_out_skus() -> set[str]:
    """The products the orders demo uses for backorders (orders.demo.SCARCE_SKUS) have no stock."""
    try:
        from orders.demo import SCARCE_SKUS
    except ImportError:
        return set()
    return set(SCARCE_SKUS)


def after_orders(*, stdout) -> None:
    """Run the reorder check, and order the first alerts from their suppliers (one PO partly received)."""
    scan = reorder_alerts_scan(actor=None)
    created = []
    if not PurchaseOrder.objects.exists():
        alerts = list(ReorderAlert.objects.open().filter(purchase_order__isnull=True)
                      .select_related("stock_level__product__supplier", "stock_level__warehouse")[:4])
        if alerts:
            created = purchase_orders_create_from_alerts(actor=None, alerts=alerts)
            first = purchase_order_send(actor=None, purchase_order=created[0])
            line = first.lines.order_by("pk").first()
            purchase_order_receive(actor=None, purchase_order=first,
                                   quantities={line.pk: max(1, line.quantity_ordered // 2)})
    stdout.write(f"Inventory: {len(scan.raised)} reorder alerts raised, {len(created)} purchase orders created.")
