"""Staff order entry as one service: customer, draft, card and submit together, or nothing."""

import pytest

from oms.exceptions import DomainError
from orders.enums import Channel, OrderStatus, Priority
from orders.models import Customer, Order
from orders.services import LineInput, NewCustomer, order_enter
from payments.enums import PaymentMethod
from payments.models import Payment
from payments.services import payment_card_tokenize
from tests.factories import CustomerFactory, ProductFactory, address, make_order

pytestmark = pytest.mark.django_db

TERMS = {"channel": Channel.PHONE, "priority": Priority.STANDARD, "shipping_total": 0}


def test_entering_an_order_for_a_new_customer_creates_the_customer_the_order_and_its_card(sales_user, settings):
    settings.OMS_AUTO_VERIFY = False
    product = ProductFactory()

    order = order_enter(
        actor=sales_user, customer=NewCustomer(name="Grace Hopper", email="Grace@Navy.example"),
        lines=[LineInput(product=product, quantity=2)], shipping_address=address(),
        payment_method=PaymentMethod.CARD, card=payment_card_tokenize(card_number="4242424242424242"),
        submit=True, **TERMS)

    order = Order.objects.get(pk=order.pk)
    assert order.status == OrderStatus.PLACED
    assert order.customer.email == "grace@navy.example"
    assert order.customer.addresses.get().is_default
    assert Payment.objects.get(order=order).card_last4 == "4242"


def test_an_entry_refused_at_its_end_leaves_no_customer_and_no_order(sales_user):
    """A card given for an order on account terms is refused after the customer and the draft
    were written: none of it stays."""
    product = ProductFactory()
    customers, orders = Customer.objects.count(), Order.objects.count()

    with pytest.raises(DomainError, match="takes no card"):
        order_enter(
            actor=sales_user, customer=NewCustomer(name="Grace Hopper", email="grace@navy.example"),
            lines=[LineInput(product=product, quantity=1)], shipping_address=address(),
            payment_method=PaymentMethod.TERMS, card=payment_card_tokenize(card_number="4242424242424242"),
            submit=True, **TERMS)

    assert (Customer.objects.count(), Order.objects.count()) == (customers, orders)


def test_entering_an_existing_draft_updates_and_submits_it(sales_user, settings):
    settings.OMS_AUTO_VERIFY = False
    draft = make_order(actor=sales_user)
    other = CustomerFactory()
    product = ProductFactory()

    order = order_enter(actor=sales_user, order=draft, customer=other,
                        lines=[LineInput(product=product, quantity=3)], shipping_address=address(city="Dayton"),
                        payment_method=PaymentMethod.TERMS, submit=True, **TERMS)

    order = Order.objects.get(pk=draft.pk)
    assert (order.status, order.customer, order.ship_city) == (OrderStatus.PLACED, other, "Dayton")
    assert [(line.sku, line.quantity) for line in order.lines.all()] == [(product.sku, 3)]
