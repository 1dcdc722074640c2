"""A broker that is down loses nothing: the task waits in the outbox and is sent later."""

import time

import pytest
from celery import shared_task
from django.db import transaction

from oms.models import DeferredTask
from oms.sequences import sequence_next
from oms.tasks import dispatch_task, enqueue_on_commit, redispatch_deferred_tasks

pytestmark = pytest.mark.django_db

received = []


@shared_task(name="oms.tests.record")
def record(*, value):
    received.append(value)


class BrokenBroker:
    name = record.name

    def apply_async(self, **kwargs):
        raise ConnectionRefusedError("[Errno 111] Connection refused")


def test_a_refused_task_is_kept_in_the_outbox_and_the_write_stands(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            number = sequence_next(name="demo")
            enqueue_on_commit(BrokenBroker(), value=number)

    deferred = DeferredTask.objects.get()
    assert deferred.task_name == "oms.tests.record" and deferred.kwargs == {"value": number}
    assert "Connection refused" in deferred.error
    assert sequence_next(name="demo") == number + 1  # the business write committed


def test_the_sweep_sends_what_the_outbox_holds_once():
    received.clear()
    dispatch_task(BrokenBroker(), {"value": 7})

    assert redispatch_deferred_tasks.apply().get() == 1
    assert redispatch_deferred_tasks.apply().get() == 0
    assert received == [7]
    assert DeferredTask.objects.get().dispatched_at is not None


def test_a_task_from_a_rolled_back_transaction_is_never_sent(django_capture_on_commit_callbacks):
    received.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            enqueue_on_commit(record, value=1)
            raise RuntimeError
    assert callbacks == [] and received == []


@pytest.mark.redis
def test_a_real_broker_on_a_dead_port_goes_to_the_outbox(settings):
    """A real Redis transport pointed at a closed port fails fast, and the task is kept."""
    from celery import Celery

    dead = Celery("dead-broker", broker="redis://127.0.0.1:1/0", set_as_current=False)
    dead.conf.broker_transport_options = settings.CELERY_BROKER_TRANSPORT_OPTIONS

    @dead.task(name="oms.tests.record_dead", shared=False)
    def task(*, value):
        return value


    started = time.monotonic()
    sent = dispatch_task(task, {"value": 3})

    assert sent is False
    assert time.monotonic() - started < 10
    deferred = DeferredTask.objects.get(task_name="oms.tests.record_dead")
    assert deferred.kwargs == {"value": 3} and deferred.error
