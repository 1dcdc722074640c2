"""Human-friendly numbers for orders, invoices, purchase orders and returns."""

from django.db import connection, transaction

from oms.models import Sequence

# Counters that may skip a number (a rolled-back order) and so, on PostgreSQL, are native
# SEQUENCEs (created by oms.0002): nextval() holds no lock, so concurrent placements never
# queue behind each other. Every other name is gapless: a counter row updated in the
# caller's transaction, its lock held until commit (invoice numbers must have no gaps).
NATIVE_SEQUENCES = {"order"}


def sequence_next(*, name: str) -> int:
    """The next value of a named counter; call inside the transaction that uses it."""
    if name in NATIVE_SEQUENCES and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s)", [f"oms_seq_{name}"])
            return cursor.fetchone()[0]
    table = Sequence._meta.db_table
    # No savepoint (two statements fewer per number): nothing in here can fail half-way;
    # get_or_create protects its own INSERT race with a savepoint of its own.
    with transaction.atomic(savepoint=False):
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET last_value = last_value + 1 WHERE name = %s RETURNING last_value", [name]
            )
            row = cursor.fetchone()
        if row is not None:
            return row[0]
        Sequence.objects.get_or_create(name=name)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET last_value = last_value + 1 WHERE name = %s RETURNING last_value", [name]
            )
            return cursor.fetchone()[0]
