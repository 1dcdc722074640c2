"""Place and verify 3-line orders with stock allocation from several processes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms_bench python -m bench.allocation --processes 4

Each worker process places orders (`order_create(..., submit=True)`) and verifies them
(`order_verify`, which allocates stock inside the verifying transaction, then runs the
payment check after commit) as fast as it can. Prints orders per second across all processes and the SQL statements each order
took (counted with `connection.execute_wrapper`: every statement sent to the
database, transaction BEGIN/COMMIT excluded). The database is created and migrated if needed; the
benchmark adds its own warehouses, products and customer and leaves them there.
"""

import argparse
import multiprocessing
import os
import random
import statistics
import sys
import time
import uuid

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")
os.environ.setdefault("OMS_AUTO_VERIFY", "false")  # the benchmark verifies explicitly, in the same process
os.environ.setdefault("DEBUG", "false")  # as in production: no SQL logging cursor
os.environ.setdefault("SECRET_KEY", "bench-only-" + "k" * 50)  # DEBUG off refuses the development key
# Side effects after commit (e-mails, captures) belong to Celery workers, not to placing and
# verifying: queue them (in memory, never run) as a real broker would, instead of running them inline.
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "false")

STATEMENT_TARGET = 15
RATE_TARGET = 100


def _setup_django():
    import django

    django.setup()


class StatementCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def prepare(*, products: int, customers: int, run_id: str) -> tuple[list[int], list[int]]:
    """Two warehouses, products with plenty of stock, and customers; returns their ids.

    Orders go to many customers, as in life: verification locks the customer row with
    the order (the credit check reads the customer's open orders), so one customer's
    orders verify one after the other.
    """
    from inventory.models import Product, Warehouse
    from inventory.services import stock_receive
    from orders.models import Customer

    east, _ = Warehouse.objects.get_or_create(code="BENCH-E", defaults=dict(name="Bench east", country="US",
                                                                          region="NY", priority=10))
    west, _ = Warehouse.objects.get_or_create(code="BENCH-W", defaults=dict(name="Bench west", country="US",
                                                                          region="CA", priority=20))
    ids = []
    for n in range(products):
        product = Product.objects.create(sku=f"BENCH-{run_id}-{n:03d}", name=f"Bench product {n}",
                                         unit_price="9.99")
        for warehouse in (east, west):
            stock_receive(actor=None, product=product, warehouse=warehouse, quantity=1_000_000, reason="Benchmark")
        ids.append(product.pk)
    customer_ids = [
        Customer.objects.create(name=f"Bench customer {run_id}-{n}", email=f"bench-{run_id}-{n}@example.com").pk
        for n in range(customers)
    ]
    return ids, customer_ids


def worker(args) -> dict:
    product_ids, customer_ids, orders, seed, start_at, payment_method, external_checks = args
    _setup_django()
    if not external_checks:
        from orders.verification import pipeline, unregister_check

        for check in pipeline(external=True):
            unregister_check(check.name)
    from django.db import connection

    from inventory.models import Product
    from orders.models import AddressSnapshot, Customer
    from orders.services import LineInput, order_create, order_verify

    rng = random.Random(seed)
    products = list(Product.objects.filter(pk__in=product_ids))
    customers = list(Customer.objects.filter(pk__in=customer_ids))
    ship_to = AddressSnapshot(name="Bench", line1="1 Main St", city="Albany", region="NY", postal_code="12207",
                              country="US")

    def place_and_verify():
        lines = [LineInput(product=p, quantity=rng.randint(1, 3)) for p in rng.sample(products, 3)]
        order = order_create(actor=None, customer=rng.choice(customers), lines=lines, shipping_address=ship_to,
                             payment_method=payment_method, submit=True)
        return order_verify(actor=None, order=order).status

    place_and_verify()  # warm-up: connection, caches
    while time.time() < start_at:
        time.sleep(0.001)
    counts, statuses = [], {}
    started = time.perf_counter()
    for _ in range(orders):
        counter = StatementCounter()
        with connection.execute_wrapper(counter):
            status = place_and_verify()
        counts.append(counter.count)
        statuses[status] = statuses.get(status, 0) + 1
    elapsed = time.perf_counter() - started
    connection.close()
    return {"orders": orders, "elapsed": elapsed, "counts": counts, "statuses": statuses}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--orders", type=int, default=250, help="orders per process")
    parser.add_argument("--products", type=int, default=50)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--no-external-checks", action="store_true",
                        help="verify with the in-transaction checks only (data, credit, stock): the pipeline "
                             "as the inventory issue set its target, before the payment check joined")
    parser.add_argument("--payment-method", default="cod",
                        help="cod (default): no gateway call, verification is data, credit and stock; "
                             "card: the payment check also authorizes through the simulated gateway")
    options = parser.parse_args(argv)

    _setup_django()
    from django.conf import settings
    from django.db import connection

    if not settings.USING_POSTGRES:
        print("warning: not PostgreSQL; figures mean little (set DATABASE_URL)", file=sys.stderr)
    from django.core.management import call_command

    call_command("ensure_database")
    call_command("migrate", verbosity=0)
    run_id = uuid.uuid4().hex[:6]
    product_ids, customer_ids = prepare(products=options.products, customers=options.customers, run_id=run_id)
    connection.close()

    start_at = time.time() + 2.0  # every worker starts timing together, after its warm-up
    jobs = [(product_ids, customer_ids, options.orders, seed, start_at, options.payment_method,
             not options.no_external_checks) for seed in range(options.processes)]
    wall_started = time.time()
    load_before = os.getloadavg()[0]
    with multiprocessing.get_context("spawn").Pool(options.processes) as pool:
        results = pool.map(worker, jobs)
    wall = max(r["elapsed"] for r in results)

    counts = [c for r in results for c in r["counts"]]
    total = sum(r["orders"] for r in results)
    statuses: dict[str, int] = {}
    for r in results:
        for status, n in r["statuses"].items():
            statuses[status] = statuses.get(status, 0) + n
    rate = total / wall
    print(f"database           {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}"
          f" ({settings.DATABASES['default'].get('NAME')})")
    checks = "in-transaction checks only" if options.no_external_checks else "every check"
    print(f"processes          {options.processes}  (payment method {options.payment_method}; {checks})")
    print(f"orders             {total} (3 lines each; {', '.join(f'{k} {v}' for k, v in sorted(statuses.items()))})")
    print(f"wall time          {wall:.2f} s (setup and warm-up excluded; {time.time() - wall_started:.1f} s in all)")
    print(f"orders per second  {rate:.0f}  (target >= {RATE_TARGET}; load average {load_before:.1f} before,"
          f" {os.getloadavg()[0]:.1f} after on {os.cpu_count()} CPUs)")
    print(f"statements/order   mean {statistics.mean(counts):.1f}, max {max(counts)}  (target <= {STATEMENT_TARGET})")

    from inventory.selectors import ledger_drift

    drift = ledger_drift()
    print(f"stock ledger       {'OK' if not drift else f'{len(drift)} level(s) DRIFT'}")
    ok = rate >= RATE_TARGET and max(counts) <= STATEMENT_TARGET and not drift
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
