from django.db import connection, transaction

from oms.models import Sequence


def sequence_next(*, name: str) -> int:
    """The next value of a named counter; call inside the transaction that uses it."""
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
