"""Factories for test data; orders are built through the services, as staff would."""

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from inventory.models import Product
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


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    barcode = factory.Sequence(lambda n: f"400000{n:07d}")
    unit_price = Decimal("10.00")
    weight_kg = Decimal("0.500")


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


def make_order(*, customer=None, products=None, quantities=None, actor=None, submit=False, **kwargs):
    """A draft (or submitted) order through `order_create`."""
    from orders.services import LineInput, order_create

    customer = customer or CustomerFactory()
    products = products or [ProductFactory()]
    quantities = quantities or [1] * len(products)
    lines = [LineInput(product=p, quantity=q) for p, q in zip(products, quantities)]
    kwargs.setdefault("shipping_address", address())
    return order_create(actor=actor, customer=customer, lines=lines, submit=submit, **kwargs)
