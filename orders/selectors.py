"""Reads the order screens need, each with a fixed number of queries."""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import DatabaseError, connection
from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from inventory.models import Product, StockLevel
from orders.enums import LATE_STATUSES, NOT_SALES_STATUSES, UNSHIPPED_STATUSES, OrderStatus
from orders.models import Customer, IntakeRequest, Order, OrderEvent, OrderHold, OrderLine



SEARCH_FANOUT = 500


def order_search(*, term: str) -> Q:
    """Orders matching an order number, channel reference, customer, e-mail or SKU.

    Each branch is answered from an index (order number, external reference, the customer's
    orders, a SKU's lines), so that PostgreSQL can OR the index scans together at a million
    orders instead of scanning a join. Customers and SKU lines are looked up first (two small
    queries), capped at SEARCH_FANOUT matches each.
    """
    term = term.strip()
    numbers = {term.upper()}
    if term.isdecimal() and term.isascii():
        numbers.add(f"SO-{int(term):06d}")
    customers = Customer.objects.filter(Q(email__istartswith=term) | Q(name__icontains=term))
    customer_ids = list(customers.values_list("pk", flat=True)[:SEARCH_FANOUT])
    line_order_ids = list(
        OrderLine.objects.filter(sku__in={term, term.upper()}).values_list("order_id", flat=True)[:SEARCH_FANOUT]
    )
    return (
        Q(number__in=numbers)
        | Q(external_reference=term)
        | Q(customer_id__in=customer_ids)
        | Q(pk__in=line_order_ids)
    )


def order_detail(*, number: str) -> Order:
    return (
        Order.objects.select_related("customer", "created_by")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("product")),
            Prefetch("events", queryset=OrderEvent.objects.select_related("actor")),
            Prefetch("holds", queryset=OrderHold.objects.select_related("created_by", "released_by")),
        )
        .get(number=number)
    )


# What the warehouse still owes each order, in the order list's words: (code for the colour, label).
_FULFILMENT_NONE = {OrderStatus.DRAFT, OrderStatus.CANCELLED}


def fulfillment_statuses_for(orders) -> dict[int, tuple[str, str]]:
    """Fulfilment status of the orders of one list page, from their lines' quantities (one query).

    Derived from what the lines say (allocated, shipped, returned) and the order's status, so the
    order list needs neither the shipments nor a stored copy that could drift from them.
    """
    orders = list(orders)
    sums = {
        row["order_id"]: row
        for row in OrderLine.objects.filter(order_id__in=[o.pk for o in orders]).order_by().values("order_id")
        .annotate(quantity=Sum("quantity"), allocated=Sum("quantity_allocated"), shipped=Sum("quantity_shipped"),
                  returned=Sum("quantity_returned"))
    }
    statuses = {}
    for order in orders:
        row = sums.get(order.pk)
        if row is None or order.status in _FULFILMENT_NONE:
            statuses[order.pk] = ("", "—")
        elif row["returned"]:
            statuses[order.pk] = ("returned", f"Returned {row['returned']} of {row['shipped']}")
        elif row["shipped"] >= row["quantity"]:
            delivered = order.status in (OrderStatus.DELIVERED, OrderStatus.COMPLETED)
            statuses[order.pk] = ("delivered", "Delivered") if delivered else ("fulfilled", "Shipped")
        elif row["shipped"]:
            statuses[order.pk] = ("partial", f"Shipped {row['shipped']} of {row['quantity']}")
        elif order.status == OrderStatus.IN_FULFILLMENT:
            statuses[order.pk] = ("warehouse", "In the warehouse")
        elif row["allocated"] >= row["quantity"]:
            statuses[order.pk] = ("allocated", "Allocated")
        elif row["allocated"]:
            statuses[order.pk] = ("waiting", f"Allocated {row['allocated']} of {row['quantity']}")
        else:
            statuses[order.pk] = ("waiting", "Unfulfilled")
    return statuses


# Below this many matching orders the list counts them exactly; above, PostgreSQL's estimate is shown.
EXACT_COUNT_UP_TO = 10_000


@dataclass(frozen=True)
class ListCount:
    number: int
    exact: bool

    def __str__(self) -> str:
        return f"{self.number:,}" if self.exact else f"about {self.number:,}"


def order_count(queryset) -> ListCount:
    """How many orders a list's filter matches, at a cost that stays flat at a million orders.

    The count stops at EXACT_COUNT_UP_TO + 1 rows (a bounded index scan); past that, the planner's
    estimate for the whole filter (EXPLAIN, no rows read) is shown as "about N". SQLite gives no
    estimate: it shows "about" the bound it counted to.
    """
    queryset = queryset.order_by()
    bounded = queryset.values("pk")[:EXACT_COUNT_UP_TO + 1].count()
    if bounded <= EXACT_COUNT_UP_TO:
        return ListCount(bounded, exact=True)
    estimate = _planner_rows(queryset)
    return ListCount(max(estimate or 0, bounded), exact=False)


def _planner_rows(queryset) -> int | None:
    if connection.vendor != "postgresql":
        return None
    try:
        plan = json.loads(queryset.values("pk").explain(format="json"))
    except (ValueError, TypeError, DatabaseError):
        return None
    return int(plan[0]["Plan"]["Plan Rows"])


def order_status_counts() -> dict[str, int]:
    rows = Order.objects.order_by().values("status").annotate(n=Count("pk"))
    counts = {status: 0 for status in OrderStatus.values}
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


# Below this many orders in all, the dashboard counts every status exactly (one GROUP BY).
EXACT_STATUS_COUNTS_UP_TO = 100_000


def order_status_tally() -> dict[str, ListCount]:
    """Orders per status for the dashboard, in two queries whatever the number of orders.

    Past EXACT_STATUS_COUNTS_UP_TO orders, a status the planner's statistics (pg_stats, kept by
    autovacuum's ANALYZE) put above EXACT_COUNT_UP_TO shows its estimate ("about N"); the small
    statuses, and every status of a small table, are counted exactly. A counter table kept by
    the services would be exact, but every status change would then update one of eleven rows
    that all concurrent transitions fight over.
    """
    total, estimates = _status_estimates()
    if total <= EXACT_STATUS_COUNTS_UP_TO:
        estimates = {}
    estimated = {status: n for status, n in estimates.items() if n > EXACT_COUNT_UP_TO}
    small = [status for status in OrderStatus.values if status not in estimated]
    rows = (Order.objects.order_by().filter(status__in=small).values("status")
            .annotate(n=Count("pk")).values_list("status", "n"))
    exact = dict(rows)
    return {status: ListCount(estimated[status], exact=False) if status in estimated
            else ListCount(exact.get(status, 0), exact=True) for status in OrderStatus.values}


def _status_estimates() -> tuple[int, dict[str, int]]:
    """The planner's row count of the order table and its most common statuses' share of it."""
    if connection.vendor != "postgresql":
        return 0, {}
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.reltuples, s.most_common_vals::text::text[], s.most_common_freqs FROM pg_class c "
            "LEFT JOIN pg_stats s ON s.schemaname = current_schema() AND s.tablename = c.relname "
            "AND s.attname = 'status' WHERE c.oid = %s::regclass", [Order._meta.db_table])
        row = cur.fetchone()
    if row is None or row[1] is None or row[0] <= 0:
        return 0, {}
    total, values, freqs = row
    return int(total), {value: round(total * freq) for value, freq in zip(values, freqs)}


def orders_on_hold() -> QuerySet[Order]:
    """The oldest holds first, read along order_on_hold_idx."""
    return Order.objects.for_list().filter(status=OrderStatus.ON_HOLD).order_by("placed_at", "pk")


def orders_late() -> QuerySet[Order]:
    """Orders past their ship-by time, most overdue first, read along order_late_idx."""
    return (Order.objects.for_list().filter(status__in=LATE_STATUSES, ship_by__lt=timezone.now())
            .order_by("ship_by", "pk"))


@dataclass(frozen=True)
class SalesFigures:
    today: Decimal
    this_week: Decimal
    open_value: Decimal


def sales_figures(now: datetime | None = None) -> SalesFigures:
    """Sales placed today and since Monday (local time) and the value of orders not yet shipped.

    Each is a SUM over a covering partial index (order_sales_idx, order_open_value_idx), read
    without touching the order rows: two queries.
    """
    now = timezone.localtime(now)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    week = today - timedelta(days=today.weekday())
    zero = Value(Decimal("0"))
    sales = Order.objects.exclude(status__in=NOT_SALES_STATUSES)
    row = (sales.filter(placed_at__gte=week).order_by().aggregate(
        today=Coalesce(Sum("total", filter=Q(placed_at__gte=today)), zero),
        this_week=Coalesce(Sum("total"), zero)))
    open_value = Order.objects.filter(status__in=UNSHIPPED_STATUSES).order_by().aggregate(
        v=Coalesce(Sum("total"), zero))["v"]
    return SalesFigures(today=row["today"], this_week=row["this_week"], open_value=open_value)


def customer_list(*, search: str = "") -> QuerySet[Customer]:
    customers = Customer.objects.order_by("name", "pk")
    search = search.strip()
    if search:
        customers = customers.filter(
            Q(name__icontains=search) | Q(email__icontains=search) | Q(company__icontains=search)
            | Q(phone__icontains=search)
        )
    return customers


def customer_search(*, term: str, limit: int = 8) -> list[Customer]:
    if len(term.strip()) < 2:
        return []
    return list(customer_list(search=term).prefetch_related("addresses")[:limit])


def customer_with_email(*, email: str, other_than: Customer | None = None) -> Customer | None:
    """The customer who has this (lower-case) e-mail address, other than `other_than`."""
    found = Customer.objects.filter(email=email)
    if other_than is not None:
        found = found.exclude(pk=other_than.pk)
    return found.order_by("pk").only("pk", "name").first()


def customer_for_entry(*, pk: str) -> Customer | None:
    """The customer an order is entered for, with `default_address` (None when they have none on
    file); None for anything that is not a customer's id."""
    if not (pk.isdecimal() and pk.isascii() and len(pk) <= 18):
        return None
    customer = Customer.objects.prefetch_related("addresses").filter(pk=int(pk)).first()
    if customer is not None:
        customer.default_address = next(iter(customer.addresses.all()), None)  # the default sorts first
    return customer


def customer_detail(*, pk: int) -> Customer:
    return Customer.objects.prefetch_related("addresses").get(pk=pk)


@dataclass(frozen=True)
class CustomerChange:
    when: datetime
    who: str
    what: str


def customer_changes(*, customer: Customer, limit: int = 10) -> list[CustomerChange]:
    """The latest changes of a customer's details, from their history (one query): what the change
    said it did, else the fields it changed."""
    records = list(customer.history.select_related("history_user").order_by("-history_date", "-history_id")
                   [:limit + 1])
    changes = []
    for record, older in zip(records[:limit], records[1:] + [None]):
        if record.history_type == "+":
            what = "Created"
        elif record.history_change_reason:
            what = record.history_change_reason
        else:
            fields = record.diff_against(older).changed_fields if older is not None else []
            what = ("Changed " + ", ".join(str(Customer._meta.get_field(f).verbose_name) for f in fields)
                    if fields else "Saved without a change")
        who = record.history_user.get_username() if record.history_user else "system"
        changes.append(CustomerChange(when=record.history_date, who=who, what=what))
    return changes


def customer_recent_orders(*, customer: Customer, limit: int = 20) -> list[Order]:
    return list(Order.objects.filter(customer=customer).order_by("-created_at", "-pk")[:limit])


PRODUCT_SUGGESTIONS = 10


def product_suggestions(*, term: str, limit: int = PRODUCT_SUGGESTIONS) -> list[Product]:
    """Products on sale for the entry form's autocomplete, each with `available`: the units not yet
    allocated in the active warehouses.

    The SKU or barcode typed whole comes first, then SKUs starting with the term (SKUs are upper
    case), then, from three characters, products with it anywhere in their SKU or name. Each step
    reads an index and stops at `limit` (a common word matches thousands: typing on narrows them),
    so a keystroke costs about the same at any catalogue size.
    """
    term = term.strip()[:64]
    if len(term) < 2:
        return []
    on_sale = Product.objects.active()
    products = list(on_sale.filter(Q(sku__in={term, term.upper()}) | Q(barcode=term))[:1])
    steps = [on_sale.filter(sku__startswith=term.upper())]  # the SKU's own (pattern) index
    if len(term) >= 3:
        steps.append(on_sale.matching(term))  # the trigram index of inventory 0003
    for step in steps:
        if len(products) < limit:
            found = step.exclude(pk__in=[p.pk for p in products]).order_by()[:limit - len(products)]
            products += sorted(found, key=lambda p: p.sku)
    available = dict(
        StockLevel.objects.filter(product__in=products, warehouse__active=True).order_by()
        .values("product").annotate(units=Sum(F("on_hand") - F("allocated"))).values_list("product", "units")
    ) if products else {}
    for product in products:
        product.available = available.get(product.pk, 0)
    return products


def orders_customers_may_see() -> QuerySet[Order]:
    """Orders a customer may open through their tracking link: every order but a draft (not yet theirs)."""
    return Order.objects.exclude(status=OrderStatus.DRAFT)


def order_for_customer(token: str) -> Order | None:
    """The order a customer's tracking link points to; None for anything that is not a live token."""
    if not token or len(token) > 64:
        return None
    return orders_customers_may_see().select_related("customer").filter(tracking_token=token).first()


def intake_first_answer(*, api_client, external_reference: str) -> IntakeRequest | None:
    """The stored first answer to an intake request, when there is one to replay."""
    return (IntakeRequest.objects.filter(api_client=api_client, external_reference=external_reference,
                                         answer__isnull=False).only("answer", "answer_status").first())
