"""Real concurrency on PostgreSQL: several threads, each with its own connection."""

import pytest

from oms.exceptions import TransitionRefused
from orders import services
from orders.enums import OrderEventType, OrderStatus
from orders.models import Order
from tests.concurrency import run_together
from tests.factories import make_order

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(n: int, work) -> list:
    """`n` threads run `work(i)` at once; what each returned or raised."""
    return run_together([lambda i=i: work(i) for i in range(n)])


def test_two_staff_submitting_the_same_draft_give_one_transition_and_one_refusal(settings, sales_user, manager_user):
    settings.OMS_AUTO_VERIFY = False
    order = make_order()
    users = [sales_user, manager_user]

    results = race(2, lambda i: services.order_submit(actor=users[i], order=Order.objects.get(pk=order.pk)))

    submitted = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, TransitionRefused)]
    assert len(submitted) == 1 and len(refused) == 1, results
    assert "it cannot be submitted" in refused[0].message
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED
    assert order.events.filter(type=OrderEventType.STATUS_CHANGED, to_status=OrderStatus.PLACED).count() == 1


def test_cancel_racing_verify_leaves_one_consistent_outcome(settings):
    settings.OMS_AUTO_VERIFY = False
    order = services.order_submit(actor=None, order=make_order())

    def work(i):
        fresh = Order.objects.get(pk=order.pk)
        if i == 0:
            return services.order_verify(actor=None, order=fresh)
        return services.order_cancel(actor=None, order=fresh, reason="Customer called")

    results = race(2, work)

    order.refresh_from_db()
    errors = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(e, TransitionRefused) for e in errors), errors
    # Whichever came first, the order is in a state reachable from it, with one event per change.
    changes = list(order.events.filter(type=OrderEventType.STATUS_CHANGED).values_list("from_status", "to_status"))
    assert changes[0] == ("draft", "placed")
    assert order.status in (OrderStatus.CANCELLED, OrderStatus.CONFIRMED)
    assert len(changes) == 1 + (2 - len(errors))


def test_many_concurrent_orders_get_unique_consecutive_numbers():
    results = race(12, lambda i: make_order().number)

    assert not [r for r in results if isinstance(r, Exception)], results
    numbers = sorted(int(n[3:]) for n in results)
    assert numbers == list(range(numbers[0], numbers[0] + 12))


def test_the_same_intake_order_posted_at_once_from_four_connections_is_created_once(settings):
    from decimal import Decimal

    from orders.enums import Channel
    from orders.intake import parse_intake_json
    from tests.factories import ProductFactory

    settings.OMS_AUTO_VERIFY = False
    ProductFactory(sku="CHAIR-1", unit_price=Decimal("10"))
    payload = {"external_reference": "WEB-RACE", "customer": {"email": "ada@example.com", "name": "Ada"},
               "shipping_address": {"name": "Ada", "line1": "1 Way", "city": "London", "postal_code": "N1",
                                    "country": "GB"},
               "lines": [{"sku": "CHAIR-1", "quantity": 1}]}

    def work(i):
        intake, problems = parse_intake_json(payload)
        assert not problems
        return services.order_intake(actor=None, channel=Channel.WEB, intake=intake)

    results = race(4, work)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(created for _, created in results) == [False, False, False, True]
    assert len({order.pk for order, _ in results}) == 1
    assert Order.objects.filter(external_reference="WEB-RACE").count() == 1


def test_two_terms_orders_verified_at_once_cannot_both_fit_under_the_credit_limit(settings):
    from decimal import Decimal

    from payments.enums import PaymentMethod
    from tests.factories import CustomerFactory, ProductFactory

    settings.OMS_AUTO_VERIFY = False
    customer = CustomerFactory(credit_limit=Decimal("100.00"))
    product = ProductFactory(unit_price=Decimal("60.00"))
    orders = [services.order_submit(actor=None, order=make_order(customer=customer, products=[product],
                                                                  payment_method=PaymentMethod.TERMS))
              for _ in range(2)]

    results = race(2, lambda i: services.order_verify(actor=None, order=Order.objects.get(pk=orders[i].pk)))

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(r.status for r in results) == [OrderStatus.CONFIRMED, OrderStatus.ON_HOLD]
