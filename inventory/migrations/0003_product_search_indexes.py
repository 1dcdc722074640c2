"""Trigram indexes for the order entry's product search: any part of a SKU or name, in any case.

PostgreSQL only (SQLite, the embedded default, scans its small catalogue). Each index is on the
expression Django writes for `icontains` and `istartswith`, UPPER(column::text), so the planner uses it.
"""

from django.db import migrations

SEARCH_INDEXES = {"product_sku_trgm_idx": "sku", "product_name_trgm_idx": "name"}


def create_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in SEARCH_INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON inventory_product "
                              f"USING gin ((UPPER({column}::text)) gin_trgm_ops)")


def drop_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in SEARCH_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [
        ("inventory", "0002_warehouses_stock_ledger_purchasing"),
    ]

    operations = [
        migrations.RunPython(create_search_indexes, drop_search_indexes),
    ]
