"""The statement budget of the hottest path: place and verify (allocate) a 3-line order."""

from django.db import connection

from orders.enums import OrderStatus
from orders.services import order_verify
from tests.factories import CustomerFactory, ProductFactory, make_order

BUDGET = 15  # the target: place and verify a 3-line order, allocation included


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


def test_placing_and_verifying_a_three_line_order_takes_at_most_15_statements(
        db, settings, django_assert_max_num_queries):
    settings.OMS_AUTO_VERIFY = False
    products = [ProductFactory(stock=50) for _ in range(3)]
    customer = CustomerFactory()
    make_order(customer=customer, products=products)  # the order-number sequence row exists from now on
    statements = Statements()

    # Inside a test, each of the two transactions becomes a savepoint: 2 x (SAVEPOINT + RELEASE).
    with django_assert_max_num_queries(BUDGET + 4), connection.execute_wrapper(statements):
        order = make_order(customer=customer, products=products, quantities=[1, 2, 3], submit=True)
        order = order_verify(actor=None, order=order)

    assert order.status == OrderStatus.CONFIRMED
    assert len(statements.business) <= BUDGET, "\n".join(statements.business)
