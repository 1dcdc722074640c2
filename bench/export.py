"""The order export in bounded memory: the same export at N and 10×N orders, peak memory side by side.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms_bench .venv/bin/python -m bench.export --orders 100000

Fills the database as bench.order_list does (orders by generate_series) and gives every order two
lines, then downloads /orders/export.csv and /orders/export.xlsx through the test client for the
first N/10 orders (a creation-date filter) and for all N, consuming the streamed body. It prints rows,
seconds and the peak of Python allocations (tracemalloc) per run: bounded memory means the peak at
10×N is about the peak at N, not ten times it.
"""

import argparse
import time
import tracemalloc

from bench.order_list import fill, manager_client, prepare_database  # sets Django up
from django.db import connection
from django.test import Client

from inventory.models import Product
from orders.models import Order, OrderLine


def fill_lines() -> None:
    if OrderLine.objects.filter(order__number__startswith="BN-").exists():
        return
    product = Product.objects.order_by("pk").first() or Product.objects.create(
        sku="BENCH-1", name="Bench product", unit_price=10)
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO orders_orderline (order_id, product_id, position, sku, name, unit_price, quantity,
                discount_amount, tax_rate, tax_amount, line_total, quantity_allocated, quantity_shipped,
                quantity_returned)
            SELECT o.id, %s, p, %s, 'Bench product', 50, 1 + p, 0, 0.08, 4, 50 * (1 + p), 0, 0, 0
            FROM orders_order o CROSS JOIN generate_series(0, 1) p WHERE o.number LIKE 'BN-%%'
            """, [product.pk, product.sku])
        cur.execute("ANALYZE orders_orderline")


def run(client: Client, path: str) -> tuple[int, float, float]:
    tracemalloc.start()
    started = time.perf_counter()
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    size = sum(len(chunk) for chunk in response.streaming_content)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return size, seconds, peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100_000)
    args = parser.parse_args()
    prepare_database()
    fill(args.orders, max(1000, args.orders // 20))
    fill_lines()
    client = manager_client()
    orders = Order.objects.filter(number__startswith="BN-").order_by("-created_at")
    tenth = orders[args.orders // 10 - 1].created_at.date().isoformat()
    total = orders.count()
    print(f"{total:,} orders, {OrderLine.objects.count():,} lines")
    for fmt in ("csv", "xlsx"):
        for label, query in ((f"~{args.orders // 10:,} orders", f"?created_from={tenth}"), (f"{total:,} orders", "")):
            size, seconds, peak = run(client, f"/orders/export.{fmt}{query}")
            print(f"{fmt:<5} {label:<16} {size / 2**20:8.1f} MB file {seconds:7.1f} s   peak Python memory {peak:6.1f} MB")


if __name__ == "__main__":
    main()
