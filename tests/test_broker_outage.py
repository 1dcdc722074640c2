"""A broker that dies with a backlog loses nothing: orders placed while no worker runs have
their tasks queued in Redis; Redis is killed (no persistence: the queue is gone) and restarted
empty; a worker starts and the sweeps run. Every order is verified once and every customer
e-mail is sent once, because each message is a row written with the order, not only a task.

The test starts its own redis-server (a free port, its own directory) so killing it harms no
one else."""

import json
import shutil
import socket
import subprocess
import time
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.utils import timezone

from notifications.enums import NotificationStatus
from notifications.models import Notification
from notifications.services import notifications_send_due
from orders import notifications as kinds
from orders.enums import OrderEventType, OrderStatus
from orders.models import Order
from orders.services import order_submit
from orders.tasks import orders_verify_stalled
from tests.factories import ProductFactory, make_order

pytestmark = [pytest.mark.redis, pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

ORDERS = 20


def wait_until(condition, *, timeout: float = 60.0, what: str) -> None:
    """Poll a condition with a bound; the bound only turns a hang into a clear failure."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out waiting for {what}")
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A throwaway redis-server without persistence, that the test may kill -9."""

    def __init__(self, directory):
        self.port, self.directory, self.process = free_port(), directory, None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self):
        import redis

        return redis.Redis(port=self.port, socket_connect_timeout=1)

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
             "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._answers, timeout=10, what="redis-server to answer")

    def _answers(self) -> bool:
        try:
            return bool(self.client().ping())
        except Exception:
            return False

    def kill(self) -> None:
        self.process.kill()  # SIGKILL: no shutdown save, the queue dies with it
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.kill()


@pytest.fixture
def redis_server(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("needs the redis-server binary")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def _drop_broker_connections(app) -> None:
    """Forget pooled broker connections (kombu keeps them per URL, and the restarted Redis has
    the same URL), so the next task opens a fresh one."""
    from kombu import pools

    app._pool = None
    app.amqp._producer_pool = None
    pools.reset()


@contextmanager
def broker(app, url: str):
    previous = app.conf.broker_url
    app.conf.broker_url = url
    _drop_broker_connections(app)
    try:
        yield
    finally:
        app.conf.broker_url = previous
        _drop_broker_connections(app)


def queued_tasks(client) -> Counter:
    return Counter(json.loads(raw)["headers"]["task"] for raw in client.lrange("celery", 0, -1))


def received_emails(order) -> int:
    return sum(1 for m in mail.outbox if m.subject == f"We received your order {order.number}")


def confirmed_emails(order) -> int:
    return sum(1 for m in mail.outbox if m.subject == f"Your order {order.number} is confirmed")


def test_a_broker_killed_with_a_backlog_loses_no_verification_and_no_email(redis_server, settings):
    from celery.contrib.testing.worker import start_worker

    from oms.celery import app

    settings.OMS_AUTO_VERIFY = True
    settings.OMS_SIMULATED_GATEWAY_DELAY = 0.01
    previous_eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        with broker(app, redis_server.url):
            # Given orders placed while the worker is behind (none runs): their tasks wait in Redis
            orders = [order_submit(actor=None, order=make_order(products=[ProductFactory()]))
                      for _ in range(ORDERS)]
            queued = queued_tasks(redis_server.client())
            assert queued["orders.tasks.order_verify_task"] == ORDERS
            assert queued["notifications.tasks.notification_send_task"] == ORDERS  # "order received"
            assert Notification.objects.filter(kind=kinds.ORDER_RECEIVED,
                                               status=NotificationStatus.PENDING).count() == ORDERS

            # When Redis dies with that queue and comes back empty
            redis_server.kill()
            redis_server.start()
            _drop_broker_connections(app)
            assert queued_tasks(redis_server.client()) == Counter()

            # and a worker starts, and the sweeps run (as beat would, once their time has come)
            with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, loglevel="WARNING",
                              shutdown_timeout=10):
                assert orders_verify_stalled(minutes=0) == ORDERS
                later = timezone.now() + timedelta(seconds=django_settings.OMS_NOTIFICATION_GRACE_SECONDS + 1)
                assert notifications_send_due(now=later) == ORDERS

                # Then every order is verified, and every e-mail sent
                wait_until(lambda: Order.objects.filter(pk__in=[o.pk for o in orders],
                                                        status=OrderStatus.CONFIRMED).count() == ORDERS,
                           what="every order to be verified")
                wait_until(lambda: Notification.objects.filter(order__in=orders,
                                                               status=NotificationStatus.SENT).count() == 2 * ORDERS,
                           what="every e-mail to be sent")

                # and a second round of sweeps finds nothing left to do
                assert orders_verify_stalled(minutes=0) == 0
                assert notifications_send_due(now=later + timedelta(hours=1)) == 0
    finally:
        app.conf.task_always_eager = previous_eager

    # exactly once each
    assert [received_emails(order) for order in orders] == [1] * ORDERS
    assert [confirmed_emails(order) for order in orders] == [1] * ORDERS
    verifications = [Order.objects.get(pk=order.pk).events.filter(type=OrderEventType.STATUS_CHANGED,
                                                                   to_status=OrderStatus.CONFIRMED).count()
                     for order in orders]
    assert verifications == [1] * ORDERS
    assert len(mail.outbox) == 2 * ORDERS
