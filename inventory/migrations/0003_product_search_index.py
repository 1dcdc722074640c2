"""A trigram index for product search (the order entry's suggestions): any part of a SKU or name,
in any case.

PostgreSQL only (SQLite, the embedded default, scans its small catalogue). The index is on the
expression `inventory.models.ProductSearchText` writes, so the planner uses it for rare terms (and
a short scan that stops at the limit for common ones).
"""

from django.db import migrations


def create_search_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute("CREATE INDEX IF NOT EXISTS product_search_trgm_idx ON inventory_product "
                          "USING gin ((UPPER(sku::text || ' ' || name::text)) gin_trgm_ops)")


def drop_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS product_search_trgm_idx")


class Migration(migrations.Migration):

    dependencies = [
        ("inventory", "0002_warehouses_stock_ledger_purchasing"),
    ]

    operations = [
        migrations.RunPython(create_search_index, drop_search_index),
    ]
