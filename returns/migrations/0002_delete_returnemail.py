"""Return e-mails move to the notifications app: each claim row becomes a sent message of kind
`return_<kind>` about its return (and its order), then the claim table goes."""

from django.db import migrations

COPY = """
INSERT INTO notifications_notification
    (channel, kind, recipient, about_type, about_id, order_id, reference, data, status, attempts,
     next_attempt_at, last_error, subject, created_by_id, created_at, sent_at)
SELECT 'email', 'return_' || e.kind, e."to", 'returns.returnrequest', CAST(e.return_request_id AS VARCHAR(64)),
       r.order_id, '', '{}', 'sent', 1, NULL, '', '', NULL, e.sent_at, e.sent_at
FROM returns_returnemail e JOIN returns_returnrequest r ON r.id = e.return_request_id ORDER BY e.id
"""


class Migration(migrations.Migration):

    dependencies = [
        ('returns', '0001_initial'),
        ('notifications', '0001_initial'),
    ]

    operations = [
        migrations.RunSQL(COPY, reverse_sql=migrations.RunSQL.noop),
        migrations.DeleteModel(
            name='ReturnEmail',
        ),
    ]
