"""Demo data for `manage.py seed_demo`: staff per role, a catalogue, customers, and orders
in every status, all made through the services (so the timeline and the ledgers are real)."""

import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from inventory.models import Product
from oms.exceptions import DomainError
from oms.roles import FINANCE, MANAGER, SALES, WAREHOUSE
from orders import services
from orders.enums import Channel, HoldReason, OrderStatus, Priority
from orders.models import AddressSnapshot, Customer, Order
from payments.enums import PaymentMethod

DEMO_PASSWORD = "oms-demo"
DEMO_USERS = [
    ("admin", None, "Administrator (Django admin, every permission)"),
    ("sales", SALES, "Sales: enters, verifies and cancels orders"),
    ("warehouse", WAREHOUSE, "Warehouse: releases, ships and delivers"),
    ("finance", FINANCE, "Finance: holds, credit, completion"),
    ("manager", MANAGER, "Manager: everything above"),
]

CATALOGUE = [
    ("Ergonomic office chair", "189.00", "14.500"), ("Standing desk frame", "329.00", "22.000"),
    ("Desk lamp LED", "39.90", "0.900"), ("Monitor arm, single", "79.00", "3.200"),
    ("Monitor arm, dual", "119.00", "5.100"), ("USB-C dock", "149.00", "0.450"),
    ("Wireless keyboard", "59.00", "0.600"), ("Wireless mouse", "29.00", "0.120"),
    ("Laptop stand", "45.00", "1.300"), ("Noise-cancelling headset", "199.00", "0.350"),
    ("Webcam 4K", "129.00", "0.200"), ("Cable tray", "24.50", "1.000"),
    ("Footrest", "34.00", "2.100"), ("Whiteboard 90x60", "69.00", "6.000"),
    ("Notebook A5, dotted", "6.50", "0.250"), ("Gel pens, 12 pack", "9.90", "0.150"),
    ("Desk organiser", "19.00", "0.700"), ("Document tray", "14.00", "0.500"),
    ("Paper A4, 500 sheets", "7.20", "2.500"), ("Label printer", "99.00", "1.100"),
    ("Shipping labels, 1000", "24.00", "1.800"), ("Packing tape, 6 rolls", "12.00", "1.200"),
    ("Bubble wrap roll", "18.00", "1.500"), ("Barcode scanner", "89.00", "0.300"),
    ("Filing cabinet", "159.00", "28.000"), ("Coat stand", "49.00", "4.000"),
    ("Plant, small", "15.00", "1.000"), ("Water bottle", "17.00", "0.300"),
    ("Coffee mug", "11.00", "0.400"), ("First-aid kit", "29.00", "0.800"),
]
# Demo stock leaves these without stock, so that orders for them backorder.
SCARCE_SKUS = {"DEMO-0004", "DEMO-0010"}

FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken", "Radia", "Tim", "Frances",
         "John", "Katherine", "Linus", "Hedy", "Dennis", "Sophie", "Niklaus", "Anita", "Guido"]
LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Hamilton", "Thompson", "Perlman",
        "Berners-Lee", "Allen", "Backus", "Johnson", "Torvalds", "Lamarr", "Ritchie", "Wilson", "Wirth", "Borg",
        "van Rossum"]
CITIES = [("Springfield", "IL", "62701"), ("Portland", "OR", "97201"), ("Austin", "TX", "73301"),
          ("Boston", "MA", "02108"), ("Denver", "CO", "80202"), ("Atlanta", "GA", "30303"),
          ("Seattle", "WA", "98101"), ("Chicago", "IL", "60601"), ("Miami", "FL", "33101"),
          ("New York", "NY", "10001")]

# How the demo's few hundred orders spread over the statuses.
STATUS_MIX = [
    (OrderStatus.DRAFT, 12), (OrderStatus.PLACED, 8), (OrderStatus.ON_HOLD, 18), (OrderStatus.CONFIRMED, 40),
    (OrderStatus.BACKORDERED, 14), (OrderStatus.IN_FULFILLMENT, 30), (OrderStatus.PARTIALLY_SHIPPED, 12),
    (OrderStatus.SHIPPED, 30), (OrderStatus.DELIVERED, 36), (OrderStatus.COMPLETED, 80),
    (OrderStatus.CANCELLED, 20),
]


# How many days ago orders in each status were placed (default: anywhere in the last 60 days).
RECENCY_DAYS = {
    OrderStatus.DRAFT: (0, 1), OrderStatus.PLACED: (0, 0.2), OrderStatus.ON_HOLD: (0, 3),
    OrderStatus.CONFIRMED: (0, 1.5), OrderStatus.BACKORDERED: (1, 10), OrderStatus.IN_FULFILLMENT: (0, 1.5),
    OrderStatus.PARTIALLY_SHIPPED: (0.5, 3), OrderStatus.SHIPPED: (1, 5), OrderStatus.DELIVERED: (4, 20),
}


def ean13(number: int) -> str:
    digits = f"400{number:09d}"
    check = (10 - sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10) % 10
    return digits + str(check)


def seed_users(*, stdout) -> None:
    User = get_user_model()
    for username, role, _ in DEMO_USERS:
        user, created = User.objects.get_or_create(username=username,
                                                   defaults={"email": f"{username}@oms.example"})
        if created:
            user.set_password(DEMO_PASSWORD)
        user.is_staff = role in (None, MANAGER)
        user.is_superuser = role is None
        user.save()
        if role:
            user.groups.set([Group.objects.get(name=role)])


# Tabs the demo's staff find on the order list: (owner, name, filter, columns, sort, shared with role).
DEMO_VIEWS = [
    ("admin", "To verify", "status=placed&status=on_hold", ["created_at", "customer", "status", "payment_status",
                                                             "total", "tags"], "created_at", SALES),
    ("manager", "Rush, not shipped", "priority=rush&status=confirmed&status=in_fulfillment&status=backordered",
     ["customer", "status", "fulfillment_status", "ship_by"], "ship_by", MANAGER),
]


def seed_saved_views(*, stdout) -> None:
    from django.http import QueryDict

    from orders.saved_views import saved_view_save

    User = get_user_model()
    for owner, name, query, columns, sort, role in DEMO_VIEWS:
        saved_view_save(actor=User.objects.get(username=owner), name=name, params=QueryDict(query), columns=columns,
                        sort=sort, shared_with=Group.objects.get(name=role))


def seed_catalogue(*, stdout) -> None:
    for index, (name, price, weight) in enumerate(CATALOGUE, start=1):
        Product.objects.update_or_create(
            sku=f"DEMO-{index:04d}",
            defaults={"name": name, "unit_price": Decimal(price), "weight_kg": Decimal(weight),
                      "barcode": ean13(index), "is_active": True},
        )


def seed_customers(*, rng: random.Random, stdout) -> None:
    if Customer.objects.filter(email__endswith="@demo.example").exists():
        return
    for index in range(40):
        first, last = FIRST[index % len(FIRST)], LAST[(index * 7) % len(LAST)]
        city, region, postal = CITIES[index % len(CITIES)]
        name = f"{first} {last}"
        services.customer_create(
            actor=None, name=name, email=f"{first}.{last}.{index}@demo.example".lower().replace(" ", ""),
            phone=f"+1 555 01{index:02d}", company=f"{last} & Co" if index % 3 == 0 else "",
            credit_limit=Decimal("5000.00") if index % 5 == 0 else None,
            address=AddressSnapshot(name=name, line1=f"{100 + index} Main Street", city=city, region=region,
                                    postal_code=postal, country="US", phone=f"+1 555 01{index:02d}"),
        )
    blocked = Customer.objects.filter(email__endswith="@demo.example").order_by("pk")[3]
    services.customer_set_hold(actor=None, customer=blocked, on_hold=True, note="Chargeback under review")


def _drive(order: Order, target: str, rng: random.Random) -> None:
    """Move a placed order towards `target` through the services, as staff would."""
    if target in (OrderStatus.DRAFT, OrderStatus.PLACED):
        return
    order = services.order_verify(actor=None, order=order)
    if target == OrderStatus.ON_HOLD:
        if order.status != OrderStatus.ON_HOLD:
            services.order_hold(actor=None, order=order, reason=HoldReason.MANUAL,
                                message="Customer asked us to wait for a call-back.")
        return
    if target == OrderStatus.CANCELLED:
        services.order_cancel(actor=None, order=order, reason=rng.choice(
            ["Customer changed their mind", "Duplicate order", "Found a cheaper offer", "Address undeliverable"]))
        return
    if order.status != OrderStatus.CONFIRMED or target in (OrderStatus.CONFIRMED, OrderStatus.BACKORDERED):
        return
    order = services.order_release_to_fulfillment(actor=None, order=order)
    if target == OrderStatus.IN_FULFILLMENT:
        return
    lines = list(order.lines.all())
    if target == OrderStatus.PARTIALLY_SHIPPED and len(lines) > 1:
        services.order_ship(actor=None, order=order, quantities={lines[0].pk: lines[0].quantity})
        return
    order = services.order_ship(actor=None, order=order)
    if target in (OrderStatus.SHIPPED, OrderStatus.PARTIALLY_SHIPPED):
        return
    order = services.order_deliver(actor=None, order=order)
    if target == OrderStatus.COMPLETED:
        services.order_complete(actor=None, order=order)


def seed_orders(*, rng: random.Random, stdout) -> int:
    if Order.objects.filter(internal_note="demo").exists():
        return 0
    customers = list(Customer.objects.filter(email__endswith="@demo.example").prefetch_related("addresses"))
    products = list(Product.objects.filter(sku__startswith="DEMO-"))
    plentiful = [p for p in products if p.sku not in SCARCE_SKUS]
    scarce = [p for p in products if p.sku in SCARCE_SKUS]
    now = timezone.now()
    created = 0
    targets = [status for status, n in STATUS_MIX for _ in range(n)]
    rng.shuffle(targets)
    for target in targets:
        customer = rng.choice([c for c in customers if not c.on_hold])
        picks = rng.sample(plentiful, rng.randint(1, 4))
        if target == OrderStatus.BACKORDERED:
            picks.append(rng.choice(scarce))
        lines = [services.LineInput(product=p, quantity=rng.choice([1, 1, 1, 2, 3, 5])) for p in picks]
        address = customer.addresses.all()[0].snapshot()
        payment_method = PaymentMethod.CARD
        if target == OrderStatus.ON_HOLD:
            # Held by verification itself: an address without postcode, a blocked customer, or terms over limit.
            kind = rng.choice(["address", "customer", "credit", "manual"])
            if kind == "address":
                address = AddressSnapshot(**{**address.as_dict(), "postal_code": ""})
            elif kind == "customer":
                customer = next(c for c in customers if c.on_hold)
            elif kind == "credit":
                payment_method = PaymentMethod.TERMS
                lines = [services.LineInput(product=p, quantity=40) for p in picks]
        with transaction.atomic():
            order = services.order_create(
                actor=None, customer=customer, lines=lines, shipping_address=address,
                channel=rng.choice(list(Channel.values)), priority=rng.choices(
                    list(Priority.values), weights=[1, 2, 7])[0],
                payment_method=payment_method, shipping_total=Decimal(rng.choice(["0", "4.95", "9.95"])),
                internal_note="demo", submit=target != OrderStatus.DRAFT,
            )
        try:
            _drive(order, target, rng)
        except DomainError as exc:
            stdout.write(f"  {order.number}: stopped short of {target}: {exc}")
        # Spread the history over the last 60 days, keeping each order's stages in order; orders
        # still being worked on are recent (a warehouse does not keep weeks of open orders).
        shift = timedelta(days=rng.uniform(*RECENCY_DAYS.get(target, (0, 60))))
        _backdate(order.pk, shift)
        _spread_stages(order.pk, rng)
        created += 1
    return created


def _spread_stages(order_id: int, rng: random.Random) -> None:
    """The services stamp every stage at the moment the demo drives it, all within a second;
    give the stages the spans a warehouse really takes (hours to ship, days to deliver, some late),
    so that lead times and on-time rates on the KPI page mean something."""
    order = Order.objects.get(pk=order_id)
    if order.placed_at is None:
        return
    now = timezone.now()
    placed = order.placed_at
    stages = {
        "confirmed_at": placed + timedelta(minutes=rng.uniform(1, 30)),
        "shipped_at": placed + timedelta(hours=rng.uniform(3, 60)),
    }
    stages["delivered_at"] = stages["shipped_at"] + timedelta(days=rng.choice([1, 2, 2, 3, 3, 4, 5, 7]))
    stages["completed_at"] = stages["delivered_at"] + timedelta(days=rng.uniform(0.5, 3))
    stages["cancelled_at"] = placed + timedelta(hours=rng.uniform(1, 48))
    changes = {field: min(value, now) for field, value in stages.items() if getattr(order, field) is not None}
    Order.objects.filter(pk=order_id).update(**changes)


def _backdate(order_id: int, shift: timedelta) -> None:
    from django.db.models import F

    from orders.models import OrderEvent, OrderHold

    stamps = ["created_at", "placed_at", "confirmed_at", "shipped_at", "delivered_at", "completed_at",
              "cancelled_at", "ship_by", "deliver_by"]
    Order.objects.filter(pk=order_id).update(**{s: F(s) - shift for s in stamps})
    OrderEvent.objects.filter(order_id=order_id).update(created_at=F("created_at") - shift)
    OrderHold.objects.filter(order_id=order_id).update(created_at=F("created_at") - shift)
