"""The statement budget of the hottest path: place and verify (allocate) a 3-line order."""

import pytest
from django.db import connection

from orders.enums import OrderStatus
from orders.services import order_verify
from payments.enums import PaymentMethod
from tests.factories import CustomerFactory, ProductFactory, make_order

# Pinned at what it takes today, so a regression fails here first: 14 statements for the whole
# pipeline of an order that needs no gateway call (its payment row included), plus one INSERT for
# each customer message ("received", "confirmed"), recorded with the change it tells about so a
# broker that dies with its queue loses no e-mail. (The earlier target of 15 predates that rule.)
# SQLite has no data-modifying CTEs: the four allocation writes are four statements there.
BUDGET = {"postgresql": 14 + 2, "sqlite": 17 + 2}


class Statements:
    def __init__(self):
        self.sql = []

    def __call__(self, execute, sql, params, many, context):
        self.sql.append(sql)
        return execute(sql, params, many, context)

    @property
    def business(self) -> list[str]:
        """Without the SAVEPOINT/RELEASE that only the test's wrapping transaction adds."""
        return [s for s in self.sql if not s.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]


def test_placing_and_verifying_a_three_line_order_stays_within_the_statement_budget(
        db, settings, django_assert_max_num_queries):
    settings.OMS_AUTO_VERIFY = False
    budget = BUDGET[connection.vendor]
    products = [ProductFactory(stock=50) for _ in range(3)]
    customer = CustomerFactory()
    make_order(customer=customer, products=products)  # the order-number sequence row exists from now on
    statements = Statements()

    # Inside a test, each transaction becomes a savepoint: SAVEPOINT + RELEASE each.
    with django_assert_max_num_queries(budget + 4), connection.execute_wrapper(statements):
        # Cash on delivery: every check runs; none needs the gateway, so there is one transaction.
        order = make_order(customer=customer, products=products, quantities=[1, 2, 3], submit=True,
                           payment_method=PaymentMethod.COD)
        order = order_verify(actor=None, order=order)

    assert order.status == OrderStatus.CONFIRMED
    assert len(statements.business) <= budget, "\n".join(statements.business)
