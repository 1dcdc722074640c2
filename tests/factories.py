"""Factories for test data; orders are built through the services, as staff would."""

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from inventory.models import Product, Supplier, Warehouse
from orders.models import AddressSnapshot, Customer

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@oms.example")
    is_staff = False
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=extracted))
        self.save()


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse
        django_get_or_create = ("code",)

    code = "MAIN"
    name = "Main warehouse"
    country = "US"
    region = "IL"
    priority = 10


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"SUP{n:03d}")
    name = factory.Sequence(lambda n: f"Supplier {n}")
    email = factory.LazyAttribute(lambda s: f"{s.code.lower()}@supplier.example")
    lead_time_days = 7


class ProductFactory(factory.django.DjangoModelFactory):
    """A product with `stock` units (default 100) received into the MAIN warehouse.

    Orders of it verify as confirmed; pass `stock=0` for a product nobody has.
    """

    class Meta:
        model = Product
        skip_postgeneration_save = True

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    barcode = factory.Sequence(lambda n: f"400000{n:07d}")
    unit_price = Decimal("10.00")
    weight_kg = Decimal("0.500")

    @factory.post_generation
    def stock(self, create, extracted, **kwargs):
        quantity = 100 if extracted is None else extracted
        if create and quantity:
            from inventory.services import stock_receive

            stock_receive(actor=None, product=self, warehouse=WarehouseFactory(), quantity=quantity,
                          reason="Test stock")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n}")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    phone = "+1 555 0100"


def address(**overrides) -> AddressSnapshot:
    values = dict(name="Ada Lovelace", line1="12 Analytical Way", city="Springfield", region="IL",
                  postal_code="62701", country="US", phone="+1 555 0101")
    values.update(overrides)
    return AddressSnapshot(**values)


def make_order(*, customer=None, products=None, quantities=None, discounts=None, actor=None, submit=False,
               **kwargs):
    """A draft (or submitted) order through `order_create`; `discounts` per line (default none)."""
    from orders.services import LineInput, order_create

    customer = customer or CustomerFactory()
    products = products or [ProductFactory()]
    quantities = quantities or [1] * len(products)
    discounts = discounts or [Decimal("0")] * len(products)
    lines = [LineInput(product=p, quantity=q, discount=d) for p, q, d in zip(products, quantities, discounts)]
    kwargs.setdefault("shipping_address", address())
    return order_create(actor=actor, customer=customer, lines=lines, submit=submit, **kwargs)


def import_row(reference: str, **values) -> dict:
    """One row of a CSV import file (orders/intake.py CSV_COLUMNS): a valid order line unless `values` say otherwise."""
    row = {"external_reference": reference, "customer_email": f"{reference.lower()}@example.com",
           "customer_name": f"Buyer {reference}", "ship_name": f"Buyer {reference}", "ship_line1": "1 Way",
           "ship_city": "London", "ship_postal_code": "N1 7AA", "ship_country": "GB", "sku": "CHAIR-1",
           "quantity": "1", "priority": "standard", "payment_method": "card", "shipping_total": "0"}
    row.update(values)
    return row


def import_file(rows: list[dict]) -> str:
    """The text of a CSV import file with a header row and `rows`."""
    import csv
    import io

    from orders.intake import CSV_COLUMNS

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def orders_file(orders: int, *, lines: int = 1, prefix: str = "MP", skus=("CHAIR-1",)) -> str:
    """An import file of `orders` valid orders of `lines` rows each."""
    return import_file([import_row(f"{prefix}-{n}", sku=skus[line % len(skus)])
                        for n in range(1, orders + 1) for line in range(lines)])
