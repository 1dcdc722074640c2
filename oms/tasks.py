"""Scheduling side effects after commit, with an outbox for a broker that is down."""

import logging

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from oms.models import DeferredTask

logger = logging.getLogger(__name__)


def enqueue_on_commit(task, **kwargs) -> None:
    """Send `task` with `kwargs` once the current transaction commits.

    If the broker refuses the message, the task is kept in the outbox and re-sent by
    `redispatch_deferred_tasks`: the business write already committed and is not lost.
    """
    transaction.on_commit(lambda: dispatch_task(task, kwargs))


def dispatch_task(task, kwargs: dict) -> bool:
    try:
        task.apply_async(kwargs=kwargs, retry=False)
        return True
    except Exception as exc:  # kombu raises many kinds; any of them means "not sent"
        logger.warning("Broker refused %s(%s): %s; kept in the outbox", task.name, kwargs, exc)
        DeferredTask.objects.create(task_name=task.name, kwargs=kwargs, error=str(exc)[:2000])
        return False


def sweep_again_if_full(task, *, done: int, limit: int, again: bool) -> None:
    """An hourly sweep that filled its batch runs once more now (that run does not chain further),
    so a backlog drains twice as fast without one run ever growing past its batch."""
    if again and done >= limit:
        dispatch_task(task, {"limit": limit, "again": False})


@shared_task
def redispatch_deferred_tasks(limit: int = 500) -> int:
    """Re-send what the outbox holds; two overlapping sweeps never send the same row twice."""
    from django.db.models import F

    from oms.celery import app

    sent = 0
    with transaction.atomic():
        rows = list(DeferredTask.objects.filter(dispatched_at__isnull=True).order_by("created_at", "pk")
                    .select_for_update(skip_locked=True)[:limit])
        for deferred in rows:
            task = app.tasks.get(deferred.task_name)
            if task is None:
                logger.error("Outbox holds unknown task %s", deferred.task_name)
                continue
            try:
                task.apply_async(kwargs=deferred.kwargs, retry=False)
            except Exception as exc:
                DeferredTask.objects.filter(pk=deferred.pk).update(attempts=F("attempts") + 1, error=str(exc)[:2000])
                break  # the broker is still down; try again on the next sweep
            DeferredTask.objects.filter(pk=deferred.pk).update(dispatched_at=timezone.now())
            sent += 1
    return sent
