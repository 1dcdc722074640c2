"""Row locks for orders, always taken in one order: the order row, then (for a credit check)
its customer, then its lines, then stock rows by primary key. A customer's e-mail is claimed
before any of them."""

from django.db import connection

from orders.models import Customer, Order, OrderLine


def lock_customer_email(email: str) -> None:
    """Claim an e-mail address until the transaction ends, so that two requests cannot both find it
    free and give it to two customers (on PostgreSQL; SQLite serialises writers on its own)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"customer-email:{email}"])


def lock_order(order_id: int) -> Order:
    # of=("self",): the customer is read with the order but not locked with it (an order
    # lock must not block every other order of the same customer).
    return Order.objects.select_for_update(of=("self",)).select_related("customer").get(pk=order_id)


def lock_customer(customer_id: int) -> Customer:
    return Customer.objects.select_for_update().get(pk=customer_id)


def lock_order_lines(order_id: int) -> list[OrderLine]:
    return list(OrderLine.objects.filter(order_id=order_id).order_by("pk").select_for_update())
