"""Operations: liveness, health of the services, Prometheus metrics with business counters, JSON logs."""

import json
import os
import subprocess
import sys
import threading

import pytest
from django.conf import settings
from django.db import transaction
from prometheus_client import REGISTRY

from oms.celery import app as celery_app
from orders.services import order_submit
from fulfillment.tests.test_celery_worker import worker  # noqa: F401 (a real Celery worker on Redis)
from tests.factories import ProductFactory, make_order


def counter(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_liveness_answers_without_touching_the_database(client):
    response = client.get("/health/live")  # no django_db mark: a query would fail the test

    assert (response.status_code, response.content) == (200, b"ok\n")
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.django_db
def test_health_reports_database_cache_and_disk(client, settings):
    settings.OMS_HEALTH_CELERY = False

    response = client.get("/health/", {"format": "json"})

    assert response.status_code == 200
    results = response.json()
    assert {name.split("(")[0] for name in results} == {"Database", "Cache", "Disk"}
    assert set(results.values()) == {"OK"}


@pytest.mark.redis
@pytest.mark.django_db
def test_health_is_503_naming_celery_when_no_worker_answers(client, settings):
    settings.OMS_HEALTH_CELERY = True

    response = client.get("/health/", {"format": "json"})

    assert response.status_code == 503
    failing = [name for name, result in response.json().items() if result != "OK"]
    assert len(failing) == 1 and failing[0].startswith("Ping")


@pytest.mark.django_db
def test_metrics_are_served_to_an_allowed_address_only(client, settings):
    settings.OMS_METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    settings.OMS_METRICS_TOKEN = "scraper-secret"

    inside = client.get("/metrics", REMOTE_ADDR="10.1.2.3")
    outside = client.get("/metrics", REMOTE_ADDR="203.0.113.9")
    with_token = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer scraper-secret")
    wrong_token = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer guess")

    assert (inside.status_code, outside.status_code, with_token.status_code, wrong_token.status_code) == \
        (200, 403, 200, 403)
    assert b"django_http_requests_total_by_method_total" in inside.content
    assert b"oms_orders_placed_total" in inside.content


@pytest.mark.django_db
def test_placed_orders_are_counted_once_committed(django_capture_on_commit_callbacks):
    before = counter("oms_orders_placed_total")
    order = make_order(products=[ProductFactory()])

    with django_capture_on_commit_callbacks(execute=True):
        order_submit(actor=None, order=order)

    assert counter("oms_orders_placed_total") == before + 1


@pytest.mark.django_db
def test_a_placement_that_rolls_back_is_not_counted(django_capture_on_commit_callbacks):
    before = counter("oms_orders_placed_total")
    order = make_order(products=[ProductFactory()])

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            order_submit(actor=None, order=order)
            raise RuntimeError("the request failed after the placement")

    assert counter("oms_orders_placed_total") == before


def test_a_failing_task_is_counted_by_name():
    @celery_app.task(name="tests.operations.always_fails")
    def always_fails():
        raise ValueError("broken")

    before = counter("oms_task_failures_total", task="tests.operations.always_fails")

    always_fails.apply()

    assert counter("oms_task_failures_total", task="tests.operations.always_fails") == before + 1


def test_production_logs_are_one_json_object_per_line():
    environment = {**os.environ, "OMS_ENV": "production", "ALLOWED_HOSTS": "oms.example",
                   "SECRET_KEY": "log-test-key-not-used-anywhere-else-0123456789abcdef"}
    code = ("import django, logging; django.setup(); "
            "logging.getLogger('orders').warning('order %s held', 'SO-1', extra={'order': 'SO-1'})")

    result = subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR, env=environment,
                            capture_output=True, text=True, timeout=120)

    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert (line["message"], line["levelname"], line["name"], line["order"]) == \
        ("order SO-1 held", "WARNING", "orders", "SO-1")
    assert "timestamp" in line


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_health_is_200_when_a_worker_answers_the_ping(client, settings, worker):
    settings.OMS_HEALTH_CELERY = True

    # django-health-check's view is async; after the browser tests this thread still holds an event
    # loop (seen in the full run), where Django cannot run it. A gunicorn request thread has none.
    responses = []
    request = threading.Thread(target=lambda: responses.append(client.get("/health/", {"format": "json"})))
    request.start()
    request.join(timeout=30)
    response = responses[0]

    assert response.status_code == 200, response.json()
    assert any(name.startswith("Ping") for name in response.json())
