"""Signals orders sends so other apps can react to an order moving, without orders knowing them.

`order_status_changed(sender=Order, order_id, from_status, to_status, event_id)`: sent after
the transaction that changed the status commits (never for a rolled-back change).
fulfillment connects the customer e-mails to it.
"""

from django.db import transaction
from django.dispatch import Signal

order_status_changed = Signal()


def send_order_status_changed(*, order, from_status: str, to_status: str, event_id: int) -> None:
    order_id, model = order.pk, type(order)
    transaction.on_commit(lambda: order_status_changed.send(
        sender=model, order_id=order_id, from_status=from_status, to_status=to_status, event_id=event_id))
