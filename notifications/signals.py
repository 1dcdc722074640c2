"""Signals the notifications app sends, so other apps can react without it knowing them.

`notification_sent(sender=Notification, notification)`: sent inside the transaction that marks a
message sent (orders writes it on the order's timeline; payments stamps the invoice e-mailed).
"""

from django.dispatch import Signal

notification_sent = Signal()
