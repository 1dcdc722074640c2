"""The staff order list at a million orders: time and queries per page.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms_bench python -m bench.order_list --orders 1000000
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from orders.models import Customer, Order  # noqa: E402


def fill(n_orders: int, n_customers: int) -> None:
    existing = Order.objects.count()
    if existing >= n_orders:
        print(f"{existing:,} orders already there")
        return
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO orders_customer (name, email, phone, company, on_hold, hold_note, created_at) "
            "SELECT 'Bench customer ' || g, 'bench' || g || '@example.com', '', '', false, '', now() "
            "FROM generate_series(1, %s) g", [n_customers])
        cur.execute("SELECT min(id), max(id) FROM orders_customer")
        low, high = cur.fetchone()
        statuses = ["placed", "confirmed", "in_fulfillment", "shipped", "delivered", "completed", "cancelled"]
        cur.execute(
            f"""
            INSERT INTO orders_order (number, channel, external_reference, customer_id, status, priority,
                payment_method, currency, customer_note, internal_note, subtotal, discount_total, shipping_total,
                tax_total, total, created_at, updated_at, placed_at, ship_by, hold_reason, cancel_reason,
                tracking_token,
                ship_name, ship_company, ship_line1, ship_line2, ship_city, ship_region, ship_postal_code,
                ship_country, ship_phone, bill_name, bill_company, bill_line1, bill_line2, bill_city,
                bill_region, bill_postal_code, bill_country, bill_phone)
            SELECT 'BN-' || lpad(g::text, 9, '0'), 'web', '', {low} + mod(g, {high} - {low} + 1),
                (ARRAY{statuses!r})[1 + mod(g, {len(statuses)})], (ARRAY['rush','expedited','standard'])[1 + mod(g, 3)],
                'card', 'USD', '', '', 100, 0, 0, 8, 108 + mod(g, 500),
                now() - (g || ' seconds')::interval, now(), now() - (g || ' seconds')::interval,
                now() - (g || ' seconds')::interval + interval '2 days', '', '', md5(g::text || random()::text),
                'N', '', 'L1', '', 'City', '', '12345', 'US', '', 'N', '', 'L1', '', 'City', '', '12345', 'US', ''
            FROM generate_series({existing + 1}, %s) g
            """,
            [n_orders],
        )
        cur.execute("ANALYZE orders_order; ANALYZE orders_customer;")


def measure(client: Client, label: str, path: str, repeat: int = 5, baseline: float | None = None) -> float:
    times, queries = [], 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            response = client.get(path)
            times.append(time.perf_counter() - start)
        assert response.status_code == 200, (path, response.status_code)
        queries = len(ctx.captured_queries)
    median = statistics.median(times)
    ratio = f"{median / baseline:7.1f}x" if baseline else "        "
    print(f"{label:<28} {median * 1000:8.1f} ms {ratio}  {queries:2d} queries   {path}")
    return median


def exact_count(label: str, sql: str, repeat: int = 3, baseline: float | None = None) -> None:
    """What a plain COUNT(*) would cost, for comparison with the list's bounded count and estimate."""
    times = []
    for _ in range(repeat):
        with connection.cursor() as cur:
            start = time.perf_counter()
            cur.execute(sql)
            times.append(time.perf_counter() - start)
    median = statistics.median(times)
    print(f"{label:<28} {median * 1000:8.1f} ms {median / baseline:7.1f}x  (SQL only: {sql})")


def prepare_database() -> None:
    """Refuse anything but PostgreSQL; create the database if needed and migrate it."""
    if not settings.USING_POSTGRES:
        raise SystemExit("Point DATABASE_URL at a PostgreSQL database of its own.")
    call_command("ensure_database")
    call_command("migrate", verbosity=0)


def manager_client() -> Client:
    """A test client signed in as the bench's manager user."""
    user, _ = get_user_model().objects.get_or_create(username="bench-manager")
    user.groups.set([Group.objects.get(name="manager")])
    client = Client()
    client.force_login(user)
    return client


def list_count(label: str, queryset, repeat: int = 5, baseline: float | None = None) -> None:
    """The count the list shows: exact up to a bound, the planner's estimate past it."""
    from orders.selectors import order_count

    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        shown = order_count(queryset)
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    print(f"{label:<28} {median * 1000:8.1f} ms {median / baseline:7.1f}x  shows {shown}")


def saved_view(client: Client):
    from django.http import QueryDict

    from orders.saved_views import saved_view_save

    user = get_user_model().objects.get(username="bench-manager")
    return saved_view_save(actor=user, name="Bench rush", params=QueryDict("priority=rush&status=confirmed"),
                           columns=["customer", "payment_status"], sort="-created_at")


def fill_from_arguments(*more_rows) -> None:
    """Migrate, fill the --orders and --customers asked for, then each of `more_rows` in turn."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=50_000)
    args = parser.parse_args()
    prepare_database()
    started = time.perf_counter()
    fill(args.orders, args.customers)
    for fill_more in more_rows:
        fill_more()
    print(f"data ready in {time.perf_counter() - started:.1f} s: {Order.objects.count():,} orders, "
          f"{Customer.objects.count():,} customers")


def main() -> None:
    fill_from_arguments()
    client = manager_client()
    email = Customer.objects.filter(email__startswith="bench").order_by("pk").values_list("email", flat=True)[7]
    # Ratios are to /health/live, a view that touches no database, measured in the same run.
    baseline = measure(client, "minimal view (baseline)", "/health/live")
    measure(client, "first page", "/orders/", baseline=baseline)
    measure(client, "page 200 (offset 9,950)", "/orders/?page=200", baseline=baseline)
    measure(client, "status filter", "/orders/?status=in_fulfillment", baseline=baseline)
    measure(client, "search by e-mail", f"/orders/?q={email}", baseline=baseline)
    measure(client, "search by order number", "/orders/?q=BN-000500000", baseline=baseline)
    measure(client, "sorted by total", "/orders/?sort=-total", baseline=baseline)
    view = saved_view(client)
    measure(client, "saved view (rush, 2 columns)", view.get_absolute_url(), baseline=baseline)
    list_count("the list's count of all", Order.objects.all(), baseline=baseline)
    list_count("the list's count of a status", Order.objects.filter(status="in_fulfillment"), baseline=baseline)
    exact_count("exact COUNT(*) of all", "SELECT count(*) FROM orders_order", baseline=baseline)
    exact_count("exact COUNT(*) of a status", "SELECT count(*) FROM orders_order WHERE status = 'in_fulfillment'",
                baseline=baseline)


if __name__ == "__main__":
    main()
