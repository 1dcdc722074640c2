"""Signals payments sends so the order timeline can show money moving, without payments
calling orders' services. Sent inside the transaction that moves the money, so the
timeline row commits (or rolls back) with it; receivers are connected in orders' AppConfig.

`order_payment_event(sender, order_id, message, data, actor_id)`: a payment transaction
was recorded, or an invoice or credit note was issued.
"""

from django.dispatch import Signal

order_payment_event = Signal()


def send_order_payment_event(*, order_id: int, message: str, actor=None, **data) -> None:
    actor_id = actor.pk if actor is not None and getattr(actor, "is_authenticated", False) else None
    order_payment_event.send(sender="payments", order_id=order_id, message=message, data=data, actor_id=actor_id)
