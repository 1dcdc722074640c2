from django.db import migrations

CREATE = """
CREATE SEQUENCE IF NOT EXISTS oms_seq_order;
SELECT setval('oms_seq_order', GREATEST(
    COALESCE((SELECT last_value FROM oms_sequence WHERE name = 'order'), 0), 1),
    (SELECT EXISTS (SELECT 1 FROM oms_sequence WHERE name = 'order' AND last_value > 0)));
"""


def create_sequence(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_sequence(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP SEQUENCE IF EXISTS oms_seq_order")


class Migration(migrations.Migration):
    dependencies = [("oms", "0001_initial")]

    operations = [migrations.RunPython(create_sequence, drop_sequence)]
