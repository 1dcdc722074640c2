"""The manager's pages at a million orders: dashboard, fulfillment queue, order list.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms_bench_mp python -m bench.manager_pages --orders 1000000

Fills orders as bench.order_list does, then the rows those pages read: three lines per order,
a timeline (created, placed and, past placed, a status change), allocations in a few warehouses
for what the warehouse still owes, and some orders on hold.
"""

from decimal import Decimal

from bench.order_list import fill_from_arguments, manager_client, measure
from django.db import connection

from inventory.models import Product, StockLevel, Warehouse
from orders.models import OrderLine

WAREHOUSES = 4
PRODUCTS = 2_000
ON_HOLD_EVERY = 13  # one placed order in 13 waits on a hold


def fill_catalogue() -> None:
    if Warehouse.objects.filter(code__startswith="BW").exists():
        return
    warehouses = Warehouse.objects.bulk_create(
        Warehouse(code=f"BW{i}", name=f"Bench warehouse {i}", country="US") for i in range(WAREHOUSES))
    products = Product.objects.bulk_create(
        Product(sku=f"BSKU-{i:05d}", name=f"Bench product {i}", unit_price=Decimal("19.90")) for i in range(PRODUCTS))
    StockLevel.objects.bulk_create(
        StockLevel(product=p, warehouse=w, on_hand=1_000_000, bin_location=f"A-{p.pk % 50:02d}")
        for p in products for w in warehouses)


def fill_order_rows() -> None:
    """Lines, events, allocations and holds for every order that has none yet (INSERT … SELECT)."""
    if OrderLine.objects.exists():
        return
    with connection.cursor() as cur:
        cur.execute("SELECT min(id), max(id) FROM inventory_product WHERE sku LIKE 'BSKU-%%'")
        p_low, p_high = cur.fetchone()
        cur.execute(f"""
            INSERT INTO orders_orderline (order_id, product_id, position, sku, name, unit_price, quantity,
                discount_amount, tax_rate, tax_amount, line_total, quantity_allocated, quantity_shipped,
                quantity_returned)
            SELECT o.id, p.id, k, p.sku, p.name, 19.90, 1 + mod(o.id + k, 3), 0, 0.08, 0, 19.90 * (1 + mod(o.id + k, 3)),
                CASE WHEN o.status IN ('placed', 'cancelled') THEN 0 ELSE 1 + mod(o.id + k, 3) END,
                CASE WHEN o.status IN ('shipped', 'delivered', 'completed') THEN 1 + mod(o.id + k, 3) ELSE 0 END, 0
            FROM orders_order o CROSS JOIN generate_series(1, 3) k
            JOIN inventory_product p ON p.id = {p_low} + mod(o.id * 7 + k * 131, {p_high - p_low + 1})
        """)
        cur.execute("""
            INSERT INTO orders_orderevent (order_id, type, created_at, from_status, to_status, message, data,
                customer_visible)
            SELECT o.id, e.type, o.placed_at + e.after, e.from_status, e.to_status, '', '{}', false
            FROM orders_order o CROSS JOIN (VALUES
                ('created', interval '0', '', ''),
                ('status_changed', interval '1 second', 'draft', 'placed')) e(type, after, from_status, to_status)
        """)
        cur.execute("""
            INSERT INTO orders_orderevent (order_id, type, created_at, from_status, to_status, message, data,
                customer_visible)
            SELECT id, 'status_changed', placed_at + interval '1 hour', 'placed', status, '', '{}', false
            FROM orders_order WHERE status <> 'placed'
        """)
        cur.execute(f"""
            UPDATE orders_order SET status = 'on_hold', hold_reason = 'payment_declined'
            WHERE status = 'placed' AND mod(id, {ON_HOLD_EVERY}) = 0
        """)
        cur.execute(f"""
            INSERT INTO inventory_allocation (order_id, order_line_id, stock_level_id, warehouse_id, quantity,
                quantity_consumed, quantity_released, created_at, updated_at)
            SELECT l.order_id, l.id, s.id, s.warehouse_id, l.quantity,
                CASE WHEN o.status IN ('shipped', 'delivered', 'completed') THEN l.quantity ELSE 0 END, 0,
                o.placed_at, o.placed_at
            FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id
            JOIN inventory_stocklevel s ON s.product_id = l.product_id
            JOIN inventory_warehouse w ON w.id = s.warehouse_id AND w.code = 'BW' || mod(o.id, {WAREHOUSES})
            WHERE l.quantity_allocated > 0
        """)
        cur.execute("ANALYZE orders_order; ANALYZE orders_orderline; ANALYZE orders_orderevent; "
                    "ANALYZE inventory_allocation;")


def main() -> None:
    fill_from_arguments(fill_catalogue, fill_order_rows)
    print(f"{OrderLine.objects.count():,} order lines")
    with connection.cursor() as cur:
        # What autovacuum does on a live database: sets the visibility map index-only scans rely on.
        cur.execute("VACUUM ANALYZE orders_order")
    client = manager_client()
    warehouse = Warehouse.objects.get(code="BW1")
    # Ratios are to /health/live, a view that touches no database, measured in the same run.
    baseline = measure(client, "minimal view (baseline)", "/health/live")
    measure(client, "dashboard", "/", baseline=baseline)
    measure(client, "fulfillment queue", "/fulfillment/", baseline=baseline)
    measure(client, "fulfillment queue, warehouse", f"/fulfillment/?warehouse={warehouse.pk}", baseline=baseline)
    measure(client, "queue, search order number", "/fulfillment/?q=BN-000499997", baseline=baseline)
    measure(client, "queue, search e-mail", "/fulfillment/?q=bench4242@example.com", baseline=baseline)
    measure(client, "order list", "/orders/", baseline=baseline)
    measure(client, "order list by total", "/orders/?sort=-total", baseline=baseline)


if __name__ == "__main__":
    main()
