"""The order export in bounded memory: the same export at N and 10×N orders, peak memory side by side.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms_bench .venv/bin/python -m bench.export --orders 100000

Fills the database as bench.order_list does (orders by generate_series, a status each in turn) and
gives every order two lines, then downloads /orders/export.csv and /orders/export.xlsx through the
test client for one status (a seventh of the orders) and for all of them, each in a process of its
own, consuming the streamed body. It prints the file size, the time and the process's peak resident
memory per run beside the same process's memory before the export: bounded memory means the growth
for 7× the rows is about the same, not seven times it.
"""

import argparse
import resource
import subprocess
import sys
import time

from bench.order_list import fill, manager_client, prepare_database  # sets Django up
from django.db import connection

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


def run(path: str) -> None:
    """One export in this process (started by main): prints size, seconds, memory before and at peak."""
    client = manager_client()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    size = sum(len(chunk) for chunk in response.streaming_content)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{size / 2**20:8.1f} MB file {seconds:7.1f} s   memory {before:6.1f} MB before, peak {peak:6.1f} MB "
          f"(+{peak - before:.1f})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        return run(args.one)
    prepare_database()
    fill(args.orders, max(1000, args.orders // 20))
    fill_lines()
    manager_client()  # the bench's manager user, signed in again by each export's process
    some = Order.objects.filter(status="confirmed").count()
    print(f"{Order.objects.count():,} orders, {OrderLine.objects.count():,} lines; {some:,} of them confirmed")
    for fmt in ("csv", "xlsx"):
        for label, query in ((f"{some:,} orders", "?status=confirmed"), (f"{Order.objects.count():,} orders", "")):
            print(f"{fmt:<5} {label:<16}", end=" ", flush=True)
            subprocess.run([sys.executable, "-m", "bench.export", "--one", f"/orders/export.{fmt}{query}"], check=True)


if __name__ == "__main__":
    main()
