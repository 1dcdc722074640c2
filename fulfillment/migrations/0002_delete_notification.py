"""Customer e-mails move to the notifications app: every row is copied (same kind, status,
reference, attempts and times; about the order), then fulfillment's table goes."""

from django.db import migrations

COPY = """
INSERT INTO notifications_notification
    (channel, kind, recipient, about_type, about_id, order_id, reference, data, status, attempts,
     next_attempt_at, last_error, subject, created_by_id, created_at, sent_at)
SELECT 'email', kind, recipient, 'orders.order', CAST(order_id AS VARCHAR(64)), order_id, reference, '{}', status,
       attempts, CASE WHEN status = 'sent' THEN NULL ELSE created_at END, last_error, subject, created_by_id,
       created_at, sent_at
FROM fulfillment_notification ORDER BY id
"""


class Migration(migrations.Migration):

    dependencies = [
        ('fulfillment', '0001_initial'),
        ('notifications', '0001_initial'),
    ]

    operations = [
        migrations.RunSQL(COPY, reverse_sql=migrations.RunSQL.noop),
        migrations.DeleteModel(
            name='Notification',
        ),
    ]
