from django.db import connection, transaction

from oms.models import Sequence


def sequence_next(*, name: str) -> int:
    """The next value of a named counter; call inside the transaction that uses it."""
    table = Sequence._meta.db_table
    with transaction.atomic():
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
