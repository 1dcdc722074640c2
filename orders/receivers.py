"""Receivers for what other apps announce about an order; connected in OrdersConfig.ready()."""

from django.contrib.auth import get_user_model
from django.db import transaction

from orders.enums import OrderEventType, OrderStatus
from orders.models import Order


def record_payment_event(sender, *, order_id: int, message: str, data: dict, actor_id: int | None, **kwargs) -> None:
    """payments, inside the transaction that moves the money: it goes on the order's timeline, and
    money coming in for a delivered order may complete it (checked after commit: the payment is
    locked now, and the order is always locked before it)."""
    from oms.tasks import enqueue_on_commit
    from orders.services import order_event_record
    from orders.tasks import order_complete_if_settled_task

    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        return
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    with transaction.atomic():
        order_event_record(order=order, type=OrderEventType.PAYMENT, actor=actor, message=message, data=data)
        if order.status == OrderStatus.DELIVERED:
            enqueue_on_commit(order_complete_if_settled_task, order_id=order.pk)


def allocate_backorders_on_replenishment(sender, *, product_ids: list[int], **kwargs) -> None:
    """inventory: stock became available again; waiting backorders are allocated in a task."""
    from oms.tasks import enqueue_on_commit
    from orders.tasks import backorders_allocate_task

    enqueue_on_commit(backorders_allocate_task, product_ids=list(product_ids))
