"""Business counters for Prometheus, beside django-prometheus's request and database metrics.

They count what committed: an order's status event is counted after its transaction commits
(a rolled-back placement counts nothing), and every Celery task that fails counts once per
failure, by task name. Connected in `OmsConfig.ready()`.
"""

from django.db import transaction
from prometheus_client import Counter

from orders.enums import OrderStatus

ORDERS_PLACED = Counter("oms_orders_placed", "Orders placed (submitted, from any channel).")
ORDERS_HELD = Counter("oms_orders_held", "Orders put on hold (verification failed or by staff).")
ORDERS_SHIPPED = Counter("oms_orders_shipped", "Orders shipped in full.")
TASK_FAILURES = Counter("oms_task_failures", "Celery tasks that raised, by task name.", ["task"])

COUNTER_BY_STATUS = {OrderStatus.PLACED: ORDERS_PLACED, OrderStatus.ON_HOLD: ORDERS_HELD,
                     OrderStatus.SHIPPED: ORDERS_SHIPPED}


def count_order_event(sender, instance, created: bool, **kwargs) -> None:
    counter = COUNTER_BY_STATUS.get(instance.to_status) if created else None
    if counter is not None and instance.from_status != instance.to_status:
        transaction.on_commit(counter.inc)


def count_task_failure(sender=None, **kwargs) -> None:
    TASK_FAILURES.labels(task=getattr(sender, "name", "unknown")).inc()
