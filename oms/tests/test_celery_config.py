"""Celery is configured so that a task is lost neither with the broker nor with a worker."""

from django.conf import settings


def test_a_task_is_acknowledged_after_it_ran_and_requeued_when_its_worker_dies():
    from oms.celery import app

    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


def test_every_beat_entry_names_a_task_that_exists():
    from oms.celery import app

    app.loader.import_default_modules()
    missing = {name: entry["task"] for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
               if entry["task"] not in app.tasks}
    assert missing == {}


def test_the_sweeps_that_rescue_lost_tasks_run_every_minute():
    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["orders.tasks.orders_verify_stalled"] == 60.0
    assert schedule["notifications.tasks.notifications_send_due_task"] == 60.0
    assert schedule["oms.tasks.redispatch_deferred_tasks"] == 60.0
